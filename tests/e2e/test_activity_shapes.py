"""Strava's answers of 2013, 2018, 2021 and 2025 (tests/fixtures/strava_shapes/) served by the
sandbox through the whole load, on the embedded backends and on MariaDB + moto S3 + PostgreSQL:
older shapes load (sport_type from type) instead of halting the week, the once-dropped fields
land in their columns (migration 0006), the raw JSON of every activity read is in the lake, and
``strava-pipeline rebuild-from-lake`` refills a column from it without a request to Strava."""

from __future__ import annotations

import contextlib
import gzip
import io
import json
from collections.abc import Callable
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from pipeline import activity_csv, cli
from pipeline.backends import open_lake, open_warehouse
from pipeline.backends.duckdb_warehouse import release_all
from pipeline.backends.warehouse import Warehouse
from pipeline.sandbox import SyntheticAthlete
from pipeline.settings import load_settings
from pipeline.strava.activities import activities_frame
from pipeline.tasks import WeeklyPipeline
from tests.conftest import FakeClock, PipelineWorld, succeeded
from tests.support.backends import (  # noqa: F401 - fixtures
    S3Server,
    fixture_mysql_db,
    fixture_pg_database,
    fixture_s3_env,
    fixture_s3_server,
    mysql_url,
    pg_url,
)
from tests.support.helpers import COLUMNS, expected_row

SHAPES = Path(__file__).resolve().parent.parent / "fixtures" / "strava_shapes"
RUN_DATE = date(2025, 6, 15)  # a Sunday; the 2025 answers are its week
RAW_KEY = "strava/activities/2025-06-15/activities.jsonl.gz"
CSV_KEY = "strava/activities/2025-06-15/activities.csv"
ADDED = ["total_photo_count", "device_watts", "has_heartrate", "max_watts",
         "weighted_average_watts", "external_id", "upload_id", "location_city", "location_state"]


def recorded() -> list[dict[str, Any]]:
    """Every recorded answer, oldest first."""
    return [activity for year in ("2013", "2018", "2021", "2025")
            for activity in json.loads((SHAPES / f"{year}.json").read_text(encoding="utf-8"))]


@pytest.fixture(params=["embedded", "production"])
def shapes_world(request: pytest.FixtureRequest, world_factory: Callable[..., PipelineWorld],
                 fake_clock: FakeClock, monkeypatch: pytest.MonkeyPatch) -> PipelineWorld:
    """The sandbox serving the recorded answers; embedded, or MariaDB + moto S3 + PostgreSQL."""
    athlete = SyntheticAthlete(seed=1, n_activities=1)
    athlete.activities = recorded()
    world = world_factory(athlete, clock=fake_clock)
    if request.param == "production":
        s3 = request.getfixturevalue("s3_env")
        backends = {"LAKE_URL": f"s3://{s3.new_bucket()}/lake",
                    "STATE_URL": mysql_url(request.getfixturevalue("mysql_db")),
                    "WAREHOUSE_URL": pg_url(request.getfixturevalue("pg_database"))}
        for name, value in backends.items():
            monkeypatch.setenv(name, value)
    return world


def warehouse() -> Warehouse:
    return open_warehouse(load_settings().warehouse_url)


def production() -> dict[int, dict[str, Any]]:
    """strava_activity_data by id, through the pipeline's own adapter (any warehouse)."""
    try:
        rows = warehouse().query(f"SELECT {', '.join(COLUMNS)} FROM {{production_table}}")
    finally:
        release_all()
    return {row[0]: dict(zip(COLUMNS, row, strict=True)) for row in rows}


def without_extracted_at(row: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in row.items() if key != "extracted_at"}


def statuses() -> dict[str, str]:
    try:
        rows = warehouse().query("SELECT check_name, status FROM {validation_table}"
                                 " WHERE run_date = :run_date", {"run_date": RUN_DATE})
    finally:
        release_all()
    return dict(rows)


def rebuild(*args: str) -> str:
    """``strava-pipeline rebuild-from-lake ARGS`` in this process; what it printed."""
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert cli.main(["rebuild-from-lake", *args]) == 0
    release_all()
    return out.getvalue()


def read_raw(key: str) -> list[Any]:
    lake = open_lake(load_settings().lake_url)
    with lake.open_binary(key) as stream:
        text = gzip.decompress(stream.read()).decode("ascii")
    return [json.loads(line) for line in text.splitlines()]


def test_every_shape_loads_and_keeps_its_fields_and_raw_json(shapes_world: PipelineWorld) -> None:
    source = recorded()
    assert succeeded(shapes_world.build(WeeklyPipeline(run_date=RUN_DATE)))

    rows = production()
    assert sorted(rows) == sorted(a["id"] for a in source)
    for activity in source:
        assert without_extracted_at(rows[activity["id"]]) == expected_row(activity), \
            activity["id"]
    assert [rows[a["id"]]["sport_type"] for a in source[:9]] == [a["type"] for a in source[:9]]
    assert rows[14812095532]["sport_type"] == "TrailRun"
    checks = statuses()
    assert checks["no_null_keys"] == "pass"
    assert "fail" not in checks.values()

    # The raw JSON of every activity read, strict JSON lines, beside the extract.
    assert sorted(read_raw(RAW_KEY), key=lambda a: a["id"]) == sorted(
        source, key=lambda a: a["id"])


def test_a_column_added_later_is_filled_from_the_lake_without_strava(
        shapes_world: PipelineWorld) -> None:
    assert succeeded(shapes_world.build(WeeklyPipeline(run_date=RUN_DATE)))
    loaded = production()
    lake = open_lake(load_settings().lake_url)
    # As a release before migration 0006 left it: the fields NULL in production and in the
    # extract; one activity since deleted; one read again later with a new name.
    old_extract = activities_frame(recorded(), datetime(2026, 12, 1))
    old_extract[ADDED] = pd.NA
    old_csv = shapes_world.data_dir / "old.csv"
    activity_csv.write_activities_csv(old_extract, old_csv)
    lake.move(CSV_KEY, "elsewhere/activities.csv")
    lake.put_file(old_csv, CSV_KEY)
    later = loaded[5019446210]["extracted_at"] + timedelta(days=7)
    try:
        with warehouse().transaction() as session:
            session.execute("UPDATE strava_activity_data SET " + ", ".join(
                f"{column} = NULL" for column in ADDED))
            session.execute("DELETE FROM strava_activity_data WHERE id = 59330517")
            session.execute("UPDATE strava_activity_data SET name = 'Renamed', "
                            "extracted_at = :later WHERE id = 5019446210", {"later": later})
    finally:
        release_all()
    requests = len(shapes_world.sandbox.requests_log)

    printed = rebuild()
    assert "== Rebuilt 11 rows of strava_activity_data from the raw JSON of 1 run dates" \
        in printed
    assert len(shapes_world.sandbox.requests_log) == requests, "it asked Strava"

    rows = production()
    assert 59330517 not in rows, "a deleted activity came back"
    assert rows[5019446210]["name"] == "Renamed" and rows[5019446210]["device_watts"] is None
    for activity_id, row in rows.items():
        if activity_id != 5019446210:
            assert row == loaded[activity_id], activity_id
    with lake.local_file(CSV_KEY) as rebuilt:
        assert activity_csv.find_problem(rebuilt) is None
        assert pd.read_csv(rebuilt, sep="|")["total_photo_count"].notna().any()
    assert "== Rebuilt 11 rows" in rebuild()  # a rerun gives the same
    assert production() == rows
    folder = shapes_world.data_dir / "lake" / "strava" / "activities" / "2025-06-15"
    if folder.is_dir():  # the local lake: the earlier extract is kept beside the rebuilt one
        (kept,) = folder.glob("superseded-*.csv")
        assert kept.read_bytes() == old_csv.read_bytes()


def test_rebuild_names_what_it_cannot_rebuild(world: PipelineWorld) -> None:
    assert succeeded(world.run_weekly())
    lake = open_lake(load_settings().lake_url)
    # As if loaded before the raw JSON was kept:
    lake.move("strava/activities/2026-11-29/activities.jsonl.gz", "elsewhere/a.jsonl.gz")
    printed = rebuild()
    assert "2026-11-29: no raw JSON in the lake" in printed
    assert "1 loaded run dates have no raw JSON (2026-11-29 to 2026-11-29)" in printed
    out = io.StringIO()
    with contextlib.redirect_stderr(out):
        assert cli.main(["rebuild-from-lake", "--date", "2026-11-22"]) == 2
    assert out.getvalue().count("\n") == 1 and "2026-11-22 is not loaded" in out.getvalue()

