"""Finding 5 of issue 25: a database migrated by a newer release is refused at start.

A warehouse with a migration this release does not know once ran anyway and failed later in
COPY with a dialect-sniffing or column error. Now ``run`` and ``migrate`` stop before anything
runs with one line naming the migration, and ``migrate --status`` lists it as unknown.
"""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import duckdb
import pytest

from tests.conftest import PROJECT_ROOT, RUN_DATE, PipelineWorld
from tests.support.backends import (
    mysql_admin,
    mysql_database,
    mysql_url,
    pg_execute,
    pg_url,
    postgres_database,
)

FUTURE = "INSERT INTO schema_migrations (version, name, applied_at) VALUES ('9999', " \
         "'from_a_newer_release', TIMESTAMP '2030-01-01 00:00:00')"
FUTURE_MYSQL = FUTURE.replace("TIMESTAMP '2030-01-01 00:00:00'", "'2030-01-01 00:00:00'")


def _cli(world: PipelineWorld, urls: dict[str, str], *args: str
         ) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "pipeline.cli", *args], cwd=PROJECT_ROOT,
                          env={**os.environ, **world.env, **urls}, capture_output=True,
                          text=True, timeout=300)


Backends = tuple[dict[str, str], Callable[[], None], Callable[[], None]]


@pytest.fixture(params=["embedded", "production"])
def backends(request: pytest.FixtureRequest, world: PipelineWorld) -> Iterator[Backends]:
    """URLs, and how to mark the warehouse, then the state store, as migrated by the future."""
    if request.param == "embedded":
        warehouse, state = world.data_dir / "warehouse.duckdb", world.data_dir / "state.db"

        def warehouse_future() -> None:
            with duckdb.connect(str(warehouse)) as db:
                db.execute(FUTURE)

        def state_future() -> None:
            with sqlite3.connect(state) as db:
                db.execute(FUTURE.replace("TIMESTAMP ", ""))

        yield {}, warehouse_future, state_future
        return
    with postgres_database() as warehouse_db, mysql_database() as state_db:
        def mysql_future() -> None:
            admin = mysql_admin(state_db)
            try:
                with admin.cursor() as cursor:
                    cursor.execute(FUTURE_MYSQL)
            finally:
                admin.close()

        yield ({"WAREHOUSE_URL": pg_url(warehouse_db), "STATE_URL": mysql_url(state_db)},
               lambda: pg_execute(warehouse_db, FUTURE), mysql_future)


def _refused(result: subprocess.CompletedProcess[str], what: str) -> None:
    assert result.returncode == 2, result.stdout + result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert f"the {what} " in lines[0]
    assert "has migration 9999_from_a_newer_release, which this release does not know" \
        in lines[0]


def test_a_database_migrated_by_a_newer_release_is_refused_at_start(
    world: PipelineWorld, backends: Backends,
) -> None:
    urls, warehouse_future, state_future = backends
    assert _cli(world, urls, "migrate").returncode == 0
    warehouse_future()
    status = _cli(world, urls, "migrate", "--status")
    assert status.returncode == 0
    assert "9999 from_a_newer_release" in status.stdout and "UNKNOWN to this release" \
        in status.stdout
    _refused(_cli(world, urls, "migrate"), "warehouse")
    run = _cli(world, urls, "run", "--date", RUN_DATE.isoformat())
    _refused(run, "warehouse")
    assert not (world.data_dir / "extract" / RUN_DATE.isoformat() / "activities.csv").exists()
    assert world.sandbox.app.log == []  # Strava was not asked

    urls_state_only = dict(urls)
    fresh = Path(world.data_dir) / "fresh"
    if not urls:  # embedded: a fresh warehouse beside the state store of the future
        urls_state_only["WAREHOUSE_URL"] = f"duckdb:///{fresh}/warehouse.duckdb"
        fresh.mkdir()  # a folder that exists: a missing one is refused before the migrations
    state_future()
    if urls:  # production: take the warehouse's row back out, so the state store speaks
        pg_execute(urls["WAREHOUSE_URL"].rsplit("/", 1)[1],
                   "DELETE FROM schema_migrations WHERE version = '9999'")
    _refused(_cli(world, urls_state_only, "run", "--date", RUN_DATE.isoformat()),
             "state store")
