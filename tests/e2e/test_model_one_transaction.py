"""A table model is built, tested and swapped in one transaction when its tests pass (issue 23:
one commit instead of two); a test that cannot run or fails takes the step-by-step way, with
the same outcomes as before."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

import pytest

from pipeline.backends import open_warehouse
from pipeline.backends.warehouse import Session, Warehouse
from pipeline.tasks.models import BuildModel
from tests.conftest import RUN_DATE, PipelineWorld, succeeded
from tests.e2e.test_model_layers import copy_of_models
from tests.support.backends import pg_url, postgres_database
from tests.support.models import craft_athlete


def test_a_passing_table_model_is_one_transaction(
        world_factory: Callable[..., PipelineWorld], monkeypatch: pytest.MonkeyPatch) -> None:
    world = world_factory(craft_athlete()[0])
    assert succeeded(world.run_weekly(RUN_DATE))
    warehouse = open_warehouse(f"duckdb:///{world.data_dir}/warehouse.duckdb")
    before = warehouse.query("SELECT * FROM activity_log ORDER BY id")
    task = BuildModel(run_date=RUN_DATE, model="activity_log")
    with warehouse.transaction() as session:  # built again, as a forced rerun does
        session.execute("DELETE FROM table_updates WHERE update_id = :u", {"u": task.update_id})
        session.execute("DELETE FROM validation_results WHERE run_date = :d", {"d": RUN_DATE})
    assert not task.output().exists()
    opened: list[str] = []
    real = type(warehouse).transaction

    @contextmanager
    def counted(self: Warehouse) -> Iterator[Session]:
        opened.append("write")
        with real(self) as session:
            yield session

    monkeypatch.setattr(type(warehouse), "transaction", counted)
    task.set_status_message = lambda message: None  # no Luigi worker around it
    task.run()
    monkeypatch.undo()
    assert opened == ["write"]  # candidate, its tests, the swap and the marker: one commit
    assert warehouse.query("SELECT * FROM activity_log ORDER BY id") == before
    assert task.output().exists()
    tables = {row[0] for row in warehouse.query(
        "SELECT table_name FROM information_schema.tables")}
    assert f"activity_log__next_{RUN_DATE:%Y%m%d}" not in tables
    tested = warehouse.query("SELECT check_name, status FROM validation_results"
                             " WHERE run_date = :run_date", {"run_date": RUN_DATE})
    assert ("activity_log_one_row_per_activity", "pass") in tested


@pytest.mark.parametrize("backend", ["duckdb", "postgresql"])
def test_a_test_that_cannot_run_is_recorded_and_the_build_goes_on(
        world_factory: Callable[..., PipelineWorld], tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch, backend: str) -> None:
    folder = copy_of_models(tmp_path, monkeypatch)
    with (folder / "marts" / "model_tests.ini").open("a", encoding="utf-8") as tests:
        tests.write("\n[activity_log_no_such_column]\nmodel = activity_log\n"
                    "test = expression\nsql = SELECT COUNT(*) FROM {{ this }} WHERE nowhere = 1\n"
                    "severity = warn\n")
    world = world_factory(craft_athlete()[0])
    with ExitStack() as stack:
        url = f"duckdb:///{world.data_dir}/warehouse.duckdb"
        if backend == "postgresql":  # its transaction is spoilt by the error: rolled back
            url = pg_url(stack.enter_context(postgres_database()))
            monkeypatch.setenv("WAREHOUSE_URL", url)
        assert succeeded(world.run_weekly(RUN_DATE))
        warehouse = open_warehouse(url)
        checks = dict(warehouse.query(
            "SELECT check_name, status FROM validation_results WHERE run_date = :run_date",
            {"run_date": RUN_DATE}))
        # The error (a warn test) is kept; the other test of the model ran on its own, passed.
        assert checks["activity_log_no_such_column"] == "error"
        assert checks["activity_log_one_row_per_activity"] == "pass"
        assert warehouse.query("SELECT COUNT(*) FROM activity_log")[0][0] == \
            warehouse.query("SELECT COUNT(*) FROM stg_activities")[0][0] > 0
        tables = {row[0] for row in warehouse.query(
            "SELECT table_name FROM information_schema.tables")}
        assert f"activity_log__next_{RUN_DATE:%Y%m%d}" not in tables
