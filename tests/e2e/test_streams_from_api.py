"""STREAMS_FROM_API=on: the weekly run also fetches /activities/{id}/streams for its new
activities, after the list and within the read budget; when the budget is short the streams wait
for the next run, never the activities. Off (the default): no stream request at all."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from pipeline.sandbox.activity_files import points
from tests.conftest import NEXT_RUN_DATE, RUN_DATE, succeeded
from tests.e2e.test_archive_import import (  # noqa: F401 - the fixture
    archive_world,
    production,
    query,
)
from tests.support.backends import (  # noqa: F401 - fixtures
    fixture_mysql_db,
    fixture_pg_database,
    fixture_s3_env,
    fixture_s3_server,
)


def wanted(world, run_date) -> dict[int, int]:  # type: ignore[no-untyped-def]
    """Activity id -> samples, for the activities of the four weeks up to the run date."""
    end = datetime.combine(run_date + timedelta(days=1), datetime.min.time())
    found = {}
    for act in world.athlete.snapshot():
        local = datetime.fromisoformat(act["start_date_local"].removesuffix("Z"))
        if end - timedelta(weeks=4) <= local < end and not act.get("manual") and points(act):
            found[act["id"]] = len(points(act))
    return found


def stream_counts() -> dict[int, int]:
    return dict(query("SELECT activity_id, COUNT(*) FROM activity_streams GROUP BY activity_id"))


def test_streams_of_the_new_activities_come_from_the_api(
        archive_world, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    monkeypatch.setenv("STREAMS_FROM_API", "on")
    assert succeeded(archive_world.run_weekly(RUN_DATE))
    expected = wanted(archive_world, RUN_DATE)
    assert expected and stream_counts() == expected
    assert archive_world.sandbox.count("/streams") == len(expected)
    # The stream marts of this very run already hold them (they wait for FetchStreams).
    zoned = {row[0] for row in query("SELECT DISTINCT activity_id FROM activity_hr_zones")}
    assert zoned and zoned <= set(expected)


def test_off_by_default_and_a_short_budget_waits_for_the_next_run(
        archive_world, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    assert succeeded(archive_world.run_weekly(RUN_DATE))
    assert archive_world.sandbox.count("/streams") == 0 and stream_counts() == {}

    monkeypatch.setenv("STREAMS_FROM_API", "on")
    archive_world.sandbox.set_usage(read_15min=95, read_daily=100)
    loaded = len(production())
    assert succeeded(archive_world.run_weekly(NEXT_RUN_DATE))  # the activities load
    assert len(production()) >= loaded
    # A new client knows the budget from its first answer: at most that one stream request.
    assert archive_world.sandbox.count("/streams") <= 1 and len(stream_counts()) <= 1
    assert len(wanted(archive_world, NEXT_RUN_DATE)) > 1  # the others wait for the next run
