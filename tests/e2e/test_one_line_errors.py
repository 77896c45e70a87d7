"""Faults of the machine (a read-only DATA_DIR) are one line that names the place and the fix."""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.helpers import as_unprivileged
from tests.support.operations import luigi_command

OPEN_STATE = """
import sys
from pathlib import Path
from pipeline.backends.state import SqliteStateStore
path = Path(sys.argv[1])
try:
    SqliteStateStore("sqlite://" + str(path), path).history()
except Exception as error:
    print(type(error).__name__ + ": " + str(error))
    raise SystemExit(1)
"""


@pytest.fixture
def read_only_data_dir() -> Iterator[Path]:
    """A DATA_DIR that an unprivileged user can read but not write, holding a state file."""
    folder = Path(tempfile.mkdtemp(prefix="read-only-data-"))
    sqlite3.connect(folder / "state.db").close()
    for path in (folder / "state.db", folder):
        path.chmod(0o755 if path.is_dir() else 0o644)
    yield folder
    shutil.rmtree(folder)


@pytest.mark.parametrize("name", ["state.db", "missing/state.db"])
def test_a_state_store_in_a_read_only_data_dir_is_one_line(read_only_data_dir: Path,
                                                          name: str) -> None:
    path = read_only_data_dir / name
    result = subprocess.run(as_unprivileged([sys.executable, "-c", OPEN_STATE, str(path)]),
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 1, result.stderr
    line = result.stdout.strip()
    assert "\n" not in line
    assert line.startswith(f"StateFileError: cannot use the state store {path}")
    assert f"make {path.parent} writable" in line and "DATA_DIR" in line


def test_a_run_in_a_read_only_data_dir_says_so_in_one_line(read_only_data_dir: Path) -> None:
    environment = {**os.environ, "DATA_DIR": str(read_only_data_dir), "STRAVA_CLIENT_ID": "1",
                   "STRAVA_CLIENT_SECRET": "secret", "STRAVA_REFRESH_TOKEN": "token"}
    result = subprocess.run(
        as_unprivileged(luigi_command("RecordWatermark", "--run-date", "2026-11-29",
                                      "--local-scheduler", "--no-lock")),
        env=environment, capture_output=True, text=True, timeout=120)
    assert result.returncode != 0
    assert f"cannot use the state store {read_only_data_dir / 'state.db'}" in result.stderr
    assert "sqlite3.OperationalError" not in result.stderr
