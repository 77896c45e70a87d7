"""The state store on MySQL or MariaDB: ``mysql://user:password@host:3306/database``.

One short connection per call (utf8mb4, parameterized statements, closed afterwards), so a long
run with many tasks holds no idle connection. The schema comes from ``sql/migrations/state/``
(applied when the store is opened, under ``GET_LOCK``), the queries from ``sql/state/``.
"""

from __future__ import annotations

import hashlib
import math
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from datetime import date
from typing import Any

import pymysql

from pipeline.backends.deadlock import is_deadlock
from pipeline.backends.run_lock import (
    RunDateBusy,
    RunDateLockLost,
    busy_message,
    guarding,
    lost_message,
    verify_run_date_lock,
)
from pipeline.backends.session import Session
from pipeline.backends.state import StateStore
from pipeline.backends.urls import mask_url, redact, server_parts
from pipeline.settings import ConfigurationError

MIGRATION_LOCK_WAIT_SECONDS = 120


class StateStoreError(RuntimeError):
    """The state database could not be reached or dropped the connection; nothing was written."""


class MySQLStateStore(StateStore):
    """Watermarks in a MySQL/MariaDB table ``last_extracted`` (DATE key, DATETIME values)."""

    dialect = "mysql"
    default_port = 3306

    def __init__(self, url: str, connect_timeout: float = 10.0, migrate: bool = True) -> None:
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
        self._migration_lock = f"strava_pipeline.migrations.{parts['database']}"[:64]
        if migrate:
            self.ensure_schema()

    def _connect(self, **overrides: Any) -> pymysql.connections.Connection:
        """A new connection in utf8mb4 (4-byte characters intact)."""
        try:
            return pymysql.connect(**{**self._options, **overrides})
        except pymysql.err.MySQLError as error:
            raise StateStoreError(
                f"cannot connect to the state store {mask_url(self.url)}: "
                f"{redact(str(error), self.url)}; check STATE_URL and that the server is up"
            ) from None

    def lock_migrations(self, session: Session) -> None:
        """GET_LOCK: held by this connection until it closes, so one process migrates at once."""
        got = session.execute("SELECT GET_LOCK(:name, :seconds)",
                              {"name": self._migration_lock,
                               "seconds": MIGRATION_LOCK_WAIT_SECONDS}).fetchone()
        if not got or got[0] != 1:
            raise StateStoreError(
                f"another process held the migration lock of {mask_url(self.url)} for "
                f"{MIGRATION_LOCK_WAIT_SECONDS} s; start again when it has finished"
            )

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """One connection and transaction; committed on success, rolled back on error, closed."""
        connection = self._connect()
        try:
            cursor = connection.cursor()
            try:
                yield Session(cursor, "pyformat")
                verify_run_date_lock()
                connection.commit()
            except BaseException:
                if connection.open:
                    with suppress(pymysql.err.MySQLError):
                        connection.rollback()
                raise
        except (pymysql.err.OperationalError, pymysql.err.InterfaceError) as error:
            if is_deadlock(error):  # kept as the cause: retry_on_deadlock runs it again
                raise StateStoreError(
                    f"the state store {mask_url(self.url)} rolled this step back as a "
                    "deadlock's victim (another process was writing the same rows): nothing "
                    "of it was written; run the date again"
                ) from error
            raise StateStoreError(
                f"the state store {mask_url(self.url)} failed: {redact(str(error), self.url)}; "
                "nothing of this step was written, rerun the date once the server is back"
            ) from None
        finally:
            if connection.open:
                connection.close()

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

            def verify() -> None:
                try:
                    with connection.cursor() as cursor:
                        cursor.execute("SELECT IS_USED_LOCK(%s) = CONNECTION_ID()", (name,))
                        (mine,) = cursor.fetchone()
                except pymysql.err.MySQLError:
                    mine = 0
                if mine != 1:
                    raise RunDateLockLost(lost_message(
                        run_date, f"the state store {mask_url(self.url)}")) from None

            try:
                with guarding(verify):
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
