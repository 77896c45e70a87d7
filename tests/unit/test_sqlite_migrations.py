"""Schema migrations: a previous release's warehouse and state store are upgraded in place with
nothing lost, a failing migration rolls back and names itself, two processes starting at once
apply each migration once, and ``strava-pipeline migrate --status`` tells applied from pending.
"""

from __future__ import annotations

import shutil
from datetime import date, datetime
from pathlib import Path

import pytest

from pipeline.backends import open_state
from pipeline.backends.migrations import (
    STATE_MIGRATIONS,
    MigrationError,
    applied,
    apply_migrations,
    discover,
)
from tests.conftest import PROJECT_ROOT

PREVIOUS = PROJECT_ROOT / "tests" / "fixtures" / "previous_release"


def test_previous_release_sqlite_state_is_upgraded_in_place(tmp_path: Path) -> None:
    import sqlite3

    path = tmp_path / "state.db"
    with sqlite3.connect(path) as connection:
        connection.execute((PREVIOUS / "last_extracted.sql").read_text())
        connection.execute("INSERT INTO last_extracted VALUES ('2026-11-22', "
                           "'2026-11-21 18:04:05', '2026-11-23 06:00:00')")
        connection.execute("INSERT INTO last_extracted VALUES ('2026-11-15', NULL, "
                           "'2026-11-16 06:00:00')")
    store = open_state(f"sqlite:///{path}")
    assert store.history() == [
        (date(2026, 11, 15), None, datetime(2026, 11, 16, 6)),
        (date(2026, 11, 22), datetime(2026, 11, 21, 18, 4, 5), datetime(2026, 11, 23, 6)),
    ]
    assert sorted(applied(store)) == [m.version for m in discover(STATE_MIGRATIONS, "sqlite")]
    store.record_watermark(date(2026, 11, 29), datetime(2026, 11, 28, 9))
    assert store.watermark_before(date(2026, 11, 30)) == datetime(2026, 11, 28, 9)


def migrations_with(tmp_path: Path, source: Path, extra: dict[str, str]) -> Path:
    """A copy of the shipped migrations plus ``extra`` files (name -> SQL)."""
    folder = tmp_path / "migrations"
    folder.mkdir()
    for path in source.glob("*.sql"):
        shutil.copy(path, folder / path.name)
    for name, sql in extra.items():
        (folder / name).write_text(sql, encoding="utf-8")
    return folder


BROKEN = ("CREATE TABLE half_done (x INTEGER);\n"
          "INSERT INTO half_done VALUES (1);\n"
          "INSERT INTO no_such_table VALUES (1);\n")


def test_failing_sqlite_state_migration_rolls_back(tmp_path: Path) -> None:
    store = open_state(f"sqlite:///{tmp_path}/state.db", migrate=False)
    folder = migrations_with(tmp_path, STATE_MIGRATIONS, {"0900_broken.sqlite.sql": BROKEN})
    with pytest.raises(MigrationError, match="0900_broken.sqlite.sql failed and was rolled back"):
        apply_migrations(store, folder)
    with store.transaction() as session:
        names = {row[0] for row in session.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table'").fetchall()}
    assert "half_done" not in names and "last_extracted" in names
