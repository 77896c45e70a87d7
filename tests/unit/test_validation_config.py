"""The checks file: what it accepts and the one-line errors for what it does not."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipeline.settings import ConfigurationError
from pipeline.validator import (
    DEFAULT_CHECKS_FILE,
    OPERATORS,
    SEVERITIES,
    check_parameters,
    load_checks,
)

GOOD = ("[a_check]\nleft = staging_duplicate_ids.sql\nright = 0\noperator = equals\n"
        "severity = halt\n")


def write(tmp_path: Path, text: str) -> Path:
    """A checks file with this text."""
    path = tmp_path / "checks.ini"
    path.write_text(text, encoding="utf-8")
    return path


def test_the_shipped_list_has_the_seven_required_checks_in_a_sensible_order() -> None:
    checks = load_checks(DEFAULT_CHECKS_FILE)
    assert [c.severity for c in checks] == ["halt"] * 5 + ["warn"] * 6  # halts gate first
    assert all(c.operator in OPERATORS and c.severity in SEVERITIES for c in checks)
    assert all(c.description for c in checks)
    by_name = {c.name: c for c in checks}
    assert by_name["weekly_activity_count_zscore"].operator == "less_equals"  # |z| <= 1.645
    assert by_name["weekly_kudos_zscore"].right.label == "sql/validation/zscore_90_twosided.sql"


def test_a_good_file_loads_sql_and_numbers(tmp_path: Path) -> None:
    (check,) = load_checks(write(tmp_path, GOOD))
    assert check.left.sql is not None and "{staging_table}" in check.left.sql
    assert (check.right.sql, check.right.constant) == (None, 0.0)


@pytest.mark.parametrize(("text", "expected"), [
    (GOOD.replace("equals", "eq"), "check [a_check]: unknown operator 'eq'"),
    (GOOD.replace("halt", "stop"), "check [a_check]: unknown severity 'stop'"),
    (GOOD.replace("right = 0\n", ""), "check [a_check]: missing key 'right'"),
    (GOOD + "colour = red\n", "check [a_check]: unknown key 'colour'"),
    (GOOD.replace("staging_duplicate_ids", "nope"), "SQL file sql/validation/nope.sql does not"),
    (GOOD.replace("[a_check]", "[A Check]"), "check [A Check]: a check name is lowercase"),
    (GOOD + GOOD, "is not valid INI"),
    ("# nothing\n", "declares no check"),
])
def test_a_wrong_file_is_one_line_naming_the_check(
    tmp_path: Path, text: str, expected: str
) -> None:
    with pytest.raises(ConfigurationError) as raised:
        load_checks(write(tmp_path, text))
    assert expected in str(raised.value)
    assert "\n" not in str(raised.value)


def test_a_missing_file_says_which_setting_to_fix(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match="VALIDATION_CHECKS_FILE"):
        load_checks(tmp_path / "missing.ini")


def test_the_runs_week_is_the_seven_local_dates_ending_with_the_run_date() -> None:
    from datetime import date, datetime

    parameters = check_parameters(date(2026, 11, 29), 4)
    # Local wall-clock bounds: Monday 23 00:00 to Monday 30 00:00, in whatever zone each
    # activity happened.
    assert parameters["run_week_start"] == datetime(2026, 11, 23)
    assert parameters["run_week_end"] == datetime(2026, 11, 30)
    # Strava's UTC window ends when Sunday the 29th is over everywhere: 12:00 UTC on the 30th
    # (midnight at UTC-12), not at UTC midnight, which cut off Sunday evening west of UTC.
    assert parameters["upper_bound"] == datetime(2026, 11, 30, 12)
    assert parameters["min_history_weeks"] == 4


def test_a_side_statement_is_the_rendered_query(tmp_path: Path) -> None:
    # Issue 23: a side's query is prepared once per process; each week only its staging table
    # changes, and the statement is what rendering and checking it afresh gives.
    from pipeline.sql_files import check_single_query, parameter_names, render
    from pipeline.validator import NotAQueryError, Side, load_checks, side_statement

    for check in load_checks():
        for side in (check.left, check.right):
            if side.sql is None:
                continue
            for table in ("staging_strava_activity_data_20261129",
                          "staging_strava_activity_data_20261206_a42"):
                expected = check_single_query(render(side.sql, staging_table=table), side.label)
                assert side_statement(side, table) == (expected,
                                                       tuple(parameter_names(expected)))
    unknown = Side(label="odd.sql", sql="SELECT COUNT(*) FROM {odd_table}")
    with pytest.raises(KeyError, match="odd_table"):
        side_statement(unknown, "staging_strava_activity_data_20261129")
    with pytest.raises(ValueError):
        side_statement(Side(label="x.sql", sql="SELECT 1"), "not a table")
    two = Side.__new__(Side)
    object.__setattr__(two, "label", "two.sql")
    object.__setattr__(two, "sql", "SELECT 1; SELECT 2")
    object.__setattr__(two, "constant", None)
    with pytest.raises(NotAQueryError, match="more than one statement"):
        side_statement(two, "staging_strava_activity_data_20261129")
