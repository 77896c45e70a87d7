"""A failed run ends with its cause: one line per failed task (task, run date, cause, what to do),
tracebacks in the log file only, the cause kept for `status` and posted to Slack for a failure
before any task ran (issue 24 #2, issue 25 #9)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

import duckdb
import pytest

from pipeline.sandbox import SyntheticAthlete
from pipeline.settings import ENVIRONMENT_VARIABLES
from tests.conftest import ATHLETE_END, RUN_DATE, PipelineWorld, port_open, require_server
from tests.e2e.test_slack import Webhook
from tests.support.helpers import as_unprivileged

CONSOLE_SCRIPT = Path(sys.executable).parent / "strava-pipeline"
WRONG_TOKEN = "not-the-refresh-token-0123456789"
PASSWORD = "secret-password-7f3a"


def console(*args: str, cwd: Path, **env: str) -> subprocess.CompletedProcess[str]:
    environment = {name: value for name, value in os.environ.items()
                   if name not in ENVIRONMENT_VARIABLES}
    return subprocess.run([str(CONSOLE_SCRIPT), *args], cwd=cwd, env={**environment, **env},
                          capture_output=True, text=True, timeout=300)


def last_lines(text: str, count: int) -> list[str]:
    return [line for line in text.splitlines() if line.strip()][-count:]


@pytest.fixture
def small_world(world_factory: Callable[..., PipelineWorld]) -> PipelineWorld:
    return world_factory(SyntheticAthlete(seed=31, n_activities=200, end=ATHLETE_END))


def test_a_failed_task_ends_the_run_with_its_cause_and_status_keeps_it(
        small_world: PipelineWorld, tmp_path: Path) -> None:
    env = {**small_world.env, "STRAVA_REFRESH_TOKEN": WRONG_TOKEN}
    result = console("run", "--date", RUN_DATE.isoformat(), cwd=tmp_path, **env)
    terminal = result.stdout + result.stderr

    assert result.returncode == 30, terminal[-3000:]
    failed, then = last_lines(result.stdout, 2)
    assert failed.startswith(f"FAILED ExtractActivities for {RUN_DATE}: ")
    assert "rejected the token" in failed
    assert then == "Then rerun the same command to resume (finished stages are kept)."
    assert "Traceback" not in terminal
    assert "Informed scheduler" not in terminal  # quiet by default
    assert WRONG_TOKEN not in terminal
    log = small_world.data_dir / "logs" / f"{RUN_DATE}.log"
    assert f"Log:       {log}" in result.stdout
    logged = log.read_text()
    assert "Traceback" in logged and "Informed scheduler" in logged

    status = console("status", cwd=tmp_path, **env)
    assert status.returncode == 0, status.stderr
    table_row = next(line for line in status.stdout.splitlines()
                     if line.startswith(RUN_DATE.isoformat()))
    assert "ExtractActivities (last run FAILED: " in table_row
    assert f"FAILED ExtractActivities for {RUN_DATE}: " in status.stdout
    assert "rejected the token" in status.stdout

    debug = console("run", "--date", RUN_DATE.isoformat(), "--debug", cwd=tmp_path, **env)
    assert debug.returncode == 30
    assert "Traceback" in debug.stderr


def test_luigis_command_line_ends_with_the_cause_without_a_traceback(
        small_world: PipelineWorld) -> None:
    result = small_world.cli("WeeklyPipeline", "--run-date", RUN_DATE.isoformat(),
                             extra_env={"STRAVA_REFRESH_TOKEN": WRONG_TOKEN})
    assert result.returncode == 30, result.stderr[-3000:]
    failed, then = last_lines(result.stderr, 2)
    assert failed.startswith(f"luigi: FAILED ExtractActivities for {RUN_DATE}: ")
    assert "rejected the token" in failed
    assert then.startswith("luigi: Then rerun the same command")
    assert "Traceback" not in result.stderr


BEFORE_ANY_TASK = {
    "MySQL unreachable": ({"STATE_URL": f"mysql://root:{PASSWORD}@127.0.0.1:1/strava_state"},
                          "WeeklyPipeline", "cannot connect to the state store mysql://root:***@"),
    "MariaDB wrong password": (
        {"STATE_URL": f"mysql://root:{PASSWORD}@127.0.0.1:3306/strava_state"},
        "WeeklyPipeline", "cannot connect to the state store mysql://root:***@"),
    "S3 unreachable": ({"LAKE_URL": "s3://strava-lake/x", "AWS_ENDPOINT_URL_S3":
                        "http://127.0.0.1:1", "AWS_ACCESS_KEY_ID": "key",
                        "AWS_SECRET_ACCESS_KEY": PASSWORD},
                       "UploadToLake", "cannot reach S3 for bucket 'strava-lake'"),
}


@pytest.mark.parametrize("case", list(BEFORE_ANY_TASK))
def test_a_backend_failing_before_any_task_is_one_line_and_one_slack_post(
        tmp_path: Path, case: str) -> None:
    settings, task, cause = BEFORE_ANY_TASK[case]
    if "MariaDB" in case:
        require_server(port_open("127.0.0.1", 3306), "MariaDB is not running on 3306")
    env = {"DATA_DIR": str(tmp_path / "data"), "STRAVA_CLIENT_ID": "1",
           "STRAVA_CLIENT_SECRET": "client-secret-x", "STRAVA_REFRESH_TOKEN": "refresh-token-x",
           **settings}
    with Webhook() as hook:
        result = console("run", "--date", RUN_DATE.isoformat(), cwd=tmp_path,
                         SLACK_WEBHOOK_URL=hook.url, **env)
    terminal = result.stdout + result.stderr
    assert result.returncode == 35, terminal[-3000:]
    failed, _then = last_lines(result.stdout, 2)
    assert failed.startswith(f"FAILED {task} for {RUN_DATE}: {cause}"), failed
    assert "Traceback" not in terminal and PASSWORD not in terminal
    assert len(hook.payloads) == 1, hook.payloads
    text = hook.payloads[0]["text"]
    assert cause in text and PASSWORD not in text and "client-secret-x" not in text


@pytest.mark.parametrize("command", [["run", "--date", RUN_DATE.isoformat()], ["status"],
                                     ["migrate", "--status"]])
def test_an_unreachable_postgres_is_one_line(tmp_path: Path, command: list[str]) -> None:
    env = {"DATA_DIR": str(tmp_path / "data"), "STRAVA_CLIENT_ID": "1",
           "STRAVA_CLIENT_SECRET": "client-secret-x", "STRAVA_REFRESH_TOKEN": "refresh-token-x",
           "WAREHOUSE_URL": f"postgresql://strava:{PASSWORD}@127.0.0.1:1/strava"}
    result = console(*command, cwd=tmp_path, **env)
    assert result.returncode == 2, result.stderr[-3000:]
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("strava-pipeline: error: cannot connect to the warehouse "
                               "postgresql://strava:***@127.0.0.1:1/strava")
    assert PASSWORD not in result.stdout + result.stderr


def test_a_run_refused_before_luigi_posts_once_to_slack(tmp_path: Path) -> None:
    env = {"DATA_DIR": str(tmp_path / "data"), "STRAVA_CLIENT_ID": "1",
           "STRAVA_CLIENT_SECRET": "client-secret-x", "STRAVA_REFRESH_TOKEN": "refresh-token-x",
           "LAKE_URL": "ftp://example.org/lake"}
    with Webhook() as hook:
        result = console("run", "--date", RUN_DATE.isoformat(), cwd=tmp_path,
                         SLACK_WEBHOOK_URL=hook.url, **env)
    assert result.returncode == 2
    assert "LAKE_URL" in result.stderr and "Traceback" not in result.stderr
    assert len(hook.payloads) == 1 and "LAKE_URL" in hook.payloads[0]["text"]
    assert "client-secret-x" not in hook.payloads[0]["text"]

    environment = {name: value for name, value in os.environ.items()
                   if name not in ENVIRONMENT_VARIABLES}
    with Webhook() as hook:
        luigi = subprocess.run(
            [str(CONSOLE_SCRIPT.parent / "luigi"), "--module", "pipeline.tasks", "WeeklyPipeline",
             "--run-date", RUN_DATE.isoformat(), "--local-scheduler"], cwd=tmp_path,
            env={**environment, **env, "SLACK_WEBHOOK_URL": hook.url}, capture_output=True,
            text=True, timeout=120)
    assert luigi.returncode == 2 and "LAKE_URL" in luigi.stderr
    assert len(hook.payloads) == 1 and "luigi --module pipeline.tasks WeeklyPipeline" in \
        hook.payloads[0]["text"]


def test_a_read_only_data_dir_with_a_duckdb_file_is_one_line() -> None:
    folder = Path(tempfile.mkdtemp(prefix="read-only-duckdb-"))
    duckdb.connect(str(folder / "warehouse.duckdb")).close()
    folder.chmod(0o755)
    (folder / "warehouse.duckdb").chmod(0o644)
    env = {name: value for name, value in os.environ.items()
           if name not in ENVIRONMENT_VARIABLES}
    env.update({"DATA_DIR": str(folder), "STRAVA_CLIENT_ID": "1",
                "STRAVA_CLIENT_SECRET": "client-secret-x",
                "STRAVA_REFRESH_TOKEN": "refresh-token-x"})
    for command in (["run", "--date", RUN_DATE.isoformat()], ["status"]):
        result = subprocess.run(as_unprivileged([str(CONSOLE_SCRIPT), *command]), cwd="/",
                                env=env, capture_output=True, text=True, timeout=120)
        assert result.returncode == 2, (command, result.stderr[-3000:])
        lines = [line for line in result.stderr.splitlines() if line.strip()]
        assert len(lines) == 1, (command, result.stderr[-3000:])
        assert lines[0].startswith("strava-pipeline: error: cannot use the DuckDB warehouse "
                                   f"{folder / 'warehouse.duckdb'}")
        assert f"make {folder} writable" in lines[0]
    shutil.rmtree(folder)



def test_a_read_only_data_dir_with_the_databases_elsewhere_is_one_line() -> None:
    writable = Path(tempfile.mkdtemp(prefix="databases-"))
    writable.chmod(0o777)
    folder = Path(tempfile.mkdtemp(prefix="read-only-data-"))
    folder.chmod(0o755)
    env = {name: value for name, value in os.environ.items()
           if name not in ENVIRONMENT_VARIABLES}
    env.update({"DATA_DIR": str(folder), "STRAVA_CLIENT_ID": "1",
                "STRAVA_CLIENT_SECRET": "client-secret-x",
                "STRAVA_REFRESH_TOKEN": "refresh-token-x",
                "WAREHOUSE_URL": f"duckdb://{writable / 'warehouse.duckdb'}",
                "STATE_URL": f"sqlite://{writable / 'state.db'}"})
    result = subprocess.run(as_unprivileged([str(CONSOLE_SCRIPT), "run", "--date",
                                             RUN_DATE.isoformat()]),
                            cwd="/", env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 2, result.stderr[-3000:]
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr[-3000:]
    assert lines[0].startswith("strava-pipeline: error: cannot write the run's log "
                               f"{folder / 'logs'}/"), lines[0]
    assert f"make {folder} writable, or set DATA_DIR" in lines[0]
    assert "client-secret-x" not in result.stderr
    shutil.rmtree(folder)
    shutil.rmtree(writable)


def test_luigis_command_line_with_a_backend_down_ends_with_the_cause(tmp_path: Path) -> None:
    environment = {name: value for name, value in os.environ.items()
                   if name not in ENVIRONMENT_VARIABLES}
    env = {"DATA_DIR": str(tmp_path / "data"), "STRAVA_CLIENT_ID": "1",
           "STRAVA_CLIENT_SECRET": "client-secret-x", "STRAVA_REFRESH_TOKEN": "refresh-token-x",
           "STATE_URL": f"mysql://root:{PASSWORD}@127.0.0.1:1/strava_state"}
    result = subprocess.run(
        [str(CONSOLE_SCRIPT.parent / "luigi"), "--module", "pipeline.tasks", "WeeklyPipeline",
         "--run-date", RUN_DATE.isoformat(), "--local-scheduler"], cwd=tmp_path,
        env={**environment, **env}, capture_output=True, text=True, timeout=120)
    assert result.returncode == 35, result.stderr[-3000:]
    failed, _then = last_lines(result.stderr, 2)
    assert failed.startswith(f"luigi: FAILED WeeklyPipeline for {RUN_DATE}: cannot connect to "
                             "the state store mysql://root:***@127.0.0.1:1/strava_state")
    assert "Traceback" not in result.stderr and PASSWORD not in result.stderr


def test_a_failed_backfill_ends_with_its_cause_and_status_keeps_it(
        small_world: PipelineWorld, tmp_path: Path) -> None:
    env = {**small_world.env, "STRAVA_REFRESH_TOKEN": WRONG_TOKEN}
    result = console("backfill", "--start", "2026-11-01", "--stop", RUN_DATE.isoformat(),
                     cwd=tmp_path, **env)
    assert result.returncode == 30, result.stdout[-3000:]
    failed, _then = last_lines(result.stdout, 2)
    assert failed.startswith(f"FAILED ExtractRange(2026-11-01, {RUN_DATE}): ")
    assert "rejected the token" in failed and "Traceback" not in result.stdout + result.stderr
    assert "Tasks:      0 done, 0 already done, 1 failed" in result.stdout
    status = console("status", cwd=tmp_path, **env)
    row = next(line for line in status.stdout.splitlines()
               if line.startswith(RUN_DATE.isoformat()))
    assert "(last run FAILED: " in row
