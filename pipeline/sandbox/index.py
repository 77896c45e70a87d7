"""The activity list as the sandbox serves it: sorted start times, bisect, pre-encoded JSON.

Serving a page costs two bisections and a join of already-encoded activities, so listing
100,000 activities takes a fraction of a second however the window is cut. The index is rebuilt
after the athlete changes (tests add, edit and delete activities while a server runs); encoded
activities are reused across rebuilds for every dict that did not change.
"""

from __future__ import annotations

import json
from bisect import bisect_left, bisect_right
from collections.abc import Sequence
from datetime import datetime
from typing import Any


def start_epoch(start_date: str) -> float:
    """Epoch seconds of a Strava ``start_date`` such as ``2026-11-22T10:14:30Z``."""
    return datetime.fromisoformat(start_date.replace("Z", "+00:00")).timestamp()


class EncodingCache:
    """Activity id -> (the dict, its start epoch, its JSON bytes), valid while the dict is the same
    object: the athlete replaces a dict when it changes one, never edits it in place.
    """

    def __init__(self) -> None:
        self._entries: dict[int, tuple[dict[str, Any], float, bytes]] = {}

    def entry(self, activity: dict[str, Any]) -> tuple[float, bytes]:
        """(start epoch, JSON bytes) of one activity, encoded at most once per version."""
        cached = self._entries.get(activity["id"])
        if cached is not None and cached[0] is activity:
            return cached[1], cached[2]
        epoch = start_epoch(activity["start_date"])
        body = json.dumps(activity, ensure_ascii=False).encode("utf-8")
        self._entries[activity["id"]] = (activity, epoch, body)
        return epoch, body

    def forget_except(self, ids: set[int]) -> None:
        """Drop entries of activities that no longer exist."""
        for stale in set(self._entries) - ids:
            del self._entries[stale]


class ServingIndex:
    """One snapshot of the activities ordered by (start, id), ready to page."""

    def __init__(self, activities: Sequence[dict[str, Any]], cache: EncodingCache) -> None:
        keyed = sorted(
            ((*cache.entry(act), act["id"]) for act in activities), key=lambda k: (k[0], k[2])
        )
        self.starts = [epoch for epoch, _, _ in keyed]
        self.bodies = [body for _, body, _ in keyed]

    def __len__(self) -> int:
        return len(self.starts)

    def page(self, after: float | None, before: float | None, page: int, per_page: int
             ) -> list[bytes]:
        """Encoded activities of one page, as Strava's list answers it.

        ``after < start < before``; oldest first when ``after`` is given, newest first otherwise.
        """
        low = 0 if after is None else bisect_right(self.starts, after)
        high = len(self.starts) if before is None else bisect_left(self.starts, before)
        skip = (page - 1) * per_page
        if after is not None:
            first = low + skip
            return self.bodies[first:min(high, first + per_page)]
        last = high - skip
        return self.bodies[max(low, last - per_page):max(low, last)][::-1]


def json_array(bodies: list[bytes]) -> bytes:
    """A JSON array of already-encoded values."""
    return b"[" + b", ".join(bodies) + b"]"
