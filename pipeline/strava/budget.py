"""The arithmetic of the shared read budget: windows, priorities' reserves, reservations and
corrections from Strava's usage headers. Pure functions of the counts and the time, so the
unit tests drive them with a fake clock; pipeline/shared_budget.py applies them to the rows in
the state store, in one transaction each.

Strava counts reads per application in 15-minute windows starting at :00, :15, :30 and :45 UTC
and per UTC day (default 100 and 1,000). A request is counted here *before* it is sent (a
reservation); every answer's ``X-ReadRateLimit-Usage`` (or ``X-RateLimit-Usage``) raises the
count to what Strava says it counted, never lowers it (another answer may still be on its way).

**Priorities.** When the budget is short the weekly increments go first, reconciliations and
stream fetches next, backfills last. The measure: each priority may use only part of every
window, the rest is a reserve that only higher priorities may take. A backfill stops taking
requests at 80 % of a window (80 of 100 per quarter hour, 800 of 1,000 per day), a
reconciliation or stream fetch at 90 %, the weekly increment may use all of it. So a backfill
running all day still leaves 200 daily reads for the week's runs.
"""

from __future__ import annotations

import math
from enum import IntEnum
from typing import NamedTuple

from pipeline.strava.ratelimit import DAY, QUARTER_HOUR, Budget

# A request is not started in the last seconds of a quarter hour: it could reach Strava in the
# next window, already full by then (clocks and latency differ between machines and Strava).
BOUNDARY_GUARD_SECONDS = 2.0
DEFAULT_LIMITS = {"15min": 100, "daily": 1000}
WINDOW_SECONDS = {"15min": QUARTER_HOUR, "daily": DAY}


class Priority(IntEnum):
    """Who asks: the weekly increment first, reconciliations and streams next, backfills last."""

    WEEKLY = 0
    RECONCILE = 1
    BACKFILL = 2


# The share of every window that this priority leaves to the higher ones.
RESERVE_SHARE = {Priority.WEEKLY: 0.0, Priority.RECONCILE: 0.1, Priority.BACKFILL: 0.2}


class Count(NamedTuple):
    """One window's count: its start (epoch seconds), requests counted in it, its limit."""

    start: int
    used: int
    limit: int


Counts = dict[str, Count]


class Refusal(NamedTuple):
    """Why a reservation was refused and when to ask again."""

    kind: str  # "15min" or "daily"
    until: float  # epoch seconds of the window boundary
    used: int
    allowed: int


def window_start(kind: str, now: float) -> int:
    """Epoch seconds of the start of the ``kind`` window holding ``now``."""
    size = WINDOW_SECONDS[kind]
    return int(now // size) * size


def allowed(limit: int, priority: Priority) -> int:
    """How many requests of a window ``priority`` may take: the limit less the reserve of the
    higher priorities, at least one."""
    return max(1, math.floor(limit * (1 - RESERVE_SHARE[priority]) + 1e-9))


def current(counts: Counts, now: float) -> Counts:
    """The counts as of ``now``: a window that has ended counts from zero again."""
    fresh = {}
    for kind in WINDOW_SECONDS:
        start = window_start(kind, now)
        count = counts.get(kind)
        limit = count.limit if count else DEFAULT_LIMITS[kind]
        fresh[kind] = count if count and count.start == start else Count(start, 0, limit)
    return fresh


def reserve(counts: Counts, now: float, priority: Priority) -> tuple[Counts, Refusal | None]:
    """Take one request from every window, or say which window refuses and until when.

    The daily window is checked first: when it is spent the wait is until UTC midnight.
    """
    counts, _, refusal = reserve_up_to(counts, now, priority, 1)
    return counts, refusal


def reserve_up_to(counts: Counts, now: float, priority: Priority, wanted: int
                  ) -> tuple[Counts, int, Refusal | None]:
    """Take up to ``wanted`` requests (at least one) from every window, as many as both
    windows leave to ``priority``: the counts, how many were taken, and the refusal when none
    could be (as ``reserve``)."""
    counts = current(counts, now)
    for kind in ("daily", "15min"):
        count = counts[kind]
        may = allowed(count.limit, priority)
        if count.used >= may:
            return counts, 0, Refusal(kind, count.start + WINDOW_SECONDS[kind], count.used, may)
    quarter_end = counts["15min"].start + QUARTER_HOUR
    if quarter_end - now < BOUNDARY_GUARD_SECONDS:
        return counts, 0, Refusal("15min", quarter_end, counts["15min"].used,
                                  allowed(counts["15min"].limit, priority))
    taken = min([wanted] + [allowed(count.limit, priority) - count.used
                            for count in counts.values()])
    return ({kind: count._replace(used=count.used + taken) for kind, count in counts.items()},
            taken, None)


def release(counts: Counts, starts: dict[str, int], unused: int, reported: dict[str, int]
            ) -> Counts:
    """The counts after giving back ``unused`` reserved requests that were never sent, in the
    windows that started at ``starts`` (a window that has ended keeps its count); never below
    the usage Strava ``reported`` for that window."""
    released = dict(counts)
    for kind, count in counts.items():
        if starts.get(kind) == count.start:
            floor = reported.get(kind, 0)
            released[kind] = count._replace(used=max(min(floor, count.used), count.used - unused))
    return released


def correct(counts: Counts, sent_at: float, budget: Budget | None, refused: bool = False
            ) -> Counts:
    """The counts after an answer to a request sent at ``sent_at``: raised to Strava's usage
    and limits of the windows it was sent in (never lowered); a 429 spends the window that
    Strava says is spent (the quarter hour when it does not say)."""
    counts = dict(counts)
    if budget is None and not refused:
        return counts
    reported = {"15min": (budget.usage_15min, budget.limit_15min),
                "daily": (budget.usage_daily, budget.limit_daily)} if budget else {}
    for kind, (usage, limit) in reported.items():
        count = counts.get(kind)
        if count is None or count.start != window_start(kind, sent_at):
            continue  # the window has changed since: Strava's numbers are of the old one
        counts[kind] = Count(count.start, max(count.used, usage), limit)
    if refused:
        spent = "daily" if budget is not None and budget.daily_spent else "15min"
        count = counts.get(spent)
        if count is not None and count.start == window_start(spent, sent_at):
            counts[spent] = count._replace(used=max(count.used, count.limit))
    return counts
