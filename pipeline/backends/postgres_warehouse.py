"""PostgreSQL warehouse: ``postgresql://user:password@host:5432/database`` through psycopg2.

Staging is loaded with ``COPY ... FROM STDIN`` fed straight from the lake object's stream, inside
the transaction that also writes the stage's marker row (Luigi's ``PostgresTarget`` semantics:
``table_updates`` has Luigi's columns, so ``luigi.contrib.postgres.PostgresTarget`` sees the same
markers). One connection per transaction, always closed.
"""

from __future__ import annotations

import csv
import io
import tempfile
from collections.abc import Iterator
from contextlib import closing, contextmanager, suppress
from pathlib import Path
from typing import Any, BinaryIO
from urllib.parse import parse_qsl, urlsplit

import psycopg2

from pipeline import activity_csv
from pipeline.backends.lake import Lake
from pipeline.backends.urls import mask_url, redact, server_parts
from pipeline.backends.warehouse import Session, Warehouse, WarehouseConnectionError
from pipeline.errors import joined_lines
from pipeline.settings import ConfigurationError
from pipeline.sql_files import quote_literal

# libpq options a URL may carry as ?name=value (TLS for a managed database, mostly).
_URL_OPTIONS = {"password", "sslmode", "sslrootcert", "sslcert", "sslkey", "connect_timeout",
                "application_name", "options", "keepalives_idle", "target_session_attrs"}
_COPY_CHUNK = 1024 * 1024
MIGRATION_LOCK_KEY = 7_215_120_012  # pg_advisory_xact_lock key of pipeline.backends.migrations
_LONGEST_HEADER = 64 * 1024



class _PrefixedStream(io.RawIOBase):
    """Bytes already read from a stream, then the rest of the stream: nothing buffered whole."""

    def __init__(self, head: bytes, rest: BinaryIO) -> None:
        self._head = head
        self._rest = rest

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        if self._head:
            if size is None or size < 0:
                chunk, self._head = self._head + self._rest.read(), b""
                return chunk
            chunk, self._head = self._head[:size], self._head[size:]
            return chunk
        return self._rest.read(size if size is not None and size >= 0 else None)


def read_header_line(stream: BinaryIO) -> tuple[list[str], bytes]:
    """The extract's column names and the raw bytes read to find them (the header line...)."""
    buffer = b""
    while b"\n" not in buffer and len(buffer) < _LONGEST_HEADER:
        chunk = stream.read(8192)
        if not chunk:
            break
        buffer += chunk
    line = buffer.split(b"\n", 1)[0].decode(activity_csv.ENCODING, errors="replace")
    header = next(csv.reader([line], delimiter=activity_csv.DELIMITER,
                             quotechar=activity_csv.QUOTE), [])
    return header, buffer


class PostgresWarehouse(Warehouse):
    """PostgreSQL through psycopg2 (pyformat parameters)."""

    dialect = "postgresql"
    paramstyle = "pyformat"
    default_port = 5432

    def __init__(self, url: str, connect_timeout: int = 10) -> None:
        self.url = url
        parts = server_parts(url)
        if not parts["database"]:
            raise ConfigurationError(
                f"WAREHOUSE_URL={mask_url(url)!r} names no database: write it as "
                f"{urlsplit(url).scheme}://user:password@host:{self.default_port}/database"
            )
        options = {key: value for key, value in parse_qsl(urlsplit(url).query)}
        unknown = sorted(set(options) - _URL_OPTIONS)
        if unknown:
            raise ConfigurationError(
                f"WAREHOUSE_URL={mask_url(url)!r}: unknown option(s) {', '.join(unknown)}; "
                f"allowed: {', '.join(sorted(_URL_OPTIONS))}"
            )
        self._options: dict[str, Any] = {
            "host": parts["host"],
            "port": parts["port"] or self.default_port,
            "user": parts["user"],
            "password": parts["password"],
            "dbname": parts["database"],
            "connect_timeout": connect_timeout,
            "application_name": "strava-pipeline",
            "client_encoding": "UTF8",
            **options,
        }

    def _connect(self) -> Any:
        try:
            return psycopg2.connect(**{k: v for k, v in self._options.items() if v is not None})
        except psycopg2.Error as error:
            raise WarehouseConnectionError(
                f"cannot connect to the warehouse {mask_url(self.url)}: "
                f"{joined_lines(redact(str(error), self.url))}; "
                "check WAREHOUSE_URL and that the database is up"
            ) from None

    def _rollback(self, connection: Any) -> None:
        if connection.closed:
            return
        # When the server is gone it has discarded the transaction itself.
        with suppress(psycopg2.OperationalError, psycopg2.InterfaceError):
            connection.rollback()

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """The base transaction; a connection lost on the way becomes one clear error."""
        with self._connection_errors_as_one_line(), super().transaction() as session:
            yield session

    @contextmanager
    def read_only_transaction(self) -> Iterator[Session]:
        """``BEGIN READ ONLY`` (psycopg2's read-only session), always rolled back."""
        with self._connection_errors_as_one_line(), super().read_only_transaction() as session:
            yield session

    def _make_read_only(self, connection: Any) -> None:
        connection.set_session(readonly=True)

    @contextmanager
    def _connection_errors_as_one_line(self) -> Iterator[None]:
        try:
            yield
        except (psycopg2.OperationalError, psycopg2.InterfaceError) as error:
            raise WarehouseConnectionError(
                f"the warehouse {mask_url(self.url)} failed during a transaction: "
                f"{joined_lines(redact(str(error), self.url))}; it was rolled back and nothing of "
                "this step was saved: rerun the date once the database is reachable"
            ) from None

    def lock_migrations(self, session: Session) -> None:
        """A transaction-scoped advisory lock: one process migrates at a time."""
        session.execute("SELECT pg_advisory_xact_lock(:key)", {"key": MIGRATION_LOCK_KEY})

    def _load_parquet(self, session: Session, parquet: Path, table: str) -> int:
        """COPY FROM STDIN of the Parquet file's rows as CSV, written by DuckDB to a temporary
        file (streamed, never whole in memory)."""
        import duckdb

        with tempfile.TemporaryDirectory(prefix="streams-") as folder:
            csv_path = Path(folder) / "streams.csv"
            duckdb.connect().execute(
                f"COPY (SELECT * FROM read_parquet({quote_literal(str(parquet))})) TO "
                f"{quote_literal(str(csv_path))} (FORMAT csv, HEADER false)")
            with open(csv_path, "rb") as stream:
                session.cursor.copy_expert(f"COPY {table} FROM STDIN WITH (FORMAT csv)", stream,
                                           size=_COPY_CHUNK)
        return int(session.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0])

    def copy_statement(self, table: str) -> str:
        """``COPY table FROM STDIN`` in the extract file's dialect (see ``activity_csv``)."""
        return (
            f"COPY {table} FROM STDIN WITH (FORMAT csv, HEADER true, "
            f"DELIMITER {quote_literal(activity_csv.DELIMITER)}, "
            f"QUOTE {quote_literal(activity_csv.QUOTE)}, "
            f"ESCAPE {quote_literal(activity_csv.QUOTE)}, "
            "NULL '', ENCODING 'UTF8')"
        )

    def _bulk_load(self, session: Session, lake: Lake, key: str, table: str) -> None:
        with closing(lake.open_binary(key)) as stream:
            header, head = read_header_line(stream)
            activity_csv.check_header(header, lake.uri(key))
            session.cursor.copy_expert(
                self.copy_statement(table), _PrefixedStream(head, stream), size=_COPY_CHUNK
            )
