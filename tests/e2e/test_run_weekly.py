"""./run_weekly.sh from a clean checkout: the demo, a failing run, bad arguments, shellcheck."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import duckdb
import pytest

from pipeline.sandbox import SandboxServer, SyntheticAthlete
from pipeline.sandbox.places import HOME
from pipeline.settings import ENVIRONMENT_VARIABLES
from tests.conftest import ATHLETE_END, PROJECT_ROOT, port_open, require_server
from tests.support.operations import copy_checkout


@pytest.fixture(scope="module")
def checkout(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the project without .venv, data or logs, shared by this module's tests."""
    return copy_checkout(tmp_path_factory.mktemp("checkout") / "project")


def yesterday_at_the_demo_athletes() -> str:
    """Yesterday in the demo athlete's home zone: the default run date of the first demo, which
    asks the sandbox for the zone of the athlete's newest activity (pipeline/athlete_zone.py)."""
    home = datetime.now(ZoneInfo(HOME.tz)).date()
    return (home - timedelta(days=1)).isoformat()


def script_env(**extra: str) -> dict[str, str]:
    """The environment of a cron-like run: no pipeline settings, no Luigi config override.

    The virtual environment sees this interpreter's packages, so creating it needs no download.
    """
    environment = {name: value for name, value in os.environ.items()
                   if name not in ENVIRONMENT_VARIABLES and name != "LUIGI_CONFIG_PATH"}
    environment["PIPELINE_VENV_OPTIONS"] = "--system-site-packages"
    environment.update(extra)
    return environment


def run_script(checkout: Path, *args: str, **extra: str) -> subprocess.CompletedProcess[str]:
    """./run_weekly.sh ARGS in the checkout; stdout and stderr together, as a terminal shows."""
    return subprocess.run(
        ["./run_weekly.sh", *args], cwd=checkout, env=script_env(**extra),
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=900,
    )


def test_run_weekly_is_shellcheck_clean() -> None:
    require_server(shutil.which("shellcheck") is not None, "shellcheck is not installed")
    result = subprocess.run(["shellcheck", "run_weekly.sh"], cwd=PROJECT_ROOT,
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stdout


def test_demo_from_a_clean_checkout_prints_where_the_results_are(checkout: Path) -> None:
    before = yesterday_at_the_demo_athletes()
    result = run_script(checkout, "--demo", TZ="Etc/GMT-14")  # the machine east of everyone
    output = result.stdout
    assert result.returncode == 0, output[-4000:]
    run_date = re.search(r"Weekly Strava pipeline for (\S+) ", output).group(1)
    # Before the first load the sandbox is asked for the athlete's zone: the run takes the most
    # recent completed day there (yesterday), never a day over only on the machine's clock.
    assert run_date in (before, yesterday_at_the_demo_athletes())

    assert "First run: creating" in output
    assert (checkout / ".venv" / "bin" / "python").exists()
    assert "SANDBOX" in output and "NOT Strava" in output
    sandbox_data = checkout / "sandbox-data"
    assert f"Warehouse: duckdb://{sandbox_data}/warehouse.duckdb" in output
    dashboard = sandbox_data / "reports" / run_date / "dashboard.html"
    assert f"Dashboard: {dashboard}" in output
    assert dashboard.stat().st_size > 0
    assert f"Weekly run for {run_date} succeeded" in output

    with duckdb.connect(str(sandbox_data / "warehouse.duckdb"), read_only=True) as db:
        assert db.execute("SELECT COUNT(*) FROM strava_activity_data").fetchone()[0] > 1000
    assert not (checkout / "data").exists(), "sandbox data left its folder"
    # What to run next, without activating the environment, from any directory.
    hint = re.search(r"^Status:    (/\S+/\.venv/bin/strava-pipeline) status --demo$", output, re.M)
    assert hint and Path(hint.group(1)).exists(), output[-3000:]

    log = checkout / "logs" / f"{run_date}.log"
    assert f"Dashboard: {dashboard}" in log.read_text(encoding="utf-8")
    assert "ExtractActivities" in log.read_text(encoding="utf-8")

    sandbox_port = int(re.search(r"SANDBOX at http://127\.0\.0\.1:(\d+)/", output).group(1))
    assert not port_open("127.0.0.1", sandbox_port), "the sandbox was left running"

    # The second run reuses the virtual environment and finds the date done.
    again = run_script(checkout, "--demo", "--date", run_date)
    assert again.returncode == 0, again.stdout[-4000:]
    assert "First run" not in again.stdout
    assert f"Dashboard: {dashboard}" in again.stdout


@pytest.fixture
def sandbox() -> Iterator[SandboxServer]:
    """A sandbox the script's non-demo run talks to, as if it were Strava."""
    with SandboxServer(SyntheticAthlete(seed=5, n_activities=200, end=ATHLETE_END)) as server:
        yield server


def test_a_failing_run_exits_with_luigis_nonzero_code(
    checkout: Path, sandbox: SandboxServer, tmp_path: Path
) -> None:
    wrong_token = "not-the-refresh-token-0123456789"
    settings = {**sandbox.env(), "STRAVA_REFRESH_TOKEN": wrong_token,
                "DATA_DIR": str(tmp_path / "data")}
    result = run_script(checkout, "--date", "2026-11-29", **settings)
    output = result.stdout

    assert result.returncode == 30, output[-4000:]  # [retcode] task_failed in luigi.cfg
    assert "Weekly run for 2026-11-29 FAILED" in output
    assert "SANDBOX" in output and "rejected the token" in output
    assert "Scheduler:" in output
    assert "Warehouse:" in output
    assert sandbox.client_secret not in output and wrong_token not in output
    assert "rejected the token" in (checkout / "logs" / "2026-11-29.log").read_text()
    # The cause comes last, one line per failed task; the traceback is in the log only.
    ending = [line for line in output.splitlines() if line.strip()][-2:]
    assert ending[0].startswith("FAILED ExtractActivities for 2026-11-29: "), ending
    assert "rejected the token" in ending[0]
    assert "Traceback" not in output
    assert "Traceback" in (checkout / "logs" / "2026-11-29.log").read_text()


@pytest.mark.parametrize("date_argument", ["yesterday", "2026-02-30"])
def test_a_bad_date_is_refused_with_a_clear_message(checkout: Path, date_argument: str) -> None:
    result = run_script(checkout, "--date", date_argument)
    assert result.returncode == 2
    assert "YYYY-MM-DD" in result.stdout


def test_a_date_not_over_is_refused_in_one_line(checkout: Path, tmp_path: Path) -> None:
    today = datetime.now().astimezone().date().isoformat()
    result = run_script(checkout, "--demo", "--date", today, ATHLETE_TIMEZONE="Etc/GMT+12")
    assert result.returncode == 2, result.stdout[-3000:]
    assert f"run date {today} is not over yet in the athlete's time zone Etc/GMT+12" in (
        result.stdout)
    assert "Traceback" not in result.stdout
    assert not (checkout / "logs" / f"{today}.log").exists()
