"""Strava's read budget: read the usage headers and wait for the right window boundary.

Windows reset on natural quarter hours (:00, :15, :30, :45 UTC) and the daily count at UTC
midnight, so the wait is until the next boundary, not a flat 15 minutes.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from datetime import datetime, timezone

from pipeline.strava.clock import Clock
from pipeline.strava.errors import RateLimitWaitTooLong

logger = logging.getLogger(__name__)

QUARTER_HOUR = 15 * 60
DAY = 24 * 60 * 60
MARGIN_SECONDS = 1.0


def next_quarter_hour(now: float) -> float:
    """Epoch seconds of the next :00/:15/:30/:45 boundary strictly after ``now``."""
    return (int(now) // QUARTER_HOUR + 1) * QUARTER_HOUR


def next_utc_midnight(now: float) -> float:
    """Epoch seconds of the next 00:00 UTC strictly after ``now``."""
    return (int(now) // DAY + 1) * DAY


def _pair(value: str | None) -> tuple[int, int] | None:
    try:
        short, daily = (int(part.strip()) for part in (value or "").split(","))
    except ValueError:
        return None
    return short, daily


@dataclass(frozen=True)
class Budget:
    """One reading of the read budget: limits and usage for 15 minutes and for the day."""

    limit_15min: int
    limit_daily: int
    usage_15min: int
    usage_daily: int
    observed_at: float

    @property
    def daily_spent(self) -> bool:
        """The day's read requests are used up."""
        return self.usage_daily >= self.limit_daily

    @property
    def short_spent(self) -> bool:
        """The quarter hour's read requests are used up."""
        return self.usage_15min >= self.limit_15min


def read_budget(headers: Mapping[str, str], now: float) -> Budget | None:
    """The read budget from X-ReadRateLimit-* (falling back to X-RateLimit-*) headers."""
    for prefix in ("X-ReadRateLimit", "X-RateLimit"):
        limits = _pair(headers.get(f"{prefix}-Limit"))
        usage = _pair(headers.get(f"{prefix}-Usage"))
        if limits and usage:
            return Budget(limits[0], limits[1], usage[0], usage[1], now)
    return None


def _hhmm(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, timezone.utc).strftime("%H:%M")


# Called with each API response's budget (None when it had no usage headers): the run's summary
# counts requests and shows the last budget (pipeline/run_summary.py).
RESPONSE_OBSERVERS: list[Callable[[Budget | None], None]] = []


class RateLimiter:
    """Decides when the next request may go out, and waits (or refuses) accordingly."""

    def __init__(self, clock: Clock, max_wait_seconds: float) -> None:
        self.clock = clock
        self.max_wait_seconds = max_wait_seconds
        self.budget: Budget | None = None
        self.waits: list[float] = []

    def observe(self, headers: Mapping[str, str]) -> None:
        """Remember the budget a response reported (and tell RESPONSE_OBSERVERS)."""
        budget = self._remember(headers)
        for observer in RESPONSE_OBSERVERS:
            observer(budget)

    def _remember(self, headers: Mapping[str, str]) -> Budget | None:
        budget = read_budget(headers, self.clock.now())
        if budget is not None:
            self.budget = budget
        return budget

    def before_request(self) -> None:
        """Wait for the next window when the last reading says the budget is spent."""
        budget = self.budget
        if budget is None:
            return
        now = self.clock.now()
        if budget.daily_spent and next_utc_midnight(budget.observed_at) > now:
            self._wait_until(next_utc_midnight(now), "daily")
        elif budget.short_spent and next_quarter_hour(budget.observed_at) > now:
            self._wait_until(next_quarter_hour(now), "15-minute")

    def paged_read(self) -> AbstractContextManager[None]:
        """A paged read's requests (pipeline/shared_budget.py reserves them in blocks)."""
        return nullcontext()

    def after_429(self, headers: Mapping[str, str]) -> None:
        """Strava said 429: wait for the window that is spent (daily if that one is)."""
        self._remember(headers)
        now = self.clock.now()
        if self.budget is not None and self.budget.daily_spent:
            self._wait_until(next_utc_midnight(now), "daily")
        else:
            self._wait_until(next_quarter_hour(now), "15-minute")

    def _wait_until(self, boundary: float, window: str) -> None:
        now = self.clock.now()
        wait = boundary - now + MARGIN_SECONDS
        when = datetime.fromtimestamp(boundary, timezone.utc)
        if wait > self.max_wait_seconds:
            raise RateLimitWaitTooLong(
                f"Strava's {window} read limit is spent and resets at {when:%Y-%m-%d %H:%M} UTC, "
                f"later than the maximum wait of {self.max_wait_seconds:.0f} s "
                f"(STRAVA_MAX_RATE_LIMIT_WAIT): rerun after {when:%Y-%m-%d %H:%M} UTC"
            )
        logger.warning("rate limit reached: waiting until %s UTC", _hhmm(boundary))
        self.waits.append(wait)
        self.clock.sleep(wait)
        self.budget = None

