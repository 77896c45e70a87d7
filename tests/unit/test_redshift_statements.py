"""Redshift: the generated COPY and merge statements, asserted as text (no Redshift here); the
rest of the adapter is PostgreSQL's and runs on the real PostgreSQL server."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipeline.backends import open_warehouse
from pipeline.backends.lake import LocalLake
from pipeline.backends.redshift_warehouse import RedshiftWarehouse
from pipeline.backends.s3_lake import S3Lake
from pipeline.settings import ConfigurationError
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
)

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
