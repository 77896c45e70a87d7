"""The `strava-pipeline` command and `luigi --module` as a user runs them: from another directory,
without activating the environment, with bad settings, and with the sandbox beside real data."""

from __future__ import annotations

import hashlib
import os
import re
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path

import pytest

from pipeline.sandbox import SyntheticAthlete
from pipeline.settings import ENVIRONMENT_VARIABLES
from tests.conftest import ATHLETE_END, RUN_DATE, PipelineWorld, require_server, succeeded
from tests.support.operations import copy_checkout, free_port

CONSOLE_SCRIPT = Path(sys.executable).parent / "strava-pipeline"


LUIGI_SCRIPT = Path(sys.executable).parent / "luigi"


COMMANDS = ("run", "backfill", "status", "authorize", "sandbox", "dashboard", "validate")


def user_env(**extra: str) -> dict[str, str]:
    """A user's shell: no pipeline settings, no LUIGI_CONFIG_PATH, the environment not active."""
    venv_bin = str(Path(sys.executable).parent)
    environment = {name: value for name, value in os.environ.items()
                   if name not in ENVIRONMENT_VARIABLES
                   and name not in ("LUIGI_CONFIG_PATH", "VIRTUAL_ENV", "PYTHONPATH")}
    environment["PATH"] = os.pathsep.join(
        part for part in environment.get("PATH", "").split(os.pathsep) if part != venv_bin)
    environment.update(extra)
    return environment


def run(command: list[str], cwd: Path, timeout: float = 300, **extra: str
        ) -> subprocess.CompletedProcess[str]:
    return subprocess.run(command, cwd=cwd, env=user_env(**extra), capture_output=True,
                          text=True, timeout=timeout)


@pytest.fixture
def elsewhere(tmp_path: Path) -> Path:
    """An empty working directory outside the project."""
    folder = tmp_path / "elsewhere"
    folder.mkdir()
    return folder


@pytest.fixture(autouse=True)
def _console_script_installed() -> None:
    require_server(CONSOLE_SCRIPT.exists() and LUIGI_SCRIPT.exists(),
                   f"{CONSOLE_SCRIPT} is not installed (pip install -e .)")


@pytest.fixture
def small_world(world_factory: Callable[..., PipelineWorld]) -> PipelineWorld:
    return world_factory(SyntheticAthlete(seed=31, n_activities=200, end=ATHLETE_END))


def one_line_error(result: subprocess.CompletedProcess[str]) -> str:
    """The single line a refused command printed on stderr (asserts it is one, no traceback)."""
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    return lines[0]


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_has_help_and_runs_without_activating_the_environment(
    command: str, elsewhere: Path
) -> None:
    result = run([str(CONSOLE_SCRIPT), command, "--help"], elsewhere, timeout=60)
    assert result.returncode == 0, result.stderr
    assert "usage:" in result.stdout
    assert list(elsewhere.iterdir()) == []


def test_a_failed_run_from_another_directory_exits_nonzero(
    small_world: PipelineWorld, elsewhere: Path
) -> None:
    settings = {**small_world.env, "STRAVA_REFRESH_TOKEN": "not-the-refresh-token-0123456789"}
    luigi = run([str(LUIGI_SCRIPT), "--module", "pipeline.tasks", "WeeklyPipeline",
                 "--run-date", RUN_DATE.isoformat(), "--local-scheduler"], elsewhere, **settings)
    assert luigi.returncode == 30, luigi.stderr[-3000:]  # [retcode] task_failed of luigi.cfg
    assert "SANDBOX" in luigi.stderr and "rejected the token" in luigi.stderr

    wrapper = run([str(CONSOLE_SCRIPT), "run", "--date", RUN_DATE.isoformat(),
                   "--scheduler", "local"], elsewhere, **settings)
    assert wrapper.returncode == 30, wrapper.stdout[-3000:]
    assert f"Weekly run for {RUN_DATE} FAILED: a task failed" in wrapper.stdout
    assert "not-the-refresh-token" not in wrapper.stdout + wrapper.stderr
    assert list(elsewhere.iterdir()) == []


def test_a_run_from_another_directory_uses_the_projects_data(
    small_world: PipelineWorld, elsewhere: Path
) -> None:
    result = run([str(CONSOLE_SCRIPT), "run", "--date", RUN_DATE.isoformat(), "--scheduler",
                  "local"], elsewhere, **small_world.env)
    assert result.returncode == 0, result.stdout[-3000:]
    assert f"Weekly run for {RUN_DATE} succeeded" in result.stdout
    assert (small_world.data_dir / "warehouse.duckdb").exists()
    assert list(elsewhere.iterdir()) == []

    status = run([str(CONSOLE_SCRIPT), "status"], elsewhere, **small_world.env)
    assert status.returncode == 0, status.stderr
    assert re.search(rf"^{RUN_DATE}\s+(\d+)/\1\s.*\(all done\)", status.stdout, re.M), status.stdout


def tree_snapshot(folder: Path) -> dict[str, tuple[int, int, str]]:
    return {str(path.relative_to(folder)): (path.stat().st_size, path.stat().st_mtime_ns,
                                            hashlib.sha256(path.read_bytes()).hexdigest())
            for path in sorted(folder.rglob("*")) if path.is_file()}


def test_status_changes_nothing_on_disk(small_world: PipelineWorld, elsewhere: Path) -> None:
    empty = elsewhere / "nothing-here"
    fresh = run([str(CONSOLE_SCRIPT), "status"], elsewhere, DATA_DIR=str(empty))
    assert fresh.returncode == 0, fresh.stderr
    assert "No runs yet" in fresh.stdout
    assert not empty.exists()
    assert list(elsewhere.iterdir()) == []

    from pipeline.tasks import CopyToStaging

    assert succeeded(small_world.build(CopyToStaging(run_date=RUN_DATE)))
    before = tree_snapshot(small_world.data_dir)
    assert any(name.endswith("warehouse.duckdb") for name in before)
    for args in (["status"], ["status", "--date", RUN_DATE.isoformat()]):
        result = run([str(CONSOLE_SCRIPT), *args], elsewhere, **small_world.env)
        assert result.returncode == 0, result.stderr
        assert "CopyToStaging" in result.stdout
    assert tree_snapshot(small_world.data_dir) == before


def bad_setting_cases(tmp: Path) -> list[tuple[list[str], dict[str, str], str]]:
    luigi = [str(LUIGI_SCRIPT), "--module", "pipeline.tasks"]
    cli = [str(CONSOLE_SCRIPT)]
    app = {"STRAVA_CLIENT_ID": "12345", "STRAVA_CLIENT_SECRET": "s3cret-value",
           "STRAVA_REFRESH_TOKEN": "refresh-token-value"}
    return [
        (luigi + ["WeeklyPipeline", "--run-date", "2026-13-45", "--local-scheduler"], app,
         "--run-date '2026-13-45'"),
        (luigi + ["Backfill", "--start", "2026-09-01", "--stop", "2026-11-29",
                  "--local-scheduler"], {}, "no Strava credentials"),
        (luigi + ["Backfill", "--start", "2026-11-29", "--stop", "2026-11-01",
                  "--local-scheduler"], app, "swap them"),
        (luigi + ["WeeklyPipeline", "--run-date", "2026-11-29", "--local-scheduler"],
         {"STRAVA_CLIENT_ID": "12345"}, "STRAVA_CLIENT_SECRET is not set"),
        (luigi + ["WeeklyPipeline", "--run-date", "2026-11-29", "--local-scheduler"],
         {**app, "STRAVA_READ_TIMEOUT": "soon"}, "STRAVA_READ_TIMEOUT='soon' is not a number"),
        (luigi + ["WeeklyPipeline", "--run-date", "2026-11-29", "--local-scheduler"],
         {**app, "WAREHOUSE_URL": "oracle://db/strava"}, "WAREHOUSE_URL="),
        (cli + ["backfill", "--start", "2026-09-01", "--stop", "2026-11-29"], {},
         "no Strava credentials"),
        (cli + ["run", "--date", "2026-11-29"], {"STRAVA_CLIENT_ID": "12345"},
         "STRAVA_CLIENT_SECRET is not set"),
        (cli + ["run", "--date", "2026-11-29"],
         {"STRAVA_CLIENT_ID": "12345", "STRAVA_CLIENT_SECRET": "s3cret-value"},
         "no Strava token yet"),
        (cli + ["run", "--date", "29.11.2026"], {}, "write it as YYYY-MM-DD"),
        (cli + ["run", "--date", (date.today() + timedelta(days=9)).isoformat()], app,
         "is not over yet"),
        (cli + ["validate", "staging_null_keys.sql", "0", "equals", "warn", "--date",
                "2026-11-29"], {}, "no staging table for 2026-11-29"),
        (cli + ["dashboard", "--date", "2026-11-29"], {}, "no dashboard for 2026-11-29"),
    ]


def test_each_preflight_problem_is_one_line_and_schedules_nothing(
    tmp_path: Path, elsewhere: Path
) -> None:
    data_dir = tmp_path / "data"
    for command, settings, expected in bad_setting_cases(tmp_path):
        started = time.monotonic()
        result = run(command, elsewhere, timeout=60, DATA_DIR=str(data_dir), **settings)
        assert result.returncode == 2, (command, result.stdout[-2000:], result.stderr)
        line = one_line_error(result)
        assert expected in line, (command, line)
        assert "s3cret-value" not in line and "refresh-token-value" not in line
        assert "Informed scheduler" not in result.stderr + result.stdout, command
        assert time.monotonic() - started < 30
    assert not (data_dir / "extract").exists()


def test_no_central_scheduler_is_one_line_not_a_minute_of_retries(
    small_world: PipelineWorld, tmp_path: Path, elsewhere: Path
) -> None:
    config = tmp_path / "client.cfg"
    config.write_text(f"[core]\ndefault_scheduler_host = 127.0.0.1\n"
                      f"default_scheduler_port = {free_port()}\n")
    started = time.monotonic()
    result = run([str(LUIGI_SCRIPT), "--module", "pipeline.tasks", "WeeklyPipeline",
                  "--run-date", RUN_DATE.isoformat()], elsewhere,
                 LUIGI_CONFIG_PATH=str(config), **small_world.env)
    assert time.monotonic() - started < 20
    assert result.returncode == 35, result.stderr[-3000:]  # [retcode] scheduling_error
    line = one_line_error(result)
    assert "no central scheduler" in line and "--local-scheduler" in line

    wrapper = run([str(CONSOLE_SCRIPT), "run", "--date", RUN_DATE.isoformat(), "--scheduler",
                   "central"], elsewhere, LUIGI_CONFIG_PATH=str(config), **small_world.env)
    assert wrapper.returncode == 2
    assert "no central scheduler (luigid) answers at http://127.0.0.1:" in wrapper.stderr


def test_the_sandbox_exports_never_write_under_the_real_data_dir(tmp_path: Path) -> None:
    checkout = copy_checkout(tmp_path / "project")
    real = checkout / "data"
    env_file = tmp_path / "sandbox.env"
    environment = user_env(PYTHONPATH=str(checkout))
    sandbox = subprocess.Popen(
        [sys.executable, "-m", "pipeline.sandbox", "--port", "0", "--activities", "150",
         "--end-date", "2026-11-25", "--print-env-file", str(env_file)],
        cwd=checkout, env=environment, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 60
        while not env_file.exists():
            assert sandbox.poll() is None, sandbox.communicate()
            assert time.monotonic() < deadline
            time.sleep(0.1)
        exports = env_file.read_text()
        sandbox_dir = checkout / "sandbox-data"
        assert f"export DATA_DIR={sandbox_dir}\n" in exports
        for name in ("LAKE_URL", "STATE_URL", "WAREHOUSE_URL"):
            assert re.search(rf"^export {name}=\S+://{re.escape(str(sandbox_dir))}/", exports,
                             re.M), name
        # Following the printed lines, as docs/sandbox.md says, from the project root.
        script = (f". {env_file} && {sys.executable} -m luigi --module pipeline.tasks "
                  f"WeeklyPipeline --run-date 2026-11-29 --local-scheduler")
        result = subprocess.run(["bash", "-c", script], cwd=checkout, env=environment,
                                capture_output=True, text=True, timeout=300)
        assert result.returncode == 0, result.stderr[-3000:]
        assert (sandbox_dir / "warehouse.duckdb").exists()
        assert not real.exists(), sorted(str(p) for p in real.rglob("*"))
    finally:
        sandbox.terminate()
        out, _ = sandbox.communicate(timeout=30)
    assert "up to 2026-11-25" in out


def test_the_sandbox_refuses_a_data_dir_that_contains_its_folder(tmp_path: Path) -> None:
    checkout = copy_checkout(tmp_path / "project")
    result = subprocess.run(
        [sys.executable, "-m", "pipeline.cli", "status", "--demo"], cwd=checkout,
        env=user_env(PYTHONPATH=str(checkout), DATA_DIR=str(checkout)), capture_output=True,
        text=True, timeout=60)
    assert result.returncode == 2
    assert "contains the sandbox's folder" in one_line_error(result)


def test_an_install_without_a_checkout_ships_the_projects_luigi_cfg(tmp_path: Path) -> None:
    # The wheel carries luigi.cfg to <prefix>/share/strava-pipeline/, where pipeline/project.py
    # looks when there is no checkout; its exit codes are the checkout's.
    import zipfile

    from tests.conftest import PROJECT_ROOT

    built = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps",
         "--wheel-dir", str(tmp_path), str(copy_checkout(tmp_path / "project"))],
        capture_output=True, text=True, timeout=300)
    assert built.returncode == 0, built.stderr[-2000:]
    (wheel,) = tmp_path.glob("*.whl")
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
        shipped = next(n for n in names if n.endswith(".data/data/share/strava-pipeline/luigi.cfg"))
        assert archive.read(shipped) == (PROJECT_ROOT / "luigi.cfg").read_bytes()
        assert any(n.endswith("share/strava-pipeline/logging.ini") for n in names)
        assert any(n.endswith("entry_points.txt") and b"strava-pipeline = pipeline.cli:main"
                   in archive.read(n) for n in names)
