"""One run of a run date at a time: the state store's lock, and two real runs started together."""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from datetime import date

import duckdb
import pytest

from pipeline.backends.mysql_state import MySQLStateStore
from pipeline.backends.run_lock import RunDateBusy
from pipeline.backends.state import StateStore
from pipeline.sandbox import SyntheticAthlete
from pipeline.validator import checks_file, load_checks
from tests.conftest import ATHLETE_END, RUN_DATE, PipelineWorld
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
from tests.support.operations import luigi_command, run_env

DAY = date(2026, 11, 29)


def assert_one_run_at_a_time(store: StateStore, other: StateStore) -> None:
    """While ``store`` holds DAY, ``other`` waits, then gives up with one line; other dates
    and the released lock are free."""
    with store.lock_run_date(DAY, wait_seconds=0):
        with pytest.raises(RunDateBusy) as busy, other.lock_run_date(DAY, wait_seconds=1):
            pytest.fail("two holders of one run date")
        message = str(busy.value)
        assert "\n" not in message
        assert message.startswith("run date 2026-11-29 is being run by another run")
        assert "waited 1 s" in message and "run the date again" in message
        with other.lock_run_date(date(2026, 12, 6), wait_seconds=0):
            pass
    with other.lock_run_date(DAY, wait_seconds=0):
        pass


def test_mysql_lock_admits_one_holder_per_date(mysql_db: str) -> None:
    assert_one_run_at_a_time(MySQLStateStore(mysql_url(mysql_db)),
                             MySQLStateStore(mysql_url(mysql_db)))


def start_two_runs(world: PipelineWorld, extra: tuple[str, ...] = ()) -> list[tuple[int, str]]:
    """WeeklyPipeline and LoadProduction (with two workers) of RUN_DATE, started together."""
    commands = [
        luigi_command("WeeklyPipeline", "--run-date", RUN_DATE.isoformat(), "--local-scheduler",
                      *extra),
        luigi_command("LoadProduction", "--run-date", RUN_DATE.isoformat(), "--local-scheduler",
                      "--workers", "2", *extra),
    ]
    runs = [subprocess.Popen(command, env=run_env(world), stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True) for command in commands]
    errors = [run.communicate(timeout=600)[1] for run in runs]
    return [(run.returncode, error) for run, error in zip(runs, errors, strict=True)]


def expected_checks() -> list[str]:
    from pipeline.settings import load_settings

    return [check.name for check in load_checks(checks_file(load_settings()))]


def assert_one_clean_run(results: list[tuple[int, str]], world: PipelineWorld,
                         validation_rows: list[tuple], markers: list[str]) -> None:
    """Both runs end well, Strava was asked once, every check recorded once and never 'error'."""
    for code, stderr in results:
        assert code == 0, stderr[-3000:]
    assert world.sandbox.count("/oauth/token") == 1
    checks = expected_checks()
    names = [name for name, _ in validation_rows]  # the checks, and the model tests
    assert len(names) == len(set(names)) and set(checks) <= set(names), sorted(names)
    assert {status for _, status in validation_rows} <= {"pass", "warn", "skipped"}
    assert len(markers) == len(set(markers))
    assert f"LoadProduction({RUN_DATE})" in markers
    assert f"ValidateStaging({RUN_DATE})" in markers  # every check, under one marker
    again = subprocess.run(
        luigi_command("WeeklyPipeline", "--run-date", RUN_DATE.isoformat(), "--local-scheduler"),
        env=run_env(world), capture_output=True, text=True, timeout=600)
    assert again.returncode == 0, again.stderr[-3000:]
    assert "complete ones were encountered" in again.stderr
    assert " running   " not in again.stderr


def test_two_runs_of_one_date_with_different_command_lines_leave_one_clean_date(
    world_factory: Callable[..., PipelineWorld],
) -> None:
    world = world_factory(SyntheticAthlete(seed=23, n_activities=300, end=ATHLETE_END))
    results = start_two_runs(world)
    with duckdb.connect(str(world.data_dir / "warehouse.duckdb"), read_only=True) as db:
        rows = db.execute("SELECT check_name, status FROM validation_results").fetchall()
        markers = [row[0] for row in db.execute("SELECT update_id FROM table_updates").fetchall()]
        production = db.execute(
            "SELECT COUNT(*), COUNT(DISTINCT id) FROM strava_activity_data").fetchone()
    assert production[0] == production[1] > 0
    assert_one_clean_run(results, world, rows, markers)


def test_two_runs_of_one_date_on_production_backends_leave_one_clean_date(
    world_factory: Callable[..., PipelineWorld], s3_env: S3Server, pg_database: str,
    mysql_db: str,
) -> None:
    world = world_factory(SyntheticAthlete(seed=23, n_activities=300, end=ATHLETE_END))
    world.env.update({"LAKE_URL": f"s3://{s3_env.new_bucket()}/lake",
                      "STATE_URL": mysql_url(mysql_db), "WAREHOUSE_URL": pg_url(pg_database)})
    results = start_two_runs(world)
    rows = pg_rows(pg_database, "SELECT check_name, status FROM validation_results")
    markers = [row[0] for row in pg_rows(pg_database, "SELECT update_id FROM table_updates")]
    assert_one_clean_run(results, world, rows, markers)
