"""Redshift: the generated COPY and merge statements, asserted as text (no Redshift here); the
rest of the adapter is PostgreSQL's and runs on the real PostgreSQL server."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import psycopg2
import pytest

from pipeline.backends import open_warehouse
from pipeline.backends.s3_lake import S3Lake
from pipeline.sql_files import read_sql, render, split_statements
from tests.support.backends import (  # noqa: F401 - fixtures
    KEY,
    PG_ADMIN,
    PG_HOST,
    PG_PORT,
    STAGING,
    S3Server,
    fixture_pg_database,
    fixture_s3_env,
    fixture_s3_server,
    pg_rows,
    write_extract,
)

ROLE = "arn:aws:iam::123456789012:role/strava-redshift-copy"


URL = "redshift://strava_pipeline:rs-secret-pw@example-cluster.abc123.eu-west-1" \
      ".redshift.amazonaws.com/dev?sslmode=require"


@pytest.fixture
def redshift_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LAKE_URL", "s3://strava-lake/team's lake")
    monkeypatch.setenv("REDSHIFT_IAM_ROLE", ROLE)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "fake-access-key-id-for-tests")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "example-secret-access-key")


def _code(statement: str) -> str:
    """A statement without its comment lines, whitespace collapsed."""
    lines = [line for line in statement.splitlines() if not line.strip().startswith("--")]
    return " ".join(" ".join(lines).split())


class _RecordingCursor:
    """A psycopg2 cursor on PostgreSQL that records every statement; Redshift's COPY, which
    PostgreSQL cannot run, is only recorded."""

    def __init__(self, cursor: Any, log: list[str]) -> None:
        self._cursor = cursor
        self._log = log

    def execute(self, sql: str, params: Any = None) -> None:
        self._log.append(sql)
        if not sql.startswith("COPY "):
            self._cursor.execute(sql, params)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._cursor, name)


class _RecordingConnection:
    def __init__(self, connection: Any, log: list[str]) -> None:
        self._connection = connection
        self._log = log

    def cursor(self) -> _RecordingCursor:
        return _RecordingCursor(self._connection.cursor(), self._log)

    def commit(self) -> None:
        self._log.append("COMMIT")
        self._connection.commit()

    def rollback(self) -> None:
        self._log.append("ROLLBACK")
        self._connection.rollback()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._connection, name)


def test_staging_and_merge_statements_for_a_run_date(
    redshift_env: None, pg_database: str, s3_env: S3Server, tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    bucket = s3_env.new_bucket()
    monkeypatch.setenv("LAKE_URL", f"s3://{bucket}/lake")
    lake = S3Lake(f"s3://{bucket}/lake", endpoint_url=s3_env.endpoint_url)
    write_extract(tmp_path / "activities.csv", n_activities=20)
    lake.put_file(tmp_path / "activities.csv", KEY)
    warehouse = open_warehouse(URL)
    log: list[str] = []

    def connect_to_postgres() -> _RecordingConnection:
        connection = psycopg2.connect(host=PG_HOST, port=PG_PORT, user=PG_ADMIN,
                                      dbname=pg_database)
        return _RecordingConnection(connection, log)

    monkeypatch.setattr(warehouse, "_connect", connect_to_postgres)
    warehouse.ensure_schema()
    log.clear()
    warehouse.load_staging(lake, KEY, STAGING, "CopyToStaging(2026-11-29)")
    warehouse.merge_staging(STAGING, "LoadProduction(2026-11-29)")

    copy = warehouse.copy_from_s3_statement(f"s3://{bucket}/lake/{KEY}", STAGING)
    marker_delete = "DELETE FROM table_updates WHERE update_id = %(update_id)s"
    marker_insert = ("INSERT INTO table_updates (update_id, target_table, inserted)"
                     " VALUES (%(update_id)s, %(target_table)s, %(inserted)s)")
    assert [_code(statement) for statement in log] == [
        # CopyToStaging: one transaction
        f"DROP TABLE IF EXISTS {STAGING}",
        f"CREATE TABLE {STAGING} AS SELECT * FROM strava_activity_data WHERE 1 = 0",
        _code(copy),
        f"SELECT COUNT(*) FROM {STAGING}",
        marker_delete,
        marker_insert,
        "COMMIT",
        # LoadProduction: DELETE + INSERT (impossible measures to NULL inside its SELECT, issue
        # 23) + marker in one transaction, no TRUNCATE
        f"DELETE FROM strava_activity_data WHERE id IN (SELECT id FROM {STAGING})",
        _code(split_statements(render(read_sql("production/merge_staging_into_production.sql"),
                                      staging_table=STAGING))[1]),
        marker_delete,
        marker_insert,
        f"DROP TABLE {STAGING}",  # in the merge's transaction: no staging left after a kill
        "COMMIT",
    ]
    assert not any(statement.lstrip().upper().startswith("TRUNCATE") for statement in log)
    assert pg_rows(pg_database, "SELECT update_id FROM table_updates ORDER BY update_id") == [
        ("CopyToStaging(2026-11-29)",), ("LoadProduction(2026-11-29)",)]
