"""Reconciliation against the sandbox over HTTP, on the embedded default and (CI=true) on MariaDB
+ moto S3 + PostgreSQL: deletions outside the lookback, old edits and kudos, late uploads, the
mass-delete guard and a list that fails half-way."""

from __future__ import annotations

import math
import os
import subprocess
import sys
from datetime import timedelta
from typing import Any

import pytest

from pipeline.backends import open_lake, open_state, open_warehouse
from pipeline.sandbox import apply_changes
from pipeline.settings import load_settings
from pipeline.tasks import LoadProduction, Reconcile
from tests.conftest import (
    NEXT_RUN_DATE,
    PROJECT_ROOT,
    RUN_DATE,
    PipelineNow,
    PipelineWorld,
    succeeded,
)
from tests.support.backends import (  # noqa: F401 - fixtures
    fixture_mysql_db,
    fixture_pg_database,
    fixture_s3_env,
    fixture_s3_server,
)
from tests.support.worlds import fixture_world_on_backends  # noqa: F401 - the world fixture

LIST_PATH = "/athlete/activities"
CHANGES = [
    {"action": "delete", "days_ago": 60},
    {"action": "rename", "days_ago": 40, "name": "Renamed 40 days later"},
    {"action": "retype", "days_ago": 45, "sport_type": "Hike"},
    {"action": "kudos", "days_ago": 20, "kudos_count": 56},
    {"action": "upload", "days_ago": 17, "sport_type": "Ride", "name": "Synced 17 days late"},
]


def query(sql: str, **identifiers: str) -> list[tuple]:
    """Rows from the configured warehouse, through the pipeline's own adapter."""
    from pipeline.backends.duckdb_warehouse import release_all

    try:
        return open_warehouse(load_settings().warehouse_url).query(sql, **identifiers)
    finally:
        release_all()


def add_samples(activity_ids: list[int]) -> None:
    """Three heart-rate samples for each activity, straight into activity_streams."""
    from pipeline.backends.duckdb_warehouse import release_all

    warehouse = open_warehouse(load_settings().warehouse_url)
    try:
        with warehouse.transaction() as session:
            for activity_id in activity_ids:
                for second in range(3):
                    session.execute("INSERT INTO activity_streams (activity_id, elapsed_seconds,"
                                    " heart_rate) VALUES (:id, :second, 140)",
                                    {"id": activity_id, "second": second})
    finally:
        release_all()


def production() -> dict[int, dict[str, Any]]:
    rows = query("SELECT id, name, sport_type, kudos_count FROM strava_activity_data")
    return {row[0]: {"name": row[1], "sport_type": row[2], "kudos_count": row[3]}
            for row in rows}


def test_reconciliation_in_the_weekly_run_brings_every_old_change(
        world: PipelineWorld, monkeypatch: pytest.MonkeyPatch, pipeline_now: PipelineNow
) -> None:
    monkeypatch.setenv("RECONCILE_EVERY_WEEKS", "2")
    monkeypatch.setenv("STRAVA_LOOKBACK_DAYS", "3")  # a window that misses 17 days back
    assert succeeded(world.run_weekly(RUN_DATE))
    assert succeeded(world.run_weekly(NEXT_RUN_DATE))  # one week: not due yet
    assert open_state(load_settings().state_url).last_reconciliation() is None
    watermark = open_state(load_settings().state_url).watermark_of(NEXT_RUN_DATE)
    deleted, renamed, retyped, kudos, late = apply_changes(world.athlete, CHANGES)
    assert deleted["id"] in production() and late["id"] not in production()
    add_samples([deleted["id"], renamed["id"]])  # as an archive import or FetchStreams stores

    # Two weeks after the first run the weekly run reconciles (RECONCILE_EVERY_WEEKS=2).
    third = NEXT_RUN_DATE.replace(day=13)
    pipeline_now.moment += timedelta(days=7)
    world.sandbox.reset_log()
    assert succeeded(world.run_weekly(third))
    # Its own window (the lookback) holds none of the changed activities ...
    weekly = (world.data_dir / "extract" / str(third) / "activities.csv").read_text("utf-8")
    for change in (deleted, renamed, retyped, kudos, late):
        assert str(change["id"]) not in weekly
    # ... the reconciliation brought every one.
    rows = production()
    assert deleted["id"] not in rows
    assert rows[renamed["id"]]["name"] == "Renamed 40 days later"
    assert rows[retyped["id"]]["sport_type"] == "Hike"
    assert rows[kudos["id"]]["kudos_count"] == 56
    assert rows[late["id"]]["name"] == "Synced 17 days late"
    assert sorted(rows) == sorted(act["id"] for act in world.athlete.activities)
    # The marts were built after it: the deleted activity is in none of them.
    for mart in ("activity_log", "activity_routes", "weekly_new_activities"):
        ids = {row[0] for row in query("SELECT id FROM {mart}", mart=mart)}
        assert deleted["id"] not in ids, mart
    assert late["id"] in {row[0] for row in query("SELECT id FROM activity_log")}
    # Its samples went with it (Strava deleted it); the other activities' stay.
    assert dict(query("SELECT activity_id, COUNT(*) FROM activity_streams GROUP BY activity_id"
                      )) == {renamed["id"]: 3}
    # Whole history: ceil(N/200) + 1 list requests, plus the weekly run's window (1 page + 1).
    listing = math.ceil(len(world.athlete) / 200) + 1
    assert world.sandbox.count(LIST_PATH) <= listing + 2
    state = open_state(load_settings().state_url)
    last = state.last_reconciliation()
    assert last is not None and last["run_date"] == third
    assert (last["added"], last["removed"]) == (1, 1) and last["changed"] >= 3
    # The removed row went to the lake first; the watermark never moved back.
    lake = open_lake(load_settings().lake_url)
    with lake.open_binary(f"strava/deleted/{third}/activities.csv") as handle:
        kept = handle.read().decode("utf-8")
    assert str(deleted["id"]) in kept and len(kept.strip().splitlines()) == 2
    assert state.watermark_of(third) >= watermark
    page = (world.data_dir / "reports" / str(third) / "dashboard.html").read_text("utf-8")
    assert '<span id="freshness">data loaded from Strava up to 20' in page


def test_mass_delete_guard_halts_with_nothing_deleted(world: PipelineWorld) -> None:
    assert succeeded(world.run_weekly(RUN_DATE))
    before = production()
    doomed = [act["id"] for act in world.athlete.activities[:40]]  # 10% of the history
    for activity_id in doomed:
        world.athlete.remove_activity(activity_id)
    result = world.build(Reconcile(run_date=RUN_DATE))
    assert not succeeded(result)
    assert production() == before
    failing = query("SELECT status, message FROM validation_results "
                    "WHERE check_name = 'reconcile_mass_delete'")
    assert failing and failing[0][0] == "fail"
    assert "would remove 40 of" in failing[0][1] and "--allow-mass-delete" in failing[0][1]

    confirmed = world.build(Reconcile(run_date=RUN_DATE, allow_mass_delete=True))
    assert succeeded(confirmed), confirmed.summary_text
    assert not set(doomed) & set(production())


def test_list_failing_half_way_deletes_nothing(world: PipelineWorld,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    assert succeeded(world.run_weekly(RUN_DATE))
    before = production()
    world.athlete.remove_activity(world.athlete.activities[5]["id"])
    monkeypatch.setenv("STRAVA_MAX_ATTEMPTS", "1")
    world.sandbox.inject("slow:0", "slow:0", "500")  # pages 1 and 2 answer, page 3 fails
    assert not succeeded(world.build(Reconcile(run_date=RUN_DATE)))
    assert production() == before
    assert succeeded(world.build(LoadProduction(run_date=RUN_DATE)))  # nothing else broke


def test_reconcile_command_removes_rebuilds_and_says_how_to_confirm(
        world: PipelineWorld) -> None:
    assert succeeded(world.run_weekly(RUN_DATE))
    assert succeeded(world.run_weekly(NEXT_RUN_DATE))  # the newest reports: rebuilt too
    deleted = world.athlete.remove_activity(world.athlete.activities[3]["id"])
    command = [sys.executable, "-m", "pipeline.cli", "reconcile", "--date", str(RUN_DATE)]
    env = {**os.environ, **world.env, **world.sandbox.env()}
    done = subprocess.run(command, cwd=PROJECT_ROOT, env=env, capture_output=True, text=True,
                          timeout=600)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "1 removed" in done.stdout and "Rebuilding" in done.stdout
    assert deleted["id"] not in production()
    assert deleted["id"] not in {row[0] for row in query("SELECT id FROM activity_log")}
    assert f"dashboard of {RUN_DATE}, {NEXT_RUN_DATE}" in done.stdout
    newest = (world.data_dir / "reports" / str(NEXT_RUN_DATE)).glob("dashboard-before-*.html")
    assert list(newest), "the newest dashboard was not rebuilt"
    state = open_state(load_settings().state_url)
    assert state.last_reconciliation_attempt(RUN_DATE) == 1

    for act in world.athlete.activities[:60]:
        world.athlete.remove_activity(act["id"])
    env = {**os.environ, **world.env, **world.sandbox.env()}
    halted = subprocess.run(command, cwd=PROJECT_ROOT, env=env, capture_output=True, text=True,
                            timeout=600)
    assert halted.returncode == 1
    last = halted.stderr.strip().splitlines()[-1]
    assert "would remove 60 of" in last and "--allow-mass-delete" in last
    confirmed = subprocess.run([*command, "--allow-mass-delete"], cwd=PROJECT_ROOT,
                               env={**os.environ, **world.env, **world.sandbox.env()},
                               capture_output=True, text=True, timeout=600)
    assert confirmed.returncode == 0, confirmed.stderr[-2000:]
    assert "60 removed" in confirmed.stdout
    assert state.last_reconciliation_attempt(RUN_DATE) == 2
    status = subprocess.run([sys.executable, "-m", "pipeline.cli", "status"], cwd=PROJECT_ROOT,
                            env={**os.environ, **world.env}, capture_output=True, text=True,
                            timeout=300)
    assert status.returncode == 0, status.stderr
    assert f"Reconciliation: last of {RUN_DATE}.2" in status.stdout
    assert "60 removed (kept in strava/deleted/" in status.stdout
    assert "Webhook events: 0 pending, 0 applied" in status.stdout


def test_a_reconciliation_stopped_by_the_budget_resumes_at_the_page_it_reached(
        world: PipelineWorld, monkeypatch: pytest.MonkeyPatch) -> None:
    # Issue 26: the history's pages are kept in the lake as they arrive.
    from pipeline.tasks.reconcile import ExtractHistory

    assert succeeded(world.run_weekly(RUN_DATE))
    world.sandbox.reset_log()
    needed = math.ceil(len(world.athlete.activities) / 200) + 1
    assert needed >= 3
    world.sandbox.set_usage(read_15min=88, read_daily=88)  # a reconciliation may take 90
    monkeypatch.setenv("STRAVA_MAX_RATE_LIMIT_WAIT", "1")
    assert not succeeded(world.build(ExtractHistory(run_date=RUN_DATE, attempt=2)))
    reached = [int(r.query["page"]) for r in world.sandbox.requests_log
               if r.path.endswith("/athlete/activities")]
    assert reached == [1, 2]  # the 89th and 90th read: a reconciliation's share is spent
    monkeypatch.delenv("STRAVA_MAX_RATE_LIMIT_WAIT")
    assert succeeded(world.build(ExtractHistory(run_date=RUN_DATE, attempt=2)))
    pages = [int(r.query["page"]) for r in world.sandbox.requests_log
             if r.path.endswith("/athlete/activities")]
    assert pages == list(range(1, needed + 1))  # page 3 on, after the window: none twice
    from pipeline.activity_csv import read_ids

    extract = ExtractHistory(run_date=RUN_DATE, attempt=2).output().path
    assert read_ids(extract) == {a["id"] for a in world.athlete.activities}
    assert open_lake(load_settings().lake_url).keys("strava/pages/") == []  # forgotten
