"""SQL validation checks: compare two values with an operator, under a severity.

A check has a left and a right side, each a SQL file (its first row's first column is the value)
or a number, an operator and a severity (``warn`` or ``halt``). A second column, when a query has
one, is a note for people: the reason when the value is NULL (a statistical check with too short
a history), context otherwise. The checks of the pipeline are listed in
``config/validation_checks.ini``; ``python -m pipeline.validator`` runs one ad hoc::

    python -m pipeline.validator LEFT.sql RIGHT.sql OPERATOR SEVERITY [--run-date D]

It exits 1 only when a ``halt`` check fails, 0 when it passes, is skipped or only warns, and 2
with a one-line error for an unknown operator or severity, a missing file, SQL that fails or that
returns no row.
"""

from __future__ import annotations

import argparse
import configparser
import math
import operator as op
import re
import sys
from collections.abc import Callable, Mapping
from contextlib import nullcontext
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import Any

from pipeline import run_dates
from pipeline.athlete_zone import default_run_date
from pipeline.backends import open_warehouse
from pipeline.backends.urls import mask_url
from pipeline.backends.warehouse import Session, Warehouse
from pipeline.errors import OneLineParser, one_line
from pipeline.notify import post_to_slack
from pipeline.settings import ConfigurationError, Settings, load_settings
from pipeline.sql_files import (
    SQL_DIR,
    NotAQueryError,
    check_single_query,
    fill_placeholders,
    include_fragments,
    parameter_names,
    staging_table_name,
)

PROJECT_ROOT = SQL_DIR.parent
DEFAULT_CHECKS_FILE = PROJECT_ROOT / "config" / "validation_checks.ini"
VALIDATION_SQL_DIR = SQL_DIR / "validation"
# The weekly z-score checks compare the run's week with this many weeks before it (:trailing_weeks):
# a growing account's first years would make every recent week look like an outlier.
ZSCORE_TRAILING_WEEKS = 12

OPERATORS: dict[str, Callable[[float, float], bool]] = {
    "equals": op.eq,
    "not_equals": op.ne,
    "greater": op.gt,
    "greater_equals": op.ge,
    "less": op.lt,
    "less_equals": op.le,
}
SEVERITIES: tuple[str, ...] = ("warn", "halt")
STATUSES: tuple[str, ...] = ("pass", "warn", "fail", "error", "skipped")

_CHECK_NAME = re.compile(r"^[a-z][a-z0-9_]{0,63}$")
_CHECK_KEYS = {"left", "right", "operator", "severity", "description"}
_MESSAGE_LIMIT = 2000


class ValidationError(Exception):
    """A check could not be evaluated (SQL failed, returned no row or not a number)."""


@dataclass(frozen=True)
class Side:
    """One side of a check: SQL text (a template with table-name placeholders) or a number."""

    label: str
    sql: str | None = None
    constant: float | None = None

    def __post_init__(self) -> None:
        if self.sql is not None:
            try:
                check_single_query(self.sql, self.label)
            except NotAQueryError as error:
                raise ConfigurationError(str(error)) from None

    @classmethod
    def parse(cls, spec: str, base: Path = VALIDATION_SQL_DIR) -> Side:
        """A number stays a number; anything else names a SQL file (relative to ``base``)."""
        spec = spec.strip()
        number = _as_number(spec)
        if number is not None:
            return cls(label=spec, constant=number)
        path = Path(spec).expanduser()
        if not path.is_absolute():
            path = base / path
        if not path.is_file():
            raise ConfigurationError(f"SQL file {display_path(path)} does not exist")
        return cls(label=display_path(path), sql=path.read_text(encoding="utf-8"))


@dataclass(frozen=True)
class Check:
    """A named comparison of two values, run between staging and production."""

    name: str
    left: Side
    right: Side
    operator: str
    severity: str
    description: str = ""

    def __post_init__(self) -> None:
        check_operator(self.operator)
        check_severity(self.severity)


@dataclass(frozen=True)
class Outcome:
    """The result of one check: both values, the status and a one-line message."""

    check: Check
    left_value: float | None
    right_value: float | None
    status: str
    message: str
    checked_at: datetime = field(default_factory=lambda: _now())

    @property
    def blocks(self) -> bool:
        """Whether this outcome stops the load (a failed or unrunnable halt check)."""
        return self.check.severity == "halt" and self.status in {"fail", "error"}

    def row(self, run_date: date) -> dict[str, Any]:
        """The outcome as a ``validation_results`` row."""
        return {
            "run_date": run_date,
            "check_name": self.check.name,
            "left_value": self.left_value,
            "right_value": self.right_value,
            "operator": self.check.operator,
            "severity": self.check.severity,
            "status": self.status,
            "message": self.message[:_MESSAGE_LIMIT],
            "checked_at": self.checked_at,
        }


def _now() -> datetime:
    return datetime.now(timezone.utc).replace(tzinfo=None)


def display_path(path: Path) -> str:
    """A path relative to the project when it lies inside it (how the docs name files)."""
    try:
        return str(path.resolve().relative_to(PROJECT_ROOT))
    except ValueError:
        return str(path)


def _as_number(text: str) -> float | None:
    try:
        value = float(text)
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def check_operator(name: str) -> str:
    """Accept a known operator name; raise a one-line ConfigurationError otherwise."""
    if name not in OPERATORS:
        raise ConfigurationError(
            f"unknown operator {name!r}: use one of {', '.join(OPERATORS)}"
        )
    return name


def check_severity(name: str) -> str:
    """Accept 'warn' or 'halt'; raise a one-line ConfigurationError otherwise."""
    if name not in SEVERITIES:
        raise ConfigurationError(f"unknown severity {name!r}: use warn or halt")
    return name


def format_value(value: float | None) -> str:
    """A value as people read it: 0, 12, 1.645, 0.8312; NULL for None."""
    if value is None:
        return "NULL"
    if float(value).is_integer() and abs(value) < 1e15:
        return str(int(value))
    return f"{value:.4f}".rstrip("0").rstrip(".")


# -- the checks file -----------------------------------------------------------------------------


def checks_file(settings: Settings | None = None) -> Path:
    """The checks list in force: VALIDATION_CHECKS_FILE, or the shipped one."""
    configured = settings.validation_checks_file if settings else ""
    return Path(configured).expanduser().absolute() if configured else DEFAULT_CHECKS_FILE


def load_checks(path: Path | None = None) -> list[Check]:
    """The checks of an INI file, in file order; a one-line ConfigurationError when it is wrong.

    Parsed once per file version (path, modification time, size): every ValidateStaging of a
    backfill asks for them.
    """
    path = Path(path or DEFAULT_CHECKS_FILE)
    try:
        stat = path.stat()
        version: tuple[int, int] | None = (stat.st_mtime_ns, stat.st_size)
    except OSError:
        version = None
    return list(_parse_checks(path, version))


@lru_cache(maxsize=16)
def _parse_checks(path: Path, version: tuple[int, int] | None) -> tuple[Check, ...]:
    """load_checks' parser; ``version`` only keys the cache (errors are never cached)."""
    where = display_path(path)
    parser = configparser.ConfigParser(interpolation=None, strict=True)
    try:
        with open(path, encoding="utf-8") as handle:
            parser.read_file(handle)
    except FileNotFoundError:
        raise ConfigurationError(
            f"checks file {where} does not exist: set VALIDATION_CHECKS_FILE to a checks list"
        ) from None
    except configparser.Error as error:
        first_line = str(error).splitlines()[0]
        raise ConfigurationError(f"checks file {where} is not valid INI: {first_line}") from None
    checks = []
    for name in parser.sections():
        section = parser[name]
        try:
            if not _CHECK_NAME.match(name):
                raise ConfigurationError(
                    "a check name is lowercase letters, digits and '_' (at most 64)"
                )
            unknown = set(section) - _CHECK_KEYS
            if unknown:
                raise ConfigurationError(f"unknown key {sorted(unknown)[0]!r}")
            missing = sorted({"left", "right", "operator", "severity"} - set(section))
            if missing:
                raise ConfigurationError(f"missing key {missing[0]!r}")
            checks.append(Check(
                name=name,
                left=Side.parse(section["left"]),
                right=Side.parse(section["right"]),
                operator=section["operator"].strip(),
                severity=section["severity"].strip(),
                description=" ".join(section.get("description", "").split()),
            ))
        except ConfigurationError as error:
            raise ConfigurationError(f"checks file {where}, check [{name}]: {error}") from None
    if not checks:
        raise ConfigurationError(f"checks file {where} declares no check")
    return tuple(checks)


# -- evaluation ----------------------------------------------------------------------------------


def check_parameters(run_date: date, min_history_weeks: int) -> dict[str, Any]:
    """The values a validation query may bind, all derived from the run date.

    The run's week is its Monday to the run date
    (``run_dates.run_week``: :run_week_start <= start_date_local < :run_week_end); the upper
    bound is the extract's ``before`` in UTC (the end of the run date at UTC-12).
    """
    return {
        "run_date": run_date,
        **run_dates.run_week(run_date).parameters(),
        "upper_bound": run_dates.extract_before(run_date),
        "min_history_weeks": int(min_history_weeks),
        "trailing_weeks": ZSCORE_TRAILING_WEEKS,
        # Set by ValidateStaging (NULL, so 'skipped', when run by hand): the extract's count of
        # activities it could not parse, and staging's count of non-IANA time zones.
        "unparseable_activities": None,
        "non_iana_timezones": None,
    }


def _number(value: Any, label: str) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool | int | float | Decimal):
        return float(value)
    number = _as_number(str(value))
    if number is None:
        raise ValidationError(f"{label} returned {str(value)[:40]!r}, which is not a number")
    return number


@lru_cache(maxsize=256)
def _with_fragments(sql: str) -> str:
    """A side's SQL with its fragments included (the fragment files are read once anyway)."""
    return include_fragments(sql)


@dataclass(frozen=True)
class _Query:
    """A side's one query before its table names are filled, and its parameters; or why the
    side is not one query."""

    text: str
    parameters: tuple[str, ...]
    error: str | None = None


@lru_cache(maxsize=256)
def _query_of(text: str, label: str) -> _Query:
    """``check_single_query`` of a side's SQL (fragments included), once per process: a
    backfill evaluates every side each week and only the staging table's name changes, which
    is an identifier and so changes neither the query's extent nor its parameters."""
    try:
        query = check_single_query(text, label)
    except NotAQueryError as error:
        return _Query("", (), str(error))
    return _Query(query, tuple(parameter_names(query)))


def side_statement(side: Side, staging_table: str) -> tuple[str, tuple[str, ...]]:
    """The SQL statement a side runs against ``staging_table`` and the ``:name`` parameters
    it binds, in order: ``check_single_query(render(side.sql, staging_table=...))``, with
    the same errors."""
    if side.sql is None:
        raise ValueError(f"{side.label} is a number, not SQL")
    text = _with_fragments(side.sql)
    fill_placeholders(text, staging_table=staging_table)  # render's errors, in its order
    query = _query_of(text, side.label)
    if query.error is not None:
        raise NotAQueryError(query.error)
    return fill_placeholders(query.text, staging_table=staging_table), query.parameters


def side_value(session: Session, side: Side, parameters: Mapping[str, Any],
               staging_table: str) -> tuple[float | None, str]:
    """(value, note) of one side: the first row of its one query, or its constant."""
    if side.sql is None:
        return side.constant, ""
    try:
        statement, names = side_statement(side, staging_table)
    except NotAQueryError as error:
        raise ValidationError(str(error)) from None
    unknown = sorted(set(names) - set(parameters))
    if unknown:
        raise ValidationError(
            f"{side.label} binds :{unknown[0]}, which is not one of "
            f"{', '.join(':' + name for name in parameters)}"
        )
    used = {name: parameters[name] for name in names}
    session.execute(statement, used or None)
    row = session.fetchone()
    if row is None or len(row) == 0:
        raise ValidationError(f"{side.label} returned no row")
    note = " ".join(str(row[1]).split()) if len(row) > 1 and row[1] is not None else ""
    return _number(row[0], side.label), note


def evaluate(warehouse: Warehouse, check: Check, run_date: date,
             min_history_weeks: int = 4,
             extra_parameters: Mapping[str, Any] | None = None,
             staging_table: str | None = None, session: Session | None = None) -> Outcome:
    """Run a check against the run date's staging table; never raises for a failing query.

    A NULL value makes the check ``skipped`` with the query's note as the reason; a query that
    fails makes it ``error``; otherwise ``pass``, or ``warn``/``fail`` by severity. ``session``:
    a read-only transaction the caller holds (several checks in one; after an ``error`` it is
    spoilt), else the check's own.
    """
    parameters = {**check_parameters(run_date, min_history_weeks), **(extra_parameters or {})}
    staging_table = staging_table or staging_table_name(run_date.strftime("%Y%m%d"))
    try:
        # Read-only on the server and rolled back: one connection for both sides.
        with (nullcontext(session) if session is not None
              else warehouse.read_only_transaction()) as reading:
            left, left_note = side_value(reading, check.left, parameters, staging_table)
            right, right_note = side_value(reading, check.right, parameters, staging_table)
    except Exception as error:  # a broken query is an outcome of its own, kept in the history
        return Outcome(check, None, None, "error", f"could not run: {mask_url(one_line(error))}")
    note = "; ".join(part for part in (left_note, right_note) if part)
    if left is None or right is None:
        side = check.left if left is None else check.right
        reason = (left_note if left is None else right_note) or f"{side.label} returned NULL"
        return Outcome(check, left, right, "skipped", reason)
    comparison = f"{format_value(left)} {check.operator} {format_value(right)}"
    if OPERATORS[check.operator](left, right):
        status, verdict = "pass", "holds"
    elif check.severity == "warn":
        status, verdict = "warn", "does not hold (warn: the load goes on)"
    else:
        status, verdict = "fail", "does not hold (halt: the load stops)"
    message = f"{comparison} {verdict}" + (f"; {note}" if note else "")
    return Outcome(check, left, right, status, message)


# -- command line --------------------------------------------------------------------------------


def _parser() -> argparse.ArgumentParser:
    parser = OneLineParser(
        prog="strava-pipeline validate",
        description="Compare two SQL results (or numbers) on the configured warehouse.",
        epilog="Exit status: 0 pass, skipped or warn; 1 a halt check failed; 2 a usage error, "
        "a missing file, or SQL that fails or returns no row.",
    )
    parser.add_argument("left", help="SQL file (its first row's first column) or a number")
    parser.add_argument("right", help="SQL file or a number, e.g. zscore_90_twosided.sql")
    parser.add_argument("operator", help=", ".join(OPERATORS))
    parser.add_argument("severity", help="warn (never exits 1) or halt (exits 1 on failure)")
    parser.add_argument(
        "--run-date", type=date.fromisoformat, default=None,
        help="the run date whose staging table and week the SQL sees (default: today, UTC)",
    )
    parser.add_argument("--slack", action="store_true",
                        help="also post the result to SLACK_WEBHOOK_URL when it is set")
    return parser


def _cli_side(spec: str) -> Side:
    """A CLI argument: a number, a path as given, or a file name in sql/validation/."""
    if _as_number(spec.strip()) is not None:
        return Side.parse(spec)
    given = Path(spec.strip()).expanduser()
    if given.is_file():
        return Side.parse(str(given.absolute()))
    shipped = VALIDATION_SQL_DIR / given
    if not given.is_absolute() and shipped.is_file():
        return Side.parse(str(shipped))
    raise ConfigurationError(f"SQL file {spec} does not exist (here or in sql/validation/)")


def main(argv: list[str] | None = None) -> int:
    """The command line; returns the exit status."""
    arguments = _parser().parse_args(argv)
    prog = "strava-pipeline validate"
    try:
        settings = load_settings()
        check = Check(
            name="command_line",
            left=_cli_side(arguments.left),
            right=_cli_side(arguments.right),
            operator=check_operator(arguments.operator),
            severity=check_severity(arguments.severity),
        )
        run_date = arguments.run_date or default_run_date(settings)
        warehouse = open_warehouse(settings.warehouse_url)
        outcome = evaluate(warehouse, check, run_date, settings.validation_min_history_weeks)
    except ConfigurationError as error:
        print(f"{prog}: error: {error}", file=sys.stderr)
        return 2
    if outcome.status == "error":
        print(f"{prog}: error: {outcome.message}", file=sys.stderr)
        return 2
    print(f"left  {check.left.label} = {format_value(outcome.left_value)}")
    print(f"right {check.right.label} = {format_value(outcome.right_value)}")
    print(f"{outcome.status.upper()}: {outcome.message}")
    if arguments.slack:
        post_to_slack(settings, {"text": f"Validation {outcome.status.upper()} for {run_date}: "
                                         f"{check.left.label} / {check.right.label} / "
                                         f"{check.severity}: {outcome.message}"})
    return 1 if outcome.blocks else 0


if __name__ == "__main__":
    sys.exit(main())
