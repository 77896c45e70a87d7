"""The athlete's training calendar: which weeks, days, hours, places and sports."""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from pipeline.sandbox.places import HOME, TRIPS, Place, to_utc
from pipeline.sandbox.sports import HOME_WEIGHTS, TRIP_WEIGHTS

MIN_WEEKS = 160  # a little over three years
WEEKLY_RATE = 6.0  # average activities in an active week
EARLIEST_DAY = date(2009, 1, 2)  # Strava's early days: no history before 2009
LATEST_START_BEFORE_END = timedelta(hours=6)


@dataclass(frozen=True)
class Slot:
    """One planned activity: when (UTC and local), where, which sport and what kind of session."""

    start_utc: datetime
    local: datetime
    place: Place
    sport_type: str
    intent: str  # "easy", "long", "workout", "race", "commute"


def _week_weights(rng: random.Random, first_day: date, weeks: int) -> list[float]:
    """Relative training volume per week; 0 for holidays and injury breaks."""
    weights = []
    for w in range(weeks):
        day = first_day + timedelta(days=7 * w)
        season = 1.0 + 0.25 * math.sin(2 * math.pi * (day.timetuple().tm_yday - 100) / 365.25)
        weights.append(season * rng.uniform(0.7, 1.3))
    for w in range(weeks):  # Christmas break in some years
        day = first_day + timedelta(days=7 * w)
        if day.month == 12 and day.day >= 22 and rng.random() < 0.5:
            weights[w] = 0.0
    for _ in range(max(1, weeks // 52)):  # injuries, 1-3 weeks off
        start = rng.randrange(weeks)
        for w in range(start, min(weeks, start + rng.randint(1, 3))):
            weights[w] = 0.0
    weights[0] = max(weights[0], 0.5)
    weights[-1] = max(weights[-1], 0.5)
    return weights


def _trip_places(rng: random.Random, weights: list[float]) -> dict[int, Place]:
    """Week index -> destination, for trips of one to three weeks."""
    active = [w for w in range(1, len(weights) - 1) if weights[w] > 0]
    if not active:
        return {}
    destinations = list(TRIPS)
    rng.shuffle(destinations)
    trips: dict[int, Place] = {}
    for i in range(max(len(TRIPS), len(weights) // 24)):
        start = rng.choice(active)
        for w in range(start, min(len(weights) - 1, start + rng.randint(1, 3))):
            trips[w] = destinations[i % len(destinations)]
    return trips


def _hour(rng: random.Random, weekend: bool) -> float:
    roll = rng.random()
    if weekend:
        return rng.uniform(7.0, 10.5) if roll < 0.7 else rng.uniform(13.0, 17.0)
    if roll < 0.45:
        return rng.uniform(5.75, 7.5)
    if roll < 0.6:
        return rng.uniform(12.0, 12.75)
    if roll < 0.95:
        return rng.uniform(17.5, 20.5)
    return rng.uniform(21.0, 23.5)


def _sport_and_intent(
    rng: random.Random, day: date, hour: float, at_home: bool
) -> tuple[str, str]:
    weights = HOME_WEIGHTS if at_home else TRIP_WEIGHTS
    sport = rng.choices(list(weights), list(weights.values()))[0]
    winter = day.month in (12, 1, 2, 3)
    if at_home and winter and sport in ("Ride", "GravelRide") and rng.random() < 0.7:
        sport = "VirtualRide"
    weekend = day.weekday() >= 5
    intent = "easy"
    if sport in ("Run", "TrailRun"):
        roll = rng.random()
        if weekend and day.weekday() == 6 and roll < 0.1 and hour < 11:
            intent = "race"
        elif weekend and roll < 0.55:
            intent = "long"
        elif not weekend and roll < 0.25:
            intent = "workout"
    elif sport in ("Ride", "GravelRide"):
        if not weekend and at_home and sport == "Ride" and hour < 9 and rng.random() < 0.35:
            intent = "commute"
        elif weekend and rng.random() < 0.5:
            intent = "long"
    elif sport == "VirtualRide" and rng.random() < 0.3:
        intent = "workout"
    return sport, intent


def history_weeks(n: int, last_day: date) -> int:
    """How many weeks ``n`` activities span: about six a week over at least three years, and
    never before EARLIEST_DAY, so a large ``n`` gets denser (a very active account, or several
    athletes' worth of activities) instead of reaching back before 2009 or 1970.
    """
    available = ((last_day - EARLIEST_DAY).days + 1) // 7
    if available < 1:
        raise ValueError(
            f"a synthetic athlete needs an end date after {EARLIEST_DAY + timedelta(days=7)}: "
            "its history starts no earlier than 2009"
        )
    return min(available, max(MIN_WEEKS, math.ceil(n / WEEKLY_RATE / 0.92)))


def plan_schedule(rng: random.Random, n: int, end: datetime) -> list[Slot]:
    """``n`` activity slots before ``end``, oldest first: at least three years of about six a
    week, back to 2009 at most (denser beyond that).
    """
    if n <= 0:
        return []
    last_day = end.date() - timedelta(days=1)
    weeks = history_weeks(n, last_day)
    first_day = last_day - timedelta(days=7 * weeks - 1)
    weights = _week_weights(rng, first_day, weeks)
    trips = _trip_places(rng, weights)
    picks = [0] + ([weeks - 1] if n > 1 else [])
    picks += rng.choices(range(weeks), weights, k=n - len(picks))
    per_week = [0] * weeks
    for w in picks:
        per_week[w] += 1

    slots: list[Slot] = []
    for w, count in enumerate(per_week):
        days = rng.sample(range(7), min(count, 7)) + [rng.randrange(7) for _ in range(count - 7)]
        if w == 0:
            days[0] = 0
        if w == weeks - 1 and count:
            days[0] = 6
        for d in days:
            day = first_day + timedelta(days=7 * w + d)
            place = trips.get(w, HOME)
            hour = _hour(rng, day.weekday() >= 5)
            sport, intent = _sport_and_intent(rng, day, hour, place is HOME)
            if place is HOME and day.month == 12 and day.day == 31 and rng.random() < 0.8:
                hour, sport, intent = 23.2, "Run", "easy"  # New Year's Eve midnight run
            if intent == "race":
                hour = rng.uniform(7.5, 9.0)
            local = datetime.combine(day, datetime.min.time()) + timedelta(
                seconds=int(hour * 3600) + rng.randrange(60)
            )
            start = to_utc(place, local)
            while start > end - LATEST_START_BEFORE_END:
                local -= timedelta(days=1)
                start = to_utc(place, local)
            slots.append(Slot(start, local, place, sport, intent))
    slots.sort(key=lambda s: s.start_utc)
    return slots
