"""DuckDB, the embedded default warehouse: ``duckdb:///path/to/warehouse.duckdb``.

Opening a DuckDB database costs about 30 ms (an in-memory one as much), a cursor on an open one
well under 1 ms. So each process keeps ONE open database per file and lends every transaction a
short cursor of it, and completeness checks read every marker id in one query.

A process holding a DuckDB file open read-write locks it: no other process can open it, not
even read-only. So the open database is released as soon as the process stops using it for
``IDLE_RELEASE_SECONDS`` (between runs, during a long Strava extract or rate-limit wait, after
the last task), before the process forks (Luigi's worker processes open their own), at exit, and
on ``release_all()``. Another process that wants the file meanwhile waits (this adapter retries
for ``lock_wait_seconds``); the running pipeline waits for it in turn.
"""

from __future__ import annotations

import atexit
import os
import re
import threading
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import duckdb
from tenacity import Retrying, retry_if_exception, stop_after_delay, wait_exponential

from pipeline import activity_csv
from pipeline.backends.lake import Lake
from pipeline.backends.run_lock import verify_run_date_lock
from pipeline.backends.warehouse import Session, Warehouse
from pipeline.sql_files import TABLES, quote_literal, render

IDLE_RELEASE_SECONDS = 1.0
_MARKER_IDS = "SELECT update_id FROM {marker_table}"
_MARKER_TABLE = TABLES["marker_table"].lower()
_DEFER_CHECKPOINT = "SET checkpoint_threshold = '1TB'"
_RESUME_CHECKPOINT = "RESET checkpoint_threshold"


class WarehouseFileError(RuntimeError):
    """The DuckDB file cannot be opened (a read-only DATA_DIR, no such folder, a full disk)."""


class WarehouseBusyError(RuntimeError):
    """Another process kept the DuckDB file locked for longer than the adapter waits."""


def _is_lock_conflict(error: BaseException) -> bool:
    return isinstance(error, duckdb.IOException) and "lock" in str(error).lower()



class _OpenDatabase:
    """This process's open database for one file: lends cursors, releases itself when idle."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.lock = threading.Lock()
        self.connection: Any = None
        self.active = 0
        self.last_used = 0.0
        self.markers: frozenset[str] | None = None
        self.transactions = 0  # transactions begun, to keep a marker read only when alone

    def cursor(self, lock_wait_seconds: float) -> Any:
        """A new cursor (its own transaction context) of the open database; opens it if needed."""
        with self.lock:
            if self.connection is None:
                self.connection = _open(self.path, lock_wait_seconds)
            self.active += 1
            return self.connection.cursor()

    def returned(self) -> None:
        """A cursor's transaction is over; the release timer starts from now."""
        with self.lock:
            self.active -= 1
            self.last_used = time.monotonic()
        _RELEASER.wake()

    def memory_mib(self) -> float:
        """What DuckDB holds for this open database (its buffer pool and more), in MiB; 0 when
        it is closed."""
        with self.lock:
            if self.connection is None:
                return 0.0
            cursor = self.connection.cursor()
            try:
                row = cursor.execute("SELECT COALESCE(SUM(memory_usage_bytes), 0)"
                                     " FROM duckdb_memory()").fetchone()
            finally:
                cursor.close()
        return float(row[0]) / 2**20

    def release_if_idle(self, idle_seconds: float) -> bool:
        """Close the database if no transaction is open and it was unused for ``idle_seconds``.

        Returns whether it is (now) closed.
        """
        with self.lock:
            if self.connection is None:
                return True
            if self.active or time.monotonic() - self.last_used < idle_seconds:
                return False
            connection, self.connection, self.markers = self.connection, None, None
            connection.close()
            return True


def _cannot_use(path: Path, error: Exception) -> WarehouseFileError:
    reason = str(error).splitlines()[0] if str(error) else type(error).__name__
    return WarehouseFileError(
        f"cannot use the DuckDB warehouse {path}: {reason}: make {path.parent} writable for "
        "this user (and free disk space) or point DATA_DIR / WAREHOUSE_URL elsewhere, then run "
        "again")


def _open(path: Path, lock_wait_seconds: float) -> Any:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise _cannot_use(path, error) from None
    try:
        for attempt in Retrying(
            retry=retry_if_exception(_is_lock_conflict),
            stop=stop_after_delay(lock_wait_seconds),
            wait=wait_exponential(multiplier=0.05, max=1),
            reraise=True,
        ):
            with attempt:
                return duckdb.connect(str(path))
    except duckdb.IOException as error:
        if not _is_lock_conflict(error):
            raise _cannot_use(path, error) from None
        holder = re.search(r"PID (\d+)", str(error))
        raise WarehouseBusyError(
            f"the DuckDB warehouse {path} stayed locked by another process"
            f"{f' (PID {holder.group(1)})' if holder else ''} for {lock_wait_seconds:.0f} s: "
            "a process keeps the file while it uses it (a pipeline run until its tasks are done)"
            "; wait for it to finish, or stop it, then run again (several workers on the "
            "embedded DuckDB take turns at its one writer: raise WAREHOUSE_LOCK_WAIT, or use "
            "PostgreSQL or Redshift to run tasks side by side, docs/many-machines.md)"
        ) from None
    raise AssertionError("unreachable")


_DATABASES: dict[Path, _OpenDatabase] = {}
_DATABASES_LOCK = threading.Lock()


def _database(path: Path) -> _OpenDatabase:
    with _DATABASES_LOCK:
        database = _DATABASES.get(path)
        if database is None:
            database = _DATABASES[path] = _OpenDatabase(path)
        return database


class _Releaser:
    """One daemon thread per process that closes databases left idle; it ends when all are."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.thread: threading.Thread | None = None

    def wake(self) -> None:
        with self.lock:
            if self.thread is None or not self.thread.is_alive():
                self.thread = threading.Thread(target=self._run, name="duckdb-idle-release",
                                               daemon=True)
                self.thread.start()

    def _run(self) -> None:
        while True:
            time.sleep(IDLE_RELEASE_SECONDS / 4)
            with _DATABASES_LOCK:
                databases = list(_DATABASES.values())
            with self.lock:
                if all(database.release_if_idle(IDLE_RELEASE_SECONDS) for database in databases):
                    self.thread = None
                    return


_RELEASER = _Releaser()


def release_all(keep: frozenset[Path] = frozenset()) -> None:
    """Close every database this process has open and no transaction uses, at once (but the
    files in ``keep``: see :func:`open_files`).

    For code that runs the pipeline in-process (tests, notebooks, the benchmark) and then opens
    the file itself with ``read_only=True``, or hands it to another process.
    """
    with _DATABASES_LOCK:
        databases = [database for path, database in _DATABASES.items() if path not in keep]
    for database in databases:
        database.release_if_idle(0.0)


def open_files() -> frozenset[Path]:
    """The DuckDB files this process has open now (a check that opens one closes only its own:
    ``release_all(keep=open_files())`` taken before it)."""
    with _DATABASES_LOCK:
        return frozenset(path for path, database in _DATABASES.items()
                         if database.connection is not None)


_INHERITED: list[Any] = []


def _forget_in_child() -> None:
    # A forked child must never use, nor close, a database its parent had open: it opens its
    # own. Kept referenced so that no destructor closes (and checkpoints) it from the child.
    global _DATABASES_LOCK
    _DATABASES_LOCK = threading.Lock()
    for database in _DATABASES.values():
        database.lock = threading.Lock()
        if database.connection is not None:
            _INHERITED.append(database.connection)
        database.connection, database.active, database.markers = None, 0, None
    _RELEASER.lock, _RELEASER.thread = threading.Lock(), None


os.register_at_fork(before=release_all, after_in_child=_forget_in_child)
atexit.register(release_all)


class _MarkerWatch(Session):
    """A transaction's session that notes whether a statement other than ``write_marker``'s
    names the marker table (or the raw cursor was lent out), and the marker ids written."""

    def __init__(self, cursor: Any, paramstyle: str) -> None:
        super().__init__(cursor, paramstyle)
        self.marked: list[str] = []
        self.writing_marker = False
        self.other_marker_change = False

    def execute(self, sql: str, params: Mapping[str, Any] | None = None) -> Session:
        if not self.writing_marker and _MARKER_TABLE in sql.lower():
            self.other_marker_change = True
        return super().execute(sql, params)

    @property
    def cursor(self) -> Any:
        self.other_marker_change = True
        return super().cursor


class DuckDBWarehouse(Warehouse):
    """A DuckDB file, kept open by this process only while the process uses it."""

    dialect = "duckdb"
    paramstyle = "dollar"

    def __init__(self, url: str, path: Path, lock_wait_seconds: float = 120.0) -> None:
        self.url = url
        self.path = path
        self.lock_wait_seconds = lock_wait_seconds
        # One open database per FILE: two spellings of its path (a symlink) must share it.
        self._file = path.resolve()

    @property
    def _database(self) -> _OpenDatabase:
        return _database(self._file)

    def _connect(self) -> Any:
        """A cursor of the process's open database (opened, waiting out a lock, if need be)."""
        return self._database.cursor(self.lock_wait_seconds)

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """A transaction on a short cursor of the process's open database; commit on success,
        roll back on error. A transaction drops the marker read (it may change markers),
        unless it changed them only through ``write_marker``: its commit adds those ids to it
        (a backfill week's stages would otherwise read every marker four times)."""
        database = self._database
        cursor = self._connect()
        with database.lock:
            database.transactions += 1
            number = database.transactions
            known, database.markers = database.markers, None
        session = _MarkerWatch(cursor, self.paramstyle)
        after: frozenset[str] | None = None
        try:
            cursor.begin()
            try:
                yield session
                verify_run_date_lock()  # a run that lost its run date's lock saves nothing
                cursor.commit()
            except BaseException:
                cursor.rollback()
                raise
            if known is not None and not session.other_marker_change:
                after = known | frozenset(session.marked)
        finally:
            with database.lock:  # kept only if no other transaction began meanwhile
                database.markers = after if database.transactions == number else None
            cursor.close()
            database.returned()

    def write_marker(self, session: Session, update_id: str, target_table: str) -> None:
        """``Warehouse.write_marker``, the id noted for the marker read (``transaction``)."""
        if not isinstance(session, _MarkerWatch):
            super().write_marker(session, update_id, target_table)
            return
        session.writing_marker = True
        try:
            super().write_marker(session, update_id, target_table)
        finally:
            session.writing_marker = False
        session.marked.append(update_id)

    @contextmanager
    def read_only_transaction(self) -> Iterator[Session]:
        """``BEGIN TRANSACTION READ ONLY`` on a short cursor, always rolled back: DuckDB refuses
        every write in it (the file stays open read-write for the rest of the process)."""
        database = self._database
        cursor = self._connect()
        try:
            cursor.execute("BEGIN TRANSACTION READ ONLY")
            try:
                yield Session(cursor, self.paramstyle)
            finally:
                cursor.rollback()
        finally:
            cursor.close()
            database.returned()

    def marker_exists(self, update_id: str) -> bool:
        """Whether the stage finished, from one read of every marker id.

        The read stays valid while this process keeps the file open (no other process can
        write it meanwhile) and until this process's next transaction on it.
        """
        database = self._database
        markers = database.markers
        if markers is None:
            cursor = self._connect()
            try:
                rows = cursor.execute(render(_MARKER_IDS)).fetchall()
                markers = frozenset(row[0] for row in rows)
                # Kept while the cursor is out: the database cannot be released meanwhile.
                database.markers = markers
            finally:
                cursor.close()
                database.returned()
        return update_id in markers

    def release_memory(self, above_mib: float = 0.0) -> None:
        """Close this process's idle connection to the file: DuckDB's buffer pool (what a
        load of the whole history filled) goes back; the next transaction opens it again.

        With ``above_mib``, only when DuckDB holds more than that (``duckdb_memory()``): closing
        checkpoints the file and the next task opens it again, which is most of a small model
        build's time (issue 23), and pays only when the engine kept much."""
        database = self._database
        if above_mib > 0 and database.memory_mib() <= above_mib:
            return
        database.release_if_idle(0.0)

    def _defer_checkpoint(self, session: Session) -> None:
        """No automatic checkpoint until the merge (issue 23): the staging load's commit writes
        its rows to the write-ahead log only (durable: a crash replays it), and the merge's
        commit, which drops staging, checkpoints production without them. Without it the
        staging commit checkpointed its rows, compressed into the file, as long as the COPY
        itself took, for a table that lives until the merge. A global setting of the open
        database: closing it (idle release, exit) checkpoints anyway and forgets it."""
        session.execute(_DEFER_CHECKPOINT)

    def _resume_checkpoint(self, session: Session) -> None:
        """The default checkpoint threshold again: this commit checkpoints as usual."""
        session.execute(_RESUME_CHECKPOINT)

    def _load_parquet(self, session: Session, parquet: Path, table: str) -> int:
        """DuckDB reads the Parquet file itself."""
        session.execute(f"INSERT INTO {table} SELECT * FROM read_parquet("
                        f"{quote_literal(str(parquet))})")
        return int(session.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0])

    def _bulk_load(self, session: Session, lake: Lake, key: str, table: str) -> None:
        with lake.local_file(key) as path:
            activity_csv.check_header(activity_csv.read_header(path), lake.uri(key))
            session.execute(
                f"COPY {table} FROM {quote_literal(str(path))} (FORMAT csv, HEADER true, "
                f"DELIMITER {quote_literal(activity_csv.DELIMITER)}, "
                f"QUOTE {quote_literal(activity_csv.QUOTE)}, "
                f"ESCAPE {quote_literal(activity_csv.QUOTE)}, "
                "NULLSTR '', ALLOW_QUOTED_NULLS false, NEW_LINE '\\n', ENCODING 'utf-8')"
            )
