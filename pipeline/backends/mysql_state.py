"""The state store on MySQL or MariaDB: ``mysql://user:password@host:3306/database``.

One short connection per call (utf8mb4, parameterized statements, closed afterwards), so a long
run with many tasks holds no idle connection. ``last_extracted`` is created when missing.
"""

from __future__ import annotations

import hashlib
import math
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from datetime import date, datetime
from typing import Any

import pymysql

from pipeline.backends.run_lock import RunDateBusy, busy_message
from pipeline.backends.state import NO_WATERMARK, StateStore, _utc_now
from pipeline.backends.urls import mask_url, redact, server_parts
from pipeline.settings import ConfigurationError
from pipeline.sql_files import read_sql, split_statements


class StateStoreError(RuntimeError):
    """The state database could not be reached or dropped the connection; nothing was written."""


class MySQLStateStore(StateStore):
    """Watermarks in a MySQL/MariaDB table ``last_extracted`` (DATE key, DATETIME values)."""

    default_port = 3306

    def __init__(self, url: str, connect_timeout: float = 10.0) -> None:
        self.url = url
        parts = server_parts(url)
        if not parts["database"]:
            raise ConfigurationError(
                f"STATE_URL={mask_url(url)!r} names no database: "
                "write it as mysql://user:password@host:3306/database"
            )
        self._options: dict[str, Any] = {
            "host": parts["host"],
            "port": parts["port"] or self.default_port,
            "user": parts["user"] or "",
            "password": parts["password"] or "",
            "database": parts["database"],
            "charset": "utf8mb4",
            "autocommit": False,
            "connect_timeout": connect_timeout,
            "read_timeout": 300,
            "write_timeout": 300,
        }
        with self._transaction() as cursor:
            for statement in split_statements(read_sql("setup/mysql_last_extracted.sql")):
                cursor.execute(statement)

    def _connect(self, **overrides: Any) -> pymysql.connections.Connection:
        """A new connection in utf8mb4 (4-byte characters intact)."""
        try:
            return pymysql.connect(**{**self._options, **overrides})
        except pymysql.err.MySQLError as error:
            raise StateStoreError(
                f"cannot connect to the state store {mask_url(self.url)}: "
                f"{redact(str(error), self.url)}; check STATE_URL and that the server is up"
            ) from None

    @contextmanager
    def _transaction(self) -> Iterator[Any]:
        connection = self._connect()
        try:
            cursor = connection.cursor()
            try:
                yield cursor
                connection.commit()
            except BaseException:
                if connection.open:
                    with suppress(pymysql.err.MySQLError):
                        connection.rollback()
                raise
        except (pymysql.err.OperationalError, pymysql.err.InterfaceError) as error:
            raise StateStoreError(
                f"the state store {mask_url(self.url)} failed: {redact(str(error), self.url)}; "
                "nothing of this step was written, rerun the date once the server is back"
            ) from None
        finally:
            if connection.open:
                connection.close()

    def _rows(self, sql: str, params: tuple) -> list[tuple]:
        with self._transaction() as cursor:
            cursor.execute(sql, params)
            return list(cursor.fetchall())

    def record_watermark(self, run_date: date, watermark: datetime | None) -> None:
        with self._transaction() as cursor:
            cursor.execute("DELETE FROM last_extracted WHERE run_date = %s", (run_date,))
            cursor.execute(
                "INSERT INTO last_extracted (run_date, watermark, recorded_at)"
                " VALUES (%s, %s, %s)",
                (run_date, watermark, _utc_now()),
            )

    def watermark_of(self, run_date: date) -> object:
        rows = self._rows("SELECT watermark FROM last_extracted WHERE run_date = %s", (run_date,))
        return rows[0][0] if rows else NO_WATERMARK

    def watermark_before(self, run_date: date) -> datetime | None:
        rows = self._rows(
            "SELECT watermark FROM last_extracted WHERE run_date < %s"
            " ORDER BY run_date DESC LIMIT 1",
            (run_date,),
        )
        return rows[0][0] if rows else None

    def history(self) -> list[tuple[date, datetime | None, datetime]]:
        rows = self._rows(
            "SELECT run_date, watermark, recorded_at FROM last_extracted ORDER BY run_date", ()
        )
        return [(row[0], row[1], row[2]) for row in rows]

    def _lock_name(self, run_date: date) -> str:
        """'strava_pipeline:<hash of host/port/database>:YYYY-MM-DD' (GET_LOCK names <= 64)."""
        where = f"{self._options['host']}:{self._options['port']}/{self._options['database']}"
        digest = hashlib.sha256(where.encode()).hexdigest()[:16]
        return f"strava_pipeline:{digest}:{run_date.isoformat()}"

    @contextmanager
    def lock_run_date(self, run_date: date, wait_seconds: float) -> Iterator[None]:
        """GET_LOCK on a connection of its own, held for the block; the server frees it when
        the connection ends, so a killed run never leaves the date locked."""
        name = self._lock_name(run_date)
        wait = max(0, math.ceil(wait_seconds))
        connection = self._connect(read_timeout=wait + 60)  # GET_LOCK may block that long
        try:
            started = time.monotonic()
            with connection.cursor() as cursor:
                cursor.execute("SELECT GET_LOCK(%s, %s)", (name, wait))
                (granted,) = cursor.fetchone()
                if granted != 1:
                    cursor.execute("SELECT IS_USED_LOCK(%s)", (name,))
                    (holder,) = cursor.fetchone()
                    raise RunDateBusy(busy_message(
                        run_date, f"state-store connection {holder}",
                        time.monotonic() - started))
            try:
                yield
            finally:
                with suppress(pymysql.err.MySQLError), connection.cursor() as cursor:
                    cursor.execute("SELECT RELEASE_LOCK(%s)", (name,))
        except (pymysql.err.OperationalError, pymysql.err.InterfaceError) as error:
            raise StateStoreError(
                f"the state store {mask_url(self.url)} failed while holding the lock of run date "
                f"{run_date}: {redact(str(error), self.url)}; rerun the date once it is back"
            ) from None
        finally:
            if connection.open:
                connection.close()
