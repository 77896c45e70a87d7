"""Redshift: the generated COPY and merge statements, asserted as text (no Redshift here); the
rest of the adapter is PostgreSQL's and runs on the real PostgreSQL server."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import psycopg2
import pytest

from pipeline.backends import open_warehouse
from pipeline.backends.lake import LocalLake
from pipeline.backends.redshift_warehouse import RedshiftWarehouse
from pipeline.backends.s3_lake import S3Lake
from pipeline.settings import ConfigurationError
from pipeline.sql_files import read_sql, render, split_statements
from tests.backends_support import (  # noqa: F401 - fixtures
    PG_ADMIN,
    PG_HOST,
    PG_PORT,
    S3Server,
    fixture_pg_database,
    fixture_s3_env,
    fixture_s3_server,
    pg_rows,
)
from tests.test_backends_postgres import KEY, STAGING, write_extract

ROLE = "arn:aws:iam::123456789012:role/strava-redshift-copy"
URL = "redshift://strava_pipeline:rs-secret-pw@example-cluster.abc123.eu-west-1" \
      ".redshift.amazonaws.com/dev?sslmode=require"

EXPECTED_COPY = (
    "COPY staging_strava_activity_data_20261129\n"
    "FROM 's3://strava-lake/team''s lake/strava/activities/2026-11-29/activities.csv'\n"
    "IAM_ROLE 'arn:aws:iam::123456789012:role/strava-redshift-copy'\n"
    "FORMAT AS CSV DELIMITER AS '|' QUOTE AS '\"'\n"
    "IGNOREHEADER 1\n"
    "NULL AS ''\n"
    "TIMEFORMAT 'YYYY-MM-DD HH:MI:SS'\n"
    "ENCODING UTF8\n"
    "TRUNCATECOLUMNS\n"  # the one rule for a text longer than VARCHAR(65535) bytes
    "COMPUPDATE OFF STATUPDATE OFF"
)


@pytest.fixture
def redshift_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LAKE_URL", "s3://strava-lake/team's lake")
    monkeypatch.setenv("REDSHIFT_IAM_ROLE", ROLE)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "fake-access-key-id-for-tests")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "example-secret-access-key")


def test_copy_statement_is_exactly_what_redshift_expects(redshift_env: None) -> None:
    warehouse = open_warehouse(URL)
    assert isinstance(warehouse, RedshiftWarehouse)
    assert warehouse._options["port"] == 5439 and warehouse._options["sslmode"] == "require"
    lake = S3Lake("s3://strava-lake/team's lake")
    statement = warehouse.copy_from_s3_statement(lake.uri(KEY), STAGING)
    assert statement == EXPECTED_COPY
    for secret in ("fake-access-key-id-for-tests", "example-secret-access-key", "rs-secret-pw"):
        assert secret not in statement
    for forbidden in ("CREDENTIALS", "ACCESS_KEY_ID", "ACCEPTINVCHARS", "BLANKSASNULL",
                      "TRIMBLANKS", "FILLRECORD", "MAXERROR"):
        assert forbidden not in statement


def test_region_and_default_role(redshift_env: None, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REDSHIFT_COPY_REGION", "eu-central-1")
    monkeypatch.setenv("REDSHIFT_IAM_ROLE", "default")
    statement = open_warehouse(URL).copy_from_s3_statement("s3://strava-lake/a.csv", STAGING)
    assert "\nIAM_ROLE default\n" in statement
    assert statement.endswith("\nREGION 'eu-central-1'")


@pytest.mark.parametrize("env, message", [
    ({"LAKE_URL": "file:///srv/lake"}, "is not on S3: set LAKE_URL=s3://bucket/prefix"),
    ({"REDSHIFT_IAM_ROLE": ""}, "REDSHIFT_IAM_ROLE is not set"),
    ({"REDSHIFT_IAM_ROLE": "aws_access_key_id=AKIA;aws_secret_access_key=x"},
     "is not an IAM role ARN"),
    ({"REDSHIFT_IAM_ROLE": "arn:aws:iam::123456789012:role/x' CREDENTIALS 'y"},
     "is not an IAM role ARN"),
    ({"REDSHIFT_COPY_REGION": "mars"}, "is not an AWS region"),
])
def test_configuration_errors(redshift_env: None, monkeypatch: pytest.MonkeyPatch,
                              env: dict[str, str], message: str) -> None:
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(ConfigurationError, match=message) as error:
        open_warehouse(URL)
    assert "rs-secret-pw" not in str(error.value)


def test_unloadable_s3_keys_are_refused(redshift_env: None) -> None:
    warehouse = open_warehouse(URL)
    with pytest.raises(ConfigurationError, match="cannot be loaded by Redshift COPY"):
        warehouse.copy_from_s3_statement("s3://strava-lake/back\\slash.csv", STAGING)


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
        # LoadProduction: impossible measures to NULL, DELETE + INSERT + marker in one
        # transaction, no TRUNCATE
        _code(split_statements(render(read_sql("production/merge_staging_into_production.sql"),
                                      staging_table=STAGING))[0]),
        f"DELETE FROM strava_activity_data WHERE id IN (SELECT id FROM {STAGING})",
        f"INSERT INTO strava_activity_data SELECT * FROM {STAGING}",
        marker_delete,
        marker_insert,
        "COMMIT",
        f"DROP TABLE IF EXISTS {STAGING}",
        "COMMIT",
    ]
    assert not any(statement.lstrip().upper().startswith("TRUNCATE") for statement in log)
    assert pg_rows(pg_database, "SELECT update_id FROM table_updates ORDER BY update_id") == [
        ("CopyToStaging(2026-11-29)",), ("LoadProduction(2026-11-29)",)]


def test_redshift_refuses_a_local_lake_at_load_time(redshift_env: None, tmp_path: Path) -> None:
    warehouse = open_warehouse(URL)
    lake = LocalLake(f"file://{tmp_path}", tmp_path)
    with pytest.raises(ConfigurationError, match="Redshift loads staging from S3"):
        warehouse._bulk_load(None, lake, KEY, STAGING)  # type: ignore[arg-type]


def test_docs_show_the_statement_the_code_generates(monkeypatch: pytest.MonkeyPatch) -> None:
    from tests.conftest import PROJECT_ROOT

    page = (PROJECT_ROOT / "docs" / "production-backends.md").read_text("utf-8")
    shown = page.split("```sql\nCOPY ", 1)[1].split("\n```", 1)[0]
    monkeypatch.setenv("LAKE_URL", "s3://my-strava-lake/strava")
    monkeypatch.setenv("REDSHIFT_IAM_ROLE", ROLE)
    lake = S3Lake("s3://my-strava-lake/strava")
    statement = open_warehouse(URL).copy_from_s3_statement(lake.uri(KEY), STAGING)
    assert "COPY " + shown == statement
