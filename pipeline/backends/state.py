"""The state store: the watermark history of the extraction (table ``last_extracted``).

``sqlite://`` is the embedded default. The watermark is the newest activity start (UTC) that was
safely in production after a run date's load; NULL when production was still empty.
"""

from __future__ import annotations

import sqlite3
from abc import ABC, abstractmethod
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from datetime import date, datetime, timezone
from pathlib import Path

from pipeline.backends.run_lock import file_lock
from pipeline.sql_files import read_sql

NO_WATERMARK = object()  # watermark_of() for a date that has no row (None means "no data yet")


class StateStore(ABC):
    """Where the pipeline remembers how far extraction got."""

    url: str

    @abstractmethod
    def record_watermark(self, run_date: date, watermark: datetime | None) -> None:
        """Store (or replace) the watermark of a run date."""

    @abstractmethod
    def watermark_of(self, run_date: date) -> object:
        """The watermark recorded for exactly this date; ``NO_WATERMARK`` if none was."""

    @abstractmethod
    def watermark_before(self, run_date: date) -> datetime | None:
        """The newest watermark recorded for a date strictly before ``run_date``."""

    @abstractmethod
    def history(self) -> list[tuple[date, datetime | None, datetime]]:
        """Every (run_date, watermark, recorded_at), oldest first."""

    def has_watermark(self, run_date: date) -> bool:
        """Whether ``run_date``'s watermark was recorded (the RecordWatermark marker)."""
        return self.watermark_of(run_date) is not NO_WATERMARK

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
    """State in a SQLite file: ``sqlite:///path/to/state.db``."""

    def __init__(self, url: str, path: Path) -> None:
        self.url = url
        self.path = path
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            with self._connect() as connection:
                connection.execute(read_sql("state/last_extracted.sql"))
        except (OSError, sqlite3.OperationalError) as error:
            raise StateFileError(
                f"cannot open the state store {path}: {error}: make {path.parent} writable "
                "for this user or point DATA_DIR / STATE_URL elsewhere"
            ) from None

    def _connect(self) -> sqlite3.Connection:
        return sqlite3.connect(self.path, timeout=30)

    @contextmanager
    def lock_run_date(self, run_date: date, wait_seconds: float) -> Iterator[None]:
        """A flock on ``<state file>.locks/<run date>.lock`` beside the SQLite file."""
        with file_lock(self.path.with_name(self.path.name + ".locks"), run_date, wait_seconds):
            yield

    def _query(self, sql: str, params: tuple) -> list[tuple]:
        try:
            connection = self._connect()
            try:
                with connection:
                    return connection.execute(sql, params).fetchall()
            finally:
                connection.close()
        except sqlite3.OperationalError as error:
            raise StateFileError(
                f"the state store {self.path} failed: {error}: make {self.path.parent} "
                "writable for this user (and free disk space), then rerun the date"
            ) from None

    def record_watermark(self, run_date: date, watermark: datetime | None) -> None:
        self._query(
            "INSERT OR REPLACE INTO last_extracted (run_date, watermark, recorded_at)"
            " VALUES (?, ?, ?)",
            (
                run_date.isoformat(),
                watermark.isoformat(sep=" ") if watermark else None,
                _utc_now().isoformat(sep=" "),
            ),
        )

    def watermark_of(self, run_date: date) -> object:
        rows = self._query(
            "SELECT watermark FROM last_extracted WHERE run_date = ?", (run_date.isoformat(),)
        )
        return _as_datetime(rows[0][0]) if rows else NO_WATERMARK

    def watermark_before(self, run_date: date) -> datetime | None:
        rows = self._query(
            "SELECT watermark FROM last_extracted WHERE run_date < ?"
            " ORDER BY run_date DESC LIMIT 1",
            (run_date.isoformat(),),
        )
        return _as_datetime(rows[0][0]) if rows else None

    def history(self) -> list[tuple[date, datetime | None, datetime]]:
        rows = self._query(
            "SELECT run_date, watermark, recorded_at FROM last_extracted ORDER BY run_date", ()
        )
        return [(_as_date(r[0]), _as_datetime(r[1]), _as_datetime(r[2])) for r in rows]
