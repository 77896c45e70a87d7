"""strava-pipeline forget (issue 22, finding 7): after it, a search of every store (every table of
the warehouse and the state store, every lake object, every file of DATA_DIR) finds none of the
athlete's activity ids, on the embedded default and on MariaDB + moto S3 + PostgreSQL; --revoke
revokes the access at Strava (the sandbox); without --yes nothing is deleted."""

from __future__ import annotations

import gzip
import io
import re
from collections.abc import Callable
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path

import pytest

from pipeline.backends import open_lake, open_state, open_warehouse
from pipeline.backends.duckdb_warehouse import release_all
from pipeline.cli import main as cli_main
from pipeline.forget import STORES
from pipeline.sandbox import SyntheticAthlete
from pipeline.settings import load_settings
from pipeline.tasks import CopyToStaging
from tests.conftest import (
    ATHLETE_END,
    NEXT_RUN_DATE,
    FakeClock,
    PipelineWorld,
    succeeded,
)
from tests.support.backends import (  # noqa: F401 - fixtures
    S3Server,
    fixture_mysql_db,
    fixture_pg_database,
    fixture_s3_env,
    fixture_s3_server,
    mysql_url,
    pg_url,
)

_NUMBER = re.compile(rb"\d+")
_EMBEDDED_FILES = {"warehouse.duckdb", "warehouse.duckdb.wal", "state.db", "state.db-journal",
                   "state.db-wal"}


def small_athlete() -> SyntheticAthlete:
    return SyntheticAthlete(seed=7, n_activities=300, end=ATHLETE_END)


def _found(text: bytes, ids: set[bytes]) -> set[bytes]:
    return set(_NUMBER.findall(text)) & ids


def _content(path_or_key: str, data: bytes) -> bytes:
    return gzip.decompress(data) if path_or_key.endswith(".gz") else data


def _table_rows(session, tables: list[str]) -> bytes:  # noqa: ANN001 - a backends Session
    found = []
    for table in tables:
        for row in session.execute(f'SELECT * FROM "{table}"').fetchall():
            found.append(repr(row))
    return "\n".join(found).encode()


def traces(world: PipelineWorld, ids: set[int]) -> dict[str, set[bytes]]:
    """Where any of ``ids`` shows up: every table, lake object and DATA_DIR file, searched."""
    wanted = {str(i).encode() for i in ids}
    settings = load_settings()
    where: dict[str, set[bytes]] = {}
    warehouse = open_warehouse(settings.warehouse_url)
    tables = [name for name, _ in warehouse.query_file("forget/warehouse_tables.sql")]
    with warehouse.transaction() as session:
        where["warehouse"] = _found(_table_rows(session, tables), wanted)
    release_all()
    lake = open_lake(settings.lake_url)
    where["lake"] = set()
    for key in lake.keys(""):
        with lake.open_binary(key) as body:
            where["lake"] |= _found(_content(key, body.read()), wanted)
    state = open_state(settings.state_url)
    listing = ("SELECT name FROM sqlite_master WHERE type = 'table'" if state.dialect == "sqlite"
               else "SELECT table_name FROM information_schema.tables "
                    "WHERE table_schema = DATABASE()")
    with state.transaction() as session:
        names = [row[0] for row in session.execute(listing).fetchall()]
        quote = '"' if state.dialect == "sqlite" else "`"
        rows = [repr(row) for name in names
                for row in session.execute(f"SELECT * FROM {quote}{name}{quote}").fetchall()]
    where["state store"] = _found("\n".join(rows).encode(), wanted)
    where["DATA_DIR"] = set()
    for path in settings.data_dir.rglob("*"):
        if path.is_file() and path.name not in _EMBEDDED_FILES:
            where["DATA_DIR"] |= _found(_content(path.name, path.read_bytes()), wanted)
    return {store: found for store, found in where.items() if found}


def command(*args: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        code = cli_main(list(args))
    release_all()
    return code, out.getvalue(), err.getvalue()


def loaded_world(world: PipelineWorld) -> set[int]:
    """A finished week, the next week staged (not loaded); the athlete's ids in production."""
    assert succeeded(world.run_weekly()), "the weekly run failed"
    assert succeeded(world.build(CopyToStaging(run_date=NEXT_RUN_DATE)))
    warehouse = open_warehouse(load_settings().warehouse_url)
    ids = {row[0] for row in warehouse.query("SELECT id FROM {production_table}")}
    release_all()
    assert len(ids) > 200
    return ids


def check_forgotten(world: PipelineWorld, ids: set[int]) -> str:
    """Run forget --yes --revoke; every store is searched; the output comes back."""
    before = traces(world, ids)
    assert {"warehouse", "lake", "DATA_DIR"} <= set(before)  # the search finds them
    assert open_state(load_settings().state_url).history()  # watermarks: dates, not ids
    assert world.sandbox.app.tokens.revocations == 0
    code, out, err = command("forget", "--yes", "--revoke")
    assert code == 0, err
    assert traces(world, ids) == {}
    assert open_state(load_settings().state_url).history() == []
    assert world.sandbox.app.tokens.revocations == 1
    assert not load_settings().token_store_path.exists()
    assert "rows of strava_activity_data" in out and "table staging_strava_activity_data_" \
        "20261206" in out and "under strava/" in out and "under models/" in out
    assert "of last_extracted" in out and "token store" in out
    assert "access to the athlete revoked" in out
    # A second forget finds nothing left.
    code, again, _ = command("forget", "--yes")
    assert code == 0 and again.strip() == "forgot the athlete: nothing was stored"
    return out


def test_forget_on_the_embedded_default(world_factory: Callable[..., PipelineWorld],
                                        fake_clock: FakeClock) -> None:
    world = world_factory(small_athlete(), clock=fake_clock)
    ids = loaded_world(world)
    out = check_forgotten(world, ids)
    assert "reports" in out and "extract" in out
    assert [store.name for store in STORES] == [
        "warehouse", "lake", "state store", "local files", "token store"]


def test_forget_on_mariadb_s3_and_postgresql(
        world_factory: Callable[..., PipelineWorld], fake_clock: FakeClock, s3_env: S3Server,
        pg_database: str, mysql_db: str, monkeypatch: pytest.MonkeyPatch) -> None:
    world = world_factory(small_athlete(), clock=fake_clock)
    bucket = s3_env.new_bucket()
    urls = {"LAKE_URL": f"s3://{bucket}/pipeline lake", "STATE_URL": mysql_url(mysql_db),
            "WAREHOUSE_URL": pg_url(pg_database)}
    for name, value in urls.items():
        monkeypatch.setenv(name, value)
        world.env[name] = value
    ids = loaded_world(world)
    check_forgotten(world, ids)
    # Nothing of the bucket is left under the lake's prefix; the schema stays usable.
    listed = s3_env.client().list_objects_v2(Bucket=bucket).get("Contents", [])
    assert listed == []
    assert open_warehouse(urls["WAREHOUSE_URL"]).query(
        "SELECT COUNT(*) FROM {production_table}") == [(0,)]


def test_a_refused_revocation_deletes_nothing(world_factory: Callable[..., PipelineWorld],
                                             fake_clock: FakeClock) -> None:
    world = world_factory(small_athlete(), clock=fake_clock)
    assert succeeded(world.run_weekly())
    before = sorted(p.relative_to(world.data_dir) for p in world.data_dir.rglob("*"))
    world.sandbox.set_inactive()
    code, out, err = command("forget", "--yes", "--revoke")
    assert code == 1 and out == ""
    assert err.strip().splitlines() == [
        "Strava refused to revoke the access (HTTP 403): revoke it by hand at "
        "https://www.strava.com/settings/apps; nothing was deleted: run it again, or without "
        "--revoke"]
    assert sorted(p.relative_to(world.data_dir) for p in world.data_dir.rglob("*")) == before
    assert world.sandbox.app.tokens.revocations == 0


def test_without_yes_nothing_is_deleted_and_one_line_says_how(
        world_factory: Callable[..., PipelineWorld], fake_clock: FakeClock,
        tmp_path: Path) -> None:
    world = world_factory(small_athlete(), clock=fake_clock)
    assert succeeded(world.run_weekly())
    before = sorted(p.relative_to(world.data_dir) for p in world.data_dir.rglob("*"))
    code, out, err = command("forget")
    assert code == 2
    assert err.strip().splitlines() == [
        "strava-pipeline: error: forget deletes every trace of the athlete from every store and "
        "keeps no copy: run it "
        "again with --yes to go on (nothing was deleted)"]
    assert sorted(p.relative_to(world.data_dir) for p in world.data_dir.rglob("*")) == before
