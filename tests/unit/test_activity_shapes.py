"""Strava's answers of 2013, 2018, 2021 and 2025 (tests/fixtures/strava_shapes/, written from the
documented field lists) through the parser: older shapes without sport_type take their type,
counted in the log; the fields the pipeline used to drop become columns; the raw JSON of every
activity is strict JSON lines that read back as sent."""

from __future__ import annotations

import gzip
import json
import logging
import math
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from pipeline import activity_csv
from pipeline.extract_stream import write_extract
from pipeline.raw_activities import (
    RawJsonLines,
    passing_through,
    raw_pages,
    read_time,
    strict_json_line,
    week_router,
)
from pipeline.strava.activities import ACTIVITY_COLUMNS, parse_activities

SHAPES = Path(__file__).resolve().parent.parent / "fixtures" / "strava_shapes"
YEARS = ("2013", "2018", "2021", "2025")
READ_AT = datetime(2026, 11, 30, 8, 15, 42, tzinfo=timezone.utc)
NEW_COLUMNS = ("total_photo_count", "device_watts", "has_heartrate", "max_watts",
               "weighted_average_watts", "external_id", "upload_id", "location_city",
               "location_state")


def shape(year: str) -> list[dict[str, Any]]:
    """The recorded answer of one year."""
    return json.loads((SHAPES / f"{year}.json").read_text(encoding="utf-8"))


def value(cell: Any) -> Any:
    """A frame cell as plain Python: None for NA."""
    if cell is pd.NA or cell is None or (isinstance(cell, float) and math.isnan(cell)):
        return None
    return cell.item() if hasattr(cell, "item") else cell


def rows_by_id(activities: list[dict[str, Any]]) -> dict[int, dict[str, Any]]:
    parsed = parse_activities(activities, READ_AT)
    assert parsed.unparseable == []
    return {int(row["id"]): {k: value(v) for k, v in row.items()}
            for row in parsed.frame.to_dict("records")}


@pytest.mark.parametrize("year", ("2013", "2018", "2021"))
def test_an_older_shape_takes_type_as_sport_type(year: str) -> None:
    activities = shape(year)
    assert all("sport_type" not in activity for activity in activities)
    parsed = parse_activities(activities, READ_AT)
    assert parsed.sport_type_from_type == len(activities)
    for activity in activities:
        row = parsed.frame.loc[parsed.frame["id"] == activity["id"]].iloc[0]
        assert row["sport_type"] == activity["type"] == row["type"]


def test_a_sport_type_is_kept_when_there_is_one() -> None:
    activities = shape("2025")
    parsed = parse_activities(activities, READ_AT)
    assert parsed.sport_type_from_type == 0
    assert list(parsed.frame["sport_type"]) == ["TrailRun", "GravelRide", "WeightTraining", "Run"]
    assert list(parsed.frame["type"]) == ["Run", "Ride", "WeightTraining", "Run"]


@pytest.mark.parametrize("year", YEARS)
def test_every_shape_keeps_the_fields_once_dropped(year: str) -> None:
    activities = shape(year)
    rows = rows_by_id(activities)
    for activity in activities:
        row = rows[activity["id"]]
        for column in NEW_COLUMNS:
            expected = activity.get(column)
            assert row[column] == (None if expected == "" else expected), (year, column)


def test_the_new_fields_tell_measured_from_estimated_power_and_all_photos() -> None:
    rows = rows_by_id([a for year in YEARS for a in shape(year)])
    measured = {i for i, r in rows.items() if r["device_watts"] is True}
    estimated = {i for i, r in rows.items() if r["device_watts"] is False}
    unknown = {i for i, r in rows.items() if r["average_watts"] is not None
               and r["device_watts"] is None}
    assert measured == {1558094311, 5019446210, 14812095532, 14842277390}
    assert estimated == {1561177093, 14829931007}
    assert unknown == {58241719}  # 2013: power without device_watts
    assert all(rows[i]["max_watts"] is None for i in estimated | unknown)
    assert rows[14842277390]["total_photo_count"] == 8 and rows[14842277390]["photo_count"] == 0
    assert rows[59012288]["photo_count"] == 1 and rows[59012288]["total_photo_count"] is None
    assert rows[58241719]["location_city"] == "San Francisco"
    assert rows[58241719]["location_state"] == "CA"
    assert {rows[i]["location_country"] for i in (14812095532, 14829931007)} == {None}
    assert rows[14812095532]["upload_id"] == 15806442871  # past 2^32, exact
    assert rows[59330517]["upload_id"] is None and rows[59330517]["lat"] is None


@pytest.mark.parametrize("year", YEARS)
def test_every_shape_makes_an_extract_every_warehouse_reads(year: str, tmp_path: Path) -> None:
    path = tmp_path / "activities.csv"
    write_extract([shape(year)], path, extracted_at=READ_AT)
    assert activity_csv.read_header(path) == list(ACTIVITY_COLUMNS)
    assert activity_csv.find_problem(path) is None


def test_the_fallback_is_counted_in_the_runs_log(tmp_path: Path,
                                                 caplog: pytest.LogCaptureFixture) -> None:
    pages = [shape("2013"), shape("2018") + shape("2021"), shape("2025")]
    with caplog.at_level(logging.INFO, logger="pipeline"):
        rows = write_extract(pages, tmp_path / "activities.csv", extracted_at=READ_AT)
    assert rows == 13
    assert [record.getMessage() for record in caplog.records
            if "sport_type" in record.getMessage()] == [
        "9 activities had no sport_type (an answer in the shape from before Strava added it): "
        "each took its type as sport_type"]


def test_raw_json_lines_are_strict_and_read_back_as_sent(tmp_path: Path) -> None:
    odd = {"id": 11416949675, "name": "Lone \ud83d surrogate, 🏃 and \"quotes\"\n",
           "average_temp": float("nan"), "max_speed": float("inf"),
           "start_latlng": [51.5, float("-inf")], "kilojoules": 1e308}
    activities = [a for year in YEARS for a in shape(year)] + [odd]
    path = tmp_path / "activities.jsonl.gz"
    with RawJsonLines(path, READ_AT) as raw:
        pages = list(passing_through([activities[:5], activities[5:]], raw.write))
    assert pages == [activities[:5], activities[5:]]
    assert raw.activities == len(activities) and raw.non_finite == 3

    def strict(constant: str) -> None:
        raise AssertionError(f"{constant} is not JSON")

    lines = gzip.decompress(path.read_bytes()).split(b"\n")
    assert lines[-1] == b"" and len(lines) == len(activities) + 1
    decoded = [json.loads(line.decode("ascii"), parse_constant=strict) for line in lines[:-1]]
    assert decoded[:-1] == activities[:-1]
    assert decoded[-1] == {**odd, "average_temp": None, "max_speed": None,
                           "start_latlng": [51.5, None]}
    assert [a for page in raw_pages(path, size=4) for a in page] == decoded
    assert read_time(path) == READ_AT.replace(tzinfo=None)
    assert strict_json_line({"a": 1})[0] == b'{"a":1}\n'


def test_a_backfills_read_is_split_by_the_weeks_local_dates(tmp_path: Path) -> None:
    weeks = [date(2018, 5, 6), date(2018, 5, 13), date(2021, 3, 28)]
    raws = [RawJsonLines(tmp_path / f"{week}.jsonl.gz", READ_AT) for week in weeks]
    route = week_router(weeks, raws)
    for activity in [*shape("2013"), *shape("2018"), *shape("2021"), *shape("2025"),
                     "not an object", {"id": 1, "start_date_local": "yesterday"}]:
        route(activity)
    for raw in raws:
        raw.close()
    ids = [[a["id"] if isinstance(a, dict) else a for page in raw_pages(raw.path) for a in page]
           for raw in raws]
    assert ids[0] == [58241719, 59012288, 59330517, 1551820475]  # up to Sunday 6 May 2018
    assert ids[1] == [1558094311, 1561177093]
    assert ids[2][:3] == [5012771984, 5019446210, 5026688135]
    assert ids[2][3:] == [14812095532, 14829931007, 14838012745, 14842277390,
                          "not an object", 1]  # no week of theirs: the newest week's file
