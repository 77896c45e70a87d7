"""One week everywhere (issue 22, finding 3): for a Saturday run date, the dashboard's "this
week", the weekly marts, the run-week checks and the kudos window all use the Monday week, which
is labelled unfinished and gets no week-over-week change."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, datetime, timezone

import duckdb
import pytest

from pipeline.backends.duckdb_warehouse import release_all
from pipeline.sandbox import SyntheticAthlete
from tests.conftest import ATHLETE_END, FakeClock, PipelineWorld, succeeded

SATURDAY = date(2026, 11, 28)
MONDAY = date(2026, 11, 23)


def rows(world: PipelineWorld, sql: str, params: list | None = None) -> list[tuple]:
    release_all()
    with duckdb.connect(str(world.data_dir / "warehouse.duckdb"), read_only=True) as db:
        return db.execute(sql, params or []).fetchall()


def card(page: str, element_id: str) -> float:
    found = re.search(rf'id="{element_id}" data-value="([^"]+)"', page)
    assert found, element_id
    return float(found.group(1))


@pytest.fixture
def saturday(world_factory: Callable[..., PipelineWorld], fake_clock: FakeClock
             ) -> PipelineWorld:
    athlete = SyntheticAthlete(seed=7, n_activities=300, end=ATHLETE_END)
    # Sunday 22 (the week before), Tuesday 24 and Friday 27 November, at noon local time.
    for day, km in ((22, 25.0), (24, 12.0), (27, 15.4)):
        athlete.add_activity(datetime(2026, 11, day, 12, tzinfo=timezone.utc), "Run",
                             distance=km * 1000)
    world = world_factory(athlete, clock=fake_clock)
    assert succeeded(world.run_weekly(SATURDAY))
    return world


def test_a_saturday_run_date_has_one_unfinished_monday_week_everywhere(
        saturday: PipelineWorld) -> None:
    world = saturday
    count, km = rows(world, "SELECT SUM(activity_count), SUM(distance_km) FROM "
                            "weekly_distance_by_sport WHERE week_start = ?", [MONDAY])[0]
    in_week = rows(world, "SELECT COUNT(*) FROM strava_activity_data WHERE "
                          "start_date_local >= ? AND start_date_local < ?",
                   [datetime(2026, 11, 23), datetime(2026, 11, 29)])[0][0]
    assert count == in_week >= 2

    page = (world.data_dir / "reports" / SATURDAY.isoformat() / "dashboard.html").read_text()
    assert card(page, "week-total-count") == count
    assert card(page, "week-total-distance") == pytest.approx(float(km), abs=0.01 * count)
    assert '<span id="week-unfinished">unfinished: Mon 23 Nov – Sat 28 Nov</span>' in page
    assert "Training · week of 23 Nov 2026" in page

    # The check of the run's week counts the same activities.
    assert rows(world, "SELECT left_value FROM validation_results WHERE run_date = ? AND "
                       "check_name = 'activities_in_run_week'", [SATURDAY]) == [(in_week,)]

    # No week-over-week change for the unfinished week; the finished week before has one.
    unfinished = rows(world, "SELECT DISTINCT week_finished, kudos_change, kudos_change_pct "
                             "FROM weekly_kudos_change WHERE week_start = ?", [MONDAY])
    assert unfinished == [(False, None, None)]
    before = rows(world, "SELECT week_finished, COUNT(kudos_change) FROM weekly_kudos_change "
                         "WHERE week_start = ? GROUP BY week_finished", [date(2026, 11, 16)])
    assert before[0][0] is True and before[0][1] > 0

    # The kudos model's test window: the 12 Monday weeks ending with the run's week, less the
    # last KUDOS_SETTLE_DAYS (7) days, whose kudos are still arriving.
    n_test = rows(world, "SELECT n_test FROM kudos_model_runs WHERE run_date = ?",
                  [SATURDAY])[0][0]
    window = rows(world, "SELECT COUNT(*) FROM strava_activity_data WHERE kudos_count IS NOT "
                         "NULL AND start_date_local >= ? AND start_date_local < ?",
                  [datetime(2026, 9, 7), datetime(2026, 11, 22)])[0][0]
    assert n_test == window
