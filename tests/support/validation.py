"""Shared pieces of the validation and Slack tests: a small athlete whose last week is the run's
week, a staged DATA_DIR built once per module, and readers of the warehouse's tables."""

from __future__ import annotations

from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any

import duckdb
import luigi
import pytest

from pipeline.backends import open_warehouse
from pipeline.backends.duckdb_warehouse import release_all
from pipeline.sandbox import SandboxServer, SyntheticAthlete
from pipeline.settings import ENVIRONMENT_VARIABLES
from pipeline.tasks import CopyToStaging
from tests.conftest import PROJECT_ROOT, copy_tree, succeeded

RUN_DATE = date(2026, 11, 29)
ATHLETE_END = datetime(2026, 11, 29, 12, tzinfo=timezone.utc)
STAGING = "staging_strava_activity_data_20261129"


def validation_athlete() -> SyntheticAthlete:
    """300 activities ending in the run's week (23-29 November 2026), a normal week for it.

    A seed whose run's week is normal: the athlete's weeks never depend on where its history
    ends, so the last week is not forced to hold activities (seed 3's holds two)."""
    return SyntheticAthlete(seed=3, n_activities=300, end=ATHLETE_END)


@pytest.fixture(scope="module", name="staged")
def fixture_staged(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A DATA_DIR where the run date of validation_athlete() is extracted, in the lake, staged."""
    data_dir = tmp_path_factory.mktemp("staged") / "data"
    athlete = validation_athlete()
    with SandboxServer(athlete) as server, pytest.MonkeyPatch.context() as patch:
        for name in ENVIRONMENT_VARIABLES:
            patch.delenv(name, raising=False)
        for name, value in {**server.env(), "DATA_DIR": str(data_dir),
                            "LUIGI_CONFIG_PATH": str(PROJECT_ROOT / "luigi.cfg")}.items():
            patch.setenv(name, value)
        luigi.task_register.Register.clear_instance_cache()
        assert luigi.build([CopyToStaging(run_date=RUN_DATE)], local_scheduler=True,
                           log_level="WARNING")
    luigi.task_register.Register.clear_instance_cache()
    release_all()
    return data_dir


def build(*tasks: luigi.Task) -> bool:
    """Run tasks with a local scheduler; whether all succeeded."""
    luigi.task_register.Register.clear_instance_cache()
    try:
        return succeeded(luigi.build(list(tasks), local_scheduler=True, detailed_summary=True,
                                     log_level="WARNING"))
    finally:
        release_all()


def staged_copy(staged: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A private copy of the staged DATA_DIR, made the DATA_DIR in force."""
    data_dir = tmp_path / "data"
    copy_tree(staged, data_dir)
    monkeypatch.setenv("DATA_DIR", str(data_dir))
    return data_dir


def db_connection(data_dir: Path) -> duckdb.DuckDBPyConnection:
    """A read-only connection to a DATA_DIR's DuckDB warehouse."""
    return duckdb.connect(str(data_dir / "warehouse.duckdb"), read_only=True)


def results(data_dir: Path, run_date: date = RUN_DATE) -> dict[str, dict[str, Any]]:
    """The latest validation_results row of each check of a run date."""
    with db_connection(data_dir) as db:
        cursor = db.execute("SELECT * FROM validation_results WHERE run_date = ? "
                            "ORDER BY checked_at", [run_date])
        names = [column[0] for column in cursor.description]
        rows = [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
    return {row["check_name"]: row for row in rows}


def markers(data_dir: Path) -> set[str]:
    """Every update_id in table_updates."""
    with db_connection(data_dir) as db:
        return {row[0] for row in db.execute("SELECT update_id FROM table_updates").fetchall()}


def tables(data_dir: Path) -> set[str]:
    """Every table name in the warehouse."""
    with db_connection(data_dir) as db:
        return {row[0] for row in db.execute(
            "SELECT table_name FROM information_schema.tables").fetchall()}


def change_staging(data_dir: Path, *statements: str) -> None:
    """Run statements on the warehouse through its adapter (crafting a bad staging table)."""
    warehouse = open_warehouse(f"duckdb:///{data_dir}/warehouse.duckdb")
    with warehouse.transaction() as session:
        for statement in statements:
            session.execute(statement)
