"""Strava's activities.csv read as Strava writes it (pipeline/archive/csv_reader.py)."""

from __future__ import annotations

import io
import logging
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from pipeline.archive import columns, csv_reader
from tests.support.archive import csv_bytes

TORONTO = ZoneInfo("America/Toronto")
NOW = datetime(2026, 12, 1, 12)


def records(data: bytes) -> list[dict[tuple[str, int], str]]:
    return list(csv_reader.read_records(io.BytesIO(data)))


def test_repeated_header_names_are_kept_apart() -> None:
    assert csv_reader.header_keys(["Distance", "A", "Distance"]) == [
        ("Distance", 0), ("A", 0), ("Distance", 1)]


@pytest.mark.parametrize(("text", "expected"), [
    ("Oct 7, 2020, 2:43:11 PM", datetime(2020, 10, 7, 14, 43, 11)),
    ("Jan 2, 2021, 12:05:00 AM", datetime(2021, 1, 2, 0, 5)),
    ("Jun 30, 2024, 12:00:59 PM", datetime(2024, 6, 30, 12, 0, 59)),
])
def test_english_dates_round_trip(text: str, expected: datetime) -> None:
    assert columns.archive_time(text) == expected
    assert columns.format_archive_time(expected) == text


@pytest.mark.parametrize("text", ["2020-10-07 14:43:11", "7 Oct 2020, 14:43:11",
                                  "Okt 7, 2020, 2:43:11 PM", ""])
def test_other_date_formats_are_refused(text: str) -> None:
    with pytest.raises(ValueError, match="is not a date such as"):
        columns.archive_time(text)


@pytest.mark.parametrize(("bom", "crlf"), [(False, False), (True, True), (True, False)])
def test_bom_crlf_quoted_commas_and_newlines(bom: bool, crlf: bool) -> None:
    found = records(csv_bytes(bom=bom, crlf=crlf))
    assert [row[("Activity ID", 0)] for row in found] == ["101", "102"]
    assert found[0][("Activity Name", 0)] == 'Morning Run, with "friends"'
    assert found[0][("Activity Description", 0)] == "line one\nline two"
    assert found[0][("Distance", 0)] == "10.02" and found[0][("Distance", 1)] == "10020.5"


def test_unknown_columns_are_one_log_line(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO, logger="pipeline.archive.csv_reader"):
        records(csv_bytes())
    lines = [r.getMessage() for r in caplog.records if "does not know" in r.getMessage()]
    assert lines == ["activities.csv: 1 columns this release does not know are ignored: "
                     "Brand New Column"]


def test_rows_map_by_name_into_production_columns() -> None:
    first, second = (csv_reader.to_row(record, TORONTO, "America/Toronto", NOW)
                     for record in records(csv_bytes(bom=True, crlf=True)))
    assert first["id"] == 101 and first["sport_type"] == "Run" and first["type"] == "Run"
    assert first["distance"] == 10020.5  # the metres column, not the km one
    assert first["elapsed_time"] == 3600 and first["moving_time"] == 3500
    assert first["start_date"] == datetime(2020, 10, 7, 14, 43, 11)  # the archive's UTC
    assert first["start_date_local"] == datetime(2020, 10, 7, 10, 43, 11)  # EDT
    assert first["utc_offset"] == -4 * 3600 and first["timezone"] == "America/Toronto"
    assert first["max_heartrate"] == 170.0 and first["average_heartrate"] == 150.2
    assert first["commute"] is False and first["manual"] is False
    assert first["kudos_count"] is None and first["visibility"] is None  # API-only
    assert second["sport_type"] == "VirtualRide" and second["type"] == "VirtualRide"
    assert second["commute"] is True and second["has_heartrate"] is False
    assert second["start_date_local"] == datetime(2021, 1, 1, 19, 5)  # EST, the day before


def test_a_column_removed_in_another_export_version_is_none() -> None:
    header = "Activity ID,Activity Date,Activity Type,Distance"
    (record,) = records(csv_bytes(header, ('7,"Oct 7, 2020, 2:43:11 PM",Ride,12.5',)))
    row = csv_reader.to_row(record, TORONTO, "America/Toronto", NOW)
    assert row["distance"] is None  # Distance #0 is km or miles: never taken as metres
    assert row["elapsed_time"] is None and row["name"] is None


@pytest.mark.parametrize(("row", "problem"), [
    (',"Oct 7, 2020, 2:43:11 PM",Run', "no Activity ID"),
    ('x1,"Oct 7, 2020, 2:43:11 PM",Run', "is not a number"),
    ('5,"2020-10-07",Run', "is not a date such as"),
    ('5,"Oct 7, 2020, 2:43:11 PM",', "no Activity Type"),
])
def test_unreadable_rows_say_why(row: str, problem: str) -> None:
    (record,) = records(csv_bytes("Activity ID,Activity Date,Activity Type", (row,)))
    with pytest.raises(ValueError, match=problem):
        csv_reader.to_row(record, TORONTO, "America/Toronto", NOW)


def test_not_strava_csv_is_one_line() -> None:
    with pytest.raises(csv_reader.ArchiveCsvError, match="not Strava's export"):
        records(b"a,b\n1,2\n")
    with pytest.raises(csv_reader.ArchiveCsvError, match="empty"):
        records(b"")
    with pytest.raises(csv_reader.ArchiveCsvError, match="not UTF-8"):
        records(b"Activity ID,Activity Date\n\xff\xfe,1\n")
