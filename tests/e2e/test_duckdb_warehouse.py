"""The DuckDB adapter keeps one database open per process and lets other processes in when idle."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest

from pipeline.backends.duckdb_warehouse import (
    DuckDBWarehouse,
    WarehouseBusyError,
    release_all,
)


def warehouse_at(folder: Path, **options: float) -> DuckDBWarehouse:
    path = folder / "warehouse.duckdb"
    warehouse = DuckDBWarehouse(f"duckdb:///{path}", path, **options)
    warehouse.ensure_schema()
    return warehouse


def other_process_reads(path: Path) -> subprocess.CompletedProcess[str]:
    """Open the file read-only from another process, once, without waiting."""
    code = ("import duckdb, sys; "
            "print(duckdb.connect(sys.argv[1], read_only=True)"
            ".execute('SELECT COUNT(*) FROM table_updates').fetchone()[0])")
    return subprocess.run([sys.executable, "-c", code, str(path)], capture_output=True,
                          text=True, timeout=60)


def test_another_process_reads_the_file_once_this_one_is_idle(tmp_path: Path) -> None:
    warehouse = warehouse_at(tmp_path)
    with warehouse.transaction() as session:
        warehouse.write_marker(session, "Stage(2026-11-29)", "strava_activity_data")
        busy = other_process_reads(warehouse.path)
    assert busy.returncode != 0 and "lock" in busy.stderr.lower()

    deadline = time.monotonic() + 15
    while (free := other_process_reads(warehouse.path)).returncode != 0:
        assert time.monotonic() < deadline, f"the file stayed locked: {free.stderr[-300:]}"
        time.sleep(0.2)
    assert free.stdout.strip() == "1"

    assert warehouse.marker_exists("Stage(2026-11-29)")  # opens the database again
    release_all()
    assert other_process_reads(warehouse.path).returncode == 0


def test_a_file_held_by_another_process_ends_in_a_one_line_error(tmp_path: Path) -> None:
    path = tmp_path / "warehouse.duckdb"
    holder = subprocess.Popen(
        [sys.executable, "-c", "import duckdb, sys, time; c = duckdb.connect(sys.argv[1]); "
         "print('open', flush=True); time.sleep(60)", str(path)],
        stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "open"
        warehouse = DuckDBWarehouse(f"duckdb:///{path}", path, lock_wait_seconds=1)
        with pytest.raises(WarehouseBusyError) as error:
            warehouse.query("SELECT 1")
        message = str(error.value)
        assert "\n" not in message
        assert f"stayed locked by another process (PID {holder.pid})" in message
        assert "wait for it to finish" in message
    finally:
        holder.kill()
        holder.wait(30)
    assert DuckDBWarehouse(f"duckdb:///{path}", path).query("SELECT 1") == [(1,)]
