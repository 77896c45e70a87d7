"""Chunks written the fast way (CSV formatted from the structs, pipeline/fast_extract.py) give
byte for byte the extract the typed frame gives; pages read ahead, and a repeated id, too."""

from __future__ import annotations

import gzip
import json
import random
import time
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any

import pytest

from pipeline import csv_writer_process, fast_extract
from pipeline.extract_stream import write_extracts
from pipeline.local_dates import LocalDates
from pipeline.raw_activities import RawJsonLines
from pipeline.strava import wire

READ_AT = datetime(2026, 11, 30, 8, 15, 42, 123456, tzinfo=timezone.utc)
PLAUSIBLE = (datetime(1970, 1, 1), datetime(2026, 12, 2))
TEXTS = ["", "Run", 'a "quoted" | piped\nline', "\\N", "Zürich 🏃", " blank ", "\r", "x,y",
         "\u2028sep", "\\u0041"]
ZONES = [None, "", "(GMT-05:00) America/Toronto", "(GMT+01:00) Europe/Paris", "UTC"]


def _number(chance: random.Random) -> Any:
    return chance.choice([None, 0, -0.0, 1, 5000, 12.5, 1e20, 5e-324, 2.0**53 + 1,
                          123456789.123456789, -14400.0, 0.1, 1 / 3, 9.2e18])


def _integer(chance: random.Random, extreme: bool = True) -> Any:
    return chance.choice([None, 0, 7, -14400.0, 3600] + (
        [2**63 - 1, -(2**63 - 1), 9.2e18] if extreme else []))


def activity(chance: random.Random, activity_id: int, extreme: bool = True) -> dict[str, Any]:
    """An activity of random, valid shape (what msgspec types strictly); ``extreme``: with
    integers near the 64-bit bounds (which decoded activities' frame cannot hold)."""
    day = chance.randint(1, 28)
    item: dict[str, Any] = {
        "id": activity_id, "name": chance.choice(TEXTS), "type": chance.choice(["Run", "", None]),
        "sport_type": chance.choice(["Run", "TrailRun", "", None]),
        "start_date": f"2026-11-{day:02d}T{chance.randint(0, 23):02d}:00:0{day % 10}Z",
        "start_date_local": chance.choice([
            None, "", f"2026-11-{day:02d}T05:00:00Z", "2026-11-29T23:59:59Z",
            "2026-11-30T00:00:00Z", "2026-11-23T00:00:00Z"]),
        "timezone": chance.choice(ZONES), "utc_offset": _integer(chance, extreme),
        "distance": _number(chance), "moving_time": _integer(chance, extreme),
        "kudos_count": _integer(chance, extreme), "average_speed": _number(chance),
        "trainer": chance.choice([None, True, False]), "gear_id": chance.choice(TEXTS),
        "upload_id": _integer(chance, extreme), "external_id": chance.choice(TEXTS),
        "extra": {"nested": [1, 2]},
    }
    if chance.random() < 0.8:
        item["athlete"] = chance.choice([None, {"id": _integer(chance, extreme)}, {}])
    if chance.random() < 0.8:
        item["map"] = chance.choice([None, {"summary_polyline": chance.choice(TEXTS)}, {}])
    for key in ("start_latlng", "end_latlng"):
        item[key] = chance.choice([None, [], [43.6, -79.4], [1.0], [1.0, 2.0, 3.0], [0, -0.0]])
    for key in list(item):
        if chance.random() < 0.05:
            del item[key]
    item["id"] = activity_id
    item["start_date"] = item.get("start_date") or "2026-11-02T10:00:00Z"
    return item


def pages_of(activities: list[dict[str, Any]], size: int, **dumps: Any) -> list[wire.RawPage]:
    return [wire.decode_page(json.loads, json.dumps(activities[at:at + size], **dumps).encode())
            for at in range(0, len(activities), size)]


def extract(pages: list[Any], folder: Path, keeps: list[Any]
            ) -> tuple[list[bytes], list[int], list[Any], bytes]:
    """Each output's bytes, the rows, the set-aside items and the raw JSON's bytes."""
    folder.mkdir()
    unparseable: list[dict[str, Any]] = []
    paths = [folder / f"{index}.csv" for index in range(len(keeps))]
    with RawJsonLines(folder / "raw.jsonl.gz", READ_AT) as raw:
        rows = write_extracts(iter(pages), list(zip(paths, keeps, strict=True)), READ_AT,
                              chunk_activities=7, unparseable=unparseable,
                              plausible=PLAUSIBLE, raw=raw)
    return ([path.read_bytes() for path in paths], rows, unparseable,
            gzip.decompress((folder / "raw.jsonl.gz").read_bytes()))


def framed(keep: Any) -> Any:
    """The same filter, as a plain function: the chunk goes the typed frame's way."""
    return lambda frame: keep(frame)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_the_fast_way_writes_what_the_typed_frame_writes(tmp_path: Path, seed: int,
                                                         monkeypatch: pytest.MonkeyPatch,
                                                         way: str = "thread") -> None:
    """``way``: the chunks are formatted in a thread, or in a process (tests/e2e)."""
    submitted: list[int] = []
    copier: Any = fast_extract.Copier if way == "thread" else csv_writer_process.ProcessCopier
    submit = copier.submit

    def counted(self: Any, fast: fast_extract.Fast, paths: Any, *sent: Any) -> None:
        submitted.append(len(sent[0]) if sent else len(fast.activities))
        submit(self, fast, paths, *sent)

    monkeypatch.setattr(copier, "submit", counted)
    monkeypatch.setattr(csv_writer_process, "PROCESS_ROWS", 1 if way == "process" else 10**9)
    chance = random.Random(seed)
    activities = [activity(chance, 1000 + number) for number in range(60)]
    if seed == 3:  # in start order, as Strava lists them: no sorting
        activities.sort(key=lambda item: (item["start_date"], item["id"]))
    else:
        chance.shuffle(activities)
    keeps: list[Any] = [None, LocalDates(date(2026, 11, 29)),
                        LocalDates(date(2026, 11, 29), date(2026, 11, 22))]
    pages = pages_of(activities, 9, ensure_ascii=seed != 2)
    fast = extract(pages, tmp_path / "fast", keeps)
    slow = extract(pages, tmp_path / "slow", [None if keep is None else framed(keep)
                                              for keep in keeps])
    assert fast == slow
    assert fast[1][0] == 60 and fast[2] == []
    assert sum(submitted) == 60, "every chunk went the fast way"


def test_a_repeated_id_after_chunks_were_written_keeps_the_later_copy(tmp_path: Path) -> None:
    chance = random.Random(7)
    activities = [activity(chance, 1000 + number, extreme=False) for number in range(40)]
    later = dict(activities[3], kudos_count=99, name="fresher")
    sent = [*activities, later, activity(chance, 5000, extreme=False)]
    fast = extract(pages_of(sent, 8), tmp_path / "bytes", [None])
    dicts = extract([json.loads(json.dumps(sent[at:at + 8])) for at in range(0, len(sent), 8)],
                    tmp_path / "dicts", [None])
    assert fast[:3] == dicts[:3]  # the raw JSON: the bytes sent, or the activities decoded
    assert [json.loads(line) for line in fast[3].splitlines()] == \
        [json.loads(line) for line in dicts[3].splitlines()] == sent
    assert fast[1] == [41]
    assert fast[0][0].count(b"|\"fresher\"|") == 1


def test_an_activity_out_of_order_or_implausible_takes_the_typed_frames_way(
        tmp_path: Path) -> None:
    chance = random.Random(11)
    activities = [activity(chance, 1000 + number) for number in range(20)]
    activities[5]["start_date"] = "1969-12-31T23:59:59Z"  # set aside
    activities[6]["start_date"] = "2026-02-30T10:00:00Z"  # not a real time: set aside
    activities[7]["start_date_local"] = "2026-11-20T05:00:00+01:00"  # another form
    pages = pages_of(activities, 10)
    fast = extract(pages, tmp_path / "fast", [LocalDates(date(2026, 11, 29))])
    slow = extract(pages, tmp_path / "slow", [framed(LocalDates(date(2026, 11, 29)))])
    assert fast == slow
    assert [item["activity"]["id"] for item in fast[2]] == [1005, 1006]


def test_a_reading_error_reaches_the_caller_and_nothing_is_left(tmp_path: Path) -> None:
    chance = random.Random(3)

    def pages() -> Any:
        yield from pages_of([activity(chance, 1000 + n) for n in range(20)], 10)
        raise RuntimeError("the connection broke")

    with pytest.raises(RuntimeError, match="the connection broke"):
        write_extracts(pages(), [(tmp_path / "a.csv", None)], READ_AT)
    assert list(tmp_path.iterdir()) == []


def test_a_reading_error_drops_the_queued_chunks_and_hides_no_writing_error(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The read fails while the thread writes one chunk and another waits: the waiting one is
    dropped, the one being written ends first (nothing is written afterwards), its own error
    does not replace the read's, and nothing is left."""
    chance = random.Random(4)
    written: list[int] = []

    def slow_and_failing(activities: list[Any], *args: Any) -> None:
        written.append(len(activities))
        time.sleep(0.5)
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(fast_extract, "write_parts", slow_and_failing)

    def pages() -> Any:
        yield from pages_of([activity(chance, 1000 + n) for n in range(20)], 10)
        raise ConnectionError("the connection broke")

    started = time.monotonic()
    with pytest.raises(ConnectionError, match="the connection broke"):
        write_extracts(pages(), [(tmp_path / "a.csv", None)], READ_AT, chunk_activities=10)
    assert written == [10], "the chunk still queued was written"
    assert time.monotonic() - started < 1.0  # both chunks written would take 1 s
    assert list(tmp_path.iterdir()) == []


def test_numbers_are_written_as_python_and_duckdb_print_them() -> None:
    chance = random.Random(23)
    doubles = [None, 0.0, -0.0, 12.0, 1e20, 1e16, 9999999999999998.0, 5e-324, 1e-05, 0.0001,
               -0.00012, 1 / 3, 10.00001, 1.7976931348623157e308, -14400.0]
    doubles += [chance.uniform(0, 1) * 10.0 ** chance.randint(-12, 24) for _ in range(5000)]
    assert fast_extract._numbers(doubles) == ["" if value is None else repr(value)
                                              for value in doubles]
    integers = [None, 0, 7, -(2**63 - 1), 2**63 - 1]
    assert fast_extract._integers(integers) == ["", "0", "7", str(-(2**63 - 1)), str(2**63 - 1)]
    assert fast_extract._integers([*integers, -14400.0, 9.2e18])[-2:] == [
        "-14400", "9200000000000000000"]
    assert fast_extract._texts(["", None, 'a "b"', '"', "x|y\nz"]) == [
        "", "", '"a ""b"""', '""""', '"x|y\nz"']
    assert fast_extract._numbers([]) == fast_extract._texts([]) == []
