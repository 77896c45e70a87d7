"""The run-date rule (pipeline/run_dates.py): completed local days, the run's week, the window.

Unit checks of the one definition, then the pipeline on the embedded default with activities on
the day boundary on both sides of UTC, future dates, Backfill, and the machine's own TZ.
"""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import date, datetime, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import duckdb
import pytest

from pipeline.athlete_zone import athlete_zone, default_run_date
from pipeline.tasks import ExtractActivities, RecordWatermark, WeeklyPipeline
from pipeline.tasks.backfill import Backfill, week_run_dates
from tests.conftest import (
    NEXT_RUN_DATE,
    PROJECT_ROOT,
    RUN_DATE,
    PipelineNow,
    PipelineWorld,
    succeeded,
)

TORONTO = ZoneInfo("America/Toronto")


UTC = timezone.utc


def model_ids(world: PipelineWorld, table: str, run_date: date | None = None) -> set[int]:
    """Ids in a table; for a table kept per run date (weekly_new_activities), that date's."""
    where, params = (" WHERE run_date = ?", [run_date]) if run_date else ("", [])
    with duckdb.connect(str(world.data_dir / "warehouse.duckdb"), read_only=True) as db:
        return {row[0] for row in db.execute(f"SELECT id FROM {table}{where}", params).fetchall()}


def check_value(world: PipelineWorld, run_date: date, check: str) -> float:
    with duckdb.connect(str(world.data_dir / "warehouse.duckdb"), read_only=True) as db:
        return db.execute(
            "SELECT left_value FROM validation_results WHERE run_date = ? AND check_name = ? "
            "ORDER BY checked_at DESC LIMIT 1", [run_date, check]).fetchone()[0]


def add_tokyo_activity(world: PipelineWorld, local: datetime) -> dict:
    start = local.replace(tzinfo=ZoneInfo("Asia/Tokyo")).astimezone(UTC)
    return world.athlete.add_activity(
        start, "Run", start_date_local=local.strftime("%Y-%m-%dT%H:%M:%SZ"),
        timezone="(GMT+09:00) Asia/Tokyo", utc_offset=32400.0)


def test_sunday_evening_west_of_utc_and_monday_morning_east_of_it_land_in_their_own_weeks(
    world: PipelineWorld, monkeypatch: pytest.MonkeyPatch
) -> None:
    # No lookback: only the run-date rule itself may bring the Tokyo run into the next week.
    monkeypatch.setenv("STRAVA_LOOKBACK_DAYS", "0")
    # Sunday 21:00 in Toronto is Monday 02:00 UTC; Monday 06:00 in Tokyo is Sunday 21:00 UTC.
    toronto = world.athlete.add_activity(
        datetime(2026, 11, 29, 21, tzinfo=TORONTO).astimezone(UTC), "Run")
    assert toronto["start_date_local"] == "2026-11-29T21:00:00Z"
    tokyo = add_tokyo_activity(world, datetime(2026, 11, 30, 6))
    assert tokyo["start_date"] == "2026-11-29T21:00:00Z"

    assert succeeded(world.run_weekly(RUN_DATE))
    assert toronto["id"] in model_ids(world, "strava_activity_data")
    assert tokyo["id"] not in model_ids(world, "strava_activity_data")
    assert toronto["id"] in model_ids(world, "weekly_new_activities", RUN_DATE)
    assert check_value(world, RUN_DATE, "activities_in_run_week") == 1.0
    state = world.data_dir / "state.db"
    assert state.exists()

    assert succeeded(world.run_weekly(NEXT_RUN_DATE))
    assert tokyo["id"] in model_ids(world, "strava_activity_data")
    next_week = model_ids(world, "weekly_new_activities", NEXT_RUN_DATE)
    assert tokyo["id"] in next_week and toronto["id"] not in next_week
    assert check_value(world, NEXT_RUN_DATE, "activities_in_run_week") == 1.0


def test_a_date_not_over_in_the_athletes_zone_is_refused_and_nothing_is_marked_done(
    world: PipelineWorld, pipeline_now: PipelineNow
) -> None:
    # The newest activity in production (Toronto) makes Toronto the athlete's zone.
    world.athlete.add_activity(datetime(2026, 11, 22, 20, tzinfo=TORONTO).astimezone(UTC))
    assert succeeded(world.run_weekly(date(2026, 11, 22)))
    assert athlete_zone().name == "America/Toronto"

    pipeline_now.moment = datetime(2026, 11, 30, 3, tzinfo=UTC)  # Sunday 22:00 in Toronto
    assert default_run_date() == date(2026, 11, 28)
    for task in (WeeklyPipeline(run_date=RUN_DATE), ExtractActivities(run_date=RUN_DATE)):
        assert not succeeded(world.build(task))
    assert not (world.data_dir / "extract" / RUN_DATE.isoformat()).exists()
    assert not RecordWatermark(run_date=RUN_DATE).complete()

    pipeline_now.moment = datetime(2026, 11, 30, 5, 30, tzinfo=UTC)  # Monday 00:30 in Toronto
    assert default_run_date() == RUN_DATE
    assert WeeklyPipeline().run_date == RUN_DATE  # the default is found at run time
    assert succeeded(world.build(WeeklyPipeline()))


def test_backfill_never_includes_a_day_that_is_not_over(
    world: PipelineWorld, pipeline_now: PipelineNow, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ATHLETE_TIMEZONE", "America/Toronto")
    pipeline_now.moment = datetime(2026, 11, 30, 3, tzinfo=UTC)  # Sunday 22:00 in Toronto
    backfill = Backfill(start=date(2026, 11, 1), stop=date(2026, 12, 31))
    assert backfill.run_dates() == [date(2026, 11, 1), date(2026, 11, 8), date(2026, 11, 15),
                                    date(2026, 11, 22)]
    assert Backfill(start=date(2026, 11, 1)).stop == date(2026, 11, 28)
    pipeline_now.moment = datetime(2026, 11, 30, 5, 1, tzinfo=UTC)
    assert Backfill(start=date(2026, 11, 1)).run_dates()[-1] == RUN_DATE
    assert week_run_dates(date(2026, 11, 1), date(2026, 11, 29), latest=date(2026, 11, 29))[-1] \
        == RUN_DATE


RUN_TIME_COLUMNS = ("extracted_at", "inserted", "checked_at", "recorded_at", "trained_at",
                    "applied_at")


def warehouse_dump(path: Path) -> dict[str, list[tuple]]:
    """Every table of a DuckDB warehouse, rows sorted, without the columns that record when."""
    dump = {}
    with duckdb.connect(str(path), read_only=True) as db:
        tables = [row[0] for row in db.execute(
            "SELECT table_name FROM information_schema.tables ORDER BY table_name").fetchall()]
        for table in tables:
            names = [row[0] for row in db.execute(
                "SELECT column_name FROM information_schema.columns WHERE table_name = ? "
                "ORDER BY ordinal_position", [table]).fetchall()]
            keep = ", ".join(f'"{name}"' for name in names if name not in RUN_TIME_COLUMNS)
            dump[table] = sorted(db.execute(f"SELECT {keep} FROM {table}").fetchall(), key=repr)
    return dump


def test_the_machines_time_zone_changes_nothing_in_any_table(
    world_factory, athlete, fake_clock, tmp_path: Path
) -> None:
    athlete.add_activity(datetime(2026, 11, 29, 21, tzinfo=TORONTO).astimezone(UTC), "Run")
    dumps = {}
    for machine_zone in ("UTC", "America/New_York", "Asia/Tokyo"):
        world = world_factory(athlete, clock=fake_clock,
                              data_dir=tmp_path / machine_zone.replace("/", "_"))
        result = subprocess.run(
            [sys.executable, "-m", "luigi", "--module", "pipeline.tasks", "WeeklyPipeline",
             "--run-date", RUN_DATE.isoformat(), "--local-scheduler"],
            cwd=PROJECT_ROOT, env={**os.environ, **world.env, "TZ": machine_zone},
            capture_output=True, text=True, timeout=600)
        assert result.returncode == 0, result.stderr[-3000:]
        dumps[machine_zone] = warehouse_dump(world.data_dir / "warehouse.duckdb")
    assert dumps["UTC"]["strava_activity_data"]
    assert dumps["America/New_York"] == dumps["UTC"]
    assert dumps["Asia/Tokyo"] == dumps["UTC"]
