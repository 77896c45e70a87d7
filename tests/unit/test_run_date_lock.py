"""One run of a run date at a time: the state store's lock, and two real runs started together."""

from __future__ import annotations

import threading
from datetime import date
from pathlib import Path

import pytest

from pipeline.backends.run_lock import RunDateBusy, RunDateLockError
from pipeline.backends.state import SqliteStateStore, StateStore
from tests.support.backends import (  # noqa: F401 - fixtures
    S3Server,
    fixture_mysql_db,
    fixture_pg_database,
    fixture_s3_env,
    fixture_s3_server,
    mysql_url,
    pg_rows,
    pg_url,
)

DAY = date(2026, 11, 29)


def sqlite_store(tmp_path: Path) -> SqliteStateStore:
    return SqliteStateStore(f"sqlite:///{tmp_path}/state.db", tmp_path / "state.db")


def assert_one_run_at_a_time(store: StateStore, other: StateStore) -> None:
    """While ``store`` holds DAY, ``other`` waits, then gives up with one line; other dates
    and the released lock are free."""
    with store.lock_run_date(DAY, wait_seconds=0):
        with pytest.raises(RunDateBusy) as busy, other.lock_run_date(DAY, wait_seconds=1):
            pytest.fail("two holders of one run date")
        message = str(busy.value)
        assert "\n" not in message
        assert message.startswith("run date 2026-11-29 is being run by another run")
        assert "waited 1 s" in message and "run the date again" in message
        with other.lock_run_date(date(2026, 12, 6), wait_seconds=0):
            pass
    with other.lock_run_date(DAY, wait_seconds=0):
        pass


def test_sqlite_lock_admits_one_holder_per_date(tmp_path: Path) -> None:
    assert_one_run_at_a_time(sqlite_store(tmp_path), sqlite_store(tmp_path))
    holder = (tmp_path / "state.db.locks" / "2026-11-29.lock").read_text()
    assert holder.startswith("pid ")


def test_a_waiting_run_gets_the_lock_when_the_holder_lets_go(tmp_path: Path) -> None:
    store, got = sqlite_store(tmp_path), threading.Event()
    release = threading.Event()

    def holder() -> None:
        with store.lock_run_date(DAY, wait_seconds=0):
            got.set()
            release.wait(5)

    thread = threading.Thread(target=holder)
    thread.start()
    got.wait(5)
    threading.Timer(0.5, release.set).start()
    with sqlite_store(tmp_path).lock_run_date(DAY, wait_seconds=10):
        assert release.is_set()
    thread.join()


def test_a_lock_that_cannot_be_created_is_one_line(tmp_path: Path) -> None:
    store = sqlite_store(tmp_path)
    (tmp_path / "state.db.locks").write_text("not a folder")
    with pytest.raises(RunDateLockError) as error, store.lock_run_date(DAY, wait_seconds=0):
        pass
    assert "\n" not in str(error.value) and "writable" in str(error.value)
