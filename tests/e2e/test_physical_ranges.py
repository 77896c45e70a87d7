"""The physical ranges have one source, sql/fragments/physical_ranges.csv, included where SQL asks
for it: on DuckDB and PostgreSQL the merge keeps every bound and stores every value beyond one
(NaN too) as NULL, and the warn check counts exactly the rows that hold such a value."""

from __future__ import annotations

import math
from datetime import date

from pipeline.backends.warehouse import Warehouse
from pipeline.sql_files import physical_ranges, render, staging_table_name
from pipeline.strava.activities import ACTIVITY_COLUMNS
from pipeline.validator import evaluate, load_checks
from tests.support.backends import fixture_warehouse  # noqa: F401 - fixture

RUN_DATE = date(2026, 11, 29)


STAGING = staging_table_name(RUN_DATE.strftime("%Y%m%d"))


CHECK = next(check for check in load_checks() if check.name == "measures_within_physical_ranges")


def probes() -> list[tuple[str, object, bool]]:
    """(column, value, kept) for every range: both bounds kept; one beyond each bound, and NaN
    for a DOUBLE column, stored as NULL."""
    cases: list[tuple[str, object, bool]] = []
    for measure in physical_ranges():
        number = int if ACTIVITY_COLUMNS[measure.column] == "Int64" else float
        low, high = number(measure.low), number(measure.high)
        cases += [(measure.column, low, True), (measure.column, high, True),
                  (measure.column, low - 1, False), (measure.column, high + 1, False)]
        if number is float:
            cases.append((measure.column, math.nan, False))
    return cases


def test_the_merge_and_the_check_apply_the_one_list(warehouse: Warehouse) -> None:
    cases = probes()
    with warehouse.transaction() as session:
        session.execute(f"DROP TABLE IF EXISTS {STAGING}")
        session.run_file("staging/create_staging_table.sql", staging_table=STAGING)
        for activity_id, (column, value, _) in enumerate(cases, start=1):
            session.execute(f"INSERT INTO {STAGING} (id, {column}) VALUES (:id, :value)",
                            {"id": activity_id, "value": value})
        session.execute(f"INSERT INTO {STAGING} (id) VALUES (:id)", {"id": len(cases) + 1})

    outcome = evaluate(warehouse, CHECK, RUN_DATE)
    outside = sum(not kept for _, _, kept in cases)
    assert (outcome.status, outcome.left_value) == ("warn", float(outside))

    warehouse.merge_staging(STAGING, f"LoadProduction({RUN_DATE})")
    for activity_id, (column, value, kept) in enumerate(cases, start=1):
        (stored,) = warehouse.query(render(f"SELECT {column} FROM {{production_table}}"
                                           " WHERE id = :id"), {"id": activity_id})[0]
        assert stored == (value if kept else None), (column, value, stored)
    assert warehouse.query(render("SELECT COUNT(*) FROM {production_table}")) == [
        (len(cases) + 1,)]
