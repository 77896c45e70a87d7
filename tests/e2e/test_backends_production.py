"""The whole WeeklyPipeline on production backends: MariaDB (state), moto's S3 over HTTP (lake)
and PostgreSQL (warehouse), fed by the sandbox; compared with the embedded default."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import date, datetime

import pytest
from luigi.contrib.postgres import PostgresTarget

from pipeline.backends import open_state
from pipeline.backends.warehouse import Warehouse
from pipeline.sandbox import HOSTILE_NAMES, SyntheticAthlete
from pipeline.tasks import LoadProduction
from tests.conftest import (
    ATHLETE_END,
    NEXT_RUN_DATE,
    RUN_DATE,
    FakeClock,
    PipelineWorld,
    succeeded,
)
from tests.support.backends import (  # noqa: F401 - fixtures
    PG_ADMIN,
    PG_HOST,
    PG_PASSWORD,
    PG_PORT,
    S3Server,
    fixture_mysql_db,
    fixture_pg_database,
    fixture_s3_env,
    fixture_s3_server,
    mysql_connections,
    mysql_url,
    pg_connections,
    pg_dump,
    pg_rows,
    pg_url,
)
from tests.support.helpers import COLUMNS, expected_row, make_next_week_changes, table_dump

N_ACTIVITIES = 300


def small_athlete() -> SyntheticAthlete:
    """A small athlete that still carries every hostile name."""
    return SyntheticAthlete(seed=7, n_activities=N_ACTIVITIES, end=ATHLETE_END)


def in_window(athlete: SyntheticAthlete, end: datetime) -> list[dict]:
    """The athlete's activities that started before ``end`` in their own local time (the
    midnight after a run date D: what D covers)."""
    limit = end.strftime("%Y-%m-%dT%H:%M:%SZ")
    return [a for a in athlete.activities if a["start_date_local"] < limit]


class Production:
    """A sandbox world whose pipeline points at MariaDB, moto S3 and PostgreSQL."""

    def __init__(self, world: PipelineWorld, database: str, state_db: str, bucket: str,
                 s3: S3Server) -> None:
        self.world = world
        self.database = database
        self.state_db = state_db
        self.bucket = bucket
        self.s3 = s3
        self.urls = {
            "LAKE_URL": f"s3://{bucket}/pipeline lake",
            "STATE_URL": mysql_url(state_db),
            "WAREHOUSE_URL": pg_url(database),
        }

    def dump(self, table: str = "strava_activity_data") -> list[tuple]:
        """The warehouse table, fully ordered, without extracted_at."""
        return pg_dump(self.database, table, exclude=("extracted_at",))

    def production(self) -> dict[int, dict]:
        """strava_activity_data keyed by id."""
        rows = pg_rows(self.database, f"SELECT {', '.join(COLUMNS)} FROM strava_activity_data")
        return {row[0]: dict(zip(COLUMNS, row, strict=True)) for row in rows}

    def assert_matches_source(self, activities: list[dict]) -> None:
        """Production holds exactly these activities, field by field, each once."""
        rows = self.production()
        assert sorted(rows) == sorted(a["id"] for a in activities)
        for activity in activities:
            actual = {k: v for k, v in rows[activity["id"]].items() if k != "extracted_at"}
            assert actual == expected_row(activity), f"activity {activity['id']} differs"


@pytest.fixture
def production(world_factory: Callable[..., PipelineWorld], fake_clock: FakeClock,
               s3_env: S3Server, pg_database: str, mysql_db: str,
               monkeypatch: pytest.MonkeyPatch) -> Production:
    """The sandbox with a small athlete, and production backends in the environment."""
    world = world_factory(small_athlete(), clock=fake_clock)
    setup = Production(world, pg_database, mysql_db, s3_env.new_bucket(), s3_env)
    for name, value in setup.urls.items():
        monkeypatch.setenv(name, value)
        world.env[name] = value
    return setup


def embedded_reference(world_factory: Callable[..., PipelineWorld], fake_clock: FakeClock,
                       monkeypatch: pytest.MonkeyPatch, run_dates: list[date]
                       ) -> PipelineWorld:
    """The same athlete through the embedded default (file lake, SQLite, DuckDB)."""
    for name in ("LAKE_URL", "STATE_URL", "WAREHOUSE_URL"):
        monkeypatch.delenv(name, raising=False)
    world = world_factory(small_athlete(), clock=fake_clock)
    for run_date in run_dates:
        assert succeeded(world.run_weekly(run_date))
    return world


def test_weekly_pipeline_on_production_backends_equals_the_embedded_default(
    world_factory: Callable[..., PipelineWorld], fake_clock: FakeClock,
    production: Production, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO)
    world = production.world
    result = world.run_weekly()
    assert succeeded(result), result.summary_text

    source = in_window(world.athlete, datetime(2026, 11, 30))
    production.assert_matches_source(source)
    names = {row["name"] for row in production.production().values()}
    for hostile in HOSTILE_NAMES:
        assert hostile in names, f"{hostile!r} did not survive PostgreSQL byte-for-byte"

    # The lake object over HTTP is the extract, byte for byte (hostile names and emoji included).
    extract = (world.data_dir / "extract" / "2026-11-29" / "activities.csv").read_bytes()
    body = production.s3.client().get_object(
        Bucket=production.bucket,
        Key="pipeline lake/strava/activities/2026-11-29/activities.csv")["Body"].read()
    assert body == extract
    assert "🏃\u200d♀️🔥".encode() in body

    state = open_state(production.urls["STATE_URL"])
    (run_date, watermark, _), = state.history()
    assert run_date == RUN_DATE
    assert watermark == max(r["start_date"] for r in production.production().values())

    # Luigi's own PostgresTarget reads our markers: the same table, the same semantics.
    luigi_marker = PostgresTarget(host=PG_HOST, port=PG_PORT, database=production.database,
                                  user=PG_ADMIN, password=PG_PASSWORD, table="strava_activity_data",
                                  update_id="LoadProduction(2026-11-29)")
    assert luigi_marker.exists()

    # No connection is left open after a run of many tasks.
    assert pg_connections(production.database) == 0
    assert mysql_connections(production.state_db) == 0
    assert PG_PASSWORD not in caplog.text

    first = production.dump()
    models = production.dump("activity_summary_monthly")
    world.sandbox.reset_log()
    assert succeeded(world.run_weekly())
    assert world.sandbox.requests_log == []
    assert production.dump() == first
    assert production.dump("activity_summary_monthly") == models
    assert len(state.history()) == 1

    embedded = embedded_reference(world_factory, fake_clock, monkeypatch, [RUN_DATE])
    assert table_dump(embedded.data_dir, "strava_activity_data", exclude=("extracted_at",)) \
        == first
    assert table_dump(embedded.data_dir, "activity_summary_monthly") == models


def test_next_week_on_production_backends(
    world_factory: Callable[..., PipelineWorld], fake_clock: FakeClock,
    production: Production, monkeypatch: pytest.MonkeyPatch,
) -> None:
    world = production.world
    assert succeeded(world.run_weekly(RUN_DATE))
    changes = make_next_week_changes(world.athlete, "Renamed | after upload ✨ 🏃\u200d♀️")
    fresh, late, renamed, rekudoed = (changes.fresh, changes.late, changes.renamed,
                                      changes.rekudoed)

    assert succeeded(world.run_weekly(NEXT_RUN_DATE))

    rows = production.production()
    assert rows[fresh["id"]]["sport_type"] == "Run"
    assert late["id"] in rows
    assert rows[renamed["id"]]["name"] == "Renamed | after upload ✨ 🏃\u200d♀️"
    assert rows[rekudoed["id"]]["kudos_count"] == world.athlete.get(rekudoed["id"])["kudos_count"]
    production.assert_matches_source(in_window(world.athlete, datetime(2026, 12, 7)))
    (total, distinct), = pg_rows(production.database,
                                 "SELECT COUNT(*), COUNT(DISTINCT id) FROM strava_activity_data")
    assert total == distinct
    assert [row[0] for row in open_state(production.urls["STATE_URL"]).history()] == [
        RUN_DATE, NEXT_RUN_DATE]


def test_database_dropping_the_connection_mid_load_then_rerun(
    production: Production, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture,
) -> None:
    """The PostgreSQL backend is terminated from a second connection between the merge's DELETE
    and INSERT and its marker: the run fails clearly, nothing is half loaded; a rerun completes."""
    original = Warehouse.write_marker

    def killed_before_the_marker(self, session, update_id, target_table):
        if update_id.startswith("LoadProduction"):
            (pid,), = session.execute("SELECT pg_backend_pid()").fetchall()
            (killed,), = pg_rows(production.database, "SELECT pg_terminate_backend(%s)", (pid,))
            assert killed
        return original(self, session, update_id, target_table)

    monkeypatch.setattr(Warehouse, "write_marker", killed_before_the_marker)
    caplog.set_level(logging.INFO)
    assert not succeeded(production.world.run_weekly())
    assert "failed during a transaction" in caplog.text
    assert "rerun the date" in caplog.text
    assert PG_PASSWORD not in caplog.text
    assert pg_rows(production.database, "SELECT COUNT(*) FROM strava_activity_data") == [(0,)]
    assert pg_rows(production.database, "SELECT update_id FROM table_updates "
                   "WHERE update_id LIKE 'LoadProduction%%'") == []

    monkeypatch.setattr(Warehouse, "write_marker", original)
    assert succeeded(production.world.run_weekly())
    production.assert_matches_source(in_window(production.world.athlete, datetime(2026, 11, 30)))
    assert pg_connections(production.database) == 0


def test_state_store_down_after_the_load_then_back(
    production: Production, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture,
) -> None:
    world = production.world
    assert succeeded(world.build(LoadProduction(run_date=RUN_DATE)))
    loaded = production.dump()

    down = "mysql://pipeline:my-secret-pw@127.0.0.1:1/" + production.state_db
    monkeypatch.setenv("STATE_URL", down)
    caplog.set_level(logging.INFO)
    assert not succeeded(world.run_weekly())
    assert "cannot connect to the state store mysql://pipeline:***@127.0.0.1:1/" in caplog.text
    assert "my-secret-pw" not in caplog.text

    monkeypatch.setenv("STATE_URL", production.urls["STATE_URL"])
    world.sandbox.reset_log()
    assert succeeded(world.run_weekly())
    assert world.sandbox.requests_log == []
    assert production.dump() == loaded
    history = open_state(production.urls["STATE_URL"]).history()
    assert [row[0] for row in history] == [RUN_DATE]


def test_duckdb_warehouse_reads_an_s3_lake(
    world_factory: Callable[..., PipelineWorld], fake_clock: FakeClock, s3_env: S3Server,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    world = world_factory(small_athlete(), clock=fake_clock)
    monkeypatch.setenv("LAKE_URL", f"s3://{s3_env.new_bucket()}")
    assert succeeded(world.run_weekly())
    from tests.support.helpers import assert_matches_source

    assert_matches_source(world.data_dir, in_window(world.athlete, datetime(2026, 11, 30)))
    assert not (world.data_dir / "lake").exists()
