"""Build one Strava SummaryActivity dict, with the gaps and quirks real ones have.

What Strava's answers hold changed over the years, and the sandbox follows (by the activity's
start): ``location_city`` and ``location_state`` are filled before 2019 and ``location_country``
before 2021, all three null since (as in every recent real answer); running power (a foot pod or
a watch) appears on some runs from 2019; a share of activities recorded before 2023 come in the
older shape without ``sport_type`` (``older_shape``). ``photo_count`` (Instagram photos only) is
0 while ``total_photo_count`` varies, and photos bring about 2.5 times the kudos.
"""

from __future__ import annotations

import math
import random
from datetime import datetime, timezone
from typing import Any

from pipeline.sandbox.names import custom_name, default_name
from pipeline.sandbox.places import Place, strava_times
from pipeline.sandbox.routes import encode, route_points
from pipeline.sandbox.schedule import Slot, poisson
from pipeline.sandbox.sports import RACES, SPORTS, Sport

SHOES = ("g9481736", "g10528377", "g11873420", "g12930254", "g14001785")
BIKES = ("b7719430", "b11028561")

LOCATION_CITY_UNTIL = datetime(2019, 1, 1, tzinfo=timezone.utc)
LOCATION_COUNTRY_UNTIL = datetime(2021, 1, 1, tzinfo=timezone.utc)
RUN_POWER_SINCE = datetime(2019, 1, 1, tzinfo=timezone.utc)
RUN_POWER_SHARE = 0.25
SPORT_TYPE_EVERYWHERE_SINCE = datetime(2023, 1, 1, tzinfo=timezone.utc)
NO_SPORT_TYPE_SHARE = 0.35  # of the activities recorded before then
PHOTO_KUDOS_FACTOR = 2.5


def _maybe(rng: random.Random, act: dict[str, Any], key: str, value: Any,
           p_null: float = 0.0, p_absent: float = 0.0) -> None:
    """Set ``key``, or leave it null or absent with the given probabilities."""
    roll = rng.random()
    if roll < p_absent:
        return
    act[key] = None if roll < p_absent + p_null else value


def _distance_and_speed(rng: random.Random, sport: Sport, intent: str) -> tuple[float, float]:
    if sport.km == (0, 0):
        return 0.0, 0.0
    speed = rng.uniform(*sport.speed)
    km = rng.uniform(*sport.km)
    if intent == "race" and sport.family == "run":
        metres = rng.choice(list(RACES))
        return metres * rng.uniform(1.0, 1.015), rng.uniform(*RACES[metres][0])
    if intent == "long":
        km = rng.uniform(16, 32) if sport.family == "run" else rng.uniform(70, 140)
        speed *= 0.97
    elif intent == "workout":
        km *= 1.1
        speed *= 1.1
    elif intent == "commute":
        km, speed = rng.uniform(7, 14), rng.uniform(5.5, 7.0)
    return km * 1000, speed


def _workout_type(rng: random.Random, sport: Sport, intent: str, act: dict[str, Any]) -> None:
    if sport.family == "run":
        code = {"easy": 0, "long": 2, "workout": 3, "race": 1}[intent]
        _maybe(rng, act, "workout_type", code, p_null=0.08, p_absent=0.05)
    elif sport.family == "ride":
        code = {"workout": 12, "race": 11}.get(intent, 10)
        _maybe(rng, act, "workout_type", code, p_null=0.2, p_absent=0.1)
    elif rng.random() < 0.4:
        act["workout_type"] = None


def _gear(rng: random.Random, sport: Sport, year: int) -> str | None:
    if sport.gear == "shoe" and rng.random() < 0.9:
        return SHOES[year % len(SHOES)]  # a new pair every year
    if sport.gear == "bike" and rng.random() < 0.92:
        return BIKES[0] if sport.sport_type != "GravelRide" else BIKES[1]
    return None


def _temperature(rng: random.Random, place: Place, month: int) -> int:
    summer_month = 1 if place.southern else 7
    seasonal = 10 * math.cos(2 * math.pi * (month - summer_month) / 12)
    return round(12 + seasonal + rng.gauss(0, 4))


def _social(rng: random.Random, act: dict[str, Any], km: float, intent: str, gps: bool) -> None:
    visibility = act["visibility"]
    race = intent == "race"
    photos = rng.randint(1, 6) if rng.random() < (0.5 if race else 0.06) else 0
    lam = 2.0 + 0.6 * km + (25 if race else 0) + (4 if intent == "long" else 0)
    if visibility == "followers_only":
        lam *= 0.6
    if photos:
        lam *= PHOTO_KUDOS_FACTOR
    kudos = 0 if visibility == "only_me" or rng.random() < 0.08 else poisson(rng, lam)
    achievements = poisson(rng, 6 if race else 0.8) if gps else 0
    act["achievement_count"] = achievements
    act["kudos_count"] = kudos
    act["comment_count"] = poisson(rng, 3 if race else 0.3) if kudos else 0
    act["athlete_count"] = rng.randint(2, 12) if race or rng.random() < 0.12 else 1
    act["photo_count"] = 0  # Instagram photos only: 0 in every real answer
    act["pr_count"] = min(achievements, poisson(rng, 2 if race else 0.3))
    act["total_photo_count"] = photos


def _name(rng: random.Random, slot: Slot, sport: Sport, distance: float) -> str:
    if slot.local.month == 12 and slot.local.day == 31 and slot.local.hour == 23:
        return "New Year's Eve midnight run"
    if slot.intent == "race" and sport.family == "run":
        nearest = min(RACES, key=lambda metres: abs(metres - distance))
        return rng.choice(RACES[nearest][1])
    if rng.random() < 0.3:
        return custom_name(rng, sport.sport_type, slot.intent, slot.place.route_names)
    return default_name(slot.local.hour, sport.label)


def _location(act: dict[str, Any], place: Place, start: datetime) -> None:
    """Strava's location fields: filled in older answers, null in recent ones."""
    old = start < LOCATION_CITY_UNTIL
    act["location_city"] = place.city if old else None
    act["location_state"] = place.region if old else None
    act["location_country"] = place.country if start < LOCATION_COUNTRY_UNTIL else None


def older_shape(rng: random.Random, act: dict[str, Any], start: datetime) -> None:
    """A share of activities recorded before SPORT_TYPE_EVERYWHERE_SINCE come as answers did
    before Strava added ``sport_type``: with ``type`` only."""
    if start < SPORT_TYPE_EVERYWHERE_SINCE and rng.random() < NO_SPORT_TYPE_SHARE:
        act.pop("sport_type", None)


def build_activity(
    rng: random.Random, activity_id: int, athlete_id: int, slot: Slot
) -> dict[str, Any]:
    """A SummaryActivity dict (keys in Strava's order) for a planned slot."""
    sport = SPORTS[slot.sport_type]
    distance, speed = _distance_and_speed(rng, sport, slot.intent)
    outdoor = sport.gps and not sport.trainer
    manual = rng.random() < (0.03 if outdoor else 0.2 if not sport.trainer else 0.0)
    treadmill = sport.sport_type == "Run" and slot.local.month in (1, 2) and rng.random() < 0.15
    gps = outdoor and not manual and not treadmill
    if manual and distance:
        distance = float(round(distance / 1000) * 1000 or 1000)
    moving = round(distance / speed) if distance else rng.randint(*sport.minutes) * 60
    if manual or slot.intent == "race":
        elapsed = moving + (0 if manual else rng.randint(0, 40))
    else:
        stop_share = 0.25 if sport.sport_type in ("Walk", "Hike", "GravelRide") else 0.12
        elapsed = round(moving * (1 + rng.uniform(0, stop_share)))

    act: dict[str, Any] = {
        "resource_state": 2,
        "athlete": {"id": athlete_id, "resource_state": 1},
        "name": _name(rng, slot, sport, distance),
        "distance": round(distance, 1),
        "moving_time": moving,
        "elapsed_time": elapsed,
    }
    km = distance / 1000
    climb = 0.0 if manual else round(km * rng.uniform(*sport.climb), 1)
    act["total_elevation_gain"] = climb
    act["type"] = sport.type
    act["sport_type"] = sport.sport_type
    _workout_type(rng, sport, slot.intent, act)
    act["id"] = activity_id
    act.update(strava_times(slot.place, slot.start_utc))
    _location(act, slot.place, slot.start_utc)

    roll = rng.random()
    visibility = "everyone" if roll < 0.85 else "followers_only" if roll < 0.95 else "only_me"
    act["visibility"] = visibility
    _social(rng, act, km, slot.intent, gps)

    points: list[tuple[float, float]] = []
    if gps:
        jitter = 0.02
        lat = slot.place.lat + rng.uniform(-jitter, jitter)
        lng = slot.place.lng + rng.uniform(-jitter, jitter)
        if slot.intent == "commute":
            shape = "point_to_point"
        else:
            shape = "loop" if rng.random() < 0.65 else "out_and_back"
        points = route_points(rng, lat, lng, distance, shape)
    summary: str | None = encode(points) if points else ""
    if manual and rng.random() < 0.5:
        summary = None
    act["map"] = {"id": f"a{activity_id}", "summary_polyline": summary, "resource_state": 2}
    act["trainer"] = sport.trainer or treadmill
    act["commute"] = slot.intent == "commute"
    act["manual"] = manual
    act["private"] = act["visibility"] == "only_me"
    act["flagged"] = False
    act["gear_id"] = _gear(rng, sport, slot.local.year)
    act["start_latlng"] = list(points[0]) if points else []
    act["end_latlng"] = list(points[-1]) if points else []
    act["average_speed"] = round(distance / moving, 3) if distance else 0.0
    if not manual:
        act["max_speed"] = round(act["average_speed"] * rng.uniform(1.2, 1.9), 1)
        if sport.cadence and rng.random() < (1.0 if sport.trainer else 0.8):
            act["average_cadence"] = round(rng.uniform(*sport.cadence), 1)
        if gps and rng.random() < 0.35:
            act["average_temp"] = _temperature(rng, slot.place, slot.local.month)

    has_hr = not manual and rng.random() < 0.85
    act["has_heartrate"] = has_hr
    if has_hr:
        bump = {"long": 5, "workout": 14, "race": 26}.get(slot.intent, 0)
        average = min(182.0, rng.uniform(*sport.hr) + bump)
        act["average_heartrate"] = round(average, 1)
        act["max_heartrate"] = float(round(average + rng.uniform(8, 24)))
    act["heartrate_opt_out"] = False
    act["display_hide_heartrate_option"] = has_hr
    if gps:
        low = slot.place.elevation + rng.uniform(0, 40)
        act["elev_high"] = round(low + climb * rng.uniform(0.2, 0.6) + rng.uniform(2, 10), 1)
        act["elev_low"] = round(low, 1)
    if manual:
        act["upload_id"] = None
        act["external_id"] = None
    else:
        upload_id = int(activity_id * 1.067) + rng.randrange(1000)
        act["upload_id"] = upload_id
        act["upload_id_str"] = str(upload_id)
        if sport.sport_type == "VirtualRide":
            act["external_id"] = f"zwift-activity-{rng.randrange(10**17, 10**18)}.fit"
        else:
            act["external_id"] = f"garmin_ping_{rng.randrange(10**10, 10**11)}"
    act["from_accepted_tag"] = False
    act["has_kudoed"] = False
    if has_hr:
        intensity = (average - 90) / 80
        _maybe(rng, act, "suffer_score", float(round(moving / 60 * intensity**2 * 1.6)),
               p_null=0.05, p_absent=0.05)
    elif rng.random() < 0.3:
        act["suffer_score"] = None
    _power(rng, sport, act, moving, manual)
    if sport.family == "run" and not manual and slot.start_utc >= RUN_POWER_SINCE \
            and rng.random() < RUN_POWER_SHARE:
        _run_power(rng, act, moving)
    return act


def _run_power(rng: random.Random, act: dict[str, Any], moving: int) -> None:
    """Power from a foot pod or a watch: measured (``device_watts``), on some runs."""
    watts = rng.uniform(210, 300)
    act["average_watts"] = round(watts, 1)
    act["max_watts"] = round(watts * rng.uniform(1.5, 2.4))
    act["weighted_average_watts"] = round(watts * rng.uniform(1.01, 1.06))
    act["kilojoules"] = round(watts * moving / 1000, 1)
    act["device_watts"] = True


def _power(rng: random.Random, sport: Sport, act: dict[str, Any], moving: int,
           manual: bool) -> None:
    """Rides: a power meter (measured) or Strava's estimate (``device_watts`` false)."""
    if sport.family != "ride" or manual or (not sport.trainer and rng.random() < 0.15):
        return
    meter = sport.trainer or rng.random() < 0.4
    watts = rng.uniform(170, 240) if meter else rng.uniform(120, 200)
    act["average_watts"] = round(watts, 1)
    if meter:
        act["max_watts"] = round(watts * rng.uniform(2.2, 3.5))
        act["weighted_average_watts"] = round(watts * rng.uniform(1.03, 1.12))
    act["kilojoules"] = round(watts * moving / 1000, 1)
    act["device_watts"] = meter
