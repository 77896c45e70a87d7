"""The athlete's training calendar: which weeks, days, hours, places and sports.

The calendar is drawn week by week from a fixed origin (the week of 2 January 2009), each week
from random streams named by (seed, stream, week), never from one stream run from the start of a
history. So a week's activities are the same whatever history they are part of: a history is the
newest ``n`` activities before its end, and two histories of one seed and size that end on
different dates agree on every day they share (issue 24: any sequence of demo dates builds one
consistent warehouse). Only a history too dense to fit since 2009 depends on its end (see
``plan_history``).
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta

from pipeline.sandbox.names import HOSTILE_NAMES
from pipeline.sandbox.places import HOME, TRIPS, Place, to_utc
from pipeline.sandbox.sports import HOME_WEIGHTS, TRIP_WEIGHTS

MIN_WEEKS = 160  # a little over three years: a small history is spread thin over them
WEEKLY_RATE = 6.0  # average activities in an active week
NOMINAL_RATE = 5.7  # average activities per week, holidays and injuries included (measured)
EARLIEST_DAY = date(2009, 1, 2)  # Strava's early days: no history before 2009
ORIGIN = EARLIEST_DAY - timedelta(days=EARLIEST_DAY.weekday())  # Monday of week 0
LATEST_START_BEFORE_END = timedelta(hours=6)
INJURY_CHANCE = 1 / 52  # a week starts an injury break of 1-3 weeks
TRIP_CHANCE = 1 / 24  # a week starts a trip of 1-3 weeks
LONGEST_BREAK = 3
HOSTILE_CYCLES = 2  # every hostile name at least this often in a history of the nominal size


@dataclass(frozen=True)
class Slot:
    """One planned activity: when (UTC and local), where, which sport and what kind of session.

    ``key`` names the slot's own random stream (the activity's values are drawn from it),
    ``keep`` is the draw that thins a small history, ``hostile`` the index of a hostile name
    (pipeline/sandbox/names.py) the slot carries, if any.
    """

    start_utc: datetime
    local: datetime
    place: Place
    sport_type: str
    intent: str  # "easy", "long", "workout", "race", "commute"
    key: str = ""
    keep: float = 0.0
    hostile: int | None = None


def stream_rng(seed: int, *parts: object) -> random.Random:
    """A random stream named by the seed and ``parts`` (the same name, the same draws)."""
    return random.Random(":".join(str(part) for part in (seed, *parts)))


def poisson(rng: random.Random, lam: float) -> int:
    """A Poisson draw (a normal approximation above 30)."""
    if lam <= 0:
        return 0
    if lam > 30:
        return max(0, round(rng.gauss(lam, math.sqrt(lam))))
    limit, k, p = math.exp(-lam), 0, 1.0
    while True:
        p *= rng.random()
        if p <= limit:
            return k
        k += 1


def week_of(day: date) -> int:
    """The calendar's week number of a day (week 0 holds EARLIEST_DAY; weeks start on Monday)."""
    return (day - ORIGIN).days // 7


def _break_started(seed: int, stream: int, week: int, what: str, chance: float
                   ) -> tuple[int, random.Random]:
    """(weeks it lasts, its stream) of a break (``what``) starting in ``week``; 0 if none."""
    rng = stream_rng(seed, stream, week, what)
    if rng.random() >= chance:
        return 0, rng
    return rng.randint(1, LONGEST_BREAK), rng


def _injured(seed: int, stream: int, week: int) -> bool:
    return any(_break_started(seed, stream, week - k, "injury", INJURY_CHANCE)[0] > k
               for k in range(LONGEST_BREAK))


def _place(seed: int, stream: int, week: int) -> Place:
    """Home, or the destination of the newest trip that covers the week."""
    for k in range(LONGEST_BREAK):
        weeks, rng = _break_started(seed, stream, week - k, "trip", TRIP_CHANCE)
        if weeks > k:
            return rng.choice(TRIPS)
    return HOME


def _volume(seed: int, stream: int, week: int, monday: date) -> float:
    """Relative training volume of a week; 0 for holidays and injury breaks."""
    if monday.month == 12 and monday.day >= 22 and \
            stream_rng(seed, stream, monday.year, "christmas").random() < 0.5:
        return 0.0
    if _injured(seed, stream, week):
        return 0.0
    season = 1.0 + 0.25 * math.sin(2 * math.pi * (monday.timetuple().tm_yday - 100) / 365.25)
    return season * stream_rng(seed, stream, week, "volume").uniform(0.7, 1.3)


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


def week_slots(seed: int, stream: int, week: int) -> list[Slot]:
    """Every activity of one calendar week of one stream, in planning order."""
    monday = ORIGIN + timedelta(weeks=week)
    rng = stream_rng(seed, stream, week, "days")
    count = poisson(rng, WEEKLY_RATE * _volume(seed, stream, week, monday))
    if not count:
        return []
    place = _place(seed, stream, week)
    days = rng.sample(range(7), min(count, 7)) + [rng.randrange(7) for _ in range(count - 7)]
    slots = []
    for index, offset in enumerate(days):
        day = monday + timedelta(days=offset)
        hour = _hour(rng, day.weekday() >= 5)
        sport, intent = _sport_and_intent(rng, day, hour, place is HOME)
        if place is HOME and day.month == 12 and day.day == 31 and rng.random() < 0.8:
            hour, sport, intent = 23.2, "Run", "easy"  # New Year's Eve midnight run
        if intent == "race":
            hour = rng.uniform(7.5, 9.0)
        local = datetime.combine(day, datetime.min.time()) + timedelta(
            seconds=int(hour * 3600) + rng.randrange(60)
        )
        slots.append(Slot(to_utc(place, local), local, place, sport, intent,
                          key=f"{stream}:{week}:{index}", keep=rng.random()))
    return slots


def hostile_block_weeks(n: int) -> int:
    """Weeks per hostile-name block: each block's first activity carries the next hostile name,
    so a history of ``n`` activities holds every hostile name about HOSTILE_CYCLES times."""
    weeks = max(MIN_WEEKS, n / NOMINAL_RATE)
    return max(1, int(weeks / (HOSTILE_CYCLES * len(HOSTILE_NAMES))))


@dataclass(frozen=True)
class _Window:
    """Which slots belong to a history ending at ``end``."""

    end: datetime
    last_day: date

    def holds(self, slot: Slot) -> bool:
        return (EARLIEST_DAY <= slot.local.date() <= self.last_day
                and slot.start_utc <= self.end - LATEST_START_BEFORE_END)


def _newest(seed: int, stream: int, want: float, share: float, window: _Window, block: int
            ) -> tuple[list[Slot], bool]:
    """Up to ``want`` newest slots of a stream in the window (a share of them kept), oldest
    first, and whether there were that many since 2009. Whole blocks are drawn, so the first
    slot of each block can carry its hostile name whatever the history's length."""
    collected: list[Slot] = []
    number = week_of(window.last_day) // block
    while number >= 0:
        slots = [slot for week in range(number * block, (number + 1) * block)
                 for slot in week_slots(seed, stream, week)
                 if slot.keep < share and window.holds(slot)]
        slots.sort(key=lambda slot: slot.start_utc)
        if slots:
            slots[0] = replace(slots[0], hostile=number % len(HOSTILE_NAMES))
        collected = slots + collected
        if len(collected) >= want:
            collected.sort(key=lambda slot: slot.start_utc)
            return collected[len(collected) - int(want):], True
        number -= 1
    collected.sort(key=lambda slot: slot.start_utc)
    return collected, False


def plan_history(seed: int, n: int, end: datetime) -> list[Slot]:
    """The ``n`` newest activity slots before ``end``, oldest first.

    About six activities a week (a thinner share when ``n`` would cover less than MIN_WEEKS,
    so a small history still spans three years). A history that cannot fit since 2009 at that
    rate gets denser instead (several streams: a very active account, or several athletes'
    worth of activities); only such a history depends on its end.
    """
    if n <= 0:
        return []
    last_day = end.date() - timedelta(days=1)
    if last_day < EARLIEST_DAY + timedelta(days=7):
        raise ValueError(
            f"a synthetic athlete needs an end date after {EARLIEST_DAY + timedelta(days=7)}: "
            "its history starts no earlier than 2009"
        )
    window = _Window(end, last_day)
    block = hostile_block_weeks(n)
    share = min(1.0, n / (NOMINAL_RATE * MIN_WEEKS))
    slots, complete = _newest(seed, 0, n, share, window, block)
    if not complete and share < 1.0:
        slots, complete = _newest(seed, 0, n, 1.0, window, block)
    if complete:
        return slots
    streams = 1
    while len(slots) < n:
        more, _ = _newest(seed, streams, math.inf, 1.0, window, block)
        slots = sorted(slots + more, key=lambda slot: slot.start_utc)
        streams += 1
    first, rest = slots[0], slots[1:]
    chosen = sorted(stream_rng(seed, n, end.isoformat(), "dense").sample(range(len(rest)), n - 1))
    return [first, *(rest[index] for index in chosen)]
