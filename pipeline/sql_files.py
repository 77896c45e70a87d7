"""Read the project's SQL files, include their fragments and fill in table names from a fixed set.

SQL text never receives values by string formatting: identifiers come from ``TABLES`` (or the
staging-table pattern) and values are bound as ``:name`` parameters by the warehouse adapter.
A file may include a fragment, SQL text written once for several files, as
``{{ fragment('name') }}``: ``sql/fragments/<name>.sql``, or one generated from
``sql/fragments/physical_ranges.csv`` (``outside_physical_ranges``: the condition that a row has
a measure outside its range; ``null_outside_physical_ranges``: the SET list that makes each such
measure NULL), or from ``run_dates.EARLIEST_PLAUSIBLE_START`` (``plausible_start_local``: the
condition that a row's local start is not before it, or unknown).
"""

from __future__ import annotations

import csv
import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from pipeline.run_dates import EARLIEST_PLAUSIBLE_START

SQL_DIR = Path(__file__).resolve().parent.parent / "sql"
FRAGMENTS_DIR = SQL_DIR / "fragments"
PHYSICAL_RANGES_FILE = FRAGMENTS_DIR / "physical_ranges.csv"

# Placeholder -> table name. The only identifiers SQL files may receive besides staging tables.
TABLES: dict[str, str] = {
    "production_table": "strava_activity_data",
    "marker_table": "table_updates",
    "validation_table": "validation_results",
}

# A dialect's suffix in SQL file names where it differs from the adapter's ``dialect``.
DIALECT_SUFFIX: dict[str, str] = {"postgresql": "postgres"}

_STAGING_TABLE = re.compile(r"^staging_strava_activity_data_\d{8}(_a\d{1,20})?$")
_MODEL_TABLE = re.compile(r"^[a-z][a-z0-9_]{0,62}$")
_PLACEHOLDER = re.compile(r"{([a-z_]+)}")
_PARAMETER = re.compile(r"(?<![:\w]):([a-z_][a-z0-9_]*)\b")
_FRAGMENT = re.compile(r"\{\{\s*fragment\(\s*'([a-z_]+)'\s*\)\s*\}\}")
_COLUMN = re.compile(r"^[a-z][a-z0-9_]{0,62}$")
_DECIMAL = re.compile(r"^-?\d+(\.\d+)?$")
_RANGES_HEADER = ["column", "low", "high", "why"]
_FRAGMENT_DEPTH = 4


def staging_table_name(run_date_compact: str) -> str:
    """'staging_strava_activity_data_YYYYMMDD' for a run date given as 'YYYYMMDD' (with
    '_a<athlete id>' for an athlete other than the install's first)."""
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


@cache
def read_dialect_sql(relative_path: str, dialect: str) -> str:
    """The text of ``sql/<stem>.<dialect>.sql`` where one exists (a dialect's own form of the
    file, as migrations have: 'postgresql' is spelled 'postgres'), else ``sql/<relative_path>``."""
    variant = DIALECT_SUFFIX.get(dialect, dialect)
    own = relative_path.removesuffix(".sql") + f".{variant}.sql"
    if (SQL_DIR / own).is_file():
        return read_sql(own)
    return read_sql(relative_path)


def quote_literal(text: str) -> str:
    """A SQL string literal of ``text`` for statements that take no parameters (a bulk loader's
    options): single quotes doubled. Values of data never go through it."""
    return "'" + text.replace("'", "''") + "'"


@dataclass(frozen=True)
class PhysicalRange:
    """The values a measure can physically take: ``low <= column <= high``."""

    column: str
    low: str  # a decimal number, as written in the file
    high: str

    @property
    def holds(self) -> str:
        """The SQL condition that the measure is in its range (NULL for NULL, false for NaN)."""
        return f"{self.column} BETWEEN {self.low} AND {self.high}"


@cache
def physical_ranges() -> tuple[PhysicalRange, ...]:
    """The measures' physical ranges, from ``sql/fragments/physical_ranges.csv``."""
    where = (PHYSICAL_RANGES_FILE.relative_to(SQL_DIR.parent).as_posix()
             if SQL_DIR in PHYSICAL_RANGES_FILE.parents else str(PHYSICAL_RANGES_FILE))
    lines = PHYSICAL_RANGES_FILE.read_text(encoding="utf-8").splitlines()
    numbered = [(number, line) for number, line in enumerate(lines, start=1)
                if line.strip() and not line.startswith("#")]
    rows = list(csv.reader(line for _, line in numbered))
    if not rows or rows[0] != _RANGES_HEADER:
        raise ValueError(f"{where}: the first line that is no comment must be "
                         f"{','.join(_RANGES_HEADER)}")
    ranges: dict[str, PhysicalRange] = {}
    for (number, _), row in zip(numbered[1:], rows[1:], strict=True):
        column, low, high = ([*row, "", "", ""])[:3]
        if not _COLUMN.match(column) or column in ranges:
            raise ValueError(f"{where} line {number}: {column!r} is no new column name")
        if not (_DECIMAL.match(low) and _DECIMAL.match(high) and float(low) <= float(high)):
            raise ValueError(f"{where} line {number}: {column} needs two decimal numbers, "
                             "low <= high")
        ranges[column] = PhysicalRange(column, low, high)
    return tuple(ranges.values())


def _outside_physical_ranges() -> str:
    return "(" + "\n    OR ".join(f"NOT ({r.holds})" for r in physical_ranges()) + ")"


def _null_outside_physical_ranges() -> str:
    return ",\n    ".join(f"{r.column} = CASE WHEN {r.holds} THEN {r.column} END"
                          for r in physical_ranges())


def _activity_columns_in_range() -> str:
    """Every activity column in production's order, a measure outside its physical range as
    NULL: the merge's INSERT selects this from staging (issue 23: no separate UPDATE)."""
    from pipeline.strava.activities import ACTIVITY_COLUMNS

    ranges = {r.column: r for r in physical_ranges()}
    return ",\n    ".join(f"CASE WHEN {ranges[name].holds} THEN {name} END AS {name}"
                           if name in ranges else name for name in ACTIVITY_COLUMNS)


def _activity_column_names() -> str:
    """Every activity column, in production's order (the merge's INSERT names them)."""
    from pipeline.strava.activities import ACTIVITY_COLUMNS

    return ", ".join(ACTIVITY_COLUMNS)


def _compared_columns() -> str:
    """Every activity column but extracted_at: the values a reconciliation compares."""
    from pipeline.strava.activities import ACTIVITY_COLUMNS

    return ", ".join(name for name in ACTIVITY_COLUMNS if name != "extracted_at")


def _plausible_start_local() -> str:
    earliest = EARLIEST_PLAUSIBLE_START.strftime("%Y-%m-%d %H:%M:%S")
    return f"(start_date_local IS NULL OR start_date_local >= TIMESTAMP '{earliest}')"


_GENERATED_FRAGMENTS: dict[str, Callable[[], str]] = {
    "outside_physical_ranges": _outside_physical_ranges,
    "null_outside_physical_ranges": _null_outside_physical_ranges,
    "compared_columns": _compared_columns,
    "activity_columns_in_range": _activity_columns_in_range,
    "activity_column_names": _activity_column_names,
    "plausible_start_local": _plausible_start_local,
}


def fragment(name: str) -> str:
    """The SQL text of ``{{ fragment('name') }}``: generated (the physical ranges) or
    ``sql/fragments/<name>.sql``."""
    if name in _GENERATED_FRAGMENTS:
        return _GENERATED_FRAGMENTS[name]()
    if not (FRAGMENTS_DIR / f"{name}.sql").is_file():
        raise KeyError(f"SQL fragment {name!r} does not exist: add sql/fragments/{name}.sql")
    return read_sql(f"fragments/{name}.sql").rstrip().rstrip(";")


def include_fragments(sql: str, depth: int = 0) -> str:
    """The SQL with every ``{{ fragment('name') }}`` replaced by the fragment's text."""
    if depth > _FRAGMENT_DEPTH:
        raise ValueError("SQL fragments include each other in a circle")
    return _FRAGMENT.sub(lambda match: include_fragments(fragment(match.group(1)), depth + 1),
                         sql)


def render(sql: str, **identifiers: str) -> str:
    """Include the fragments, then fill ``{placeholder}`` table names: the fixed TABLES plus
    checked extra identifiers."""
    return fill_placeholders(include_fragments(sql), **identifiers)


def fill_placeholders(sql: str, **identifiers: str) -> str:
    """``render`` without the fragments: fill ``{placeholder}`` table names (the fixed TABLES
    plus checked extra identifiers) in SQL whose fragments are already included."""
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


# -- one read-only query -------------------------------------------------------------------------

QUERY_KEYWORDS = ("select", "with", "values")
_SQL_TOKEN = re.compile(
    r"""(?P<comment>--[^\n]*|/\*.*?\*/)"""
    r"""|(?P<quoted>'(?:[^']|'')*'|"(?:[^"]|"")*"|`[^`]*`)"""
    r"""|(?P<dollar>\$(?P<tag>[A-Za-z_]*)\$.*?\$(?P=tag)\$)"""
    r"""|(?P<semicolon>;)"""
    r"""|(?P<word>[A-Za-z_]+)""",
    re.DOTALL,
)


class NotAQueryError(ValueError):
    """SQL given as a check is not exactly one query (SELECT, WITH ... SELECT or VALUES)."""


def check_single_query(sql: str, label: str = "the SQL") -> str:
    """``sql`` (without a trailing ';') when it is one query; a one-line NotAQueryError when it
    holds no statement, several, or one that is not a query (DELETE, DROP, COPY, CREATE...).

    Semicolons and words inside string literals, quoted names and comments do not count. A
    query that writes anyway (``WITH d AS (DELETE ... RETURNING ...) SELECT``) is stopped by
    the read-only transaction checks run in; this refuses the rest before anything runs.
    """
    first_word, ends = None, []
    for match in _SQL_TOKEN.finditer(sql):
        if match.group("semicolon"):
            ends.append(match.start())
        elif match.group("word") and first_word is None:
            first_word = match.group("word").lower()
        elif match.group("word") and ends:
            raise NotAQueryError(
                f"{label} holds more than one statement: a check is one query (SELECT or WITH),"
                " nothing after its ';'")
    if first_word is None:
        raise NotAQueryError(f"{label} holds no SQL statement")
    if first_word not in QUERY_KEYWORDS:
        raise NotAQueryError(
            f"{label} is not a query ({first_word.upper()}): a check runs one SELECT (or WITH "
            "... SELECT) in a read-only transaction and never changes the warehouse")
    return sql[:ends[0]].rstrip() if ends else sql.rstrip()
