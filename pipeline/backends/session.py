"""One open transaction of a DB-API connection, with ``:name`` parameters in the SQL text."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pipeline.sql_files import read_sql, render, split_statements, to_paramstyle


class Session:
    """One open transaction: run statements with ``:name`` parameters and read their rows."""

    def __init__(self, cursor: Any, paramstyle: str) -> None:
        self._cursor = cursor
        self._paramstyle = paramstyle

    def execute(self, sql: str, params: Mapping[str, Any] | None = None) -> Session:
        """Run one statement; values only through ``params``."""
        statement = to_paramstyle(sql, self._paramstyle) if params else sql
        if params:
            self._cursor.execute(statement, dict(params))
        else:
            self._cursor.execute(statement)
        return self

    def run_file(self, relative_path: str, params: Mapping[str, Any] | None = None,
                 **identifiers: str) -> None:
        """Run every statement of ``sql/<relative_path>`` with table names filled in."""
        for statement in split_statements(render(read_sql(relative_path), **identifiers)):
            self.execute(statement, params)

    def run_file_value(self, relative_path: str, params: Mapping[str, Any] | None = None,
                       **identifiers: str) -> int:
        """Run a file's statements; the integer its last statement returns (0 for NULL)."""
        self.run_file(relative_path, params, **identifiers)
        row = self.fetchone()
        return int(row[0]) if row and row[0] is not None else 0

    def fetchall(self) -> list[tuple]:
        """Rows of the last statement."""
        return self._cursor.fetchall()

    def fetchone(self) -> tuple | None:
        """First row of the last statement."""
        return self._cursor.fetchone()

    def fetch_frame(self) -> Any:
        """Rows of the last statement as a pandas DataFrame: DuckDB hands over its columns
        (no Python tuple per row); other drivers' rows are framed."""
        if hasattr(self._cursor, "df"):
            return self._cursor.df()
        import pandas as pd

        return pd.DataFrame.from_records(self._cursor.fetchall(), columns=self.column_names)

    @property
    def cursor(self) -> Any:
        """The DB-API cursor, for a driver's bulk loader (``copy_expert``)."""
        return self._cursor

    @property
    def column_names(self) -> list[str]:
        """Column names of the last statement's result."""
        return [column[0] for column in self._cursor.description or ()]
