"""DuckDB keeps a staging load in its write-ahead log until the merge (issue 23): the staging
commit does not checkpoint its rows into the file, a kill then loses nothing, and the merge's
commit checkpoints production without them."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from benchmarks.loads import write_rows
from pipeline.backends import open_lake, open_warehouse
from pipeline.backends.duckdb_warehouse import release_all
from tests.support.backends import KEY, STAGING

# Enough rows for DuckDB to checkpoint them at the staging commit without the deferral (it
# does from about 60,000 of these rows: a 16 MiB log and more).
ROWS = 80_000

_KILLED_AFTER_STAGING = """
import os, signal, sys
from pipeline.backends import open_lake, open_warehouse
folder = sys.argv[1]
warehouse = open_warehouse(f"duckdb:///{folder}/w.duckdb")
warehouse.ensure_schema()
rows = warehouse.load_staging(open_lake(f"file://{folder}/lake"), sys.argv[2], sys.argv[3],
                              "CopyToStaging(2026-11-29)")
print(rows, flush=True)
os.kill(os.getpid(), signal.SIGKILL)  # no close, no checkpoint, no atexit
"""


@pytest.fixture
def staged_lake(tmp_path: Path) -> Path:
    extract = tmp_path / "activities.csv"
    write_rows(extract, ROWS)
    open_lake(f"file://{tmp_path}/lake").put_file(extract, KEY)
    return tmp_path


def wal(folder: Path) -> Path:
    return folder / "w.duckdb.wal"


def test_the_staging_commit_logs_its_rows_and_the_merge_checkpoints(staged_lake: Path) -> None:
    warehouse = open_warehouse(f"duckdb:///{staged_lake}/w.duckdb")
    warehouse.ensure_schema()
    assert warehouse.load_staging(open_lake(f"file://{staged_lake}/lake"), KEY, STAGING,
                                  "CopyToStaging(2026-11-29)") == ROWS
    assert wal(staged_lake).stat().st_size > 16 * 2**20  # in the log, not rewritten into the file
    assert warehouse.query(f"SELECT COUNT(*) FROM {STAGING}") == [(ROWS,)]

    warehouse.merge_staging(STAGING, "LoadProduction(2026-11-29)")
    assert not wal(staged_lake).exists() or wal(staged_lake).stat().st_size < 2**20
    assert warehouse.query("SELECT COUNT(*) FROM strava_activity_data") == [(ROWS,)]
    assert not warehouse.table_exists(STAGING)
    assert warehouse.query("SELECT current_setting('checkpoint_threshold')") == [("16.0 MiB",)]
    release_all()


def test_a_staging_dropped_unmerged_never_reaches_the_file(staged_lake: Path) -> None:
    """The reconciliation, the webhook batches and the archive import drop staging with
    ``drop_table`` after their merge: that commit checkpoints, without the staging rows."""
    warehouse = open_warehouse(f"duckdb:///{staged_lake}/w.duckdb")
    warehouse.ensure_schema()
    warehouse.load_staging(open_lake(f"file://{staged_lake}/lake"), KEY, STAGING,
                           "CopyToStaging(2026-11-29)")
    warehouse.drop_table(STAGING)
    assert not wal(staged_lake).exists() or wal(staged_lake).stat().st_size < 2**20
    assert (staged_lake / "w.duckdb").stat().st_size < 8 * 2**20  # checkpointed, they took 25 MiB
    release_all()


def test_a_kill_after_the_staging_commit_keeps_the_staged_rows(staged_lake: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-c", _KILLED_AFTER_STAGING, str(staged_lake), KEY, STAGING],
        capture_output=True, text=True, timeout=300, cwd=Path(__file__).parents[2])
    assert done.returncode == -9, done.stderr[-2000:]
    assert done.stdout.strip() == str(ROWS)
    assert wal(staged_lake).stat().st_size > 16 * 2**20  # the kill left the rows in the log

    warehouse = open_warehouse(f"duckdb:///{staged_lake}/w.duckdb")  # replays the log
    assert warehouse.marker_exists("CopyToStaging(2026-11-29)")
    assert warehouse.query(f"SELECT COUNT(*), COUNT(DISTINCT id) FROM {STAGING}") == [(ROWS, ROWS)]
    warehouse.merge_staging(STAGING, "LoadProduction(2026-11-29)")
    assert warehouse.query("SELECT COUNT(*) FROM strava_activity_data") == [(ROWS,)]
    release_all()
