"""Finding 2 of issue 25: a date no activity can have never wedges a run.

One activity dated 1800 once stopped the week spine at 10,000 weeks and halted every later run,
even after the source was fixed. Starts before 1970 or after the run date plus one day
(``run_dates.plausible_starts``) are now set aside at the extract like any unparseable activity,
with the value in the reason; and the models no longer depend on the oldest date being sane
(a warehouse that already holds such a row keeps building).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime

import duckdb
import pytest

from pipeline.backends.warehouse import Warehouse
from pipeline.sandbox import SyntheticAthlete
from pipeline.sql_files import staging_table_name
from pipeline.validator import evaluate, load_checks
from tests.conftest import ATHLETE_END, NEXT_RUN_DATE, RUN_DATE, FakeClock, PipelineWorld, succeeded
from tests.support.backends import fixture_warehouse  # noqa: F401 - fixture

IMPLAUSIBLE = {
    "1800-06-01T08:00:00Z": "start_date_local '1800-06-01T08:00:00Z' is outside the plausible"
                            " range 1970-01-01 to 2026-11-30",
    "9999-12-31T08:00:00Z": "start_date_local '9999-12-31T08:00:00Z' is outside the plausible"
                            " range 1970-01-01 to 2026-11-30",
    "1969-12-31T23:59:59Z": "start_date_local '1969-12-31T23:59:59Z' is outside the plausible"
                            " range 1970-01-01 to 2026-11-30",
}


@pytest.fixture
def small_world(world_factory: Callable[..., PipelineWorld], fake_clock: FakeClock
                ) -> PipelineWorld:
    return world_factory(SyntheticAthlete(seed=7, n_activities=300, end=ATHLETE_END),
                         clock=fake_clock)


def _next_week(world: PipelineWorld, fake_clock: FakeClock) -> bool:
    fake_clock.now = datetime(2026, 12, 7, 3).timestamp()
    return succeeded(world.run_weekly(NEXT_RUN_DATE))


def test_starts_before_1970_or_after_the_run_date_are_set_aside_with_their_value(
    small_world: PipelineWorld, fake_clock: FakeClock,
) -> None:
    world = small_world
    newest = sorted(world.athlete.activities, key=lambda a: a["start_date"])[-len(IMPLAUSIBLE):]
    for activity, local in zip(newest, IMPLAUSIBLE, strict=True):
        world.athlete.update_activity(activity["id"], start_date_local=local)
    assert succeeded(world.run_weekly())
    kept = json.loads((world.data_dir / "lake" / "strava" / "unparseable"
                       / RUN_DATE.isoformat() / "activities.json").read_text())
    assert sorted(item["reason"] for item in kept) == sorted(IMPLAUSIBLE.values())
    assert {item["activity"]["id"] for item in kept} == {a["id"] for a in newest}
    assert _next_week(world, fake_clock)  # and nothing wedges the next run
    with duckdb.connect(str(world.data_dir / "warehouse.duckdb"), read_only=True) as db:
        ids = {row[0] for row in db.execute("SELECT id FROM strava_activity_data").fetchall()}
        oldest = db.execute("SELECT MIN(week_start) FROM stg_weeks").fetchone()[0]
    assert not ids & {a["id"] for a in newest}
    assert oldest.year >= 2000


def test_a_warehouse_already_holding_an_activity_of_1800_keeps_building(
    small_world: PipelineWorld, fake_clock: FakeClock,
) -> None:
    """A row a release before this one let in: every model builds, every later run too."""
    world = small_world
    assert succeeded(world.run_weekly())
    with duckdb.connect(str(world.data_dir / "warehouse.duckdb")) as db:
        db.execute("INSERT INTO strava_activity_data (id, sport_type, start_date,"
                   " start_date_local, distance, moving_time, kudos_count) VALUES (4242,"
                   " 'Run', TIMESTAMP '1800-06-01 08:00:00', TIMESTAMP '1800-06-01 08:00:00',"
                   " 5000, 1800, 3)")
    assert _next_week(world, fake_clock)
    with duckdb.connect(str(world.data_dir / "warehouse.duckdb"), read_only=True) as db:
        failed = db.execute("SELECT check_name, message FROM validation_results"
                            " WHERE status IN ('fail', 'error')").fetchall()
        weeks = db.execute("SELECT COUNT(*) FROM stg_weeks").fetchone()[0]
    assert failed == []
    assert weeks < 10_000


def test_a_late_start_in_staging_is_cited_with_its_own_id_and_times(warehouse: Warehouse
                                                                       ) -> None:
    """The halt check no_start_after_upper_bound cited the latest local date and the smallest
    id, of two different rows; its note now cites one row, the latest, with its own values."""
    staging = staging_table_name(RUN_DATE.strftime("%Y%m%d"))
    with warehouse.transaction() as session:
        session.run_file("staging/create_staging_table.sql", staging_table=staging)
        for activity_id, local, start in (
                (5, datetime(2026, 11, 30, 8), datetime(2026, 11, 30, 13)),
                (900, datetime(9999, 12, 31, 8), datetime(9999, 12, 31, 13)),
                (7, datetime(2026, 11, 20, 8), datetime(2026, 11, 20, 13))):
            session.execute(f"INSERT INTO {staging} (id, start_date_local, start_date)"
                            " VALUES (:id, :local, :start)",
                            {"id": activity_id, "local": local, "start": start})
    check = next(c for c in load_checks() if c.name == "no_start_after_upper_bound")
    outcome = evaluate(warehouse, check, RUN_DATE)
    assert (outcome.status, outcome.left_value) == ("fail", 2)
    assert "for example id 900: start_date_local 9999-12-31 08:00:00, start_date 9999-12-31 " \
           "13:00:00" in outcome.message
