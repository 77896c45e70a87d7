"""The PostgreSQL warehouse against the real server (lake on moto's S3 over HTTP)."""

from __future__ import annotations

import secrets
from datetime import datetime
from pathlib import Path

import pytest

from pipeline.backends import open_lake, open_warehouse
from pipeline.backends import postgres_warehouse as pg_module
from pipeline.backends.lake import LocalLake
from pipeline.backends.postgres_warehouse import PostgresWarehouse, WarehouseConnectionError
from pipeline.backends.urls import redact
from pipeline.model_registry import model
from pipeline.sandbox import HOSTILE_NAMES
from pipeline.settings import ConfigurationError
from pipeline.sql_files import SQL_DIR, split_statements
from tests.support.backends import (  # noqa: F401 - fixtures
    KEY,
    PG_HOST,
    PG_PASSWORD,
    PG_PORT,
    STAGING,
    S3Server,
    fixture_pg_database,
    fixture_s3_env,
    fixture_s3_server,
    pg_connections,
    pg_execute,
    pg_rows,
    pg_url,
    postgres_database,
    random_name,
    write_extract,
)
from tests.support.helpers import COLUMNS, expected_row


def staged_rows(database: str) -> dict[int, dict]:
    rows = pg_rows(database, f"SELECT {', '.join(COLUMNS)} FROM {STAGING}")
    return {row[0]: dict(zip(COLUMNS, row, strict=True)) for row in rows}


def test_copy_streams_the_s3_object_in_chunks_and_keeps_every_value(
    pg_database: str, s3_env: S3Server, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    activities = write_extract(tmp_path / "activities.csv", n_activities=1200)
    lake = open_lake(f"s3://{s3_env.new_bucket()}/lake")
    lake.put_file(tmp_path / "activities.csv", KEY)
    warehouse = open_warehouse(pg_url(pg_database))
    assert isinstance(warehouse, PostgresWarehouse)

    reads: list[int] = []
    opened = lake.open_binary

    def recording_open(key: str):
        stream = opened(key)
        original_read = stream.read

        def read(size: int | None = None) -> bytes:
            chunk = original_read(size)
            reads.append(len(chunk))
            return chunk

        stream.read = read
        return stream

    monkeypatch.setattr(lake, "open_binary", recording_open)
    monkeypatch.setattr(pg_module, "_COPY_CHUNK", 64 * 1024)
    assert warehouse.load_staging(lake, KEY, STAGING, "CopyToStaging(2026-11-29)") == 1200

    size = (tmp_path / "activities.csv").stat().st_size
    assert sum(reads) == size
    assert len(reads) > size // (64 * 1024) and max(reads) <= 64 * 1024
    rows = staged_rows(pg_database)
    for activity in activities:
        actual = {k: v for k, v in rows[activity["id"]].items() if k != "extracted_at"}
        assert actual == expected_row(activity)
    assert {row["name"] for row in rows.values()} >= set(HOSTILE_NAMES)
    assert warehouse.marker_exists("CopyToStaging(2026-11-29)")
    assert pg_connections(pg_database) == 0


def test_extract_with_wrong_columns_is_refused_and_stages_nothing(
    pg_database: str, tmp_path: Path
) -> None:
    lake = LocalLake(f"file://{tmp_path}/lake", tmp_path / "lake")
    bad = tmp_path / "bad.csv"
    bad.write_text("id|name\n1|x\n", encoding="utf-8")
    lake.put_file(bad, KEY)
    warehouse = open_warehouse(pg_url(pg_database))
    with pytest.raises(ValueError, match="does not have the columns of strava_activity_data"):
        warehouse.load_staging(lake, KEY, STAGING, "CopyToStaging(2026-11-29)")
    assert not warehouse.table_exists(STAGING)
    assert not warehouse.marker_exists("CopyToStaging(2026-11-29)")


def test_connection_errors_are_one_masked_line(pg_database: str) -> None:
    closed = f"postgresql://pipeline:pw-on-closed-port@127.0.0.1:1/{pg_database}"
    with pytest.raises(WarehouseConnectionError) as error:
        open_warehouse(closed).ensure_schema()
    message = str(error.value)
    assert message.startswith("cannot connect to the warehouse postgresql://pipeline:***@")
    assert "pw-on-closed-port" not in message and "\n" not in message
    assert error.value.__suppress_context__

    missing = f"postgresql://postgres:{PG_PASSWORD}@{PG_HOST}:{PG_PORT}/no_such_db_{pg_database}"
    with pytest.raises(WarehouseConnectionError, match="does not exist") as error:
        open_warehouse(missing).ensure_schema()
    assert PG_PASSWORD not in str(error.value)

    with pytest.raises(ConfigurationError, match="names no database"):
        open_warehouse("postgresql://u:pw@127.0.0.1:5432/")
    with pytest.raises(ConfigurationError, match="unknown option"):
        open_warehouse("postgresql://u:pw@127.0.0.1/db?no_such_option=x&sslmode=require")


def test_redact_hides_a_password_a_driver_echoes_outside_a_url() -> None:
    url = "postgresql://pipeline:p%40ss-w0rd@db.example:5432/strava"
    text = ('connection to "db.example" failed for dsn "host=db.example password=p@ss-w0rd" '
            "and postgresql://other:hunter2@x/y")
    assert redact(text, url) == (
        'connection to "db.example" failed for dsn "host=db.example password=***" '
        "and postgresql://other:***@x/y")


@pytest.mark.parametrize("setup_file", ["postgres_warehouse.sql", "redshift_warehouse.sql"])
def test_one_time_setup_sql_gives_a_user_that_can_run_every_stage(
    setup_file: str, tmp_path: Path
) -> None:
    """The pipeline user of the setup file creates, loads, merges and rebuilds on its own
    (PostgreSQL 15 grants nothing on the public schema by default)."""
    user = random_name("strava_pl")
    script = (SQL_DIR / "setup" / setup_file).read_text("utf-8").replace("strava_pipeline", user)
    pg_execute("postgres", f"CREATE ROLE {user} LOGIN PASSWORD %s", (secrets.token_hex(8),))
    try:
        with postgres_database() as database:
            for statement in split_statements(script):
                pg_execute(database, statement)
            lake = LocalLake(f"file://{tmp_path}/lake", tmp_path / "lake")
            write_extract(tmp_path / "activities.csv", n_activities=50)
            lake.put_file(tmp_path / "activities.csv", KEY)
            warehouse = open_warehouse(
                f"postgresql://{user}:unused@{PG_HOST}:{PG_PORT}/{database}")
            assert warehouse.load_staging(lake, KEY, STAGING, "CopyToStaging(2026-11-29)") == 50
            warehouse.merge_staging(STAGING, "LoadProduction(2026-11-29)")
            stg = model("stg_activities")
            for lookup in stg.refs:  # the lists it joins: views
                warehouse.replace_view(lookup, model(lookup).select(),
                                       f"BuildModel(2026-11-29,{lookup})")
            candidate = stg.candidate_table(datetime(2026, 11, 29).date())
            warehouse.build_candidate(candidate, stg.select())
            warehouse.swap_in_candidate(stg.name, candidate, "BuildModel(2026-11-29,stg)")
            owners = pg_rows(database, "SELECT DISTINCT tableowner FROM pg_tables "
                             "WHERE schemaname = 'public'")
            assert owners == [(user,)]
            assert pg_rows(database, "SELECT COUNT(*) FROM strava_activity_data") == [(50,)]
    finally:
        pg_execute("postgres", f"DROP ROLE IF EXISTS {user}")
