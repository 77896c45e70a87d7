"""Shared fixtures: the sandbox Strava over real HTTP, a fresh DATA_DIR, and a pipeline runner."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, timezone
from pathlib import Path

import luigi
import pytest
from luigi.execution_summary import LuigiStatusCode

from pipeline.sandbox import SandboxServer, SyntheticAthlete
from pipeline.settings import ENVIRONMENT_VARIABLES
from pipeline.strava.clock import SYSTEM_CLOCK

PROJECT_ROOT = Path(__file__).resolve().parent.parent
IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}

RUN_DATE = date(2026, 11, 29)
NEXT_RUN_DATE = date(2026, 12, 6)
ATHLETE_END = datetime(2026, 11, 22, 12, tzinfo=timezone.utc)


def require_server(available: bool, reason: str) -> None:
    """Skip outside CI when a server is missing; under CI=true a missing server fails."""
    if available:
        return
    if IN_CI:
        pytest.fail(f"{reason} (CI=true: servers must be present)")
    pytest.skip(reason)


def port_open(host: str, port: int) -> bool:
    """Whether something listens on host:port."""
    with socket.socket() as probe:
        probe.settimeout(0.5)
        return probe.connect_ex((host, port)) == 0


class FakeClock:
    """Epoch seconds that only move when someone sleeps: rate-limit waits cost no real time."""

    def __init__(self, start: float) -> None:
        self.now = start
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += max(0.0, seconds)


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """No pipeline setting leaks in from the developer's shell; Luigi forgets earlier tasks."""
    for name in ENVIRONMENT_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("LUIGI_CONFIG_PATH", str(PROJECT_ROOT / "luigi.cfg"))
    luigi.task_register.Register.clear_instance_cache()
    yield
    luigi.task_register.Register.clear_instance_cache()


@pytest.fixture
def fake_clock(monkeypatch: pytest.MonkeyPatch) -> FakeClock:
    """A fake clock shared by the sandbox and the pipeline's Strava client."""
    clock = FakeClock(datetime(2026, 11, 29, 9, 3, tzinfo=timezone.utc).timestamp())
    monkeypatch.setattr(SYSTEM_CLOCK, "now", clock)
    monkeypatch.setattr(SYSTEM_CLOCK, "sleep", clock.sleep)
    return clock


@pytest.fixture
def athlete() -> SyntheticAthlete:
    """A fresh synthetic athlete (1,200 activities over 3+ years) that a test may change."""
    return SyntheticAthlete(seed=7, n_activities=1200, end=ATHLETE_END)


@dataclass
class PipelineWorld:
    """Everything a pipeline test touches: the sandbox, its athlete, DATA_DIR, the env."""

    sandbox: SandboxServer
    athlete: SyntheticAthlete
    data_dir: Path
    env: dict[str, str]

    def build(self, *tasks: luigi.Task) -> luigi.execution_summary.LuigiRunResult:
        """Run tasks in-process with a local scheduler; Luigi's summary comes back.

        Afterwards this process lets go of the DuckDB file, as a finished run's process does,
        so that the test can open it read-only.
        """
        from pipeline.backends.duckdb_warehouse import release_all

        luigi.task_register.Register.clear_instance_cache()
        try:
            return luigi.build(
                list(tasks), local_scheduler=True, detailed_summary=True, workers=1,
                log_level="WARNING",
            )
        finally:
            release_all()

    def run_weekly(self, run_date: date = RUN_DATE) -> luigi.execution_summary.LuigiRunResult:
        """Run the whole WeeklyPipeline for a date."""
        from pipeline.tasks import WeeklyPipeline

        return self.build(WeeklyPipeline(run_date=run_date))

    def cli(self, *args: str, extra_env: dict[str, str] | None = None
            ) -> subprocess.CompletedProcess[str]:
        """``luigi --module pipeline.tasks ...`` in a subprocess from the project root."""
        environment = {**os.environ, **self.env, **(extra_env or {})}
        return subprocess.run(
            [sys.executable, "-m", "luigi", "--module", "pipeline.tasks", *args,
             "--local-scheduler"],
            cwd=PROJECT_ROOT, env=environment, capture_output=True, text=True, timeout=600,
        )


def succeeded(result: luigi.execution_summary.LuigiRunResult) -> bool:
    """Whether a luigi.build finished with every task done."""
    return result.status in (LuigiStatusCode.SUCCESS, LuigiStatusCode.SUCCESS_WITH_RETRY)


@pytest.fixture
def world_factory(tmp_path: Path, monkeypatch: pytest.MonkeyPatch
                  ) -> Iterator[Callable[..., PipelineWorld]]:
    """Start a sandbox for an athlete and point the pipeline's environment at it."""
    started: list[SandboxServer] = []

    def make(athlete: SyntheticAthlete, clock: Callable[[], float] | None = None,
             data_dir: Path | None = None, **server_options: object) -> PipelineWorld:
        options = dict(server_options)
        if clock is not None:
            options["clock"] = clock
        server = SandboxServer(athlete, **options)
        server.start()
        started.append(server)
        folder = data_dir or tmp_path / f"data{len(started)}"
        env = {**server.env(), "DATA_DIR": str(folder), "STRAVA_READ_TIMEOUT": "2",
               "STRAVA_CONNECT_TIMEOUT": "2"}
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        return PipelineWorld(server, athlete, folder, env)

    yield make
    for server in started:
        server.stop()


@pytest.fixture
def world(world_factory: Callable[..., PipelineWorld], athlete: SyntheticAthlete,
          fake_clock: FakeClock) -> PipelineWorld:
    """The default athlete in a sandbox sharing the fake clock, and a fresh DATA_DIR."""
    return world_factory(athlete, clock=fake_clock)


def copy_tree(source: Path, destination: Path) -> None:
    """Copy a DATA_DIR (for comparing an interrupted run with an uninterrupted one)."""
    shutil.copytree(source, destination)


# The moment the pipeline takes as "now" in tests (pipeline.run_dates.utc_now): the Monday after
# NEXT_RUN_DATE, so RUN_DATE and NEXT_RUN_DATE are over whatever the real date; a test moves it
# with the pipeline_now fixture. Subprocesses use the real clock.
PIPELINE_NOW = datetime(2026, 12, 7, 12, tzinfo=timezone.utc)


class PipelineNow:
    """The pipeline's current moment in a test; set ``moment`` to move it."""

    def __init__(self, moment: datetime) -> None:
        self.moment = moment

    def __call__(self) -> datetime:
        return self.moment


@pytest.fixture(autouse=True)
def pipeline_now(monkeypatch: pytest.MonkeyPatch) -> PipelineNow:
    """Pin the run-date rule's clock to PIPELINE_NOW (deterministic "is the date over")."""
    from pipeline import run_dates

    now = PipelineNow(PIPELINE_NOW)
    monkeypatch.setattr(run_dates, "utc_now", now)
    return now
