"""Ctrl-C and SIGTERM on a run stop it once the running task is done and say that a rerun
resumes (issue 24 #10); the rerun does, without doing the finished stages again."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from pipeline.sandbox import SyntheticAthlete
from pipeline.settings import ENVIRONMENT_VARIABLES
from tests.conftest import ATHLETE_END, RUN_DATE, PipelineWorld
from tests.e2e.test_failure_causes import console

CONSOLE_SCRIPT = Path(sys.executable).parent / "strava-pipeline"


@pytest.fixture
def small_world(world_factory: Callable[..., PipelineWorld]) -> PipelineWorld:
    return world_factory(SyntheticAthlete(seed=31, n_activities=200, end=ATHLETE_END))


@pytest.mark.parametrize("stop", [signal.SIGTERM, signal.SIGINT])
def test_a_stopped_run_says_how_to_resume_and_the_rerun_does(
        small_world: PipelineWorld, tmp_path: Path, stop: signal.Signals) -> None:
    environment = {name: value for name, value in os.environ.items()
                   if name not in ENVIRONMENT_VARIABLES}
    run = subprocess.Popen([str(CONSOLE_SCRIPT), "run", "--date", RUN_DATE.isoformat()],
                           cwd=tmp_path, env={**environment, **small_world.env},
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert run.stderr is not None
    seen = []
    for line in run.stderr:  # stop it once the first stage is done
        seen.append(line)
        if "done ExtractActivities" in line:
            run.send_signal(stop)
            break
    _out, err = run.communicate(timeout=120)
    assert run.returncode == 128 + stop, "".join(seen) + err
    assert "strava-pipeline: stopped; rerun the same command to resume" in err
    assert "Traceback" not in "".join(seen) + err

    again = console("run", "--date", RUN_DATE.isoformat(), cwd=tmp_path, **small_world.env)
    assert again.returncode == 0, again.stdout[-2000:] + again.stderr[-2000:]
    assert "done ExtractActivities" not in again.stderr  # finished before the stop: kept
    assert f"== Weekly run for {RUN_DATE} succeeded" in again.stdout
