"""Finding 1 of issue 25: a check can never change the warehouse, whatever its SQL.

``strava-pipeline validate`` once printed PASS for ``DELETE ... RETURNING 0`` and emptied
production; ``SELECT 0; DROP TABLE table_updates`` dropped the marker table. Every check (the
CLI's, the pipeline's, the model tests) is now one query, refused with one line before it runs
when it is not, and runs in a transaction the server keeps read-only and that is rolled back.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest

from pipeline.backends import open_warehouse
from pipeline.backends.warehouse import Warehouse
from pipeline.sql_files import render
from pipeline.validator import Check, Side, evaluate, main
from tests.support.backends import pg_url, postgres_database

RUN_DATE = date(2026, 11, 29)
STAGING = "staging_strava_activity_data_20261129"

# SQL refused before it runs: -> the words of its one-line refusal
REFUSED = {
    "DELETE FROM strava_activity_data WHERE id > 0 RETURNING 0": "is not a query (DELETE)",
    "SELECT 0; DROP TABLE table_updates": "holds more than one statement",
    "SELECT 0;\nDROP TABLE table_updates;\n": "holds more than one statement",
    f"DELETE FROM {STAGING}; SELECT 0": "holds more than one statement",
    "CREATE TABLE evil AS SELECT 1 AS one": "is not a query (CREATE)",
    "COPY strava_activity_data TO '/tmp/i25-evil.csv'": "is not a query (COPY)",
    "-- nothing but a comment\n": "holds no SQL statement",
}
# Queries that would write anyway: the read-only transaction stops them on the server.
WRITING_QUERIES = [
    "WITH gone AS (DELETE FROM strava_activity_data RETURNING id) SELECT COUNT(*) FROM gone",
    "SELECT COUNT(*) INTO evil FROM strava_activity_data",
]


@pytest.fixture(params=["duckdb", "postgresql"])
def warehouse_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A migrated warehouse holding two production rows and a staging table of one row."""
    if request.param == "duckdb":
        yield f"duckdb:///{tmp_path}/warehouse.duckdb"
        return
    with postgres_database() as database:
        yield pg_url(database)


def _seed(url: str) -> Warehouse:
    warehouse = open_warehouse(url)
    warehouse.ensure_schema()
    with warehouse.transaction() as session:
        session.run_file("staging/create_staging_table.sql", staging_table=STAGING)
        session.execute(f"INSERT INTO {STAGING} (id) VALUES (3)")
        session.execute(render("INSERT INTO {production_table} (id) VALUES (1), (2)"))
    return warehouse


def _intact(warehouse: Warehouse) -> None:
    assert warehouse.query(render("SELECT COUNT(*) FROM {production_table}")) == [(2,)]
    assert warehouse.query(f"SELECT COUNT(*) FROM {STAGING}") == [(1,)]
    assert warehouse.table_exists("table_updates")
    assert not warehouse.table_exists("evil")


def test_a_check_that_is_not_one_query_is_refused_before_it_runs(
    warehouse_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    warehouse = _seed(warehouse_url)
    monkeypatch.setenv("WAREHOUSE_URL", warehouse_url)
    for number, (sql, refusal) in enumerate(REFUSED.items()):
        evil = tmp_path / f"evil{number}.sql"
        evil.write_text(sql, encoding="utf-8")
        assert main([str(evil), "0", "equals", "warn", "--run-date", str(RUN_DATE)]) == 2, sql
        captured = capsys.readouterr()
        assert captured.out == ""
        assert len(captured.err.strip().splitlines()) == 1, captured.err
        assert refusal in captured.err, (sql, captured.err)
        _intact(warehouse)
    assert not Path("/tmp/i25-evil.csv").exists()


def test_a_query_that_writes_anyway_fails_in_the_read_only_transaction(
    warehouse_url: str,
) -> None:
    warehouse = _seed(warehouse_url)
    for sql in WRITING_QUERIES:
        check = Check("evil", Side("evil.sql", sql=sql), Side("0", constant=0.0),
                      "equals", "warn")
        outcome = evaluate(warehouse, check, RUN_DATE)
        assert outcome.status == "error", (sql, outcome.message)
        assert outcome.message.startswith("could not run: ")
        _intact(warehouse)
    # A check that only reads still works in the same read-only transaction, twice in a row.
    reading = Check("reads", Side("count.sql", sql=f"SELECT COUNT(*) FROM {STAGING}"),
                    Side("1", constant=1.0), "equals", "halt")
    assert [evaluate(warehouse, reading, RUN_DATE).status for _ in range(2)] == ["pass"] * 2
