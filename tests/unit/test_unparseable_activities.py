"""Activities the pipeline cannot parse are set aside with their raw JSON; the rest loads."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import requests

from pipeline.strava.activities import parse_activities
from pipeline.strava.client import Credentials, StravaClient
from pipeline.strava.tokens import TokenStore

EXTRACTED_AT = datetime(2026, 11, 30, 6)


def test_unparseable_activities_are_set_aside_with_their_reason() -> None:
    good = {"id": 1, "start_date": "2026-11-20T07:00:00Z",
            "start_date_local": "2026-11-20T08:00:00Z", "name": "lone \ud800 surrogate"}
    offset = {"id": 2, "start_date": "2026-11-20T08:00:00+01:00",
              "start_date_local": "2026-11-20T08:00:00+01:00"}
    bad = [{"start_date": "2026-11-20T07:00:00Z"},
           {"id": "7", "start_date": "2026-11-20T07:00:00Z"},
           {"id": 3, "start_date": "20/11/2026 07:00"},
           {"id": 4, "start_date": "2026-11-20T07:00:00Z", "start_date_local": 5},
           {"id": 5, "start_date": "2026-11-20T07:00:00Z", "distance": "far"},
           {"id": 6, "start_date": "2026-11-20T07:00:00Z", "start_latlng": ["n", 2]},
           ["not", "an", "object"]]
    parsed = parse_activities([good, *bad, offset], EXTRACTED_AT)
    assert list(parsed.frame["id"]) == [1, 2]
    assert parsed.frame["name"][0] == "lone \ufffd surrogate" and parsed.replaced_surrogates == 1
    # Another ISO 8601 form: start_date to UTC, start_date_local keeps the wall clock.
    assert parsed.frame["start_date"][1] == datetime(2026, 11, 20, 7)
    assert parsed.frame["start_date_local"][1] == datetime(2026, 11, 20, 8)
    assert [item["activity"] for item in parsed.unparseable] == bad
    assert [item["reason"] for item in parsed.unparseable] == [
        "no id", "id '7' is not a positive 64-bit integer",
        "start_date '20/11/2026 07:00' is not an ISO 8601 time",
        "start_date_local '5' is not an ISO 8601 time",
        "distance 'far' is not a Float64", "start_latlng \"['n', 2]\" is not two numbers",
        "not a JSON object but list"]


def test_invalid_utf8_from_the_api_is_counted() -> None:
    client = StravaClient("https://www.strava.com/api/v3", "https://www.strava.com/oauth/token",
                          Credentials("1", "s"), TokenStore(Path("unused.json")))
    response = requests.Response()
    response.status_code = 200
    response._content = '[{"name": "caf\\u00e9 \ufffd ok"}, {"name": "'.encode() + b"\xff\xfe x\"}]"
    page = client._page_json(response)
    assert page[1]["name"] == "\ufffd\ufffd x" and page[0]["name"] == "café \ufffd ok"
    assert client.invalid_utf8 == 2
