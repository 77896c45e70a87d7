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

from pipeline import status
from pipeline.backends import open_warehouse
from pipeline.sandbox import SyntheticAthlete
from pipeline.settings import load_settings
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
from tests.support.operations import Luigid, free_port, luigid_path, watermarks


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
