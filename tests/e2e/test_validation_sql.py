"""The shipped validation SQL on DuckDB and PostgreSQL: exact values on crafted tables.

Each test writes a small production table and a staging table by hand through the warehouse API,
runs the shipped checks with the runner the pipeline uses, and compares the values with an
independent computation in Python. The same test runs on both warehouses.
"""

from __future__ import annotations

import math
import statistics
from collections import Counter, defaultdict
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from pipeline.backends.warehouse import Warehouse
from pipeline.sql_files import render, staging_table_name
from pipeline.validator import VALIDATION_SQL_DIR, Check, Outcome, evaluate, load_checks
from tests.support.backends import fixture_warehouse  # noqa: F401 - fixture

RUN_DATE = date(2026, 11, 29)  # a Sunday: the run's week is Monday 23 .. Sunday 29 November
WEEK_START = datetime(2026, 11, 23)
CHECKS = {check.name: check for check in load_checks()}
COLUMNS = ("id", "sport_type", "start_date", "start_date_local", "distance", "moving_time",
           "elapsed_time", "kudos_count", "private", "visibility")


def activity(activity_id: int, local: datetime, kudos: int | None = 3, **fields: Any) -> dict:
    """A row with the columns the checks read; the rest stay NULL."""
    row = {"id": activity_id, "sport_type": "Run", "start_date": local + timedelta(hours=5),
           "start_date_local": local, "distance": 5000.0, "moving_time": 1500,
           "elapsed_time": 1600, "kudos_count": kudos, "private": False,
           "visibility": "everyone"}
    row.update(fields)
    return row


def load(warehouse: Warehouse, production: list[dict], staging: list[dict],
         run_date: date = RUN_DATE) -> None:
    """Replace production's rows and the run date's staging table with these rows."""
    table = staging_table_name(run_date.strftime("%Y%m%d"))
    names = ", ".join(COLUMNS)
    values = ", ".join(f":{name}" for name in COLUMNS)
    with warehouse.transaction() as session:
        session.execute(render("DELETE FROM {production_table}"))
        session.execute(f"DROP TABLE IF EXISTS {table}")
        session.run_file("staging/create_staging_table.sql", staging_table=table)
        for row in production:
            session.execute(render(f"INSERT INTO {{production_table}} ({names}) VALUES ({values})"),
                            row)
        for row in staging:
            session.execute(f"INSERT INTO {table} ({names}) VALUES ({values})", row)


def run(warehouse: Warehouse, name: str, min_history_weeks: int = 4,
        run_date: date = RUN_DATE) -> Outcome:
    """One shipped check against the crafted tables."""
    return evaluate(warehouse, CHECKS[name], run_date, min_history_weeks)


def weekly_history(counts: list[int], kudos: int = 3, first_id: int = 1000) -> list[dict]:
    """Activities for the weeks before the run's week: counts[0] is the week just before it."""
    rows, next_id = [], first_id
    for weeks_back, count in enumerate(counts, start=1):
        monday = WEEK_START - timedelta(days=7 * weeks_back)
        for index in range(count):
            rows.append(activity(next_id, monday + timedelta(days=index % 7, hours=7),
                                 kudos + index + weeks_back % 3))
            next_id += 1
    return rows


def expected_zscores(rows: list[dict], trailing: int = 12) -> tuple[float, float]:
    """|z| of the run's week's count and average kudos against the ``trailing`` weeks before it
    (private activities in no kudos average), computed here without SQL."""
    counts: Counter[int] = Counter()
    kudos: defaultdict[int, list[int]] = defaultdict(list)
    for row in rows:
        day = row["start_date_local"].date()
        if day > RUN_DATE:
            continue
        weeks_before = math.ceil((WEEK_START.date() - day).days / 7)
        counts[weeks_before] += 1
        if row["kudos_count"] is not None and not row["private"] \
                and row["visibility"] != "only_me":
            kudos[weeks_before].append(row["kudos_count"])
    weeks = min(max(counts), trailing)
    history = [counts[week] for week in range(1, weeks + 1)]
    count_z = abs(counts[0] - statistics.mean(history)) / statistics.stdev(history)
    averages = [statistics.mean(kudos[week]) for week in range(1, weeks + 1) if kudos[week]]
    kudos_z = abs(statistics.mean(kudos[0]) - statistics.mean(averages)) / statistics.stdev(
        averages)
    return count_z, kudos_z


def test_statistics_count_empty_weeks_as_zero_and_only_the_runs_week_as_this_week(
    warehouse: Warehouse,
) -> None:
    history = weekly_history([4, 0, 6, 2, 0, 0, 5, 3, 4, 1])
    in_week = [activity(1, WEEK_START + timedelta(days=1, hours=7), kudos=30),
               activity(2, WEEK_START + timedelta(days=6, hours=18), kudos=26)]
    # Staging also holds the lookback window: last week's rows again, one with fresh kudos, and
    # an activity on the next local day that must not count as the run's week.
    lookback = [dict(row) for row in history[:4]]
    lookback[0]["kudos_count"] = 40
    after_week = [activity(3, WEEK_START + timedelta(days=7, hours=1))]
    production = history
    staging = in_week + lookback + after_week
    load(warehouse, production, staging)

    merged = {row["id"]: row for row in production}
    merged.update({row["id"]: row for row in staging})
    count_z, kudos_z = expected_zscores(list(merged.values()))

    count = run(warehouse, "activities_in_run_week")
    assert (count.left_value, count.status) == (2, "pass")
    outcome = run(warehouse, "weekly_activity_count_zscore")
    assert outcome.left_value == pytest.approx(count_z, rel=1e-9)
    assert outcome.right_value == 1.645
    assert outcome.status == ("pass" if count_z <= 1.645 else "warn")
    assert "10 earlier weeks" in outcome.message
    kudos = run(warehouse, "weekly_kudos_zscore")
    assert kudos.left_value == pytest.approx(kudos_z, rel=1e-9)
    assert kudos_z > 1.645 and kudos.status == "warn"
    assert "7 earlier weeks with activities" in kudos.message


def test_a_growing_account_is_compared_with_its_trailing_12_weeks(warehouse: Warehouse) -> None:
    """Issue 22, finding 5: compared with all history, a growing account's normal week warns;
    against the trailing 12 weeks it passes. Finding 6: a private activity (no kudos possible)
    counts in no kudos average."""
    recent = [5, 6, 4, 5, 6, 5, 4, 6, 5, 5, 6, 4]  # the last 12 weeks
    history = weekly_history(recent, kudos=30) + [
        row for row in weekly_history([1] * 100, kudos=1, first_id=5000)
        if row["start_date_local"] < WEEK_START - timedelta(weeks=12)]
    week = [activity(n, WEEK_START + timedelta(days=n, hours=7), kudos=31 + n % 3)
            for n in range(1, 6)]
    week.append(activity(6, WEEK_START + timedelta(days=5, hours=9), kudos=0, private=True,
                         visibility="only_me"))
    load(warehouse, history, week)
    rows = history + week
    count_z, kudos_z = expected_zscores(rows)
    all_count_z, all_kudos_z = expected_zscores(rows, trailing=10_000)
    assert all_count_z > 1.645 and all_kudos_z > 1.645  # what the old checks compared with
    count = run(warehouse, "weekly_activity_count_zscore")
    kudos = run(warehouse, "weekly_kudos_zscore")
    assert count.left_value == pytest.approx(count_z, rel=1e-9) and count.status == "pass"
    assert kudos.left_value == pytest.approx(kudos_z, rel=1e-9) and kudos.status == "pass"
    assert "12 earlier weeks" in count.message and "12 earlier weeks" in kudos.message
    # The private activity would pull the week's average down from 32.20 to 26.83.
    assert "average kudos 32.20 in the run's week" in kudos.message


def test_an_unfinished_week_is_compared_with_the_same_days_of_earlier_weeks(
        warehouse: Warehouse) -> None:
    """A Wednesday run date's week (Monday to Wednesday) is compared with the Mondays to
    Wednesdays of the trailing weeks, not with whole weeks (it would always look low)."""
    wednesday = date(2026, 11, 25)
    history, number = [], 1000
    for weeks_back in range(1, 13):
        monday = WEEK_START - timedelta(weeks=weeks_back)
        days = [0, 1] + ([2] if weeks_back % 2 else []) + [3, 4, 5, 6][: 2 + weeks_back % 3]
        for day in days:
            history.append(activity(number, monday + timedelta(days=day, hours=7)))
            number += 1
    week = [activity(n, WEEK_START + timedelta(days=n - 1, hours=7)) for n in (1, 2, 3)]
    load(warehouse, history, week, run_date=wednesday)
    partial = [sum(1 for row in history if WEEK_START - timedelta(weeks=k)
                   <= row["start_date_local"] < WEEK_START - timedelta(weeks=k, days=-3))
               for k in range(1, 13)]
    expected = abs(3 - statistics.mean(partial)) / statistics.stdev(partial)
    outcome = run(warehouse, "weekly_activity_count_zscore", run_date=wednesday)
    assert outcome.left_value == pytest.approx(expected, rel=1e-9)
    assert outcome.status == "pass"
    assert run(warehouse, "activities_in_run_week", run_date=wednesday).left_value == 3


def test_an_outlier_week_warns_and_a_normal_week_passes(warehouse: Warehouse) -> None:
    """The original compared |z| >= 1.645 and so passed outliers: here outliers warn."""
    history = weekly_history([3, 4, 2, 3, 5, 3, 4, 2])
    spike = [activity(n, WEEK_START + timedelta(days=n % 7, hours=6)) for n in range(1, 16)]
    load(warehouse, history, spike)
    assert run(warehouse, "weekly_activity_count_zscore").status == "warn"

    normal = [activity(n, WEEK_START + timedelta(days=n, hours=6)) for n in range(1, 4)]
    load(warehouse, history, normal)
    outcome = run(warehouse, "weekly_activity_count_zscore")
    assert outcome.status == "pass", outcome.message
    assert outcome.left_value < 0.5


def test_short_history_is_skipped_with_the_reason(warehouse: Warehouse) -> None:
    load(warehouse, weekly_history([2, 0, 3]), [activity(1, WEEK_START + timedelta(hours=9))])

    for name in ("weekly_activity_count_zscore", "weekly_kudos_zscore"):
        outcome = run(warehouse, name)
        assert outcome.status == "skipped"
        assert outcome.left_value is None
        assert "weeks of history before the run's week, 4 needed" in outcome.message
    assert "only 3 weeks" in run(warehouse, "weekly_activity_count_zscore").message
    assert "only 2 weeks" in run(warehouse, "weekly_kudos_zscore").message
    assert run(warehouse, "weekly_activity_count_zscore", min_history_weeks=3).status == "pass"


def test_zero_standard_deviation_is_skipped_not_a_crash(warehouse: Warehouse) -> None:
    history = [activity(100 + week, WEEK_START - timedelta(days=7 * week - 2), kudos=5)
               for week in range(1, 7)]
    load(warehouse, history, [activity(1, WEEK_START + timedelta(hours=9), kudos=9)])

    count = run(warehouse, "weekly_activity_count_zscore")
    kudos = run(warehouse, "weekly_kudos_zscore")
    assert (count.status, kudos.status) == ("skipped", "skipped")
    assert "standard deviation 0" in count.message and "standard deviation 0" in kudos.message


def test_a_week_without_activities_warns_and_skips_the_kudos_check(warehouse: Warehouse) -> None:
    load(warehouse, weekly_history([3, 4, 2, 3, 5]), [])

    assert run(warehouse, "activities_in_run_week").status == "warn"
    kudos = run(warehouse, "weekly_kudos_zscore")
    assert kudos.status == "skipped"
    assert "no activity with a kudos count in the run's week" in kudos.message


HALT_CASES = {
    "no_duplicate_ids": ([activity(7, WEEK_START), activity(7, WEEK_START)], 1),
    "no_null_keys": ([activity(7, WEEK_START, sport_type=None),
                      activity(8, WEEK_START, start_date=None),
                      activity(None, WEEK_START)], 3),
    "no_negative_measures": ([activity(7, WEEK_START, distance=-1.0),
                              activity(8, WEEK_START, moving_time=-5),
                              activity(9, WEEK_START, elapsed_time=-1)], 3),
    # Monday 00:00 local is after the run date; Sunday 21:00 in Toronto (Monday 02:00 UTC) and
    # Sunday 23:59 at UTC-12 (Monday 11:59 UTC) are the run date's own.
    "no_start_after_upper_bound": ([activity(7, datetime(2026, 11, 30)),
                                    activity(8, datetime(2026, 11, 29, 21),
                                             start_date=datetime(2026, 11, 30, 2)),
                                    activity(9, datetime(2026, 11, 29, 23, 59),
                                             start_date=datetime(2026, 11, 30, 11, 59))], 1),
}


@pytest.mark.parametrize("name", sorted(HALT_CASES))
def test_each_halt_check_passes_on_clean_rows_and_fails_on_crafted_ones(
    warehouse: Warehouse, name: str
) -> None:
    clean = [activity(n, WEEK_START + timedelta(days=n % 7)) for n in range(1, 6)]
    load(warehouse, [], clean)
    assert run(warehouse, name).status == "pass"

    crafted, bad_rows = HALT_CASES[name]
    load(warehouse, [], clean + crafted)
    outcome = run(warehouse, name)
    assert outcome.status == "fail"
    assert (outcome.left_value, outcome.right_value) == (bad_rows, 0)


def test_schema_check_sees_a_changed_type_a_missing_and_an_extra_column(
    warehouse: Warehouse,
) -> None:
    table = staging_table_name(RUN_DATE.strftime("%Y%m%d"))
    load(warehouse, [], [activity(1, WEEK_START)])
    assert run(warehouse, "staging_matches_production_schema").status == "pass"

    with warehouse.transaction() as session:
        session.execute(f"ALTER TABLE {table} DROP COLUMN photo_count")
        session.execute(f"ALTER TABLE {table} ADD COLUMN photo_count VARCHAR(10)")
        session.execute(f"ALTER TABLE {table} DROP COLUMN gear_id")
        session.execute(f"ALTER TABLE {table} ADD COLUMN surprise BIGINT")
    outcome = run(warehouse, "staging_matches_production_schema")
    assert outcome.status == "fail"
    # photo_count (type and position), gear_id (missing), surprise (extra), and every column
    # after photo_count and after gear_id, which moved up one place.
    assert outcome.left_value >= 3
    assert "first differing column" in outcome.message


def test_a_missing_staging_table_is_an_error_not_a_pass(warehouse: Warehouse) -> None:
    outcome = run(warehouse, "no_duplicate_ids")
    assert outcome.status == "error"
    assert outcome.blocks
    assert outcome.message.startswith("could not run: ")


def test_every_shipped_check_file_is_used_by_the_checks_list() -> None:
    used = {Path(side.label).name for check in CHECKS.values()
            for side in (check.left, check.right) if side.sql is not None}
    assert used == {path.name for path in VALIDATION_SQL_DIR.glob("*.sql")}
    assert isinstance(next(iter(CHECKS.values())), Check)


def test_quarantine_renames_staging_and_forgets_the_dates_markers(warehouse: Warehouse) -> None:
    table = staging_table_name(RUN_DATE.strftime("%Y%m%d"))
    load(warehouse, [], [activity(1, WEEK_START)])
    with warehouse.transaction() as session:
        for update_id in ("CopyToStaging(2026-11-29)", "ValidateStaging(2026-11-29,a_check)",
                          "ValidateStaging(2026-11-22,a_check)", "LoadProduction(2026-11-22)"):
            warehouse.write_marker(session, update_id, "x")

    warehouse.quarantine_staging(table, "quarantine_strava_activity_data_20261129_t1",
                                 ["CopyToStaging(2026-11-29)"], "ValidateStaging(2026-11-29,")

    assert not warehouse.table_exists(table)
    assert warehouse.query("SELECT id FROM quarantine_strava_activity_data_20261129_t1") == [(1,)]
    assert sorted(row[0] for row in warehouse.query("SELECT update_id FROM {marker_table}")) == [
        "LoadProduction(2026-11-22)", "ValidateStaging(2026-11-22,a_check)"]
