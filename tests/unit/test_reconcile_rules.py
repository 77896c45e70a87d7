"""When a reconciliation is due, and when the mass-delete guard stops one."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import pytest

from pipeline.backends.state import SqliteStateStore
from pipeline.reconcile import DeleteGuard, list_requests, reconcile_due
from pipeline.settings import load_settings


@pytest.fixture
def state(tmp_path: Path) -> SqliteStateStore:
    return SqliteStateStore(f"sqlite:///{tmp_path}/state.db", tmp_path / "state.db")


def weeks(state: SqliteStateStore, *days: date) -> None:
    for day in days:
        state.record_watermark(day, datetime(2026, 1, 1))


def test_due_every_n_weeks_from_the_first_run_then_from_the_last_reconciliation(
        state: SqliteStateStore, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RECONCILE_EVERY_WEEKS", "2")
    settings = load_settings()
    first, second, third = date(2026, 11, 1), date(2026, 11, 8), date(2026, 11, 15)
    assert not reconcile_due(state, settings, first)  # a first run reads everything anyway
    weeks(state, first)
    assert not reconcile_due(state, settings, second)
    weeks(state, second)
    assert reconcile_due(state, settings, third)
    state.record_reconciliation(third, 1, {"listed": 1, "added": 0, "changed": 0,
                                           "removed": 0})
    weeks(state, third)
    assert reconcile_due(state, settings, third)  # stable for its own date
    assert not reconcile_due(state, settings, date(2026, 11, 22))
    weeks(state, date(2026, 11, 29))
    assert not reconcile_due(state, settings, date(2026, 11, 22))  # never for an older date
    assert reconcile_due(state, settings, date(2026, 12, 6))
    monkeypatch.setenv("RECONCILE_EVERY_WEEKS", "0")
    assert not reconcile_due(state, load_settings(), date(2027, 1, 3))


@pytest.mark.parametrize("removing, in_scope, listed, trips", [
    (0, 100, 0, False), (5, 100, 95, False), (6, 100, 94, True), (3, 3, 0, True),
])
def test_guard(removing: int, in_scope: int, listed: int, trips: bool) -> None:
    guard = DeleteGuard(removing, in_scope, listed, 0.05)
    assert guard.trips is trips
    if trips:
        line = guard.message(date(2026, 11, 29))
        assert "\n" not in line and "--allow-mass-delete" in line and "nothing" in line


def test_list_requests() -> None:
    assert [list_requests(n) for n in (0, 1, 200, 5000, 100_000)] == [1, 2, 2, 26, 501]


def test_a_backfills_read_of_the_whole_history_counts_as_its_dates_reconciliation(
        state: SqliteStateStore, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RECONCILE_EVERY_WEEKS", "2")
    settings = load_settings()
    first, newest = date(2026, 11, 1), date(2026, 11, 15)
    weeks(state, first, date(2026, 11, 8), newest)
    assert reconcile_due(state, settings, newest)  # no reconciliation recorded yet
    state.record_history_read(newest, listed=120, loaded=118)
    assert state.history_read_of(newest) and not state.history_read_of(first)
    assert not reconcile_due(state, settings, newest)
    assert state.last_reconciliation_attempt(newest) == 0  # `reconcile` starts at attempt 1
    last = state.last_reconciliation()
    assert last is not None and (last["attempt"], last["listed"], last["added"]) == (0, 120, 118)
    assert not reconcile_due(state, settings, date(2026, 11, 22))
    weeks(state, date(2026, 11, 22))
    assert reconcile_due(state, settings, date(2026, 11, 29))  # two weeks after the read
