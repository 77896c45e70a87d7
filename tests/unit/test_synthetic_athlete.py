"""The sandbox (local fake Strava): synthetic athlete and HTTP behaviour, over real HTTP."""

from __future__ import annotations

import math
import re
from collections import Counter
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import polyline
import pytest

from pipeline.sandbox import HOSTILE_NAMES, SyntheticAthlete
from pipeline.sandbox.athlete import ABSENT, DEFAULT_END


def epoch(start_date: str) -> float:
    return datetime.fromisoformat(start_date.replace("Z", "+00:00")).timestamp()


def metres(a: list[float] | tuple[float, float], b: list[float] | tuple[float, float]) -> float:
    """Haversine distance in metres."""
    lat1, lng1, lat2, lng2 = map(math.radians, (*a, *b))
    h = math.sin((lat2 - lat1) / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin(
        (lng2 - lng1) / 2
    ) ** 2
    return 2 * 6_371_000 * math.asin(math.sqrt(h))


@pytest.fixture(scope="module")
def athlete() -> SyntheticAthlete:
    return SyntheticAthlete()


def test_same_seed_same_athlete_other_seed_differs() -> None:
    assert SyntheticAthlete(7, 250).activities == SyntheticAthlete(7, 250).activities
    assert SyntheticAthlete(7, 250).activities != SyntheticAthlete(8, 250).activities


def test_history_spans_three_years_at_a_believable_rate(athlete: SyntheticAthlete) -> None:
    acts = athlete.activities
    first, last = epoch(acts[0]["start_date"]), epoch(acts[-1]["start_date"])
    assert len(acts) == 1200
    assert last - first >= 3 * 365.25 * 86400
    assert last < DEFAULT_END.timestamp()
    assert 5 <= len(acts) / ((last - first) / (7 * 86400)) <= 7
    weeks = Counter(int((epoch(a["start_date"]) - first) // (7 * 86400)) for a in acts)
    assert any(weeks[w] == 0 for w in range(max(weeks))), "some empty weeks (holidays, injury)"


def test_ids_are_int64_unique_and_increase_with_start(athlete: SyntheticAthlete) -> None:
    ids = [a["id"] for a in athlete.activities]
    assert all(isinstance(i, int) and 2**31 < i < 2**63 for i in ids)
    assert len(set(ids)) == len(ids)
    by_start = sorted(athlete.activities, key=lambda a: epoch(a["start_date"]))
    assert [a["id"] for a in by_start] == sorted(ids)


def test_summary_activities_look_like_strava(athlete: SyntheticAthlete) -> None:
    acts = athlete.activities
    for act in acts:
        sport = act.get("sport_type", act["type"])  # older shapes have type only
        assert act["resource_state"] == 2 and act["athlete"]["id"] == athlete.athlete_id
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", act["start_date"])
        assert act["start_date_local"].endswith("Z")
        match = re.fullmatch(r"\(GMT[+-]\d\d:\d\d\) (\S+)", act["timezone"])
        assert match
        start = datetime.fromisoformat(act["start_date"].replace("Z", "+00:00"))
        local = start.astimezone(ZoneInfo(match.group(1)))
        assert act["utc_offset"] == local.utcoffset().total_seconds()
        assert act["start_date_local"] == local.strftime("%Y-%m-%dT%H:%M:%SZ")
        assert act["private"] == (act["visibility"] == "only_me")
        assert act["map"]["id"] == f"a{act['id']}"
        assert act["elapsed_time"] >= act["moving_time"] > 0
        if not act["has_heartrate"]:
            assert "average_heartrate" not in act and "max_heartrate" not in act
        if act["manual"]:
            assert act["start_latlng"] == [] and "max_speed" not in act
        if sport in ("WeightTraining", "Yoga"):
            assert act["distance"] == 0.0 and act["start_latlng"] == []
        if sport == "VirtualRide":
            assert act["trainer"] and act["start_latlng"] == []
        if act.get("sport_type") == "Run" and act["distance"] > 0:
            assert 2.0 < act["average_speed"] < 5.0
        if act["has_heartrate"]:
            assert 60 < act["average_heartrate"] < act["max_heartrate"] <= 210

    sports = Counter(a.get("sport_type", a["type"]) for a in acts)
    assert 0.4 < (sports["Run"] + sports["TrailRun"]) / len(acts) < 0.65
    assert len(sports) >= 10
    for key in ("average_heartrate", "workout_type", "average_temp", "suffer_score",
                "average_watts", "average_cadence", "max_speed"):
        assert any(key not in a for a in acts), f"{key} is sometimes absent"
    assert any(a.get("workout_type", 0) is None for a in acts)
    assert {1, 2, 3} <= {a.get("workout_type") for a in acts}
    assert any(a["manual"] for a in acts) and any(a["kudos_count"] == 0 for a in acts)
    assert {a["visibility"] for a in acts} == {"everyone", "followers_only", "only_me"}
    assert len({a["timezone"] for a in acts}) >= 4
    assert len({a["utc_offset"] for a in acts if "Toronto" in a["timezone"]}) == 2  # DST
    assert any(a["start_date"][:10] != a["start_date_local"][:10] for a in acts)
    assert any(a["start_date"][:7] != a["start_date_local"][:7] for a in acts)
    races = [a for a in acts if a.get("workout_type") == 1]
    easy = [a for a in acts if a.get("workout_type") == 0]
    assert races and sum(a["kudos_count"] for a in races) / len(races) > sum(
        a["kudos_count"] for a in easy
    ) / len(easy)


def test_every_hostile_name_appears(athlete: SyntheticAthlete) -> None:
    names = Counter(a["name"] for a in athlete.activities)
    assert all(names[name] >= 1 for name in HOSTILE_NAMES)
    small = {a["name"] for a in SyntheticAthlete(seed=3, n_activities=200).activities}
    assert set(HOSTILE_NAMES) <= small
    assert sum(names[n] for n in HOSTILE_NAMES) / len(athlete.activities) <= 0.05


def test_polylines_decode_near_the_start(athlete: SyntheticAthlete) -> None:
    with_gps = [a for a in athlete.activities if a["map"]["summary_polyline"]]
    assert len(with_gps) > len(athlete.activities) / 2
    for act in with_gps:
        points = polyline.decode(act["map"]["summary_polyline"], 5)
        assert 30 <= len(points) <= 201
        assert metres(points[0], act["start_latlng"]) < 5
        assert metres(points[-1], act["end_latlng"]) < 5
        assert max(metres(p, act["start_latlng"]) for p in points) <= act["distance"] + 50
        length = sum(metres(p, q) for p, q in zip(points[:-1], points[1:], strict=True))
        assert 0.85 * act["distance"] < length < 1.15 * act["distance"]
    for act in athlete.activities:
        if not act["map"]["summary_polyline"]:
            assert act["start_latlng"] == [] and act["end_latlng"] == []


def test_mutation_helpers() -> None:
    athlete = SyntheticAthlete(seed=5, n_activities=40)
    newest_id = max(a["id"] for a in athlete.activities)
    late = athlete.add_activity(DEFAULT_END - timedelta(days=20), "Ride", name="Synced late")
    assert late["id"] > newest_id and late["name"] == "Synced late"
    assert late["sport_type"] == "Ride" and athlete.get(late["id"]) == late
    changed = athlete.update_activity(late["id"], kudos_count=99, average_temp=ABSENT)
    assert changed["kudos_count"] == 99 and "average_temp" not in athlete.get(late["id"])
    athlete.remove_activity(late["id"])
    with pytest.raises(KeyError):
        athlete.get(late["id"])
    with pytest.raises(ValueError):
        athlete.add_activity(DEFAULT_END, "Quidditch")
