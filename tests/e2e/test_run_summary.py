"""A run ends with a summary like dbt's, and the terminal stays quiet (issue 24 #7): the counts
are checked against the warehouse and the sandbox after a run with a warning."""

from __future__ import annotations

import os
import pty
import re
import subprocess
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import duckdb
import pytest

from pipeline.sandbox import SyntheticAthlete
from pipeline.settings import ENVIRONMENT_VARIABLES
from tests.conftest import ATHLETE_END, RUN_DATE, PipelineWorld
from tests.e2e.test_failure_causes import CONSOLE_SCRIPT, console

OUTCOMES = {"pass": "passed", "warn": "warned", "fail": "failed", "error": "failed",
            "skipped": "skipped"}


@pytest.fixture
def small_world(world_factory: Callable[..., PipelineWorld]) -> PipelineWorld:
    return world_factory(SyntheticAthlete(seed=5, n_activities=300, end=ATHLETE_END))


def counts(output: str, label: str) -> dict[str, int]:
    """'Checks:     24 passed, 1 warned' -> {'passed': 24, 'warned': 1}."""
    line = next(line for line in output.splitlines() if line.startswith(f"{label}:"))
    return {word: int(number) for number, word in re.findall(r"(\d+) ([a-z ]+?)(?:,|$)",
                                                             line.split(":", 1)[1])}


def test_the_summary_counts_what_the_warehouse_holds(small_world: PipelineWorld,
                                                     tmp_path: Path) -> None:
    result = console("run", "--date", RUN_DATE.isoformat(), cwd=tmp_path, **small_world.env)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    out = result.stdout

    with duckdb.connect(str(small_world.data_dir / "warehouse.duckdb"), read_only=True) as db:
        rows = db.execute("SELECT COUNT(*) FROM strava_activity_data").fetchone()[0]
        statuses = Counter(OUTCOMES[status] for (status,) in db.execute(
            "SELECT status FROM validation_results WHERE run_date = ?", [RUN_DATE]).fetchall())
        markers = db.execute("SELECT COUNT(*) FROM table_updates").fetchone()[0]
    assert statuses["warned"] >= 1, statuses  # a run with a warning
    checks = counts(out, "Checks")
    for outcome in ("passed", "warned", "failed"):
        assert checks[outcome] == statuses[outcome], (checks, statuses)
    assert counts(out, "Activities") == {"added": rows, "changed": 0, "removed": 0}
    tasks = counts(out, "Tasks")
    assert tasks["already done"] == 0 and tasks["failed"] == 0
    assert tasks["done"] >= markers > 0  # every warehouse stage, plus the files and watermark
    requests = small_world.sandbox.count("/athlete/activities")
    assert re.search(rf"^Strava:\s+{requests} requests; budget used {requests}/\d+ this 15 "
                     rf"minutes, {requests}/\d+ today$", out, re.M), out
    log = small_world.data_dir / "logs" / f"{RUN_DATE}.log"
    dashboard = small_world.data_dir / "reports" / str(RUN_DATE) / "dashboard.html"
    assert f"Dashboard: {dashboard}" in out
    assert f"Log:       {log}" in out

    # Quiet: Luigi's scheduling lines and passing checks only in the log file.
    assert "Informed scheduler" not in result.stderr and "Informed scheduler" in log.read_text()
    assert "pass: " not in result.stderr and "pass: " in log.read_text()
    assert f"done LoadProduction for {RUN_DATE}" in result.stderr

    again = console("run", "--date", RUN_DATE.isoformat(), "--verbose", cwd=tmp_path,
                    **small_world.env)
    assert again.returncode == 0
    assert counts(again.stdout, "Tasks") == {"done": 0, "already done": tasks["done"],
                                             "failed": 0}
    assert counts(again.stdout, "Activities") == {"added": 0, "changed": 0, "removed": 0}
    assert "Informed scheduler" in again.stderr  # --verbose brings Luigi's lines back


def test_a_backfill_ends_with_counts(small_world: PipelineWorld, tmp_path: Path) -> None:
    result = console("backfill", "--start", "2026-11-08", "--stop", RUN_DATE.isoformat(),
                     cwd=tmp_path, **small_world.env)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert "== Backfill of 4 weeks succeeded" in result.stdout
    with duckdb.connect(str(small_world.data_dir / "warehouse.duckdb"), read_only=True) as db:
        rows = db.execute("SELECT COUNT(*) FROM strava_activity_data").fetchone()[0]
        checks = db.execute("SELECT COUNT(*) FROM validation_results").fetchone()[0]
    assert counts(result.stdout, "Activities")["added"] == rows
    assert sum(counts(result.stdout, "Checks").values()) == checks
    assert "Dashboard: " in result.stdout and "Log:       " in result.stdout


def test_on_a_terminal_progress_is_one_bar(small_world: PipelineWorld, tmp_path: Path) -> None:
    """stderr on a terminal: the per-task lines become one bar redrawn in place; stdout's
    summary starts on a line of its own."""
    primary, secondary = pty.openpty()
    environment = {name: value for name, value in os.environ.items()
                   if name not in ENVIRONMENT_VARIABLES}
    run = subprocess.Popen([str(CONSOLE_SCRIPT), "run", "--date", RUN_DATE.isoformat()],
                           cwd=tmp_path, env={**environment, **small_world.env},
                           stdout=subprocess.PIPE, stderr=secondary, text=True)
    os.close(secondary)
    shown = b""
    while True:
        try:
            chunk = os.read(primary, 65536)
        except OSError:  # the run closed the terminal
            break
        if not chunk:
            break
        shown += chunk
    out, _ = run.communicate(timeout=300)
    os.close(primary)
    terminal = shown.decode("utf-8", "replace")
    assert run.returncode == 0, out[-2000:] + terminal[-2000:]
    bars = re.findall(r"\r\x1b\[K\[[#.]{30}\] (\d+)/(\d+) tasks  done ", terminal)
    assert len(bars) >= 20, terminal[-2000:]
    done, total = bars[-1]
    assert done == total
    assert "INFO pipeline.progress: done" not in terminal  # no plain per-task lines
    assert counts(out, "Tasks")["done"] == int(done)


def test_status_of_a_date_lists_the_checks_that_warned_first(small_world: PipelineWorld,
                                                             tmp_path: Path) -> None:
    assert console("run", "--date", RUN_DATE.isoformat(), cwd=tmp_path,
                   **small_world.env).returncode == 0
    status = console("status", "--date", RUN_DATE.isoformat(), cwd=tmp_path, **small_world.env)
    assert status.returncode == 0, status.stderr
    detail = status.stdout.split("validation (latest per check):", 1)[1].splitlines()[1:]
    outcomes = [line.split()[0] for line in detail if line.startswith("    ")]
    assert "warn" in outcomes, status.stdout
    assert outcomes.index("warn") < outcomes.index("pass")
