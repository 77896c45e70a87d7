"""The DuckDB adapter keeps one database open per process and lets other processes in when idle."""

from __future__ import annotations

import multiprocessing
from pathlib import Path

from pipeline.backends.duckdb_warehouse import (
    DuckDBWarehouse,
)
from pipeline.sql_files import TABLES


def warehouse_at(folder: Path, **options: float) -> DuckDBWarehouse:
    path = folder / "warehouse.duckdb"
    warehouse = DuckDBWarehouse(f"duckdb:///{path}", path, **options)
    warehouse.ensure_schema()
    return warehouse


def mark(warehouse: DuckDBWarehouse, update_id: str) -> None:
    with warehouse.transaction() as session:
        warehouse.write_marker(session, update_id, TABLES["marker_table"])


def test_marker_reads_follow_every_change(tmp_path: Path) -> None:
    warehouse = warehouse_at(tmp_path)
    assert not warehouse.marker_exists("CopyToStaging(2026-11-29)")
    mark(warehouse, "CopyToStaging(2026-11-29)")
    mark(warehouse, "ValidateStaging(2026-11-29,row_count)")
    assert warehouse.marker_exists("CopyToStaging(2026-11-29)")
    assert warehouse.marker_exists("ValidateStaging(2026-11-29,row_count)")

    warehouse.quarantine_staging(None, "", ["CopyToStaging(2026-11-29)"],
                                 "ValidateStaging(2026-11-29,")
    assert not warehouse.marker_exists("CopyToStaging(2026-11-29)")
    assert not warehouse.marker_exists("ValidateStaging(2026-11-29,row_count)")

    # Another adapter object for the same file shares the process's database and its reads.
    twin = DuckDBWarehouse(warehouse.url, warehouse.path)
    mark(twin, "LoadProduction(2026-11-29)")
    assert warehouse.marker_exists("LoadProduction(2026-11-29)")


def _mark_in_child(folder: str) -> None:
    mark(warehouse_at(Path(folder)), "FromChild(2026-11-29)")


def test_a_forked_worker_process_opens_its_own_database(tmp_path: Path) -> None:
    # Luigi runs tasks in forked processes when --workers > 1.
    warehouse = warehouse_at(tmp_path)
    mark(warehouse, "FromParent(2026-11-29)")
    child = multiprocessing.get_context("fork").Process(target=_mark_in_child,
                                                        args=(str(tmp_path),))
    child.start()
    child.join(60)
    assert child.exitcode == 0
    assert warehouse.marker_exists("FromChild(2026-11-29)")
    assert warehouse.marker_exists("FromParent(2026-11-29)")


def test_a_marker_read_outlives_transactions_that_only_write_markers(tmp_path: Path) -> None:
    # Issue 23: a backfill week's stages each commit a marker; the read of every marker id is
    # extended by those ids, and dropped by any other statement naming the marker table.
    warehouse = warehouse_at(tmp_path)
    database = warehouse._database
    assert not warehouse.marker_exists("CopyToStaging(2026-11-29)")
    mark(warehouse, "CopyToStaging(2026-11-29)")
    assert database.markers is not None and "CopyToStaging(2026-11-29)" in database.markers
    assert warehouse.marker_exists("CopyToStaging(2026-11-29)")

    with warehouse.transaction() as session:
        session.execute(f"DELETE FROM {TABLES['marker_table']}")
    assert database.markers is None
    assert not warehouse.marker_exists("CopyToStaging(2026-11-29)")

    try:
        with warehouse.transaction() as session:
            warehouse.write_marker(session, "LoadProduction(2026-11-29)", "x")
            raise RuntimeError("rolled back")
    except RuntimeError:
        pass
    assert database.markers is None
    assert not warehouse.marker_exists("LoadProduction(2026-11-29)")


def test_a_marker_read_is_dropped_when_another_transaction_overlaps(tmp_path: Path) -> None:
    warehouse = warehouse_at(tmp_path)
    assert not warehouse.marker_exists("A(2026-11-29)")
    with warehouse.transaction() as outer:
        mark(warehouse, "B(2026-11-29)")  # begun and committed inside the outer one
        warehouse.write_marker(outer, "A(2026-11-29)", "x")
    assert warehouse._database.markers is None
    assert warehouse.marker_exists("A(2026-11-29)")
    assert warehouse.marker_exists("B(2026-11-29)")
