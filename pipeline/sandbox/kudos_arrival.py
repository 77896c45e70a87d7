"""Kudos that keep arriving after an upload, as on Strava: most within 48 hours, the rest over
the following days, none after SETTLED_AFTER.

The synthetic athlete's dicts hold each activity's settled kudos; the server answers with the
kudos that had arrived by its clock's now (``KudosArrival.count_at``). A weekly run that reads
an activity a day after its upload sees part of its kudos, and the next run's lookback (14 days
by default) reads the rest.
"""

from __future__ import annotations

import math
from bisect import bisect_right
from dataclasses import dataclass

FAST_SHARE = 0.8  # of the kudos arrive at a fast pace (within hours) ...
FAST_HOURS = 8.0
SLOW_HOURS = 36.0  # ... the rest at a slow one (over days)
SETTLED_AFTER = 6 * 86_400.0  # seconds after the upload: every kudo has arrived


def arrived_share(seconds_since_upload: float) -> float:
    """The share of an activity's kudos that has arrived this long after its upload."""
    if seconds_since_upload <= 0:
        return 0.0
    if seconds_since_upload >= SETTLED_AFTER:
        return 1.0
    hours = seconds_since_upload / 3600
    return (1 - FAST_SHARE * math.exp(-hours / FAST_HOURS)
            - (1 - FAST_SHARE) * math.exp(-hours / SLOW_HOURS))


@dataclass(frozen=True)
class KudosArrival:
    """When an activity was uploaded, its settled kudos and its own rounding offset (0-1)."""

    uploaded_at: float
    settled: int
    offset: float

    def count_at(self, now: float) -> int:
        """The kudos that had arrived at ``now``: never decreasing, ``settled`` at the end."""
        share = arrived_share(now - self.uploaded_at)
        return min(self.settled, math.floor(self.settled * share + self.offset))


class Arrivals:
    """Activity id -> KudosArrival, with the uploads in time order for finding the young ones."""

    def __init__(self, arrivals: dict[int, KudosArrival]) -> None:
        self._arrivals = arrivals
        self._uploads = sorted((arrival.uploaded_at, activity_id)
                               for activity_id, arrival in arrivals.items())
        self._times = [uploaded_at for uploaded_at, _ in self._uploads]

    def get(self, activity_id: int) -> KudosArrival | None:
        """The activity's arrival, or None (its kudos are served as stored)."""
        return self._arrivals.get(activity_id)

    def forget(self, activity_id: int) -> None:
        """Serve the activity's kudos as stored from now on (a test set them)."""
        self._arrivals.pop(activity_id, None)

    def unsettled(self, now: float) -> dict[int, int]:
        """Activity id -> kudos arrived so far, for every activity still collecting kudos."""
        first = bisect_right(self._times, now - SETTLED_AFTER)
        counts = {}
        for _, activity_id in self._uploads[first:]:
            arrival = self._arrivals.get(activity_id)
            if arrival is not None:
                count = arrival.count_at(now)
                if count != arrival.settled:
                    counts[activity_id] = count
        return counts
