"""The status command and what runs rely on: credentials, the scheduler, the sandbox's folder,
the end-of-run summary and the run date ./run_weekly.sh asks for."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

import luigi
import pytest

from pipeline import preflight, status
from pipeline.backends import open_warehouse
from pipeline.cli import summary_lines
from pipeline.sandbox import SyntheticAthlete, sandbox_environment
from pipeline.settings import ConfigurationError, load_settings
from pipeline.tasks import UploadToLake, WeeklyPipeline
from tests.conftest import (
    ATHLETE_END,
    NEXT_RUN_DATE,
    PROJECT_ROOT,
    RUN_DATE,
    FakeClock,
    PipelineWorld,
    require_server,
    succeeded,
)
from tests.operations_support import Luigid, free_port, luigid_path, watermarks


@pytest.fixture
def small_world(world_factory: Callable[..., PipelineWorld], fake_clock: FakeClock
                ) -> PipelineWorld:
    """A small athlete on the fake clock and a fresh DATA_DIR."""
    return world_factory(SyntheticAthlete(seed=17, n_activities=250, end=ATHLETE_END),
                         clock=fake_clock)


def status_output(capsys: pytest.CaptureFixture[str], *args: str) -> str:
    assert status.main(list(args)) == 0
    return capsys.readouterr().out


def table_row(output: str, run_date: object) -> str:
    return next(line for line in output.splitlines() if line.startswith(str(run_date)))


def test_status_shows_stages_watermark_and_latest_validation_per_run_date(
    small_world: PipelineWorld, capsys: pytest.CaptureFixture[str]
) -> None:
    assert "No runs yet" in status_output(capsys)

    assert succeeded(small_world.run_weekly(RUN_DATE))
    luigi.task_register.Register.clear_instance_cache()
    assert succeeded(small_world.build(UploadToLake(run_date=NEXT_RUN_DATE)))

    total = len([t for t in status.graph_tasks(WeeklyPipeline(run_date=RUN_DATE))
                 if not isinstance(t, luigi.WrapperTask)])
    (watermark,) = [w for d, w in watermarks(small_world.data_dir) if d == RUN_DATE]
    output = status_output(capsys)
    first = table_row(output, RUN_DATE)
    assert f"{total}/{total}" in first and "(all done)" in first
    assert watermark.strftime("%Y-%m-%d %H:%M:%S") in first
    assert " pass" in first
    second = table_row(output, NEXT_RUN_DATE)
    assert f"2/{total}" in second and "not recorded" in second
    assert second.rstrip().endswith("CopyToStaging")
    assert output.index(str(NEXT_RUN_DATE)) < output.index(str(RUN_DATE))  # newest first

    # A check that failed and then passed on a rerun shows its latest outcome only.
    warehouse = open_warehouse(load_settings().warehouse_url)
    for status_value, minute in (("fail", 1), ("pass", 2)):
        warehouse.record_validations([{
            "run_date": NEXT_RUN_DATE, "check_name": "no_null_keys", "left_value": 0.0,
            "right_value": 0.0, "operator": "equals", "severity": "halt",
            "status": status_value, "message": f"outcome {status_value}",
            "checked_at": datetime(2026, 12, 6, 0, minute)}])
    detail = status_output(capsys, "--date", NEXT_RUN_DATE.isoformat())
    assert "  done     ExtractActivities" in detail
    assert "  MISSING  CopyToStaging" in detail
    assert "watermark: not recorded" in detail
    assert "validation (latest per check): 1 pass" in detail
    assert "outcome pass" in detail and "outcome fail" not in detail

    detail = status_output(capsys, "--date", RUN_DATE.isoformat(), "--limit", "1")
    assert "and 1 older run dates" in detail
    assert f"{total} of {total} stages finished" in detail
    assert "  done     LoadProduction               marked " in detail
    assert f"watermark: {watermark:%Y-%m-%d %H:%M:%S} (recorded " in detail


def test_status_rejects_a_bad_date(capsys: pytest.CaptureFixture[str]) -> None:
    assert status.main(["--date", "29.11.2026"]) == 2
    assert "YYYY-MM-DD" in capsys.readouterr().err


def test_credentials_are_a_refresh_token_or_a_token_store(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DATA_DIR", str(tmp_path))
    assert preflight.strava_setup(load_settings()) == "none"  # ./run_weekly.sh: the demo
    monkeypatch.setenv("STRAVA_CLIENT_ID", "12345")
    assert preflight.strava_setup(load_settings()) == "incomplete"  # a real run that says why
    (tmp_path / "strava_tokens.json").write_text("{}")
    assert preflight.strava_setup(load_settings()) == "strava"
    (tmp_path / "strava_tokens.json").unlink()
    monkeypatch.setenv("STRAVA_REFRESH_TOKEN", "x")
    assert preflight.strava_setup(load_settings()) == "strava"


def test_sandbox_environment_keeps_every_location_in_its_own_folder_beside_data(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)  # the checkout's folder, whatever the working directory
    env = sandbox_environment()
    root = PROJECT_ROOT / "sandbox-data"
    assert env["DATA_DIR"] == str(root)
    assert env["LAKE_URL"] == f"file://{root}/lake"
    assert env["STATE_URL"] == f"sqlite://{root}/state.db"
    assert env["WAREHOUSE_URL"] == f"duckdb://{root}/warehouse.duckdb"
    assert env["SLACK_WEBHOOK_URL"] == ""
    real = load_settings().data_dir
    assert real == PROJECT_ROOT / "data"
    assert real not in root.parents and root not in real.parents

    monkeypatch.setenv("DATA_DIR", str(PROJECT_ROOT))
    with pytest.raises(ConfigurationError, match="contains the sandbox's folder"):
        sandbox_environment()


def test_summary_names_the_warehouse_and_the_dashboard_when_it_exists(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DATA_DIR", str(tmp_path))
    monkeypatch.setenv("WAREHOUSE_URL", "postgresql://etl:s3cret@db.example/strava")
    settings = load_settings()
    lines = summary_lines(settings, RUN_DATE)
    assert lines[0] == "Warehouse: postgresql://etl:***@db.example/strava"
    assert lines[1].startswith("Dashboard: not built for 2026-11-29")
    dashboard = tmp_path / "reports" / "2026-11-29" / "dashboard.html"
    dashboard.parent.mkdir(parents=True)
    dashboard.write_text("<html></html>")
    lines = summary_lines(settings, RUN_DATE, demo=True)
    assert lines[1] == f"Dashboard: {dashboard}"
    # A command that works without activating the environment: the console script's path.
    shown = lines[2].removeprefix("Status:    ").removesuffix(" status --demo")
    assert Path(shown).absolute() == Path(sys.executable).parent / "strava-pipeline"


def in_a_new_process(code: str, *args: str, config: Path | None = None
                     ) -> subprocess.CompletedProcess[str]:
    """Python ``code`` in a fresh process (Luigi reads its configuration once per process)."""
    environment = dict(os.environ)
    if config is not None:
        environment["LUIGI_CONFIG_PATH"] = str(config)
    return subprocess.run([sys.executable, "-c", code, *args], cwd=PROJECT_ROOT,
                          env=environment, capture_output=True, text=True, timeout=60)


SCHEDULER_CHECK = ("import sys; from pipeline.scheduler import scheduler_answers, scheduler_url; "
                   "url = scheduler_url(); print(url); "
                   "sys.exit(0 if scheduler_answers(url) else 1)")
RUN_DATE_COMMAND = ("import sys; from pipeline.cli import main; "
                    "sys.exit(main(['run-date', *sys.argv[1:]]))")


def test_scheduler_check_asks_luigi_for_the_documented_settings(tmp_path: Path) -> None:
    require_server(luigid_path() is not None, "luigid is not installed")
    scheduler = Luigid(tmp_path / "luigid")
    config = tmp_path / "luigi.cfg"
    scheduler.start()
    try:
        config.write_text(
            f"[core]\ndefault_scheduler_host = 127.0.0.1\n"
            f"default_scheduler_port = {scheduler.port}\n")
        answered = in_a_new_process(SCHEDULER_CHECK, config=config)
        assert answered.returncode == 0
        assert answered.stdout.strip() == f"http://127.0.0.1:{scheduler.port}/"
    finally:
        scheduler.stop()
    config.write_text(f"[core]\ndefault_scheduler_host = 127.0.0.1\n"
                      f"default_scheduler_port = {free_port()}\n")
    assert in_a_new_process(SCHEDULER_CHECK, config=config).returncode == 1


def test_check_date() -> None:
    assert in_a_new_process(RUN_DATE_COMMAND, "2026-11-29").returncode == 0
    refused = in_a_new_process(RUN_DATE_COMMAND, "2026-02-30")
    assert refused.returncode == 2
    assert "write it as YYYY-MM-DD" in refused.stderr
