"""The warehouse: staging, production, markers and models, behind one interface.

Every data change happens inside one transaction together with its Luigi marker row in
``table_updates``, so a stage is either finished (data and marker) or not started. Dialect
differences (bulk loading, parameter style, connecting) live in the subclasses; the SQL files are
shared by every warehouse.
"""

from __future__ import annotations

import logging
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import luigi

from pipeline.backends.lake import Lake
from pipeline.backends.migrations import WAREHOUSE_MIGRATIONS, ensure_migrated
from pipeline.backends.run_lock import verify_run_date_lock
from pipeline.backends.session import Session
from pipeline.sql_files import (
    TABLES,
    check_identifier,
    parameter_names,
    read_dialect_sql,
    read_sql,
    render,
    split_statements,
)

logger = logging.getLogger(__name__)

__all__ = ["Session", "Warehouse", "WarehouseMarkerTarget", "utc_now"]


def utc_now() -> datetime:
    """Naive UTC now, to the second (the warehouse's TIMESTAMP convention)."""
    return datetime.now(timezone.utc).replace(tzinfo=None, microsecond=0)


class WarehouseConnectionError(RuntimeError):
    """The warehouse was unreachable or dropped the connection; the transaction was rolled back.

    Defined here, not beside the PostgreSQL adapter that raises it, so that the command line can
    catch it without importing psycopg2 (issue 23: a DuckDB run loads no PostgreSQL driver)."""


class Warehouse(ABC):
    """A SQL warehouse reached through a DB-API driver."""

    url: str
    dialect: str
    paramstyle: str

    @abstractmethod
    def _connect(self) -> Any:
        """A new DB-API connection."""

    @abstractmethod
    def _bulk_load(self, session: Session, lake: Lake, key: str, table: str) -> None:
        """Load the lake object ``key`` into ``table`` with the warehouse's bulk loader."""

    def _begin(self, connection: Any) -> Any:
        return connection.cursor()

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """Open a connection and a transaction; commit on success, roll back on error, close."""
        connection = self._connect()
        try:
            cursor = self._begin(connection)
            try:
                yield Session(cursor, self.paramstyle)
                verify_run_date_lock()  # a run that lost its run date's lock saves nothing
                connection.commit()
            except BaseException:
                self._rollback(connection)
                raise
        finally:
            connection.close()

    def _rollback(self, connection: Any) -> None:
        """Roll back; adapters whose connection may already be gone override this."""
        connection.rollback()

    @contextmanager
    def read_only_transaction(self) -> Iterator[Session]:
        """A transaction the server itself keeps read-only, always rolled back: where checks
        run, so that no check can change the warehouse whatever its SQL."""
        connection = self._connect()
        try:
            self._make_read_only(connection)
            cursor = self._begin(connection)
            try:
                yield Session(cursor, self.paramstyle)
            finally:
                self._rollback(connection)
        finally:
            connection.close()

    def _make_read_only(self, connection: Any) -> None:
        """Make the connection's next transaction read-only (each adapter says how)."""
        raise NotImplementedError(f"{type(self).__name__} has no read-only transaction")

    def ensure_schema(self) -> None:
        """Apply the pending migrations of ``sql/migrations/`` once per process and warehouse
        (``exists()`` checks call it often)."""
        ensure_migrated(self, WAREHOUSE_MIGRATIONS)

    def lock_migrations(self, session: Session) -> None:
        """Serialize migrations across processes; DuckDB's file lock already does."""
        return None

    def query(self, sql: str, params: Mapping[str, Any] | None = None,
              **identifiers: str) -> list[tuple]:
        """Rows of one read-only statement (table names from the fixed set)."""
        with self.transaction() as session:
            return session.execute(render(sql, **identifiers), params).fetchall()

    def query_file(self, relative_path: str, params: Mapping[str, Any] | None = None,
                   **identifiers: str) -> list[tuple]:
        """Rows of the last statement of a SQL file (this dialect's own form of it, where
        there is one: ``<stem>.<dialect>.sql``)."""
        statements = split_statements(render(read_dialect_sql(relative_path, self.dialect),
                                             **identifiers))
        with self.transaction() as session:
            for statement in statements:
                session.execute(statement, params)
            return session.fetchall()

    # -- markers -----------------------------------------------------------------------------

    def marker_exists(self, update_id: str) -> bool:
        """Whether the stage identified by ``update_id`` has finished."""
        rows = self.query(
            "SELECT 1 FROM {marker_table} WHERE update_id = :update_id", {"update_id": update_id}
        )
        return bool(rows)

    def write_marker(self, session: Session, update_id: str, target_table: str) -> None:
        """Record a finished stage inside the caller's transaction."""
        session.execute(
            render("DELETE FROM {marker_table} WHERE update_id = :update_id"),
            {"update_id": update_id},
        )
        session.execute(
            render(
                "INSERT INTO {marker_table} (update_id, target_table, inserted)"
                " VALUES (:update_id, :target_table, :inserted)"
            ),
            {"update_id": update_id, "target_table": target_table, "inserted": utc_now()},
        )

    # -- tables --------------------------------------------------------------------------------

    def table_exists(self, table: str) -> bool:
        """Whether a table of that name exists in the warehouse's default schema."""
        rows = self.query(
            "SELECT 1 FROM information_schema.tables WHERE table_name = :table",
            {"table": check_identifier(table)},
        )
        return bool(rows)

    def drop_table(self, table: str) -> None:
        """Drop a table if it exists (staging, mostly: the checkpoint deferred by its load
        resumes with this commit, which no longer holds its rows)."""
        with self.transaction() as session:
            session.execute(f"DROP TABLE IF EXISTS {check_identifier(table)}")
            self._resume_checkpoint(session)

    # -- validation ----------------------------------------------------------------------------

    def record_validations(self, rows: Sequence[Mapping[str, Any]],
                           update_id: str | None = None) -> None:
        """Keep check outcomes in validation_results and, given ``update_id``, mark the stage
        that ran them; one transaction, so a stage counts as done only with all its outcomes."""
        self.ensure_schema()
        with self.transaction() as session:
            self._insert_validation_rows(session, rows)
            if update_id is not None:
                self.write_marker(session, update_id, TABLES["validation_table"])

    @staticmethod
    def _insert_validation_rows(session: Session, rows: Sequence[Mapping[str, Any]]) -> None:
        """Insert check outcomes into validation_results inside the caller's transaction: one
        statement for up to 100 rows (a backfill records 11 checks for each of 157 weeks)."""
        names = ("run_date", "check_name", "left_value", "right_value", "operator", "severity",
                 "status", "message", "checked_at", "athlete_id")
        head = render("INSERT INTO {validation_table} (" + ", ".join(names) + ") VALUES ")
        for start in range(0, len(rows), 100):
            batch = rows[start:start + 100]
            params: dict[str, Any] = {}
            values = []
            for number, row in enumerate(batch):
                # athlete_id: the athlete whose data was checked (issue 26), or NULL
                params.update({f"{name}_{number}": row.get(name) if name == "athlete_id"
                               else row[name] for name in names})
                values.append("(" + ", ".join(f":{name}_{number}" for name in names) + ")")
            session.execute(head + ", ".join(values), params)

    def quarantine_staging(self, staging_table: str | None, new_name: str,
                           update_ids: list[str], update_id_prefix: str) -> None:
        """Rename a staging table aside and forget the markers of the stages that made and
        checked it (``update_ids`` and every id starting with ``update_id_prefix``), in one
        transaction, so that they all run again. Nothing is deleted but marker rows.
        """
        if any(wildcard in update_id_prefix for wildcard in "%_\\"):
            raise ValueError(f"marker prefix {update_id_prefix!r} holds a LIKE wildcard")
        with self.transaction() as session:
            if staging_table is not None:
                session.execute(
                    f"ALTER TABLE {check_identifier(staging_table)}"
                    f" RENAME TO {check_identifier(new_name)}"
                )
            for update_id in update_ids:
                session.execute(
                    render("DELETE FROM {marker_table} WHERE update_id = :update_id"),
                    {"update_id": update_id},
                )
            session.execute(
                render("DELETE FROM {marker_table} WHERE update_id LIKE :pattern"),
                {"pattern": update_id_prefix + "%"},
            )

    # -- pipeline stages -----------------------------------------------------------------------

    def load_staging(self, lake: Lake, key: str, staging_table: str, update_id: str) -> int:
        """(Re)create a staging table, bulk-load the lake object into it, mark it; one transaction.

        Returns the number of rows loaded.
        """
        self.ensure_schema()
        with self.transaction() as session:
            session.execute(f"DROP TABLE IF EXISTS {check_identifier(staging_table)}")
            session.run_file("staging/create_staging_table.sql", staging_table=staging_table)
            self._bulk_load(session, lake, key, staging_table)
            count = session.execute(f"SELECT COUNT(*) FROM {staging_table}").fetchone()[0]
            self.write_marker(session, update_id, staging_table)
            self._defer_checkpoint(session)
        return int(count)

    def _defer_checkpoint(self, session: Session) -> None:
        """Let the commit keep the staging rows in the engine's durable log, not rewrite them
        into the database file: the merge drops them soon after (DuckDB overrides it); by
        default nothing to do."""
        return None

    def _resume_checkpoint(self, session: Session) -> None:
        """Undo :meth:`_defer_checkpoint` before a transaction that drops staging commits, so
        that its commit writes the file as usual; by default nothing to do."""
        return None

    def merge_staging(self, staging_table: str, update_id: str) -> None:
        """Upsert staging into production, mark it and drop staging, in one transaction: a
        kill after the commit leaves no staging table behind (DROP is transactional on DuckDB,
        PostgreSQL and Redshift)."""
        with self.transaction() as session:
            self._merge(session, staging_table, update_id)

    def merge_staging_counted(self, staging_table: str,
                              update_id: str) -> tuple[int, int, int, int]:
        """``merge_staging`` with the load's counts read in its transaction (one transaction
        where a load used three; a backfill loads 157 weeks): (staged activities new to
        production, staged ones that change a column a person sees, production's rows before,
        production's rows after), ``production/load_counts.sql`` before the merge and
        ``production/production_rows.sql`` after it."""
        with self.transaction() as session:
            session.run_file("production/load_counts.sql", staging_table=staging_table)
            ((added, changed, before),) = session.fetchall()
            self._merge(session, staging_table, update_id)
            session.run_file("production/production_rows.sql")
            ((after,),) = session.fetchall()
        return int(added or 0), int(changed or 0), int(before), int(after)

    def _merge(self, session: Session, staging_table: str, update_id: str) -> None:
        """The merge, its marker and the drop of staging, in the caller's transaction."""
        session.run_file(
            "production/merge_staging_into_production.sql", staging_table=staging_table
        )
        self.write_marker(session, update_id, "strava_activity_data")
        session.execute(f"DROP TABLE {check_identifier(staging_table)}")
        self._resume_checkpoint(session)

    def release_memory(self, above_mib: float = 0.0) -> None:
        """Give back the memory the engine kept after a large load (issue 23), only if it holds
        more than ``above_mib``; a server warehouse keeps nothing in this process, so by
        default nothing to do."""
        return None

    def reconcile_staging(self, staging_table: str, update_id: str,
                          removed_ids: Sequence[int]) -> tuple[int, int]:
        """A reconciliation's load (issue 20), one transaction with its marker: upsert the
        staging rows that are new or changed, delete ``removed_ids`` from production; then drop
        staging. Returns (added, changed)."""
        with self.transaction() as session:
            added = session.run_file_value("reconcile/added_count.sql",
                                           staging_table=staging_table)
            upserted = session.run_file_value("reconcile/keep_changed_only.sql",
                                              staging_table=staging_table)
            session.run_file("production/merge_staging_into_production.sql",
                             staging_table=staging_table)
            for activity_id in removed_ids:
                session.run_file("reconcile/delete_removed.sql", {"id": int(activity_id)})
            self.write_marker(session, update_id, "strava_activity_data")
        self.drop_table(staging_table)
        return added, upserted - added

    def apply_event_batch(self, staging_table: str | None, update_id: str,
                          removed_ids: Sequence[int], applied: Sequence[Mapping[str, Any]]
                          ) -> None:
        """A batch of webhook events (issue 20), one transaction with its marker: upsert the
        staging rows (when there is a staging table), delete ``removed_ids``, record the applied
        events; then drop staging."""
        self.ensure_schema()
        with self.transaction() as session:
            if staging_table is not None:
                session.run_file("production/merge_staging_into_production.sql",
                                 staging_table=staging_table)
            for activity_id in removed_ids:
                session.run_file("reconcile/delete_removed.sql", {"id": int(activity_id)})
            record = read_sql("events/record_applied.sql").strip().rstrip(";")
            for row in applied:
                session.execute(record, {**row, "applied_at": utc_now()})
            self.write_marker(session, update_id, "strava_activity_data")
        if staging_table is not None:
            self.drop_table(staging_table)

    def refresh_production_rows(self, lake: Lake, key: str, rebuild_table: str) -> int:
        """Replace production's rows by the rows of a rebuilt extract (``strava-pipeline
        rebuild-from-lake``): bulk-load the lake object into ``rebuild_table``, keep the ids
        production holds from the same read or an older one, merge them as a load does, drop
        the table; one transaction. Returns the rows replaced."""
        self.ensure_schema()
        with self.transaction() as session:
            session.execute(f"DROP TABLE IF EXISTS {check_identifier(rebuild_table)}")
            session.run_file("staging/create_staging_table.sql", staging_table=rebuild_table)
            self._bulk_load(session, lake, key, rebuild_table)
            session.run_file("production/refresh_rows_from_rebuild.sql",
                             staging_table=rebuild_table)
            count = session.execute(f"SELECT COUNT(*) FROM {rebuild_table}").fetchone()[0]
            session.run_file("production/merge_staging_into_production.sql",
                             staging_table=rebuild_table)
            session.execute(f"DROP TABLE {rebuild_table}")
        return int(count)

    # -- activity streams (pipeline/streams/) ---------------------------------------------------

    def replace_streams(self, parquet: Path, athlete_id: int | None = None) -> int:
        """Replace the samples of the activities in a local Parquet file of activity_streams
        rows by the file's, in one transaction; the rows loaded. Each sample's athlete_id is
        its activity's in production, else ``athlete_id`` (whose samples the writer stores:
        an archive's activities reach production after their streams)."""
        self.ensure_schema()
        table = "staging_activity_streams"  # as named in sql/streams/
        with self.transaction() as session:
            session.run_file("streams/create_stream_staging.sql")
            count = self._load_parquet(session, parquet, table)
            for statement in split_statements(render(read_sql("streams/replace_streams.sql"))):
                session.execute(statement, {"athlete_id": athlete_id}
                                if parameter_names(statement) else None)
        return count

    def _load_parquet(self, session: Session, parquet: Path, table: str) -> int:
        """Insert a Parquet file's rows into ``table`` (any DB-API driver: batched inserts;
        adapters with a bulk path override it)."""
        import duckdb  # reads the Parquet file in batches; the rows never all sit in memory

        count = 0
        reader = duckdb.connect().execute("SELECT * FROM read_parquet(?)", [str(parquet)])
        names = [column[0] for column in reader.description]
        insert = (f"INSERT INTO {check_identifier(table)} ({', '.join(names)}) VALUES "
                  f"({', '.join(':' + name for name in names)})")
        while rows := reader.fetchmany(5000):
            for row in rows:
                session.execute(insert, dict(zip(names, row, strict=True)))
            count += len(rows)
        return count

    # -- models --------------------------------------------------------------------------------

    def build_candidate(self, candidate_table: str, select: str,
                        params: Mapping[str, Any] | None = None) -> None:
        """(Re)create ``candidate_table`` from a model's SELECT, in one transaction: the new
        build of a table model, tested before it replaces the live table."""
        with self.transaction() as session:
            self._create_candidate(session, candidate_table, select, params)

    def swap_in_candidate(self, table: str, candidate_table: str, update_id: str,
                          test_rows: Sequence[Mapping[str, Any]] = ()) -> None:
        """Replace ``table`` by ``candidate_table``, keep its tests' outcomes in
        validation_results and mark it, in one transaction.

        DROP and RENAME inside one transaction: readers see the old or the new table, never an
        empty one, and no TRUNCATE (which commits implicitly on Redshift).
        """
        self.ensure_schema()
        with self.transaction() as session:
            self._swap(session, table, candidate_table, update_id, test_rows)

    def build_and_swap(self, table: str, candidate_table: str, select: str,
                       params: Mapping[str, Any] | None, update_id: str,
                       tests: Callable[[Session], Sequence[Mapping[str, Any]] | None]) -> bool:
        """Build the candidate, test it and swap it in, all in ONE transaction (one commit
        instead of two, issue 23). ``tests`` runs the table's tests on the candidate inside that
        transaction and returns their validation rows, or None when one did not pass cleanly
        (a failed halt test, a query that could not run): then the transaction is rolled back,
        nothing changed, and this returns False, for the caller to take the steps one by one
        (build_candidate, its tests, swap_in_candidate), which keeps the candidate to inspect."""
        self.ensure_schema()
        try:
            with self.transaction() as session:
                self._create_candidate(session, candidate_table, select, params)
                rows = tests(session)
                if rows is None:
                    raise _NotClean
                self._swap(session, table, candidate_table, update_id, rows)
        except _NotClean:
            return False
        return True

    @staticmethod
    def _create_candidate(session: Session, candidate_table: str, select: str,
                          params: Mapping[str, Any] | None) -> None:
        session.execute(f"DROP TABLE IF EXISTS {check_identifier(candidate_table)}")
        session.execute(f"CREATE TABLE {candidate_table} AS {select}", _bound(select, params))

    def _swap(self, session: Session, table: str, candidate_table: str, update_id: str,
              test_rows: Sequence[Mapping[str, Any]]) -> None:
        session.execute(f"DROP TABLE IF EXISTS {check_identifier(table)}")
        session.execute(f"ALTER TABLE {check_identifier(candidate_table)} RENAME TO {table}")
        self._insert_validation_rows(session, test_rows)
        self.write_marker(session, update_id, table)

    def replace_view(self, view: str, select: str, update_id: str) -> None:
        """CREATE OR REPLACE VIEW from a model's SELECT and mark it, in one transaction. A table
        of that name (a model that was a table in an earlier release, e.g. stg_activities before
        issue 23) is dropped first."""
        with self.transaction() as session:
            session.execute("SELECT 1 FROM information_schema.tables WHERE table_name = :view"
                            " AND table_type = 'BASE TABLE'", {"view": check_identifier(view)})
            if session.fetchall():
                session.execute(f"DROP TABLE {view}")
            session.execute(f"CREATE OR REPLACE VIEW {check_identifier(view)} AS {select}")
            self.write_marker(session, update_id, view)

    def replace_run_rows(self, table: str, select: str, update_id: str,
                         params: Mapping[str, Any]) -> None:
        """Replace the rows of ``params['run_date']`` in ``table`` by the SELECT's (which yields
        that date's rows only), keeping every other date's; created on first use. Marked in the
        same transaction."""
        bound = _bound(select, params)
        exists = self.table_exists(table)
        with self.transaction() as session:
            if exists:
                session.execute(f"DELETE FROM {check_identifier(table)} WHERE run_date = :run_date",
                                {"run_date": params["run_date"]})
                session.execute(f"INSERT INTO {table} {select}", bound)
            else:
                session.execute(f"CREATE TABLE {check_identifier(table)} AS {select}", bound)
            self.write_marker(session, update_id, table)


class _NotClean(Exception):
    """A test of a candidate did not pass cleanly: its one-transaction build is rolled back."""


def _bound(select: str, params: Mapping[str, Any] | None) -> dict[str, Any]:
    """The parameters a SELECT binds, from ``params``; a clear error for a missing one."""
    wanted = set(parameter_names(select))
    missing = sorted(wanted - set(params or {}))
    if missing:
        raise ValueError(f"the model SELECT binds {missing}; pass them in params")
    return {name: value for name, value in (params or {}).items() if name in wanted}


class WarehouseMarkerTarget(luigi.Target):
    """A Luigi target that exists once a marker row with ``update_id`` is in the warehouse."""

    def __init__(self, warehouse: Warehouse, update_id: str) -> None:
        self.warehouse = warehouse
        self.update_id = update_id

    def exists(self) -> bool:
        self.warehouse.ensure_schema()
        return self.warehouse.marker_exists(self.update_id)
