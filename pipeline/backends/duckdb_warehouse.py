"""DuckDB, the embedded default warehouse: ``duckdb:///path/to/warehouse.duckdb``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import duckdb
from tenacity import Retrying, retry_if_exception, stop_after_delay, wait_exponential

from pipeline import activity_csv
from pipeline.backends.lake import Lake
from pipeline.backends.warehouse import Session, Warehouse


def _is_lock_conflict(error: BaseException) -> bool:
    return isinstance(error, duckdb.IOException) and "lock" in str(error).lower()


def _sql_string(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


class DuckDBWarehouse(Warehouse):
    """A DuckDB file. One process writes at a time, so connecting waits out a held lock."""

    dialect = "duckdb"
    paramstyle = "dollar"

    def __init__(self, url: str, path: Path, lock_wait_seconds: float = 120.0) -> None:
        self.url = url
        self.path = path
        self.lock_wait_seconds = lock_wait_seconds

    def _connect(self) -> Any:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        for attempt in Retrying(
            retry=retry_if_exception(_is_lock_conflict),
            stop=stop_after_delay(self.lock_wait_seconds),
            wait=wait_exponential(multiplier=0.05, max=2),
            reraise=True,
        ):
            with attempt:
                return duckdb.connect(str(self.path))
        raise AssertionError("unreachable")

    def _begin(self, connection: Any) -> Any:
        connection.begin()
        return connection

    def _bulk_load(self, session: Session, lake: Lake, key: str, table: str) -> None:
        with lake.local_file(key) as path:
            activity_csv.check_header(activity_csv.read_header(path), lake.uri(key))
            session.execute(
                f"COPY {table} FROM {_sql_string(str(path))} (FORMAT csv, HEADER true, "
                f"DELIMITER {_sql_string(activity_csv.DELIMITER)}, "
                f"QUOTE {_sql_string(activity_csv.QUOTE)}, "
                f"ESCAPE {_sql_string(activity_csv.QUOTE)}, "
                "NULLSTR '', ALLOW_QUOTED_NULLS false, NEW_LINE '\\n', ENCODING 'utf-8')"
            )
