"""WeeklyPipeline through Luigi's central scheduler (luigid), alone and twice at the same time."""

from __future__ import annotations

import math
import subprocess
import sys
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path

import duckdb
import pytest

from pipeline.backends.duckdb_warehouse import release_all
from pipeline.sandbox import SyntheticAthlete
from pipeline.status import graph_tasks
from pipeline.tasks import ExtractActivities, WeeklyPipeline
from tests.conftest import ATHLETE_END, RUN_DATE, PipelineWorld, require_server
from tests.support.operations import (
    Luigid,
    luigi_command,
    luigid_path,
    ran_tasks,
    run_env,
    watermarks,
)

N_ACTIVITIES = 300


@pytest.fixture
def luigid(tmp_path: Path) -> Iterator[Luigid]:
    """A central scheduler of its own on a free port, stopped with SIGTERM afterwards."""
    require_server(luigid_path() is not None, "luigid is not installed")
    scheduler = Luigid(tmp_path / "luigid")
    scheduler.start()
    yield scheduler
    scheduler.stop()


@pytest.fixture
def small_world(world_factory: Callable[..., PipelineWorld]) -> PipelineWorld:
    """A sandbox on the real clock (the pipeline runs in other processes) and a fresh DATA_DIR."""
    return world_factory(SyntheticAthlete(seed=23, n_activities=N_ACTIVITIES, end=ATHLETE_END))


def graph_task_ids() -> set[str]:
    """Every task of WeeklyPipeline(RUN_DATE), the root included."""
    root = WeeklyPipeline(run_date=RUN_DATE)
    return {root.task_id} | {task.task_id for task in graph_tasks(root)}


def through_scheduler(scheduler: Luigid, *extra: str) -> list[str]:
    return luigi_command(
        "WeeklyPipeline", "--run-date", RUN_DATE.isoformat(),
        "--scheduler-host", "127.0.0.1", "--scheduler-port", str(scheduler.port), *extra,
    )


def test_weekly_pipeline_runs_through_the_central_scheduler(
    luigid: Luigid, small_world: PipelineWorld
) -> None:
    result = subprocess.run(
        through_scheduler(luigid), env=run_env(small_world), capture_output=True, text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert "local scheduler" not in result.stderr.lower()

    done = luigid.tasks("DONE")
    expected = graph_task_ids()
    assert len(expected) > 8
    assert expected <= set(done), f"not DONE in luigid: {sorted(expected - set(done))}"
    for status in ("PENDING", "RUNNING", "FAILED"):
        assert luigid.tasks(status) == {}, status

    # Long tasks report progress and a status message to the visualiser.
    extract = done[ExtractActivities(run_date=RUN_DATE).task_id]
    assert extract["progress_percentage"] == 100
    assert f"{N_ACTIVITIES} activities extracted" in extract["status_message"]
    assert "SANDBOX" in extract["status_message"]


def test_two_runs_of_one_date_started_together_run_each_task_once(
    luigid: Luigid, small_world: PipelineWorld
) -> None:
    # --no-lock: the machine-wide pid lock would stop the second identical command at once;
    # here the central scheduler alone must keep the two runs from doing the same work.
    command = through_scheduler(luigid, "--no-lock")
    environment = run_env(small_world)
    runs = [subprocess.Popen(command, env=environment, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True) for _ in range(2)]
    outputs = [run.communicate(timeout=300) for run in runs]
    codes = [run.returncode for run in runs]
    logs = "\n".join(out + err for out, err in outputs)

    # The two runs share the date's tasks. Each finishes with it (0) or leaves the rest to the
    # other: 10 (already_running: what is left is being run by the other worker) or 25 (not_run:
    # the scheduler did not grant it a task the other worker holds). With the wide graph (marts,
    # model tests, kudos model) both may leave something to the other, so neither need exit 0;
    # what matters is below: every task ran once and the date is complete.
    summaries = "\n=====\n".join(err[-2500:] for _, err in outputs)
    assert set(codes) <= {0, 10, 25}, summaries

    started = ran_tasks(logs)
    assert started, "no task was run"
    assert max(started.values()) == 1, {task: n for task, n in started.items() if n > 1}
    assert graph_task_ids() <= set(luigid.tasks("DONE"))

    # Strava was asked once: one token refresh, one listing of every page.
    sandbox = small_world.sandbox
    assert sandbox.count("/oauth/token") == 1
    assert sandbox.count("/athlete/activities") == math.ceil(N_ACTIVITIES / 200) + 1

    release_all()  # graph_task_ids() used the warehouse in this process; let go of the file
    with duckdb.connect(str(small_world.data_dir / "warehouse.duckdb"), read_only=True) as db:
        rows, ids = db.execute(
            "SELECT COUNT(*), COUNT(DISTINCT id) FROM strava_activity_data").fetchone()
        markers, distinct_markers = db.execute(
            "SELECT COUNT(*), COUNT(DISTINCT update_id) FROM table_updates").fetchone()
        checks, distinct_checks = db.execute(
            "SELECT COUNT(*), COUNT(DISTINCT check_name) FROM validation_results").fetchone()
    in_window = [a for a in small_world.athlete.activities
                 if a["start_date"] < datetime(2026, 11, 30).strftime("%Y-%m-%dT%H:%M:%SZ")]
    assert rows == ids == len(in_window)
    assert markers == distinct_markers
    assert checks == distinct_checks
    assert [run_date for run_date, _ in watermarks(small_world.data_dir)] == [RUN_DATE]


def test_luigi_config_path_with_the_documented_names_reaches_luigid_from_any_directory(
    luigid: Luigid, small_world: PipelineWorld, tmp_path: Path
) -> None:
    # A user's own Luigi configuration, spelled as Luigi's docs spell it, on a non-default port.
    assert luigid.port != 8082
    config = tmp_path / "my-luigi.cfg"
    config.write_text("[core]\ndefault_scheduler_host = 127.0.0.1\n"
                      f"default_scheduler_port = {luigid.port}\n")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    console_script = Path(sys.executable).parent / "strava-pipeline"
    result = subprocess.run(
        [str(console_script), "run", "--date", RUN_DATE.isoformat()], cwd=elsewhere,
        env={**run_env(small_world), "LUIGI_CONFIG_PATH": str(config)},
        capture_output=True, text=True, timeout=300,
    )
    assert result.returncode == 0, (result.stdout + result.stderr)[-3000:]
    assert f"Scheduler: central scheduler at http://127.0.0.1:{luigid.port}/" in result.stdout
    assert "UnconsumedParameterWarning" not in result.stderr
    assert graph_task_ids() <= set(luigid.tasks("DONE"))

    # luigi --module with no scheduler flags goes there too (and the date is done).
    again = subprocess.run(
        luigi_command("WeeklyPipeline", "--run-date", RUN_DATE.isoformat()), cwd=elsewhere,
        env={**run_env(small_world), "LUIGI_CONFIG_PATH": str(config)},
        capture_output=True, text=True, timeout=300,
    )
    assert again.returncode == 0, again.stderr[-3000:]
    assert "local scheduler" not in again.stderr.lower()
    assert list(elsewhere.iterdir()) == []
