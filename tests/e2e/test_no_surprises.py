"""No silent surprises (issue 24 #3, #4, #5, #6, #8): a mistyped DuckDB/SQLite path is refused,
settings are checked with or without credentials, a refused command writes nothing, validate's
advice works for a loaded date, Luigi's command line is told what works there, and a failed run
leaves no empty folder."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from pipeline.sandbox import SyntheticAthlete
from pipeline.settings import ENVIRONMENT_VARIABLES
from tests.conftest import ATHLETE_END, RUN_DATE, PipelineWorld
from tests.e2e.test_failure_causes import console

LUIGI_SCRIPT = Path(sys.executable).parent / "luigi"
CREDENTIALS = {"STRAVA_CLIENT_ID": "1", "STRAVA_CLIENT_SECRET": "client-secret-x",
               "STRAVA_REFRESH_TOKEN": "refresh-token-x"}


def luigi_run(*args: str, cwd: Path, **env: str) -> subprocess.CompletedProcess[str]:
    environment = {name: value for name, value in os.environ.items()
                   if name not in ENVIRONMENT_VARIABLES}
    return subprocess.run([str(LUIGI_SCRIPT), "--module", "pipeline.tasks", *args,
                           "--local-scheduler"], cwd=cwd, env={**environment, **env},
                          capture_output=True, text=True, timeout=120)


def error_line(result: subprocess.CompletedProcess[str]) -> str:
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    return lines[0]


def every_path(folder: Path) -> list[Path]:
    return sorted(folder.rglob("*")) if folder.exists() else []


@pytest.fixture
def small_world(world_factory: Callable[..., PipelineWorld]) -> PipelineWorld:
    return world_factory(SyntheticAthlete(seed=31, n_activities=200, end=ATHLETE_END))


@pytest.mark.parametrize("setting", ["WAREHOUSE_URL", "STATE_URL"])
def test_a_mistyped_embedded_path_is_refused_and_creates_nothing(tmp_path: Path,
                                                                 setting: str) -> None:
    data_dir = tmp_path / "data"
    scheme, name = ("duckdb", "x.duckdb") if setting == "WAREHOUSE_URL" else ("sqlite", "s.db")
    missing = tmp_path / "nonexistent" / "dir"
    env = {**CREDENTIALS, "DATA_DIR": str(data_dir), setting: f"{scheme}://{missing}/{name}"}

    console_run = console("run", "--date", RUN_DATE.isoformat(), cwd=tmp_path, **env)
    assert console_run.returncode == 2, console_run.stderr
    line = error_line(console_run)
    assert f"{setting}=" in line and f"the folder {missing} does not exist" in line
    assert "--create" in line and "strava-pipeline init" in line

    luigi = luigi_run("WeeklyPipeline", "--run-date", RUN_DATE.isoformat(), cwd=tmp_path, **env)
    assert luigi.returncode == 2, luigi.stderr
    line = error_line(luigi)
    assert f"the folder {missing} does not exist" in line
    assert "--create" not in line and "strava-pipeline init" in line
    assert not (tmp_path / "nonexistent").exists() and not data_dir.exists()

    init = console("init", cwd=tmp_path, **env)
    assert init.returncode == 0, init.stderr
    assert f"created {missing}" in init.stdout
    assert (missing / name).exists()


def test_settings_are_checked_without_credentials_too(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    result = console("run", "--date", RUN_DATE.isoformat(), cwd=tmp_path,
                     DATA_DIR=str(data_dir), LAKE_URL="ftp://example.org/lake")
    assert result.returncode == 2
    assert "LAKE_URL='ftp://example.org/lake': no backend for 'ftp://'" in error_line(result)
    assert "demo" not in result.stdout  # it did not quietly run the demo instead
    assert not data_dir.exists()


def test_luigis_command_line_is_told_what_works_there(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    result = luigi_run("WeeklyPipeline", "--run-date", RUN_DATE.isoformat(), cwd=tmp_path,
                       DATA_DIR=str(data_dir))
    assert result.returncode == 2
    line = error_line(result)
    assert "no Strava credentials" in line
    assert "add --demo" not in line and "strava-pipeline run --demo" in line
    assert "strava-pipeline sandbox" in line
    assert every_path(data_dir) == []  # the refused command wrote nothing


def test_validate_on_a_loaded_date_gives_advice_that_works(small_world: PipelineWorld,
                                                         tmp_path: Path) -> None:
    assert console("run", "--date", RUN_DATE.isoformat(), cwd=tmp_path,
                   **small_world.env).returncode == 0
    result = console("validate", "staging_null_keys.sql", "0", "equals", "warn", "--date",
                     RUN_DATE.isoformat(), cwd=tmp_path, **small_world.env)
    assert result.returncode == 2
    line = error_line(result)
    assert f"{RUN_DATE} is already loaded into production" in line
    advice = line.split("`")[1].split()
    assert advice[1:] == ["status", "--date", RUN_DATE.isoformat()]
    followed = subprocess.run(advice, cwd=tmp_path, capture_output=True, text=True,
                              env={**os.environ, **small_world.env}, timeout=120)
    assert followed.returncode == 0, followed.stderr
    assert "validation (latest per check)" in followed.stdout


def test_a_failed_run_leaves_no_empty_folder_and_status_ignores_one(
        small_world: PipelineWorld, tmp_path: Path) -> None:
    env = {**small_world.env, "STRAVA_REFRESH_TOKEN": "not-the-refresh-token-0123456789"}
    result = console("run", "--date", RUN_DATE.isoformat(), cwd=tmp_path, **env)
    assert result.returncode == 30
    empty = [path for path in every_path(small_world.data_dir)
             if path.is_dir() and not any(path.iterdir())]
    assert empty == []

    stray = small_world.data_dir / "extract" / "2026-11-22"
    stray.mkdir(parents=True)
    status = console("status", cwd=tmp_path, **env)
    assert status.returncode == 0, status.stderr
    assert "2026-11-22" not in status.stdout
