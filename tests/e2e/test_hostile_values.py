"""Values no athlete can produce go through every warehouse by one rule, and never wedge a run."""

from __future__ import annotations

import math
from collections.abc import Callable
from datetime import datetime

import duckdb
import pytest

from pipeline.sandbox import SyntheticAthlete
from tests.conftest import ATHLETE_END, NEXT_RUN_DATE, RUN_DATE, FakeClock, PipelineWorld, succeeded
from tests.support.backends import (  # noqa: F401 - fixtures
    S3Server,
    fixture_mysql_db,
    fixture_pg_database,
    fixture_s3_env,
    fixture_s3_server,
    mysql_url,
    pg_rows,
    pg_url,
)

# Per activity: the impossible fields the sandbox serves, and what production must hold.
IMPOSSIBLE = [
    ({"distance": 1e308}, {"distance": None}),
    ({"moving_time": 10**17, "elapsed_time": 10**18}, {"moving_time": None, "elapsed_time": None}),
    ({"max_speed": 1e20, "average_speed": 3.5}, {"max_speed": None, "average_speed": 3.5}),
    ({"start_latlng": [91.5, 200.0]}, {"lat": None, "lng": None}),
    ({"kudos_count": 9_000_000_000_000_000_000}, {"kudos_count": None}),
    ({"total_elevation_gain": 1e300}, {"total_elevation_gain": None}),
]
COLUMNS = ["distance", "moving_time", "elapsed_time", "max_speed", "average_speed", "lat", "lng",
           "kudos_count", "total_elevation_gain", "name"]
LONG_NAME = ("Ultra 🏃‍♀️ " * 10_000)[:100_000]  # 100,000 characters, 4-byte ones among them
MODELS = ["activity_summary_monthly", "activity_summary_yearly", "weekly_distance_by_sport",
          "monthly_distance_by_sport", "activity_routes"]


def plant_impossible_values(world: PipelineWorld) -> list[int]:
    """Give the newest activities impossible measures; their ids, in IMPOSSIBLE's order."""
    week = sorted(world.athlete.activities, key=lambda a: a["start_date"])[-len(IMPOSSIBLE):]
    ids = []
    for activity, (served, _) in zip(week, IMPOSSIBLE, strict=False):
        world.athlete.update_activity(activity["id"], **served)
        ids.append(activity["id"])
    assert len(ids) == len(IMPOSSIBLE)
    longest = sorted(world.athlete.activities, key=lambda a: a["start_date"])[-20]
    world.athlete.update_activity(longest["id"], name=LONG_NAME)
    return [*ids, longest["id"]]


def assert_one_rule(rows: dict[int, tuple], ids: list[int], checks: dict[str, tuple]) -> None:
    """Every impossible measure is NULL, the rest of each activity kept, the check warned; the
    100,000-character name round-trips."""
    *ids, long_id = ids
    assert rows[long_id][-1] == LONG_NAME
    for activity_id, (_, stored) in zip(ids, IMPOSSIBLE, strict=True):
        row = dict(zip(COLUMNS, rows[activity_id], strict=True))
        del row["name"]
        for column, value in stored.items():
            assert row[column] == value, (activity_id, column, row[column])
    status, left = checks["measures_within_physical_ranges"]
    assert (status, int(float(left))) == ("warn", len(IMPOSSIBLE))
    assert all(status in {"pass", "warn", "skipped"} for status, _ in checks.values())


@pytest.fixture
def hostile_athlete() -> SyntheticAthlete:
    return SyntheticAthlete(seed=7, n_activities=300, end=ATHLETE_END)


def test_impossible_measures_are_null_on_duckdb_and_every_model_builds(
    world_factory: Callable[..., PipelineWorld], fake_clock: FakeClock,
    hostile_athlete: SyntheticAthlete,
) -> None:
    world = world_factory(hostile_athlete, clock=fake_clock)
    ids = plant_impossible_values(world)
    assert succeeded(world.run_weekly())
    fake_clock.now = datetime(2026, 12, 7, 3).timestamp()
    assert succeeded(world.run_weekly(NEXT_RUN_DATE))  # the next run is not wedged either
    with duckdb.connect(str(world.data_dir / "warehouse.duckdb"), read_only=True) as db:
        rows = {row[0]: row[1:] for row in db.execute(
            f"SELECT id, {', '.join(COLUMNS)} FROM strava_activity_data").fetchall()}
        checks = {row[0]: row[1:] for row in db.execute(
            "SELECT check_name, status, left_value FROM validation_results"
            " WHERE run_date = ?", [RUN_DATE]).fetchall()}
        for model in MODELS:
            totals = db.execute(f"SELECT * FROM {model}").fetchall()
            assert totals, model
            assert all(not (isinstance(v, float) and math.isinf(v))
                       for row in totals for v in row), model
    assert_one_rule(rows, ids, checks)
    assert (world.data_dir / "reports" / "2026-11-29" / "dashboard.html").exists()


def test_impossible_measures_are_null_on_postgres_and_every_model_builds(
    world_factory: Callable[..., PipelineWorld], fake_clock: FakeClock,
    hostile_athlete: SyntheticAthlete, s3_env: S3Server, pg_database: str, mysql_db: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    world = world_factory(hostile_athlete, clock=fake_clock)
    for name, value in {"LAKE_URL": f"s3://{s3_env.new_bucket()}/lake",
                        "STATE_URL": mysql_url(mysql_db),
                        "WAREHOUSE_URL": pg_url(pg_database)}.items():
        monkeypatch.setenv(name, value)
    ids = plant_impossible_values(world)
    assert succeeded(world.run_weekly())
    fake_clock.now = datetime(2026, 12, 7, 3).timestamp()
    assert succeeded(world.run_weekly(NEXT_RUN_DATE))
    rows = {row[0]: row[1:] for row in pg_rows(
        pg_database, f"SELECT id, {', '.join(COLUMNS)} FROM strava_activity_data")}
    checks = {row[0]: row[1:] for row in pg_rows(
        pg_database, "SELECT check_name, status, left_value FROM validation_results"
        " WHERE run_date = %s", (RUN_DATE,))}
    for model in MODELS:
        assert pg_rows(pg_database, f"SELECT * FROM {model}"), model
    assert_one_rule(rows, ids, checks)

