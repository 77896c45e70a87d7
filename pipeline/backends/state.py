"""The state store: the watermark history of the extraction (table ``last_extracted``).

``sqlite://`` is the embedded default. The watermark is the newest activity start (UTC) that was
safely in production after a run date's load; NULL when production was still empty. The queries
are shared by both dialects (``sql/state/``); the schema comes from ``sql/migrations/state/``,
applied when a store is opened.
"""

from __future__ import annotations

import sqlite3
from abc import ABC, abstractmethod
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any

from pipeline.athlete_scope import first_athlete
from pipeline.backends.deadlock import retry_on_deadlock
from pipeline.backends.migrations import STATE_MIGRATIONS, ensure_migrated
from pipeline.backends.run_lock import file_lock, verify_run_date_lock
from pipeline.backends.session import Session
from pipeline.sql_files import read_sql, split_statements

# The columns that identify a webhook event (a retried event has the same values).
EVENT_KEY = ("subscription_id", "object_type", "object_id", "aspect_type", "event_time")


def _statement(relative_path: str) -> str:
    """The one statement of a state SQL file."""
    return split_statements(read_sql(relative_path))[0]


# The attempt number of a backfill's read of the whole history kept as a reconciliation
# (reconciliations proper are attempts 1, 2, ...; issue 23).
HISTORY_READ_ATTEMPT = 0

NO_WATERMARK = object()  # watermark_of() for a date that has no row (None means "no data yet")


class StateStore(ABC):
    """Where the pipeline remembers how far extraction got."""

    url: str
    dialect: str

    @abstractmethod
    def transaction(self) -> AbstractContextManager[Session]:
        """A transaction on the store: committed on success, rolled back on error."""

    def lock_migrations(self, session: Session) -> None:
        """Serialize migrations across processes (SQLite's BEGIN IMMEDIATE already does)."""
        return None

    def ensure_schema(self) -> None:
        """Apply the pending migrations of ``sql/migrations/state/``, once per process."""
        ensure_migrated(self, STATE_MIGRATIONS)

    def _bind(self, value: date | datetime | None) -> Any:
        """A date or timestamp as the driver stores it."""
        return value

    def _athlete(self, athlete_id: int) -> int:
        """An athlete's id; 0 (the install's single athlete) is the athlete who took over its
        rows once one did (pipeline/athlete_upgrade.py)."""
        return int(athlete_id) or first_athlete(self)

    def _rows(self, relative_path: str, **params: Any) -> list[tuple]:
        with self.transaction() as session:
            for statement in split_statements(read_sql(relative_path)):
                session.execute(statement, {name: self._bind(v) for name, v in params.items()})
            return session.fetchall()

    def record_watermark(self, run_date: date, watermark: datetime | None,
                         athlete_id: int = 0) -> None:
        """Store (or replace) the watermark of an athlete's run date (athlete 0: the install's
        single athlete before the upgrade, pipeline/athlete_upgrade.py)."""
        athlete = self._athlete(athlete_id)  # before the transaction: it reads the store

        def record() -> None:
            # MySQL: two processes recording neighbouring dates at once can deadlock on the
            # DELETE's gap locks (the server then rolls one back: it is run again).
            with self.transaction() as session:
                for statement in split_statements(read_sql("state/record_watermark.sql")):
                    session.execute(statement, {"run_date": self._bind(run_date),
                                                "athlete_id": athlete,
                                                "watermark": self._bind(watermark),
                                                "recorded_at": self._bind(_utc_now())})

        retry_on_deadlock(record)

    def watermark_of(self, run_date: date, athlete_id: int = 0) -> object:
        """The watermark recorded for exactly this date; ``NO_WATERMARK`` if none was."""
        rows = self._rows("state/watermark_of.sql", run_date=run_date,
                          athlete_id=self._athlete(athlete_id))
        return _as_datetime(rows[0][0]) if rows else NO_WATERMARK

    def watermark_before(self, run_date: date, athlete_id: int = 0) -> datetime | None:
        """The athlete's newest watermark recorded for a date strictly before ``run_date``."""
        rows = self._rows("state/watermark_before.sql", run_date=run_date,
                          athlete_id=self._athlete(athlete_id))
        return _as_datetime(rows[0][0]) if rows else None

    def history(self, athlete_id: int | None = None
                ) -> list[tuple[date, datetime | None, datetime]]:
        """Every (run_date, watermark, recorded_at) of one athlete (every athlete's when None),
        oldest first."""
        rows = self._rows("state/history.sql",
                          athlete_id=None if athlete_id is None else self._athlete(athlete_id))
        return [(_as_date(r[0]), _as_datetime(r[1]), _as_datetime(r[2])) for r in rows]

    def has_watermark(self, run_date: date, athlete_id: int = 0) -> bool:
        """Whether ``run_date``'s watermark was recorded (the RecordWatermark marker)."""
        return self.watermark_of(run_date, athlete_id) is not NO_WATERMARK

    # -- reconciliations (issue 20) ----------------------------------------------------------

    def record_reconciliation(self, run_date: date, attempt: int, counts: dict[str, int],
                              athlete_id: int = 0) -> None:
        """Keep a completed reconciliation: rows listed, added, changed and removed."""
        athlete = self._athlete(athlete_id)  # before the transaction: it reads the store
        with self.transaction() as session:
            session.execute(_statement("state/record_reconciliation.sql"), {
                "run_date": self._bind(run_date), "attempt": attempt,
                "athlete_id": athlete,
                "completed_at": self._bind(_utc_now()),
                **{name: int(counts[name]) for name in ("listed", "added", "changed",
                                                        "removed")}})

    def record_history_read(self, run_date: date, listed: int, loaded: int,
                            athlete_id: int = 0) -> None:
        """Keep a backfill's read of the whole history through ``run_date`` as that date's
        reconciliation (attempt ``HISTORY_READ_ATTEMPT``: no Reconcile ran; nothing changed
        or removed, the ``loaded`` activities were added week by week)."""
        self.record_reconciliation(run_date, HISTORY_READ_ATTEMPT, {
            "listed": listed, "added": loaded, "changed": 0, "removed": 0}, athlete_id)

    def history_read_of(self, run_date: date, athlete_id: int = 0) -> bool:
        """Whether a backfill's read of the whole history counts as ``run_date``'s
        reconciliation."""
        rows = self._rows("state/history_read_of.sql", run_date=run_date,
                          athlete_id=self._athlete(athlete_id))
        return bool(rows and rows[0][0])

    def last_reconciliation(self, before: date = date.max, athlete_id: int = 0
                            ) -> dict[str, Any] | None:
        """The athlete's newest completed reconciliation of a run date before ``before``."""
        rows = self._rows("state/last_reconciliation.sql", before=before,
                          athlete_id=self._athlete(athlete_id))
        if not rows:
            return None
        names = ("run_date", "attempt", "completed_at", "listed", "added", "changed",
                 "removed")
        found = dict(zip(names, rows[0], strict=True))
        found["run_date"] = _as_date(found["run_date"])
        found["completed_at"] = _as_datetime(found["completed_at"])
        return found

    def last_reconciliation_attempt(self, run_date: date, athlete_id: int = 0) -> int:
        """The highest attempt recorded for a run date; 0 when it was never reconciled."""
        rows = self._rows("state/reconciliation_attempts.sql", run_date=run_date,
                          athlete_id=self._athlete(athlete_id))
        return int(rows[0][0]) if rows and rows[0][0] is not None else 0

    # -- athletes (issue 26) -----------------------------------------------------------------

    def upgraded_athlete(self) -> tuple[int, date | None] | None:
        """(athlete id, through run date) of the athlete who took over the install's
        single-athlete rows, or None (pipeline/athlete_upgrade.py)."""
        rows = self._rows("state/upgraded_athlete.sql")
        if not rows:
            return None
        return int(rows[0][0]), None if rows[0][1] is None else _as_date(rows[0][1])

    def legacy_rows(self) -> int:
        """How many rows of before state migration 0004 no athlete has taken over."""
        rows = self._rows("state/legacy_rows.sql")
        return int(rows[0][0] or 0) if rows else 0

    def take_over_legacy_rows(self, athlete_id: int) -> None:
        """The single-athlete rows become ``athlete_id``'s, recorded once; one transaction
        (run again if MySQL picks it as a deadlock's victim: it reads rows, then writes them)."""

        def take_over() -> None:
            with self.transaction() as session:
                for statement in split_statements(read_sql("state/athlete_upgrade.sql")):
                    session.execute(statement, {"athlete_id": int(athlete_id),
                                                "upgraded_at": self._bind(_utc_now())})

        retry_on_deadlock(take_over)

    # -- webhook events (issue 20) -----------------------------------------------------------

    def store_event(self, event: dict[str, Any]) -> bool:
        """Keep one push event durably; False when it was already stored (a retry)."""
        params = {name: event[name] for name in EVENT_KEY}
        params.update(owner_id=int(event["owner_id"]), updates=event.get("updates"),
                      received_at=self._bind(_utc_now()))
        try:
            with self.transaction() as session:
                session.execute(_statement("state/insert_event.sql"), params)
        except Exception as error:
            if type(error).__name__ == "IntegrityError" or "UNIQUE" in str(error):
                return False
            raise
        return True

    def pending_events(self) -> list[dict[str, Any]]:
        """Events not applied yet, oldest first."""
        names = (*EVENT_KEY, "owner_id", "updates")
        return [dict(zip(names, row, strict=True))
                for row in self._rows("state/pending_events.sql")]

    def mark_events_applied(self, outcomes: list[tuple[dict[str, Any], str]]) -> None:
        """Mark events applied with what each did, in one transaction."""
        statement = _statement("state/mark_event_applied.sql")
        with self.transaction() as session:
            for event, outcome in outcomes:
                session.execute(statement, {
                    **{name: event[name] for name in EVENT_KEY},
                    "applied_at": self._bind(_utc_now()), "outcome": outcome[:200]})

    def event_counts(self) -> tuple[int, int, datetime | None]:
        """(pending, applied, newest received_at) of the webhook events."""
        rows = self._rows("state/event_counts.sql")
        pending, applied, newest = rows[0] if rows else (0, 0, None)
        return int(pending or 0), int(applied or 0), _as_datetime(newest)

    @abstractmethod
    def lock_run_date(self, run_date: date, wait_seconds: float) -> AbstractContextManager[None]:
        """Hold the run date's lock for a block; RunDateBusy after ``wait_seconds`` of waiting."""


class StateFileError(RuntimeError):
    """The SQLite state file cannot be opened or written (e.g. a read-only DATA_DIR)."""


def _utc_now() -> datetime:
    return datetime.now(timezone.utc).replace(tzinfo=None, microsecond=0)


def _as_datetime(value: object) -> datetime | None:
    if value is None or isinstance(value, datetime):
        return value
    return datetime.fromisoformat(str(value))


def _as_date(value: object) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value))


class SqliteStateStore(StateStore):
    """State in a SQLite file: ``sqlite:///path/to/state.db`` (dates stored as ISO text)."""

    dialect = "sqlite"

    def __init__(self, url: str, path: Path, migrate: bool = True) -> None:
        self.url = url
        self.path = path
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise self._unusable(error) from None
        if migrate:
            self.ensure_schema()

    def _unusable(self, error: BaseException) -> StateFileError:
        return StateFileError(
            f"cannot use the state store {self.path}: {error}: make {self.path.parent} "
            "writable for this user (and free disk space) or point DATA_DIR / STATE_URL "
            "elsewhere, then run again"
        )

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """BEGIN IMMEDIATE: the write lock from the start, so two writers queue, never clash."""
        try:
            connection = sqlite3.connect(self.path, timeout=30, isolation_level=None)
            connection.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as error:
            raise self._unusable(error) from None
        try:
            try:
                yield Session(connection.cursor(), "dollar")
                verify_run_date_lock()
                connection.execute("COMMIT")
            except sqlite3.OperationalError as error:
                connection.execute("ROLLBACK")
                raise self._unusable(error) from None
            except BaseException:
                connection.execute("ROLLBACK")
                raise
        finally:
            connection.close()

    @contextmanager
    def lock_run_date(self, run_date: date, wait_seconds: float) -> Iterator[None]:
        """A flock on ``<state file>.locks/<run date>.lock`` beside the SQLite file."""
        with file_lock(self.path.with_name(self.path.name + ".locks"), run_date, wait_seconds):
            yield

    def _bind(self, value: date | datetime | None) -> Any:
        if isinstance(value, datetime):
            return value.isoformat(sep=" ")
        return value.isoformat() if isinstance(value, date) else value
