"""Real servers for the production-backend tests: throwaway PostgreSQL and MariaDB databases with
random names, and moto's S3 server over HTTP. Servers missing: skip, or fail under CI=true."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import psycopg2
import pymysql
import pytest

from pipeline import activity_csv
from pipeline.backends import open_warehouse
from pipeline.backends.warehouse import Warehouse
from pipeline.sandbox import SyntheticAthlete
from pipeline.strava.activities import activities_frame
from tests.conftest import ATHLETE_END, port_open, require_server

PG_HOST, PG_PORT, PG_ADMIN = "127.0.0.1", 5432, "postgres"
MYSQL_HOST, MYSQL_PORT, MYSQL_ADMIN = "127.0.0.1", 3306, "root"
# Trust authentication ignores it; it is here to prove that no log line or error shows it.
PG_PASSWORD = "pg-pw-9f3c7a1e"
AWS_ENV = {"AWS_ACCESS_KEY_ID": "testing-key-id", "AWS_SECRET_ACCESS_KEY": "testing-secret-key",
           "AWS_DEFAULT_REGION": "us-east-1"}


def random_name(prefix: str) -> str:
    """A database/bucket name no parallel test run will share."""
    return f"{prefix}_{secrets.token_hex(5)}"


def require_postgres() -> None:
    """Skip (fail under CI) without the PostgreSQL server."""
    require_server(port_open(PG_HOST, PG_PORT), f"PostgreSQL at {PG_HOST}:{PG_PORT} is not up")


def require_mysql() -> None:
    """Skip (fail under CI) without the MariaDB/MySQL server."""
    require_server(port_open(MYSQL_HOST, MYSQL_PORT),
                   f"MariaDB at {MYSQL_HOST}:{MYSQL_PORT} is not up")


def pg_admin(database: str = "postgres") -> psycopg2.extensions.connection:
    """An autocommit superuser connection."""
    connection = psycopg2.connect(host=PG_HOST, port=PG_PORT, user=PG_ADMIN, dbname=database)
    connection.autocommit = True
    return connection


def mysql_admin(database: str | None = None) -> pymysql.connections.Connection:
    """An autocommit root connection (utf8mb4)."""
    return pymysql.connect(host=MYSQL_HOST, port=MYSQL_PORT, user=MYSQL_ADMIN, database=database,
                           charset="utf8mb4", autocommit=True)


@contextmanager
def postgres_database() -> Iterator[str]:
    """A fresh, empty PostgreSQL database (UTF8); dropped afterwards. Yields its name."""
    require_postgres()
    name = random_name("strava_pg")
    pg_execute("postgres", f"CREATE DATABASE {name} ENCODING 'UTF8' TEMPLATE template0")
    try:
        yield name
    finally:
        pg_execute("postgres", f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def pg_execute(database: str, sql: str, params: tuple = ()) -> None:
    """Run one statement in autocommit mode."""
    connection = pg_admin(database)
    try:
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
    finally:
        connection.close()


@contextmanager
def mysql_database() -> Iterator[str]:
    """A fresh MariaDB database with the server's default character set; dropped afterwards."""
    require_mysql()
    name = random_name("strava_my")
    admin = mysql_admin()
    try:
        with admin.cursor() as cursor:
            cursor.execute(f"CREATE DATABASE {name}")
        yield name
    finally:
        with admin.cursor() as cursor:
            cursor.execute(f"DROP DATABASE IF EXISTS {name}")
        admin.close()


def pg_url(database: str, scheme: str = "postgresql") -> str:
    """WAREHOUSE_URL of a test database, with a password in it."""
    return f"{scheme}://{PG_ADMIN}:{PG_PASSWORD}@{PG_HOST}:{PG_PORT}/{database}"


def mysql_url(database: str) -> str:
    """STATE_URL of a test database."""
    return f"mysql://{MYSQL_ADMIN}@{MYSQL_HOST}:{MYSQL_PORT}/{database}"


def pg_connections(database: str) -> int:
    """Open connections to a database other than the one asking."""
    rows = pg_rows("postgres", "SELECT COUNT(*) FROM pg_stat_activity WHERE datname = %s "
                   "AND pid <> pg_backend_pid()", (database,))
    return int(rows[0][0])


def mysql_connections(database: str) -> int:
    """Open connections whose current database is ``database``."""
    admin = mysql_admin()
    try:
        with admin.cursor() as cursor:
            cursor.execute("SELECT COUNT(*) FROM information_schema.processlist WHERE db = %s "
                           "AND id <> CONNECTION_ID()", (database,))
            return int(cursor.fetchone()[0])
    finally:
        admin.close()


def pg_rows(database: str, sql: str, params: tuple = ()) -> list[tuple]:
    """Rows of a query on a test database."""
    connection = pg_admin(database)
    try:
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            return cursor.fetchall()
    finally:
        connection.close()


def pg_dump(database: str, table: str, exclude: tuple[str, ...] = ()) -> list[tuple]:
    """Every row of a table ordered by every column (the first is unique in ours)."""
    names = [row[0] for row in pg_rows(
        database, "SELECT column_name FROM information_schema.columns WHERE table_name = %s "
        "ORDER BY ordinal_position", (table,))]
    keep = ", ".join(f'"{name}"' for name in names if name not in exclude)
    return pg_rows(database, f"SELECT {keep} FROM {table} ORDER BY {keep}")


@dataclass
class S3Server:
    """moto's S3 over real HTTP on a free port."""

    endpoint_url: str

    def client(self):  # noqa: ANN201 - a boto3 client
        """A boto3 S3 client for the test's own checks."""
        import boto3

        return boto3.client("s3", endpoint_url=self.endpoint_url, region_name="us-east-1",
                            aws_access_key_id=AWS_ENV["AWS_ACCESS_KEY_ID"],
                            aws_secret_access_key=AWS_ENV["AWS_SECRET_ACCESS_KEY"])

    def new_bucket(self) -> str:
        """A fresh empty bucket."""
        name = random_name("strava-lake").replace("_", "-")
        self.client().create_bucket(Bucket=name)
        return name


@pytest.fixture(scope="session", name="s3_server")
def fixture_s3_server() -> Iterator[S3Server]:
    """moto's threaded S3 server for the whole session."""
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    try:
        yield S3Server(f"http://{host}:{port}")
    finally:
        server.stop()


@pytest.fixture(name="s3_env")
def fixture_s3_env(s3_server: S3Server, monkeypatch: pytest.MonkeyPatch) -> S3Server:
    """Credentials and endpoint for the moto server in the environment (boto3's usual chain)."""
    for name, value in AWS_ENV.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("AWS_ENDPOINT_URL_S3", s3_server.endpoint_url)
    for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_ENDPOINT_URL"):
        monkeypatch.delenv(name, raising=False)
    return s3_server


@pytest.fixture(name="pg_database")
def fixture_pg_database() -> Iterator[str]:
    """A fresh PostgreSQL database for one test."""
    with postgres_database() as name:
        yield name


@pytest.fixture(name="mysql_db")
def fixture_mysql_db() -> Iterator[str]:
    """A fresh MariaDB database for one test."""
    with mysql_database() as name:
        yield name


@pytest.fixture(params=["duckdb", "postgresql"], name="warehouse")
def fixture_warehouse(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Warehouse]:
    """An empty warehouse with the schema: a DuckDB file, or a fresh PostgreSQL database."""
    if request.param == "duckdb":
        found = open_warehouse(f"duckdb:///{tmp_path}/warehouse.duckdb")
        found.ensure_schema()
        yield found
        return
    with postgres_database() as name:
        found = open_warehouse(pg_url(name))
        found.ensure_schema()
        yield found


KEY = "strava/activities/2026-11-29/activities.csv"
STAGING = "staging_strava_activity_data_20261129"


def write_extract(path: Path, n_activities: int = 300) -> list[dict]:
    """An extract file of a synthetic athlete; the activities it holds."""
    athlete = SyntheticAthlete(seed=11, n_activities=n_activities, end=ATHLETE_END)
    frame = activities_frame(athlete.activities, extracted_at=datetime.now(timezone.utc))
    activity_csv.write_activities_csv(frame, path)
    return athlete.activities
