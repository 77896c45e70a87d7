"""Several Luigi workers on the embedded DuckDB take turns at its one writer (issue 26): they
wait for the file instead of failing, and a wait longer than WAREHOUSE_LOCK_WAIT stops with one
line that says what to do."""

from __future__ import annotations

import subprocess
from collections.abc import Callable

import duckdb

from pipeline.sandbox import SyntheticAthlete
from tests.conftest import ATHLETE_END, PROJECT_ROOT, RUN_DATE, PipelineWorld
from tests.support.operations import luigi_command, run_env, watermarks


def small_world(world_factory: Callable[..., PipelineWorld]) -> PipelineWorld:
    """300 activities on the real clock (the pipeline runs in other processes)."""
    return world_factory(SyntheticAthlete(seed=26, n_activities=300, end=ATHLETE_END))


def test_four_workers_on_the_embedded_default_wait_for_the_warehouse_instead_of_failing(
    world_factory: Callable[..., PipelineWorld]
) -> None:
    world = small_world(world_factory)
    run = subprocess.run(
        luigi_command("WeeklyPipeline", "--run-date", RUN_DATE.isoformat(), "--workers", "4",
                      "--local-scheduler", "--no-lock"),
        cwd=PROJECT_ROOT, env=run_env(world), capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stderr[-3000:]
    assert "there were no failed tasks or missing dependencies" in run.stderr
    assert [run_date for run_date, _ in watermarks(world.data_dir)] == [RUN_DATE]


def test_a_warehouse_held_longer_than_the_wait_stops_with_one_line(
    world_factory: Callable[..., PipelineWorld]
) -> None:
    world = small_world(world_factory)
    path = world.data_dir / "warehouse.duckdb"
    path.parent.mkdir(parents=True, exist_ok=True)
    with duckdb.connect(str(path)):  # another writer holds the file
        run = subprocess.run(
            luigi_command("WeeklyPipeline", "--run-date", RUN_DATE.isoformat(),
                          "--local-scheduler", "--no-lock"),
            cwd=PROJECT_ROOT, env=run_env(world, WAREHOUSE_LOCK_WAIT="2"),
            capture_output=True, text=True, timeout=300)
    assert run.returncode != 0
    assert "stayed locked by another process" in run.stderr
    assert "raise WAREHOUSE_LOCK_WAIT, or use PostgreSQL or Redshift" in run.stderr
