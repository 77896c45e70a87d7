"""The kudos model on the sandbox athlete (its kudos depend on distance, intent, visibility):
quality against baselines, champion/challenger, reruns, skips, tampered files, leakage, CLI."""

from __future__ import annotations

import io
import os
import pickle
import shutil
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager, redirect_stderr, redirect_stdout
from dataclasses import dataclass
from datetime import date, datetime, timezone
from pathlib import Path

import duckdb
import luigi
import numpy as np
import pandas as pd
import pytest
import skops.io as sio
from luigi.execution_summary import LuigiStatusCode

from pipeline.backends import open_lake, open_warehouse
from pipeline.backends.duckdb_warehouse import release_all
from pipeline.kudos.__main__ import main as kudos_main
from pipeline.kudos.store import (
    TRUSTED_TYPES,
    ModelRefused,
    load_model,
    load_model_bytes,
    model_bytes,
)
from pipeline.kudos.tables import current_champion
from pipeline.sandbox import SandboxServer, SyntheticAthlete
from pipeline.settings import ENVIRONMENT_VARIABLES, ConfigurationError, load_settings
from tests.conftest import ATHLETE_END, PROJECT_ROOT, RUN_DATE

MODEL_DIR = Path("lake/models/kudos/2026-11-29")


@dataclass
class KudosWorld:
    """A DATA_DIR after WeeklyPipeline(RUN_DATE) and the environment that points at it."""

    data_dir: Path
    env: dict[str, str]
    run_week_id: int

    def rows(self, sql: str, params: list | None = None) -> list[tuple]:
        release_all()  # the warehouse adapter keeps the file open in this process
        with duckdb.connect(str(self.data_dir / "warehouse.duckdb"), read_only=True) as db:
            return db.execute(sql, params or []).fetchall()

    def execute(self, sql: str, params: list | None = None) -> None:
        release_all()
        with duckdb.connect(str(self.data_dir / "warehouse.duckdb")) as db:
            db.execute(sql, params or [])

    def runs(self) -> pd.DataFrame:
        release_all()
        with duckdb.connect(str(self.data_dir / "warehouse.duckdb"), read_only=True) as db:
            return db.execute("SELECT * FROM kudos_model_runs ORDER BY trained_at, "
                              "model_version").df()

    def copy(self, folder: Path) -> KudosWorld:
        release_all()
        shutil.copytree(self.data_dir, folder)
        return KudosWorld(folder, {**self.env, "DATA_DIR": str(folder)}, self.run_week_id)

    def cli(self, *args: str) -> subprocess.CompletedProcess[str]:
        """``python -m pipeline.kudos ...`` in a child process, from another directory."""
        release_all()  # so the child need not wait for this process's open warehouse
        return subprocess.run([sys.executable, "-m", "pipeline.kudos", *args],
                              cwd=self.data_dir.parent, env={**os.environ, **self.env},
                              capture_output=True, text=True, timeout=300)

    def command(self, *args: str) -> subprocess.CompletedProcess[str]:
        """The same command in this process (fast): exit code, stdout and stderr."""
        out, err = io.StringIO(), io.StringIO()
        with environment(self.env), redirect_stdout(out), redirect_stderr(err):
            try:
                code = kudos_main(list(args))
            except SystemExit as stop:
                code = int(stop.code or 0)
        return subprocess.CompletedProcess(list(args), code, out.getvalue(), err.getvalue())


@contextmanager
def environment(env: dict[str, str]) -> Iterator[None]:
    with pytest.MonkeyPatch.context() as patch:
        for name in ENVIRONMENT_VARIABLES:
            patch.delenv(name, raising=False)
        patch.setenv("LUIGI_CONFIG_PATH", str(PROJECT_ROOT / "luigi.cfg"))
        for name, value in env.items():
            patch.setenv(name, value)
        luigi.task_register.Register.clear_instance_cache()
        yield
        luigi.task_register.Register.clear_instance_cache()


def build(*tasks: luigi.Task) -> luigi.execution_summary.LuigiRunResult:
    luigi.task_register.Register.clear_instance_cache()
    return luigi.build(list(tasks), local_scheduler=True, detailed_summary=True, workers=1,
                       log_level="WARNING")


def ok(result: luigi.execution_summary.LuigiRunResult) -> bool:
    return result.status in (LuigiStatusCode.SUCCESS, LuigiStatusCode.SUCCESS_WITH_RETRY)


def run_pipeline(athlete: SyntheticAthlete, data_dir: Path) -> dict[str, str]:
    """WeeklyPipeline(RUN_DATE) over the sandbox; returns the environment used."""
    from pipeline.tasks import WeeklyPipeline

    with SandboxServer(athlete) as server:
        env = {**server.env(), "DATA_DIR": str(data_dir)}
        with environment(env):
            result = build(WeeklyPipeline(run_date=RUN_DATE))
        assert ok(result), result.summary_text
    return env


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> KudosWorld:
    athlete = SyntheticAthlete(seed=7, n_activities=1200, end=ATHLETE_END)
    in_run_week = athlete.add_activity(datetime(2026, 11, 25, 12, tzinfo=timezone.utc), "Run")
    data_dir = tmp_path_factory.mktemp("kudos") / "data"
    env = run_pipeline(athlete, data_dir)
    return KudosWorld(data_dir, env, in_run_week["id"])


class _Payload:
    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple:
        return (Path.touch, (self.marker,))


def test_a_pickle_swapped_into_the_lake_is_refused_and_never_runs(
        world: KudosWorld, tmp_path: Path) -> None:
    copy = world.copy(tmp_path / "data")
    marker = tmp_path / "pwned"
    (copy.data_dir / MODEL_DIR / "model.skops").write_bytes(pickle.dumps(_Payload(marker)))
    answer = copy.command("predict", "--sport-type", "Run", "--distance-km", "10",
                      "--moving-minutes", "50")
    assert answer.returncode == 1
    lines = answer.stderr.strip().splitlines()
    assert len(lines) == 1 and "refused" in lines[0] and "SHA-256" in lines[0]
    assert not marker.exists()
    # Even with a matching digest (an attacker who also edited the warehouse) it is no skops.
    with pytest.raises(ModelRefused, match="not a skops file"):
        load_model_bytes(pickle.dumps(_Payload(marker)), None, "test model")
    assert not marker.exists()


def _champion_bytes(world: KudosWorld) -> bytes:
    return (world.data_dir / MODEL_DIR / "model.skops").read_bytes()


def test_untrusted_types_and_out_of_range_trees_are_refused(world: KudosWorld) -> None:
    loaded = sio.loads(_champion_bytes(world), trusted=TRUSTED_TYPES)
    smuggled = sio.dumps({**loaded, "hook": os.system})
    with pytest.raises(ModelRefused, match="untrusted types .*system"):
        load_model_bytes(smuggled, None, "test model")

    tree = loaded["estimator"]._predictors[0][0]
    inner = np.flatnonzero(tree.nodes["is_leaf"] == 0)[0]
    tree.nodes["left"][inner] = 10**6  # would read far outside the node array
    with pytest.raises(ModelRefused, match="outside its node array"):
        load_model_bytes(sio.dumps(loaded), None, "test model")


def test_kudos_min_activities_is_a_checked_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KUDOS_MIN_ACTIVITIES", "50")
    assert load_settings().kudos_min_activities == 50
    monkeypatch.setenv("KUDOS_MIN_ACTIVITIES", "lots")
    with pytest.raises(ConfigurationError, match="KUDOS_MIN_ACTIVITIES='lots' is not a number"):
        load_settings()


def test_model_bytes_round_trip_through_the_checks(world: KudosWorld) -> None:
    with environment(world.env):
        settings = load_settings()
        champion = current_champion(open_warehouse(settings.warehouse_url))
        assert champion is not None
        model = load_model(open_lake(settings.lake_url), champion.model_version,
                           champion.model_sha256)
    data = model_bytes(model)
    assert data == model_bytes(model)  # no memory addresses or clock times in the file
    again = load_model_bytes(data, None, "round trip")
    assert again.categories == model.categories
    assert date.fromisoformat(champion.model_version) == RUN_DATE


def test_a_champion_made_for_other_features_is_unavailable_not_tampered(
        world: KudosWorld) -> None:
    from pipeline.kudos.store import ModelUnavailable

    loaded = sio.loads(_champion_bytes(world), trusted=TRUSTED_TYPES)
    older = sio.dumps({**loaded, "features": loaded["features"][:-1]})
    with pytest.raises(ModelUnavailable, match="trained on other features"):
        load_model_bytes(older, None, "test model")
