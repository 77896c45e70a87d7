"""A state-store write whose transaction MySQL rolled back as a deadlock's victim is run again
(pipeline/backends/deadlock.py): the watermark, the shared read budget; nothing else is."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date, datetime, timezone
from pathlib import Path

import pymysql
import pytest

from pipeline.backends import deadlock
from pipeline.backends.budget import Window, change_budget, read_budget_rows
from pipeline.backends.deadlock import DEADLOCK_TRIES, is_deadlock, retry_on_deadlock
from pipeline.backends.mysql_state import StateStoreError
from pipeline.backends.state import NO_WATERMARK, SqliteStateStore, StateFileError


def driver_deadlock() -> pymysql.err.OperationalError:
    """What pymysql raises for a deadlock's victim."""
    return pymysql.err.OperationalError(
        1213, "Deadlock found when trying to get lock; try restarting transaction")


def store_deadlock() -> StateStoreError:
    """What MySQLStateStore.transaction raises for it (the driver's error as the cause)."""
    try:
        raise StateStoreError("the state store rolled this step back") from driver_deadlock()
    except StateStoreError as error:
        return error


class OnceDeadlocked(SqliteStateStore):
    """The SQLite store whose first ``failures`` transactions end with ``error()``."""

    def __init__(self, path: Path, failures: int, error: Callable[[], BaseException]
                 ) -> None:
        self.failures = 0
        self.error = error
        self.runs = 0
        super().__init__("sqlite://" + str(path), path)
        self.failures = failures
        self.runs = 0  # the transactions after the migrations

    @contextmanager
    def transaction(self) -> Iterator:  # type: ignore[override]
        with super().transaction() as session:
            self.runs += 1
            yield session
            if self.failures:
                self.failures -= 1
                raise self.error()


WATERMARK = datetime(2026, 11, 29, 12, tzinfo=timezone.utc)
DAY = date(2026, 11, 29)


@pytest.fixture(autouse=True)
def _no_waiting(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(deadlock, "WAIT_SECONDS", 0.001)


@pytest.mark.parametrize("error", [driver_deadlock, store_deadlock])
def test_a_deadlocked_watermark_is_recorded_on_the_next_try(
        tmp_path: Path, error: Callable[[], BaseException]) -> None:
    store = OnceDeadlocked(tmp_path / "state.db", failures=2, error=error)
    store.record_watermark(DAY, WATERMARK, 7)
    assert store.failures == 0 and store.runs == 3
    assert store.watermark_of(DAY, 7) == WATERMARK.replace(tzinfo=None) or \
        store.watermark_of(DAY, 7) == WATERMARK


@pytest.mark.parametrize("error", [
    lambda: RuntimeError("disk I/O error"),
    lambda: RuntimeError("(1213, 'Deadlock found when trying to get lock')"),  # text, no code
    lambda: pymysql.err.OperationalError(1205, "Lock wait timeout exceeded; try restarting "
                                               "transaction"),
    lambda: StateStoreError("the state store failed: (1213, 'Deadlock found')"),  # from None
], ids=["other", "deadlock-text-only", "lock-wait-timeout", "store-error-without-cause"])
def test_another_error_is_raised_at_once(tmp_path: Path,
                                         error: Callable[[], BaseException]) -> None:
    store = OnceDeadlocked(tmp_path / "state.db", failures=1, error=error)
    with pytest.raises(type(error())):
        store.record_watermark(DAY, WATERMARK, 7)
    assert store.runs == 1
    store.failures = 0
    assert store.watermark_of(DAY, 7) is NO_WATERMARK  # nothing written


def test_the_tries_are_bounded_and_the_last_deadlock_is_raised(tmp_path: Path) -> None:
    store = OnceDeadlocked(tmp_path / "state.db", failures=DEADLOCK_TRIES + 3,
                           error=store_deadlock)
    with pytest.raises(StateStoreError, match="rolled this step back"):
        store.record_watermark(DAY, WATERMARK, 7)
    assert store.runs == DEADLOCK_TRIES
    assert store.failures == 3
    store.failures = 0
    assert store.watermark_of(DAY, 7) is NO_WATERMARK


def test_sqlite_errors_are_not_run_again(tmp_path: Path) -> None:
    """SQLite has no deadlock victims: its own errors end the write as before."""
    store = OnceDeadlocked(tmp_path / "state.db", failures=1,
                           error=lambda: sqlite3.OperationalError("database is locked"))
    with pytest.raises(StateFileError, match="database is locked"):
        store.record_watermark(DAY, WATERMARK, 7)
    assert store.runs == 1


def test_a_deadlocked_budget_change_decides_again_on_the_rows_of_the_next_try(
        tmp_path: Path) -> None:
    store = OnceDeadlocked(tmp_path / "state.db", failures=1, error=driver_deadlock)
    fresh = {"15min": Window(0, 0, 100), "daily": Window(0, 0, 1000)}
    seen: list[int] = []

    def take_one(rows: dict[str, Window]) -> tuple[dict[str, Window], int]:
        seen.append(rows["15min"].used)
        return {kind: window._replace(used=window.used + 1) for kind, window in rows.items()
                }, len(seen)

    assert change_budget(store, "app", fresh, take_one) == 2
    assert seen == [0, 0]  # the rolled-back try's change was not kept
    assert read_budget_rows(store, "app")["15min"].used == 1


def test_the_helper_waits_a_short_random_while_between_runs() -> None:
    waits: list[float] = []
    runs: list[int] = []

    def always_deadlocked() -> None:
        runs.append(1)
        raise driver_deadlock()

    with pytest.raises(pymysql.err.OperationalError):
        retry_on_deadlock(always_deadlocked, tries=5, sleep=waits.append)
    assert len(runs) == 5 and len(waits) == 4
    for run, wait in enumerate(waits, start=1):
        assert 0.5 * run * deadlock.WAIT_SECONDS <= wait <= 1.5 * run * deadlock.WAIT_SECONDS
    assert retry_on_deadlock(lambda: "done", tries=1, sleep=waits.append) == "done"
    with pytest.raises(ValueError, match="tries must be 1 or more"):
        retry_on_deadlock(lambda: None, tries=0)


class Wrapped(Exception):
    """A wrapper in SQLAlchemy's manner: the driver's error as ``orig``."""

    def __init__(self, orig: BaseException) -> None:
        super().__init__(f"(pymysql.err.OperationalError) {orig}")
        self.orig = orig


def test_a_deadlock_is_known_by_the_drivers_code_wherever_it_surfaces() -> None:
    assert is_deadlock(driver_deadlock())
    assert is_deadlock(store_deadlock())
    assert is_deadlock(Wrapped(driver_deadlock()))
    assert not is_deadlock(Wrapped(pymysql.err.OperationalError(2013, "Lost connection")))
    assert not is_deadlock(sqlite3.OperationalError("database is locked"))
    assert not is_deadlock(RuntimeError("Deadlock found when trying to get lock"))
