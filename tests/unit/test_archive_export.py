"""The sandbox's export (pipeline/sandbox/archive_export.py) read back by the import's reader
gives the API's values: the round trip that makes the sandbox archive consistent with its API."""

from __future__ import annotations

import io
from datetime import datetime
from zoneinfo import ZoneInfo

from pipeline.archive import csv_reader
from pipeline.sandbox import SyntheticAthlete
from pipeline.sandbox.archive_export import csv_text
from pipeline.strava.activities import parse_activity
from tests.conftest import ATHLETE_END

NOW = datetime(2026, 12, 1)


def test_the_export_reads_back_as_the_api_serves_it() -> None:
    activities = SyntheticAthlete(seed=5, n_activities=2500, end=ATHLETE_END).snapshot()
    assert any(not act.get("sport_type") for act in activities)  # older shapes included
    records = list(csv_reader.read_records(io.BytesIO(csv_text(activities).encode())))
    rows = {row["id"]: row for row in (
        csv_reader.to_row(record, ZoneInfo("America/Toronto"), "America/Toronto", NOW)
        for record in records)}
    assert len(rows) == len(activities)
    for act in activities:
        api = parse_activity(act, NOW)
        row = rows[act["id"]]
        assert row["start_date"] == api["start_date"]
        assert row["sport_type"] == api["sport_type"]
        assert row["moving_time"] == api["moving_time"]
        assert row["elapsed_time"] == api["elapsed_time"]
        assert row["distance"] == round(api["distance"] or 0.0, 1)
        assert row["average_heartrate"] == api["average_heartrate"]
        assert row["commute"] == api["commute"]
        if api["timezone"] == "America/Toronto":
            assert row["start_date_local"] == api["start_date_local"]
