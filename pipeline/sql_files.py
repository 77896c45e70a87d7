"""Read the project's SQL files and fill in table names from a fixed set.

SQL text never receives values by string formatting: identifiers come from ``TABLES`` (or the
staging-table pattern) and values are bound as ``:name`` parameters by the warehouse adapter.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

SQL_DIR = Path(__file__).resolve().parent.parent / "sql"

# Placeholder -> table name. The only identifiers SQL files may receive besides staging tables.
TABLES: dict[str, str] = {
    "production_table": "strava_activity_data",
    "marker_table": "table_updates",
    "validation_table": "validation_results",
}

_STAGING_TABLE = re.compile(r"^staging_strava_activity_data_\d{8}$")
_MODEL_TABLE = re.compile(r"^[a-z][a-z0-9_]{0,62}$")
_PLACEHOLDER = re.compile(r"{([a-z_]+)}")
_PARAMETER = re.compile(r"(?<![:\w]):([a-z_][a-z0-9_]*)\b")


def staging_table_name(run_date_compact: str) -> str:
    """'staging_strava_activity_data_YYYYMMDD' for a run date given as 'YYYYMMDD'."""
    name = f"staging_strava_activity_data_{run_date_compact}"
    check_identifier(name)
    return name


def check_identifier(name: str) -> str:
    """Accept only the fixed table names, staging tables and model names; raise otherwise."""
    if name in TABLES.values() or _STAGING_TABLE.match(name) or _MODEL_TABLE.match(name):
        return name
    raise ValueError(f"refusing to use {name!r} as a table name")


@cache
def read_sql(relative_path: str) -> str:
    """The text of ``sql/<relative_path>``."""
    path = (SQL_DIR / relative_path).resolve()
    if SQL_DIR not in path.parents:
        raise ValueError(f"{relative_path!r} is outside the sql/ folder")
    return path.read_text(encoding="utf-8")


def quote_literal(text: str) -> str:
    """A SQL string literal of ``text`` for statements that take no parameters (a bulk loader's
    options): single quotes doubled. Values of data never go through it."""
    return "'" + text.replace("'", "''") + "'"


def render(sql: str, **identifiers: str) -> str:
    """Fill ``{placeholder}`` table names: the fixed TABLES plus checked extra identifiers."""
    names = dict(TABLES)
    names.update({key: check_identifier(value) for key, value in identifiers.items()})

    def substitute(match: re.Match[str]) -> str:
        key = match.group(1)
        if key not in names:
            raise KeyError(f"SQL placeholder {{{key}}} has no table name")
        return names[key]

    return _PLACEHOLDER.sub(substitute, sql)


def parameter_names(sql: str) -> list[str]:
    """The ``:name`` parameters a statement binds, in order of appearance."""
    return _PARAMETER.findall(sql)


def to_paramstyle(sql: str, style: str) -> str:
    """Rewrite ``:name`` parameters as DuckDB's/SQLite's ``$name`` or psycopg2/pymysql
    ``%(name)s``."""
    if style == "dollar":
        return _PARAMETER.sub(lambda m: f"${m.group(1)}", sql)
    if style == "pyformat":
        escaped = sql.replace("%", "%%")
        return _PARAMETER.sub(lambda m: f"%({m.group(1)})s", escaped)
    raise ValueError(f"unknown parameter style {style!r}")


_STATEMENT_END = re.compile(r";[ \t]*(?:--[^\n]*)?(?:\n|$)")


def split_statements(sql: str) -> list[str]:
    """Split a file into statements at semicolons that end a line (our files' convention)."""
    statements = []
    for part in _STATEMENT_END.split(sql):
        code = "\n".join(
            line for line in part.splitlines() if line.strip() and not line.strip().startswith("--")
        )
        if code.strip():
            statements.append(part.strip())
    return statements
