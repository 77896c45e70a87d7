"""A sandbox world on the embedded default or (CI=true) on MariaDB + moto S3 + PostgreSQL:
``from tests.support.worlds import fixture_world_on_backends`` makes it the ``world`` fixture."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from pipeline.sandbox import SyntheticAthlete
from tests.conftest import ATHLETE_END, FakeClock, PipelineWorld
from tests.support.backends import S3Server, mysql_url, pg_url

N_ACTIVITIES = 400


@pytest.fixture(name="world", params=["embedded", "production"])
def fixture_world_on_backends(request: pytest.FixtureRequest,
                              world_factory: Callable[..., PipelineWorld],
                              fake_clock: FakeClock,
                              monkeypatch: pytest.MonkeyPatch) -> PipelineWorld:
    """The sandbox with a 400-activity athlete, on one of the two backend sets."""
    world = world_factory(SyntheticAthlete(seed=7, n_activities=N_ACTIVITIES, end=ATHLETE_END),
                          clock=fake_clock)
    if request.param == "production":
        s3: S3Server = request.getfixturevalue("s3_env")
        urls = {"LAKE_URL": f"s3://{s3.new_bucket()}/lake",
                "STATE_URL": mysql_url(request.getfixturevalue("mysql_db")),
                "WAREHOUSE_URL": pg_url(request.getfixturevalue("pg_database"))}
        for name, value in urls.items():
            monkeypatch.setenv(name, value)
            world.env[name] = value
    return world
