"""The shared read budget's rows in the state store (table ``rate_budget``, state migration 0003).

Every change happens in one transaction that holds the application's rows: ``BEGIN IMMEDIATE``
on SQLite (pipeline/backends/state.py), ``SELECT ... FOR UPDATE`` on MySQL. So every worker
process and machine that shares the state store counts against the same numbers, and two
reservations never both take the last request of a window. The arithmetic is the caller's
(pipeline/strava/budget.py); this module only reads, locks and writes.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple, TypeVar

from pipeline.backends.deadlock import retry_on_deadlock
from pipeline.backends.session import Session
from pipeline.backends.state import StateStore
from pipeline.sql_files import read_sql, split_statements

WINDOW_KINDS = ("15min", "daily")
Result = TypeVar("Result")


class Window(NamedTuple):
    """One window's count: its start (epoch seconds), requests counted in it, its limit."""

    start: int
    used: int
    limit: int


Windows = dict[str, Window]


def _dialect(state: StateStore) -> str:
    return "mysql" if state.dialect == "mysql" else "sqlite"


def _statement(relative_path: str) -> str:
    return split_statements(read_sql(relative_path))[0]


def change_budget(state: StateStore, app_key: str, fresh: Windows,
                  change: Callable[[Windows], tuple[Windows, Result]]) -> Result:
    """Lock the application's rows (created from ``fresh`` when missing), let ``change`` decide
    on them, write back what it changed; all in one transaction. Returns ``change``'s result.

    A deadlock (two processes creating the rows at once on MySQL) runs the whole transaction
    again (``retry_on_deadlock``), so ``change`` must only decide: it may be called again.
    """
    return retry_on_deadlock(lambda: _change_once(state, app_key, fresh, change))


def _locked_rows(session: Session, state: StateStore, app_key: str) -> Windows:
    session.execute(_statement(f"state/budget/lock_rows.{_dialect(state)}.sql"),
                    {"app_key": app_key})
    return {str(kind): Window(int(start), int(used), int(limit))
            for kind, start, used, limit in session.fetchall()}


def _change_once(state: StateStore, app_key: str, fresh: Windows,
                 change: Callable[[Windows], tuple[Windows, Result]]) -> Result:
    with state.transaction() as session:
        found = _locked_rows(session, state, app_key)
        if set(found) != set(WINDOW_KINDS):
            for kind in WINDOW_KINDS:
                session.execute(_statement(f"state/budget/create_row.{_dialect(state)}.sql"), {
                    "app_key": app_key, "window_kind": kind,
                    "window_start": fresh[kind].start, "limit_value": fresh[kind].limit})
            found = _locked_rows(session, state, app_key)
        updated, result = change(found)
        for kind, window in updated.items():
            if found.get(kind) != window:
                session.execute(_statement("state/budget/update_row.sql"), {
                    "app_key": app_key, "window_kind": kind, "window_start": window.start,
                    "used": window.used, "limit_value": window.limit})
        return result


def read_budget_rows(state: StateStore, app_key: str) -> Windows:
    """The application's rows as stored (empty when it never sent a request)."""
    with state.transaction() as session:
        return _locked_rows(session, state, app_key)
