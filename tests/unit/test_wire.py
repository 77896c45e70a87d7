"""Pages decoded once in C (msgspec) give the same extract, raw JSON and set-aside activities
as the Python parser gives the same activities decoded (issue 23)."""

from __future__ import annotations

import gzip
import json
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from pipeline.extract_stream import write_extract
from pipeline.raw_activities import RawJsonLines
from pipeline.strava import wire
from pipeline.strava.activities import parse_problem
from pipeline.strava.client import Credentials, StravaClient
from pipeline.strava.tokens import TokenStore

SHAPES = Path(__file__).resolve().parent.parent / "fixtures" / "strava_shapes"
READ_AT = datetime(2026, 11, 30, 8, 15, 42, tzinfo=timezone.utc)
PLAUSIBLE = (datetime(2008, 1, 1), datetime(2026, 12, 1))


def activity(activity_id: int, **fields: Any) -> dict[str, Any]:
    return {"id": activity_id, "athlete": {"id": 9}, "name": f"Run {activity_id}",
            "start_date": "2026-11-20T10:00:00Z", "start_date_local": "2026-11-20T05:00:00Z",
            "type": "Run", "sport_type": "Run", "utc_offset": -18000.0, "kudos_count": 3,
            "distance": 5000, "start_latlng": [43.6, -79.4], "map": {"summary_polyline": "ab"},
            **fields}


def extract(pages: list[Any], folder: Path, name: str) -> tuple[bytes, list[Any], list[Any]]:
    """The extract's bytes, the unparseable items and the raw JSON's activities."""
    unparseable: list[dict[str, Any]] = []
    with RawJsonLines(folder / f"{name}.jsonl.gz", READ_AT) as raw:
        write_extract(pages, folder / f"{name}.csv", READ_AT, chunk_activities=3,
                      unparseable=unparseable, plausible=PLAUSIBLE, raw=raw)
    lines = gzip.decompress((folder / f"{name}.jsonl.gz").read_bytes()).splitlines()
    return ((folder / f"{name}.csv").read_bytes(), unparseable,
            [json.loads(line.decode("ascii")) for line in lines])


def sent(activities: list[Any], **dumps: Any) -> wire.RawPage:
    return wire.decode_page(json.loads, json.dumps(activities, **dumps).encode())


def test_every_shape_gives_the_same_extract_from_bytes_as_from_dicts(tmp_path: Path) -> None:
    years = [json.loads((SHAPES / f"{year}.json").read_text(encoding="utf-8"))
             for year in ("2013", "2018", "2021", "2025")]
    pages = [sent(page, ensure_ascii=False) for page in years]
    assert all(page.body is not None for page in pages)
    assert extract(pages, tmp_path, "bytes") == extract(years, tmp_path, "dicts")


def test_odd_values_are_parsed_or_set_aside_exactly_as_the_python_parser_does(
        tmp_path: Path) -> None:
    page = [
        activity(1),
        activity(2, utc_offset=165.5, name="Zürich 🏃"),  # not an integer: set aside
        activity(3, distance=""),  # '' is NULL
        activity(4, start_date="2026-11-20T11:00:00+01:00"),  # an offset: converted to UTC
        activity(5, start_date="1999-01-01T00:00:00Z"),  # before the plausible range
        activity(6, kudos_count=2**63),  # beyond 64 bits
        activity(7, sport_type="", type="Ride"),  # older shape: type taken
        activity(8, start_date=None),
        activity(9, name="nul \u0000 inside"),
        activity(2, kudos_count=9),  # a later copy of 2 wins
        activity(10, id=True),
    ]
    bytes_extract, bytes_aside, bytes_raw = extract([sent(page)], tmp_path, "bytes")
    dict_extract, dict_aside, dict_raw = extract([page], tmp_path, "dicts")
    assert bytes_extract == dict_extract
    assert bytes_raw == dict_raw == json.loads(json.dumps(page))
    assert bytes_aside == dict_aside
    assert [item["reason"] for item in bytes_aside] == [
        parse_problem(item["activity"], PLAUSIBLE) for item in bytes_aside]
    # the earlier copy of 2 is superseded, not checked; an id true is not 1
    assert [item["activity"]["id"] for item in bytes_aside] == [5, 6, 8, True]
    assert bytes_extract.count(b"\n1|9|") == 1
    assert b"\nnul \xef\xbf\xbd inside" not in bytes_extract  # (the NUL is in quotes)
    assert '"nul \ufffd inside"'.encode() in bytes_extract


def test_a_page_no_strict_decoder_reads_is_decoded_leniently_and_counted(tmp_path: Path) -> None:
    client = StravaClient("https://www.strava.com/api/v3", "https://www.strava.com/oauth/token",
                          Credentials("1", "s"), TokenStore(tmp_path / "unused.json"))
    body = json.dumps([activity(1, average_temp=float("nan"))]).encode()[:-2] + b', "x": "\xff"}]'
    page = wire.decode_page(client.lenient_json, body)
    assert page.body is None and page.ids == {1} and client.invalid_utf8 == 1
    csv, aside, raw = extract([page], tmp_path, "lenient")
    assert [item["reason"] for item in aside] == ["average_temp 'nan' is not a Float64"]
    assert raw[0]["average_temp"] is None and raw[0]["x"] == "\ufffd"
    assert csv.count(b"\n") == 1  # the header only
