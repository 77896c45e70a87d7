"""The sandbox is as awkward as Strava (issue 22, finding 8) and its athlete's history never
depends on where it ends (issue 24, finding 1): kudos keep arriving for days, location_country
is null in recent years, older answers lack sport_type, some runs carry power, photo_count stays
0 while total_photo_count varies; the same seed and size give the same days for any end date."""

from __future__ import annotations

import json
from collections import Counter
from datetime import date, datetime, timezone

import pytest

from pipeline.sandbox import SyntheticAthlete, athlete_end
from pipeline.sandbox.index import json_array
from pipeline.sandbox_cli import DEMO_ACTIVITIES, DEMO_SEED

RECENT = datetime(2026, 11, 22, 12, tzinfo=timezone.utc)
OLD = datetime(2020, 6, 1, 12, tzinfo=timezone.utc)


def start(activity: dict) -> datetime:
    return datetime.fromisoformat(activity["start_date"].replace("Z", "+00:00"))


def finished(activity: dict) -> float:
    """When the activity ended (its upload follows within the hour)."""
    return start(activity).timestamp() + activity["elapsed_time"]


@pytest.fixture(scope="module")
def recent() -> SyntheticAthlete:
    return SyntheticAthlete(seed=4, n_activities=900, end=RECENT)


@pytest.fixture(scope="module")
def old() -> SyntheticAthlete:
    return SyntheticAthlete(seed=4, n_activities=900, end=OLD)


def test_kudos_keep_arriving_for_days_after_the_upload_most_in_48_hours(
        recent: SyntheticAthlete) -> None:
    kudoed = [a for a in recent.activities if a["kudos_count"] >= 5]
    assert len(kudoed) > 300

    def arrived(hours: float) -> list[int]:
        return [recent.get(a["id"], finished(a) + 3600 + hours * 3600)["kudos_count"]
                for a in kudoed]

    settled = [a["kudos_count"] for a in kudoed]
    before_upload = [recent.get(a["id"], finished(a))["kudos_count"] for a in kudoed]
    assert set(before_upload) == {0}
    steps = [arrived(hours) for hours in (1, 12, 48, 96, 6 * 24)]
    for earlier, later in zip(steps, steps[1:], strict=False):
        assert all(e <= n for e, n in zip(earlier, later, strict=True))  # never taken back
    assert steps[-1] == settled
    share = {hours: sum(step) / sum(settled) for hours, step in zip((1, 12, 48, 96), steps,
                                                                    strict=False)}
    assert share[1] < 0.3 and share[12] < 0.9
    assert 0.8 < share[48] < 0.97 < share[96] < 1.0  # most within 48 h, the rest for days


def test_the_server_shows_the_kudos_arrived_by_its_clock(recent: SyntheticAthlete) -> None:
    newest = recent.activities[-1]
    assert newest["kudos_count"] > 0 or recent.activities[-2]["kudos_count"] > 0
    now = finished(newest) + 5 * 3600
    page = json.loads(json_array(recent.serving_index(now).page(now - 10 * 86400, None, 1,
                                                                200)))
    served = {a["id"]: a["kudos_count"] for a in page}
    expected = {a["id"]: a["kudos_count"] for a in recent.served(now)}
    assert served == {i: expected[i] for i in served}
    assert sum(served.values()) < sum(a["kudos_count"] for a in recent.activities
                                      if a["id"] in served)
    later = json.loads(json_array(recent.serving_index(now + 7 * 86400).page(
        now - 10 * 86400, None, 1, 200)))
    assert {a["id"]: a["kudos_count"] for a in later} == {
        a["id"]: a["kudos_count"] for a in recent.activities if a["id"] in served}


def test_kudos_a_test_sets_are_served_as_set(recent: SyntheticAthlete) -> None:
    athlete = SyntheticAthlete(seed=4, n_activities=60, end=RECENT)
    newest = athlete.activities[-1]
    athlete.update_activity(newest["id"], kudos_count=77)
    assert athlete.get(newest["id"], finished(newest) + 60)["kudos_count"] == 77


def test_location_fields_are_filled_in_old_answers_and_null_in_recent_ones(
        recent: SyntheticAthlete, old: SyntheticAthlete) -> None:
    for activity in recent.activities:
        assert activity["location_city"] is activity["location_state"] is None
        assert activity["location_country"] is None
    before_2019 = [a for a in old.activities if a["start_date"] < "2019"]
    assert before_2019 and all(a["location_city"] and a["location_state"]
                               and a["location_country"] for a in before_2019)
    in_2019_and_2020 = [a for a in old.activities if a["start_date"] >= "2019"]
    assert all(a["location_city"] is None and a["location_country"] for a in in_2019_and_2020)


def test_a_share_of_old_activities_has_no_sport_type(recent: SyntheticAthlete,
                                                     old: SyntheticAthlete) -> None:
    without = [a for a in old.activities if "sport_type" not in a]
    assert 0.25 < len(without) / len(old.activities) < 0.45
    assert all(a["type"] for a in without)
    assert {a["type"] for a in without} >= {"Run", "Ride"}
    assert all("sport_type" in a for a in recent.activities if a["start_date"] >= "2023")


def test_some_runs_have_power_measured_and_rides_estimated(recent: SyntheticAthlete,
                                                           old: SyntheticAthlete) -> None:
    runs = [a for a in recent.activities if a["type"] == "Run" and not a["manual"]]
    powered = [a for a in runs if "average_watts" in a]
    assert 0.15 < len(powered) / len(runs) < 0.35
    assert all(a["device_watts"] is True and a["max_watts"] > a["average_watts"]
               and a["weighted_average_watts"] for a in powered)
    assert not any("average_watts" in a for a in old.activities
                   if a["type"] == "Run" and a["start_date"] < "2019")
    estimated = [a for a in recent.activities if a.get("device_watts") is False]
    assert estimated and all(a["type"] in ("Ride", "VirtualRide") and "max_watts" not in a
                             for a in estimated)


def test_photo_count_stays_0_while_total_photo_count_varies(recent: SyntheticAthlete) -> None:
    acts = recent.activities
    assert {a["photo_count"] for a in acts} == {0}
    assert len({a["total_photo_count"] for a in acts}) >= 4
    public = [a for a in acts if a["visibility"] == "everyone" and a.get("workout_type") != 1]
    with_photos = [a["kudos_count"] for a in public if a["total_photo_count"]]
    without = [a["kudos_count"] for a in public if not a["total_photo_count"]]
    assert sum(with_photos) / len(with_photos) > 2 * sum(without) / len(without)


def demo_athlete(last_day: date) -> SyntheticAthlete:
    """The demo's athlete for a run date the day after ``last_day`` (sandbox_cli.demo_sandbox)."""
    return SyntheticAthlete(seed=DEMO_SEED, n_activities=DEMO_ACTIVITIES,
                            end=athlete_end(last_day))


def test_a_day_is_the_same_whatever_date_the_history_ends_on() -> None:
    earlier, later = demo_athlete(date(2026, 11, 10)), demo_athlete(date(2026, 11, 28))
    assert len(earlier) == len(later) == DEMO_ACTIVITIES
    by_id = {a["id"]: a for a in later.activities}
    first_shared = later.activities[0]["start_date_local"][:10]
    shared = [a for a in earlier.activities if a["start_date_local"][:10] > first_shared]
    assert len(shared) > DEMO_ACTIVITIES * 0.9
    assert all(by_id.get(a["id"]) == a for a in shared), "a shared day differs"
    newer = [a for a in later.activities if a["start_date_local"][:10] > "2026-11-10"]
    assert newer and all(a["id"] > earlier.activities[-1]["id"] for a in newer)
    # Served at one moment, the shared activities are the same bytes.
    now = datetime(2026, 11, 12, tzinfo=timezone.utc).timestamp()
    served_earlier = {a["id"]: a for a in earlier.served(now)}
    assert all(served_earlier[a["id"]] == a for a in later.served(now)
               if a["id"] in served_earlier and a["start_date_local"][:10] > first_shared)


@pytest.mark.parametrize("last_days", [(date(2026, 3, 1), date(2025, 9, 14)),
                                       (date(2024, 1, 7), date(2024, 1, 8))])
def test_histories_of_any_two_end_dates_agree_on_every_day_they_share(
        last_days: tuple[date, date]) -> None:
    one, other = (SyntheticAthlete(seed=8, n_activities=400, end=athlete_end(day))
                  for day in last_days)
    days = [Counter(a["start_date_local"][:10] for a in h.activities) for h in (one, other)]
    first = max(min(d) for d in days)
    last = min(max(d) for d in days)
    for a_day in (set(days[0]) | set(days[1])):
        if first < a_day <= last:
            assert days[0][a_day] == days[1][a_day], a_day
    ids = [{a["id"]: a for a in h.activities} for h in (one, other)]
    common = set(ids[0]) & set(ids[1])
    assert common and all(ids[0][i] == ids[1][i] for i in common)
