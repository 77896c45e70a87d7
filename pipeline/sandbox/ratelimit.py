"""Strava's rate-limit accounting: 15-minute windows on quarter hours, days at UTC midnight."""

from __future__ import annotations

import threading
from collections.abc import Callable

QUARTER_HOUR = 900
DAY = 86_400


class RateLimiter:
    """Counts API requests per window by an injectable clock, like Strava's per-app limits."""

    def __init__(
        self,
        clock: Callable[[], float],
        read_limit_15min: int = 100,
        read_limit_daily: int = 1000,
        overall_limit_15min: int = 200,
        overall_limit_daily: int = 2000,
    ) -> None:
        self._clock = clock
        self.read_limits = (read_limit_15min, read_limit_daily)
        self.overall_limits = (overall_limit_15min, overall_limit_daily)
        self._lock = threading.Lock()
        self._window = self._day = -1
        self._read = [0, 0]
        self._overall = [0, 0]

    def _roll(self) -> None:
        now = self._clock()
        window, day = int(now // QUARTER_HOUR), int(now // DAY)
        if window != self._window:
            self._window, self._read[0], self._overall[0] = window, 0, 0
        if day != self._day:
            self._day, self._read[1], self._overall[1] = day, 0, 0

    def hit(self) -> bool:
        """Count one read request; False when it is over a limit (it still counts)."""
        with self._lock:
            self._roll()
            for counts in (self._read, self._overall):
                counts[0] += 1
                counts[1] += 1
            over_read = any(c > lim for c, lim in zip(self._read, self.read_limits, strict=True))
            over_all = any(
                c > lim for c, lim in zip(self._overall, self.overall_limits, strict=True)
            )
            return not (over_read or over_all)

    def set_usage(
        self,
        read_15min: int,
        read_daily: int,
        overall_15min: int | None = None,
        overall_daily: int | None = None,
    ) -> None:
        """Pretend this many requests were already made in the current windows."""
        with self._lock:
            self._roll()
            self._read = [read_15min, read_daily]
            self._overall = [
                read_15min if overall_15min is None else overall_15min,
                read_daily if overall_daily is None else overall_daily,
            ]

    def usage(self) -> tuple[int, int, int, int]:
        """(read 15-min, read daily, overall 15-min, overall daily) in the current windows."""
        with self._lock:
            self._roll()
            return self._read[0], self._read[1], self._overall[0], self._overall[1]

    def headers(self) -> dict[str, str]:
        """The four X-RateLimit / X-ReadRateLimit headers Strava sends on every API answer."""
        read_15, read_day, all_15, all_day = self.usage()
        return {
            "X-RateLimit-Limit": f"{self.overall_limits[0]},{self.overall_limits[1]}",
            "X-RateLimit-Usage": f"{all_15},{all_day}",
            "X-ReadRateLimit-Limit": f"{self.read_limits[0]},{self.read_limits[1]}",
            "X-ReadRateLimit-Usage": f"{read_15},{read_day}",
        }


def parse_read_limit(text: str) -> tuple[int, int]:
    """``--read-limit``: ``N/15min``, ``N/day`` or both (``5/15min,50/day``) -> (15-minute,
    daily) read limits, Strava's default (100, 1000) for the one not given."""
    limits = {"15min": 100, "day": 1000}
    for part in text.replace(" ", "").split(","):
        count, _, window = part.partition("/")
        if window not in limits or not count.isdigit() or int(count) < 1:
            raise ValueError(f"--read-limit {text!r}: write N/15min, N/day or both, "
                             "e.g. 5/15min or 5/15min,50/day")
        limits[window] = int(count)
    return limits["15min"], limits["day"]
