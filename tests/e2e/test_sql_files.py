"""Every SQL file of the project runs on DuckDB and on PostgreSQL: one set of files serves every
warehouse, and dialect differences stay in the adapters.

Each file is rendered with the fixed placeholders (``pipeline.sql_files.TABLES`` plus the staging
table below) and each ``:name`` parameter it uses is bound from ``SAMPLE_PARAMETERS``. A new file
with a new parameter fails here with a message naming it: add a sample value below.
``sql/setup/`` holds per-server administration scripts, tested on their own server in
tests/e2e/test_backends_mysql.py and tests/e2e/test_backends_postgres.py; ``sql/state/`` and the
migrations are the state store's and the runner's (tests/e2e/test_migrations.py).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path

import pytest

from pipeline.backends.duckdb_warehouse import DuckDBWarehouse
from pipeline.backends.postgres_warehouse import PostgresWarehouse
from pipeline.backends.warehouse import Warehouse
from pipeline.model_registry import reader_sql, refs_in
from pipeline.sandbox import HOSTILE_NAMES
from pipeline.sql_files import (
    DIALECT_SUFFIX,
    SQL_DIR,
    TABLES,
    parameter_names,
    render,
    split_statements,
)
from tests.support.backends import pg_url, postgres_database

# One sample value per :name parameter any SQL file binds. Add yours here.
SAMPLE_PARAMETERS: dict[str, object] = {
    "run_date": date(2026, 11, 29),
    "upper_bound": datetime(2026, 11, 30, 12),
    "run_date_end": datetime(2026, 11, 30),
    "run_week_start": datetime(2026, 11, 23),
    "run_week_end": datetime(2026, 11, 30),
    "min_history_weeks": 4,
    "trailing_weeks": 12,
    "local_end": datetime(2026, 11, 30),
    "day_after_run_date": datetime(2026, 11, 30),
    "max_routes": 2000,
    "non_iana_timezones": 0,
    "unparseable_activities": 0,
    # issue 20: reconciliation and webhook events
    "id": 1234567,
    "event_key": "1:activity:1234567:update:1764400000",
    "batch": "20261206t191500",
    "outcome": "upserted from GET /activities",
    "applied_at": datetime(2026, 12, 6, 19, 15),
    # issue 23: the kudos model's fingerprint and scoring reads
    "settled_end": datetime(2026, 11, 23),
    "local_start": datetime(2026, 8, 31),
    "archive_id": "0123456789abcdef",
    "streams_since": datetime(2026, 11, 2),
    # issue 26: one athlete's rows
    "athlete_id": 42,
    # issue 23: the dashboard's window and its records
    "since": datetime(2025, 11, 24),
    "pace_5k": 5000,
    "pace_10k": 10000,
    "pace_half": 21097.5,
    "pace_marathon": 42195,
}


# Placeholders beyond TABLES, with the value the pipeline gives them.
IDENTIFIERS: dict[str, str] = {
    "staging_table": "staging_strava_activity_data_20261129",
    # a table keyed by activity_id, as pipeline/forget_athlete.py passes to forget/ files
    "model_table": "kudos_predictions",
}


NOT_FOR_EVERY_WAREHOUSE = {"setup", "state", "migrations"}


_DIALECT_FILE = re.compile(r"\.(duckdb|postgres|redshift)\.sql$")
_CREATES_TABLE = re.compile(r"\bCREATE\s+TABLE\s+(?!IF\s+NOT\s+EXISTS\b)([a-z_][a-z0-9_]*)", re.I)


def project_sql_files() -> list[str]:
    """Every .sql file under sql/, except the per-server setup scripts."""
    files = []
    for path in sorted(SQL_DIR.rglob("*.sql")):
        relative = path.relative_to(SQL_DIR)
        if relative.parts[0] not in NOT_FOR_EVERY_WAREHOUSE:
            files.append(relative.as_posix())
    return files


class _RollBack(Exception):
    """Leaves the file's changes behind: every file sees the same seeded warehouse."""


def rendered_statements(relative_path: str) -> list[str]:
    """The file's statements with table names filled in; a clear failure for an unknown one."""
    text = (SQL_DIR / relative_path).read_text("utf-8")
    if refs_in(text):  # a reader of the marts (sql/dashboard/)
        text = reader_sql(relative_path)
    try:
        rendered = render(text, **IDENTIFIERS)
    except KeyError as error:
        pytest.fail(f"sql/{relative_path}: {error.args[0]}; use one of "
                    f"{sorted([*TABLES, *IDENTIFIERS])} or add it to sql_files.TABLES")
    statements = split_statements(rendered)
    assert statements, f"sql/{relative_path} holds no statement"
    if relative_path.startswith("fragments/") and not re.match(
            r"(?is)^(?:\s*--[^\n]*\n)*\s*(select|with)\b", statements[0]):
        # An expression fragment (week_start): evaluated over production's rows.
        statements = [render(f"SELECT {statements[0]} FROM {{production_table}}")]
    return statements


def bound_parameters(relative_path: str, statement: str) -> dict[str, object]:
    """Sample values for the statement's ``:name`` parameters; fail naming an unknown one."""
    names = parameter_names(statement)
    unknown = sorted(set(names) - set(SAMPLE_PARAMETERS))
    if unknown:
        pytest.fail(f"sql/{relative_path} binds {', '.join(':' + n for n in unknown)}: add a "
                    "sample value for it to SAMPLE_PARAMETERS in tests/e2e/test_sql_files.py")
    return {name: SAMPLE_PARAMETERS[name] for name in names}


SEED_COLUMNS = ("id", "athlete_id", "name", "distance", "moving_time", "elapsed_time",
                "total_elevation_gain", "type", "sport_type", "start_date", "start_date_local",
                "kudos_count", "trainer", "extracted_at")

def seed(warehouse: Warehouse) -> None:
    """Schema, a few production rows (hostile names, NULLs) and the staging table."""
    warehouse.ensure_schema()
    rows = []
    for index, name in enumerate([*HOSTILE_NAMES[:6], None]):
        rows.append({
            "id": 9_000_000_000 + index, "athlete_id": 42, "name": name,
            "distance": 5000.5 + index, "moving_time": 1800 + index, "elapsed_time": 1900,
            "total_elevation_gain": None if index == 2 else 12.5, "type": "Run",
            "sport_type": "Run" if index % 2 else "TrailRun",
            "start_date": datetime(2026, 10 + index % 2, 3 + index, 6, 30),
            "start_date_local": datetime(2026, 10 + index % 2, 3 + index, 7, 30),
            "kudos_count": index, "trainer": False, "extracted_at": datetime(2026, 11, 29, 9),
        })
    columns = ", ".join(SEED_COLUMNS)
    values = ", ".join(f":{column}" for column in SEED_COLUMNS)
    with warehouse.transaction() as session:
        for row in rows:
            session.execute(render(f"INSERT INTO {{production_table}} ({columns}) "
                                   f"VALUES ({values})"), row)
        session.execute(f"DROP TABLE IF EXISTS {IDENTIFIERS['staging_table']}")
        session.run_file("staging/create_staging_table.sql", **IDENTIFIERS)
        session.execute(render("INSERT INTO {staging_table} SELECT * FROM "
                               "{production_table} WHERE kudos_count < 3", **IDENTIFIERS))

@pytest.fixture(scope="module")
def duckdb_warehouse(tmp_path_factory: pytest.TempPathFactory) -> Warehouse:
    path = Path(tmp_path_factory.mktemp("sqlfiles")) / "warehouse.duckdb"
    warehouse = DuckDBWarehouse(f"duckdb:///{path}", path)
    seed(warehouse)
    return warehouse

@pytest.fixture(scope="module")
def postgresql_warehouse() -> Iterator[Warehouse]:
    with postgres_database() as database:
        warehouse = PostgresWarehouse(pg_url(database))
        seed(warehouse)
        yield warehouse


@pytest.mark.parametrize("warehouse_name", ["duckdb", "postgresql"])
@pytest.mark.parametrize("relative_path", project_sql_files())
def test_sql_file_runs_on_every_warehouse(relative_path: str, warehouse_name: str,
                                          request: pytest.FixtureRequest) -> None:
    warehouse: Warehouse = request.getfixturevalue(f"{warehouse_name}_warehouse")
    own = _DIALECT_FILE.search(relative_path)  # <stem>.<dialect>.sql: that dialect's form only
    if own and own.group(1) != DIALECT_SUFFIX.get(warehouse.dialect, warehouse.dialect):
        pytest.skip(f"sql/{relative_path} is {own.group(1)}'s own form of a shared file")
    if relative_path.startswith("models/"):
        build_model_and_its_refs(warehouse, relative_path)
        return
    for mart in refs_in((SQL_DIR / relative_path).read_text("utf-8")):
        build_model_and_its_refs(warehouse, f"models/marts/{mart}.sql")
    statements = rendered_statements(relative_path)
    try:
        with warehouse.transaction() as session:
            for statement in statements:
                for table in _CREATES_TABLE.findall(statement):
                    session.execute(f"DROP TABLE IF EXISTS {table}")
                try:
                    session.execute(statement, bound_parameters(relative_path, statement))
                except Exception as error:
                    pytest.fail(f"sql/{relative_path} fails on {warehouse_name}: "
                                f"{type(error).__name__}: {error}\n--- statement:\n{statement}")
            raise _RollBack
    except _RollBack:
        pass


def build_model_and_its_refs(warehouse: Warehouse, relative_path: str) -> None:
    """As the pipeline builds a model (after the models it refs), with its parameters."""
    from pipeline.model_registry import load_models

    models = load_models()
    name = Path(relative_path).stem
    if name not in models:
        assert relative_path.endswith(".ini"), f"sql/{relative_path} is no model"
        return
    wanted = {name}
    for model in reversed(list(models.values())):
        if model.name in wanted:
            wanted.update(model.refs)
    for model in (m for m in models.values() if m.name in wanted):
        select = model.select()
        params = bound_parameters(model.label, select)
        marker = f"SqlFileTest({model.name})"
        if model.materialized == "view":
            warehouse.replace_view(model.name, select, marker)
        elif model.materialized == "incremental":
            warehouse.replace_run_rows(model.name, select, marker, params)
        else:
            candidate = model.candidate_table(date(2026, 11, 29))
            warehouse.build_candidate(candidate, select, params)
            warehouse.swap_in_candidate(model.name, candidate, marker)
        assert warehouse.table_exists(model.name)
