"""Backfill: a range of weeks, oldest first, finished weeks skipped, interruptions harmless."""

from __future__ import annotations

import math
import signal
import subprocess
import threading
from collections.abc import Callable
from datetime import date, datetime, timezone
from pathlib import Path

import pytest

from pipeline.sandbox import SyntheticAthlete
from pipeline.tasks import Backfill, WeeklyPipeline
from pipeline.tasks.backfill import week_run_dates
from tests.conftest import ATHLETE_END, PipelineWorld, succeeded
from tests.operations_support import luigi_command, run_env, warehouse_dump, watermarks

START, STOP = date(2026, 11, 3), date(2026, 11, 22)
WEEKS = [date(2026, 11, 8), date(2026, 11, 15), date(2026, 11, 22)]
LIST_PATH = "/athlete/activities"


def athlete() -> SyntheticAthlete:
    """The same small athlete for every world of these tests."""
    return SyntheticAthlete(seed=31, n_activities=300, end=ATHLETE_END)


def window_end(run_date: date) -> int:
    """The ``before`` bound of a run date's list requests, epoch seconds: the end of the run date
    at UTC-12 (its next midnight UTC plus 12 hours), so every zone's local day is inside."""
    return int(datetime(run_date.year, run_date.month, run_date.day,
                        tzinfo=timezone.utc).timestamp()) + 86_400 + 12 * 3_600


def list_windows(world: PipelineWorld) -> list[int]:
    """The ``before`` bound of every activity-list request, in the order they were made."""
    return [int(record.query["before"]) for record in world.sandbox.requests_log
            if record.path.endswith(LIST_PATH)]


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


def test_backfill_runs_oldest_first_skips_finished_weeks_and_survives_interruption(
    world_factory: Callable[..., PipelineWorld], tmp_path: Path
) -> None:
    interrupted = world_factory(athlete())
    reference = world_factory(athlete())
    # A pid-lock folder of this test's own: another test session on the machine running the
    # same command line must not count as "already running".
    command = luigi_command("Backfill", "--start", START.isoformat(), "--stop", STOP.isoformat(),
                            "--local-scheduler", "--lock-pid-dir", str(tmp_path / "locks"))

    # The interrupted run: the sandbox stalls at the second week's first list request and the
    # run is killed there (as a crash or a reboot would), then the same command runs again.
    # The first week costs one request per page of 200 and one for the empty page after them.
    first_end = datetime.fromtimestamp(window_end(WEEKS[0]), timezone.utc)
    first_week = math.ceil(len([
        a for a in interrupted.athlete.activities
        if a["start_date"] < first_end.strftime("%Y-%m-%dT%H:%M:%SZ")]) / 200) + 1
    stalled, release = threading.Event(), threading.Event()

    def stall(seconds: float) -> None:
        stalled.set()
        release.wait(120)

    interrupted.sandbox.app._sleep = stall
    interrupted.sandbox.inject(*["slow:0"] * first_week, "slow:3600")

    # The uninterrupted reference runs at the same time, in its own DATA_DIR and sandbox
    # (--no-lock: Luigi's pid lock would stop a second identical command line at once).
    uninterrupted = subprocess.Popen([*command, "--no-lock"], env=run_env(reference),
                                     stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
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
    assert [d for d, _ in watermarks(interrupted.data_dir)] == WEEKS[:1]

    interrupted.sandbox.reset_log()
    rerun = subprocess.run(command, env=run_env(interrupted), capture_output=True, text=True,
                           timeout=600)
    assert rerun.returncode == 0, rerun.stderr[-3000:]
    assert set(list_windows(interrupted)) == {window_end(week) for week in WEEKS[1:]}, (
        "the rerun did not skip the finished week")

    _, errors = uninterrupted.communicate(timeout=600)
    assert uninterrupted.returncode == 0, errors[-3000:]
    windows = list_windows(reference)
    assert sorted(set(windows)) == [window_end(week) for week in WEEKS]
    assert windows == sorted(windows), "weeks did not run oldest first"
    assert windows.count(window_end(WEEKS[0])) == first_week
    assert [run_date for run_date, _ in watermarks(reference.data_dir)] == WEEKS

    assert watermarks(interrupted.data_dir) == watermarks(reference.data_dir)
    expected = warehouse_dump(reference.data_dir)
    actual = warehouse_dump(interrupted.data_dir)
    assert sorted(actual) == sorted(expected)
    assert len(expected["strava_activity_data"]) > 200
    for table, rows in expected.items():
        assert actual[table] == rows, f"{table} differs after the interrupted backfill"

    # Everything is done now: the same backfill asks Strava nothing.
    reference.sandbox.reset_log()
    assert succeeded(reference.build(Backfill(start=START, stop=STOP)))
    assert all(WeeklyPipeline(run_date=week).complete() for week in WEEKS)
    assert reference.sandbox.requests_log == [], "finished weeks asked Strava again"
