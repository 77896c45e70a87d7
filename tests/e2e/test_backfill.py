"""Backfill: one Strava read for the range, every week its own targets, interruptions harmless."""

from __future__ import annotations

import math
import signal
import sqlite3
import subprocess
import threading
import time
from collections.abc import Callable
from datetime import date, timezone
from pathlib import Path

import duckdb
import pytest

from pipeline import run_dates
from pipeline.sandbox import SyntheticAthlete
from pipeline.tasks import Backfill, BackfillWeek, WeeklyPipeline
from pipeline.tasks.backfill import week_run_dates
from tests.conftest import ATHLETE_END, PipelineWorld, succeeded
from tests.support.operations import luigi_command, run_env, warehouse_dump, watermarks

START, STOP = date(2026, 11, 3), date(2026, 11, 22)
WEEKS = [date(2026, 11, 8), date(2026, 11, 15), date(2026, 11, 22)]
LIST_PATH = "/athlete/activities"


def athlete() -> SyntheticAthlete:
    """The same small athlete for every world of these tests."""
    return SyntheticAthlete(seed=31, n_activities=300, end=ATHLETE_END)


def window_end(run_date: date) -> int:
    """The ``before`` bound of a run date's list requests (its end in every zone), epoch s."""
    return int(run_dates.extract_before(run_date).replace(tzinfo=timezone.utc).timestamp())


def list_windows(world: PipelineWorld) -> list[tuple[int, int]]:
    """(after, before) of every activity-list request, in the order they were made."""
    return [(int(record.query["after"]), int(record.query["before"]))
            for record in world.sandbox.requests_log if record.path.endswith(LIST_PATH)]


def one_read_bound(world: PipelineWorld, last_week: date) -> int:
    """ceil(N/200)+1: the list requests of one paged read of every activity up to the week."""
    before = run_dates.extract_before(last_week).strftime("%Y-%m-%dT%H:%M:%SZ")
    n = len([a for a in world.athlete.activities if a["start_date"] < before])
    return math.ceil(n / 200) + 1


def test_week_run_dates_are_the_sundays_of_the_range_up_to_the_latest_completed_day() -> None:
    later = date(2026, 12, 31)
    assert week_run_dates(START, STOP, latest=later) == WEEKS
    assert week_run_dates(date(2026, 11, 1), date(2026, 11, 21), latest=later) == [
        date(2026, 11, 1), date(2026, 11, 8), date(2026, 11, 15)]
    assert week_run_dates(START, STOP, latest=date(2026, 11, 16)) == WEEKS[:2]
    assert week_run_dates(START, STOP, weekday=0, latest=later)[0] == date(2026, 11, 9)
    assert week_run_dates(STOP, START, latest=later) == []
    with pytest.raises(ValueError, match="weekday"):
        week_run_dates(START, STOP, weekday=7)


def test_backfill_reads_strava_once_and_an_interrupted_one_ends_like_an_uninterrupted_one(
    world_factory: Callable[..., PipelineWorld], tmp_path: Path
) -> None:
    interrupted = world_factory(athlete())
    reference = world_factory(athlete())
    # A pid-lock folder of this test's own: another test session on the machine running the
    # same command line must not count as "already running".
    command = luigi_command("Backfill", "--start", START.isoformat(), "--stop", STOP.isoformat(),
                            "--local-scheduler", "--lock-pid-dir", str(tmp_path / "locks"))
    bound = one_read_bound(reference, WEEKS[-1])
    assert bound >= 3, "the athlete must need several pages"

    # The uninterrupted reference runs meanwhile, in its own DATA_DIR and sandbox
    # (--no-lock: Luigi's pid lock would stop a second identical command line at once).
    uninterrupted = subprocess.Popen([*command, "--no-lock"], env=run_env(reference),
                                     stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)

    # First interruption: killed in the middle of the one paged read (the sandbox stalls at
    # the second page), as a crash or a reboot would. Nothing is extracted or loaded.
    stalled, release = threading.Event(), threading.Event()

    def stall(seconds: float) -> None:
        stalled.set()
        release.wait(120)

    interrupted.sandbox.app._sleep = stall
    interrupted.sandbox.inject("slow:0", "slow:3600")
    run = subprocess.Popen(command, env=run_env(interrupted), stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL)
    try:
        assert stalled.wait(120), "the backfill never reached the stalled request"
        run.send_signal(signal.SIGKILL)
        run.wait(timeout=30)
    finally:
        release.set()
        if run.poll() is None:
            run.kill()
            run.wait(timeout=30)
    assert run.returncode == -signal.SIGKILL
    assert watermarks(interrupted.data_dir) == []
    assert not list((interrupted.data_dir / "extract").glob("*/activities.csv"))

    # The stalled request is logged once its answer is given up: wait for it, then start over.
    deadline = time.monotonic() + 10
    while len(list_windows(interrupted)) < 2 and time.monotonic() < deadline:
        time.sleep(0.05)

    # Second interruption: killed as soon as the oldest week is loaded and watermarked.
    interrupted.sandbox.reset_log()
    run = subprocess.Popen(command, env=run_env(interrupted), stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 300
        while not watermarks(interrupted.data_dir) and time.monotonic() < deadline:
            assert run.poll() is None, "the backfill ended before the test could interrupt it"
            time.sleep(0.01)
        run.send_signal(signal.SIGKILL)
        run.wait(timeout=30)
    finally:
        if run.poll() is None:
            run.kill()
            run.wait(timeout=30)
    done = [run_date for run_date, _ in watermarks(interrupted.data_dir)]
    assert done[:1] == WEEKS[:1] and len(done) < len(WEEKS), done
    # Issue 26: the read resumed at the page it reached: page 1 was kept in the lake, so only
    # page 2 (never answered before the kill) and the pages after it were asked again.
    assert len(list_windows(interrupted)) == bound - 1
    assert [int(record.query["page"]) for record in interrupted.sandbox.requests_log
            if record.path.endswith(LIST_PATH)] == list(range(2, bound + 1))

    # The rerun finishes the other weeks from the extracts the read left: no Strava request.
    interrupted.sandbox.reset_log()
    rerun = subprocess.run(command, env=run_env(interrupted), capture_output=True, text=True,
                           timeout=600)
    assert rerun.returncode == 0, rerun.stderr[-3000:]
    assert list_windows(interrupted) == [], "the rerun asked Strava again"

    _, errors = uninterrupted.communicate(timeout=600)
    assert uninterrupted.returncode == 0, errors[-3000:]
    # ONE paged read for the three weeks, from the beginning to the newest week's end.
    assert list_windows(reference) == [(0, window_end(WEEKS[-1]))] * bound
    assert [run_date for run_date, _ in watermarks(reference.data_dir)] == WEEKS

    assert watermarks(interrupted.data_dir) == watermarks(reference.data_dir)
    expected = warehouse_dump(reference.data_dir)
    actual = warehouse_dump(interrupted.data_dir)
    assert sorted(actual) == sorted(expected)
    assert len(expected["strava_activity_data"]) > 200
    for table, rows in expected.items():
        assert actual[table] == rows, f"{table} differs after the interrupted backfill"

    # Models and the dashboard were built once, for the newest week; every week was checked.
    markers = {row[0] for row in expected["table_updates"]}
    for week in WEEKS:
        assert f"LoadProduction({week})" in markers
        assert f"ValidateStaging({week})" in markers
    built_for = {marker.split("(")[1].rstrip(")").split(",")[0] for marker in markers
                 if marker.startswith("Build")}
    assert built_for == {WEEKS[-1].isoformat()}
    reports = sorted(path.parent.name for path in
                     reference.data_dir.glob("reports/*/dashboard.html"))
    assert reports == [WEEKS[-1].isoformat(), "latest"]

    # Everything is done now: the same backfill asks Strava nothing.
    reference.sandbox.reset_log()
    assert succeeded(reference.build(Backfill(start=START, stop=STOP)))
    assert all(BackfillWeek(run_date=week).complete() for week in WEEKS)
    assert WeeklyPipeline(run_date=WEEKS[-1]).complete()
    assert reference.sandbox.requests_log == [], "finished weeks asked Strava again"


def forget_week(world: PipelineWorld, week: date) -> None:
    """Forget everything of one week: its markers, watermark, extract and lake object."""
    with duckdb.connect(str(world.data_dir / "warehouse.duckdb")) as db:
        db.execute("DELETE FROM table_updates WHERE update_id LIKE ?", [f"%({week}%"])
    with sqlite3.connect(world.data_dir / "state.db") as state:
        state.execute("DELETE FROM last_extracted WHERE run_date = ?", [week.isoformat()])
    state.close()
    for path in world.data_dir.glob(f"**/{week}/activities.csv"):
        path.unlink()
    assert not BackfillWeek(run_date=week).complete()


def test_one_week_of_a_backfill_reruns_alone(
    world_factory: Callable[..., PipelineWorld]
) -> None:
    world = world_factory(athlete())
    assert succeeded(world.build(Backfill(start=START, stop=STOP)))
    before = warehouse_dump(world.data_dir)
    history = watermarks(world.data_dir)

    week = WEEKS[1]
    forget_week(world, week)
    world.sandbox.reset_log()
    assert succeeded(world.build(BackfillWeek(run_date=week)))
    # The week's own window: from the watermark before it (minus lookback) to its end.
    windows = set(list_windows(world))
    assert len(windows) == 1 and windows.pop()[1] == window_end(week)
    assert watermarks(world.data_dir) == history
    after = warehouse_dump(world.data_dir)
    for table, rows in before.items():
        if table == "validation_results":  # the week's checks ran again: one more row each
            assert set(after[table]) == set(rows)
        else:
            assert after[table] == rows, f"{table} changed by the week's rerun"

    # The same week forgotten again and the whole Backfill rerun: one read for that week alone,
    # with the same window as its own run, and nothing else changes.
    own_window = set(list_windows(world))
    forget_week(world, week)
    world.sandbox.reset_log()
    assert succeeded(world.build(Backfill(start=START, stop=STOP)))
    assert set(list_windows(world)) == own_window
    assert watermarks(world.data_dir) == history
    again = warehouse_dump(world.data_dir)
    assert {table: rows for table, rows in again.items() if table != "validation_results"} == {
        table: rows for table, rows in before.items() if table != "validation_results"}


def test_status_counts_a_backfilled_week_done_with_its_reports_left_to_the_newest_week(
    world_factory: Callable[..., PipelineWorld]
) -> None:
    from pipeline.settings import load_settings
    from pipeline.status import StatusReader, format_detail

    world = world_factory(athlete())
    assert succeeded(world.build(Backfill(start=START, stop=STOP)))
    reader = StatusReader(load_settings())
    newest, older = reader.status(WEEKS[-1]), reader.status(WEEKS[0])
    assert newest.next_stage is None and not any(s.superseded for s in newest.stages)
    assert older.next_stage is None and older.finished == len(older.stages)
    superseded = [s for s in older.stages if s.superseded]
    assert superseded and all(not s.done for s in superseded)
    assert any(s.name.startswith("BuildDashboard") for s in superseded)
    assert any(s.name.startswith("RecordWatermark") and s.done for s in older.stages)
    assert any(f"left to {WEEKS[-1].isoformat()}" in line for line in format_detail(older))


def test_a_backfill_that_read_the_whole_history_counts_as_its_newest_weeks_reconciliation(
    world_factory: Callable[..., PipelineWorld], monkeypatch: pytest.MonkeyPatch
) -> None:
    # Issue 23: one read from the beginning through the newest week lists everything a
    # reconciliation would: the newest week's run does not list the history a second time.
    from pipeline.backends import open_state
    from pipeline.reconcile import reconcile_due, status_lines
    from pipeline.settings import load_settings

    monkeypatch.setenv("RECONCILE_EVERY_WEEKS", "1")  # due two weeks after the oldest week
    world = world_factory(athlete())
    assert succeeded(world.build(Backfill(start=START, stop=STOP)))
    bound = one_read_bound(world, WEEKS[-1])
    assert list_windows(world) == [(0, window_end(WEEKS[-1]))] * bound  # no second read
    settings = load_settings()
    state = open_state(settings.state_url)
    last = state.last_reconciliation()
    assert last is not None and last["run_date"] == WEEKS[-1] and last["attempt"] == 0
    before = run_dates.extract_before(WEEKS[-1]).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert last["listed"] == len([a for a in world.athlete.activities
                                  if a["start_date"] < before])
    assert (last["changed"], last["removed"]) == (0, 0)
    assert state.history_read_of(WEEKS[-1]) and not reconcile_due(state, settings, WEEKS[-1])
    assert "the backfill's read of the whole history" in status_lines(state)[0]
    # The next reconciliation is due RECONCILE_EVERY_WEEKS after it, not after the oldest week.
    assert not reconcile_due(state, settings, WEEKS[-1])
    later = WEEKS[-1].replace(day=29)
    state.record_watermark(later, None)
    assert reconcile_due(state, settings, later.replace(month=12, day=6))


def test_a_backfill_after_loaded_weeks_does_not_count_as_a_reconciliation(
    world_factory: Callable[..., PipelineWorld], monkeypatch: pytest.MonkeyPatch
) -> None:
    from pipeline.backends import open_state
    from pipeline.settings import load_settings

    monkeypatch.setenv("RECONCILE_EVERY_WEEKS", "1")
    world = world_factory(athlete())
    assert succeeded(world.run_weekly(WEEKS[0]))
    world.sandbox.reset_log()
    assert succeeded(world.build(Backfill(start=START, stop=STOP)))
    # The backfill read from the oldest week's watermark on, not the whole history: the newest
    # week's run reconciled (its own read of the whole history, attempt 1).
    assert list_windows(world)[0][0] > 0
    assert (0, window_end(WEEKS[-1])) in list_windows(world)
    state = open_state(load_settings().state_url)
    last = state.last_reconciliation()
    assert last is not None and (last["run_date"], last["attempt"]) == (WEEKS[-1], 1)
    assert not state.history_read_of(WEEKS[-1])
