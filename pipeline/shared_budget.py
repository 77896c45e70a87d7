"""One read budget for every request of every athlete, worker process and machine that shares
the state store (issue 26).

``share_budget(client, settings, priority)`` gives a Strava client a ``SharedRateLimiter``:
before each request it reserves one read in the state store's ``rate_budget`` rows, in one
transaction (``BEGIN IMMEDIATE`` on SQLite, ``SELECT ... FOR UPDATE`` on MySQL); after each
answer it raises the counts to Strava's ``X-RateLimit-Usage``. Within a paged read
(``paged_read``) it reserves reads in growing blocks (1, 2, 4, 8, and on to a 64th of the
quarter hour's limit when Strava allows more than 512 reads in it) and
gives back the ones not sent when the read ends: a transaction per block, not per page (each
costs a durable commit, which had bounded a long read to about one page per commit). When the
budget of the request's priority is spent it waits, on the client's Clock, for the window
boundary, or, when that is later than ``STRAVA_MAX_RATE_LIMIT_WAIT``, stops with
RateLimitWaitTooLong. The arithmetic and the priorities' reserves: pipeline/strava/budget.py;
the many-machines setup: docs/many-machines.md.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from datetime import datetime, timezone

from pipeline.backends import StateStore, open_state
from pipeline.backends.budget import Window, change_budget, read_budget_rows
from pipeline.settings import Settings
from pipeline.strava.budget import (
    BOUNDARY_GUARD_SECONDS,
    DEFAULT_LIMITS,
    WINDOW_SECONDS,
    Count,
    Counts,
    Priority,
    Refusal,
    correct,
    current,
    release,
    reserve,
    reserve_up_to,
    window_start,
)
from pipeline.strava.client import StravaClient
from pipeline.strava.clock import Clock
from pipeline.strava.errors import RateLimitWaitTooLong
from pipeline.strava.ratelimit import (
    MARGIN_SECONDS,
    RESPONSE_OBSERVERS,
    RateLimiter,
    read_budget,
)

logger = logging.getLogger(__name__)

_WINDOW_NAMES = {"15min": "15-minute", "daily": "daily"}
# The most reads a paged read reserves in one transaction (the extraction reads 8 pages ahead).
READ_BLOCK = 8
BLOCK_SHARE = 64  # a block holds at most this share of the quarter hour's limit, beyond 8


def application_key(api_url: str, client_id: str) -> str:
    """The budget's key: one per application at one API (a sandbox on another port is another
    application; Strava's limits belong to the application, not to the athlete)."""
    return hashlib.sha256(f"{api_url.rstrip('/')}|{client_id}".encode()).hexdigest()[:32]


def _counts(rows: Mapping[str, tuple[int, int, int]]) -> Counts:
    return {kind: Count(*row) for kind, row in rows.items()}


def _rows(counts: Counts) -> dict[str, Window]:
    return {kind: Window(*count) for kind, count in counts.items()}


class SharedRateLimiter(RateLimiter):
    """The client's limiter, with the counts in the state store instead of this process."""

    def __init__(self, clock: Clock, max_wait_seconds: float, state: Callable[[], StateStore],
                 app_key: str, priority: Priority = Priority.WEEKLY) -> None:
        super().__init__(clock, max_wait_seconds)
        self._state_factory = state
        self._state: StateStore | None = None
        self.app_key = app_key
        self.priority = priority
        self._sent_at: float | None = None
        self._known: Counts = {}  # the counts as this limiter last wrote them
        self._block = 0  # reads the next reservation asks for within a paged read (0: outside)
        self._held = 0  # reads reserved and not sent yet
        self._held_in: dict[str, int] = {}  # the windows (kind: start) they are counted in
        self._reported: dict[str, tuple[int, int]] = {}  # kind: (window start, Strava's usage)

    @property
    def state(self) -> StateStore:
        """The state store, opened on the first request."""
        if self._state is None:
            self._state = self._state_factory()
        return self._state

    def _change(self, decide: Callable[[Counts], tuple[Counts, object]]) -> object:
        fresh = _rows(current({}, self.clock.now()))

        def change(rows: dict[str, Window]) -> tuple[dict[str, Window], object]:
            counts, result = decide(_counts(rows))
            self._known = counts
            return _rows(counts), result

        return change_budget(self.state, self.app_key, fresh, change)

    def before_request(self) -> None:
        """Reserve one read of every window (from a block already reserved, within a paged
        read); wait for the boundary (bounded) while refused."""
        if self._take_held():
            return
        while True:
            now = self.clock.now()
            wanted = max(1, self._block)
            taken = self._change(lambda counts, at=now, n=wanted: self._reserve(counts, at, n))
            if isinstance(taken, int):
                self._sent_at = now
                self._held = taken - 1
                self._held_in = {kind: count.start for kind, count in self._known.items()}
                if self._block:
                    self._block = min(self._largest_block(), self._block * 2)
                return
            assert isinstance(taken, Refusal)
            self._wait_for(taken)

    def _largest_block(self) -> int:
        """``READ_BLOCK``, or a ``BLOCK_SHARE``th of the quarter hour's limit when that is more
        (an application Strava allows many reads commits less often; Strava's default 100
        keeps 8)."""
        quarter = self._known.get("15min")
        return max(READ_BLOCK, quarter.limit // BLOCK_SHARE if quarter is not None else 0)

    def _reserve(self, counts: Counts, now: float, wanted: int
                 ) -> tuple[Counts, int | Refusal]:
        counts, taken, refusal = reserve_up_to(counts, now, self.priority, wanted)
        return counts, refusal if refusal is not None else taken

    def _take_held(self) -> bool:
        """Send from the reads already reserved while their windows last (and the quarter hour
        is not in its last seconds); past that, the held reads are given back to the windows
        still current (the day, when only the quarter hour ended) and reserved anew."""
        if self._held <= 0:
            return False
        now = self.clock.now()
        counted_now = {kind: window_start(kind, now) for kind in self._held_in}
        quarter_left = window_start("15min", now) + WINDOW_SECONDS["15min"] - now
        if counted_now != self._held_in or quarter_left < BOUNDARY_GUARD_SECONDS:
            self._give_back()
            return False
        self._held -= 1
        self._sent_at = now
        return True

    @contextmanager
    def paged_read(self) -> Iterator[None]:
        """Inside the ``with``, reserve reads in growing blocks; give back the unsent ones at the
        end (a process killed meanwhile leaves at most a block less one counted too many, in
        windows that end by themselves)."""
        self._block = 1
        try:
            yield
        finally:
            self._block = 0
            self._give_back()

    def _give_back(self) -> None:
        unused, self._held = self._held, 0
        if unused <= 0:
            return
        now = self.clock.now()
        starts = {kind: start for kind, start in self._held_in.items()
                  if window_start(kind, now) == start}
        reported = {kind: usage for kind, (start, usage) in self._reported.items()
                    if starts.get(kind) == start}
        if starts:
            self._change(lambda counts: (release(counts, starts, unused, reported), None))

    def _wait_for(self, refusal: Refusal) -> None:
        now = self.clock.now()
        wait = refusal.until - now + MARGIN_SECONDS
        when = datetime.fromtimestamp(refusal.until, timezone.utc)
        window = _WINDOW_NAMES[refusal.kind]
        if wait > self.max_wait_seconds:
            raise RateLimitWaitTooLong(
                f"the shared {window} read budget is spent ({refusal.used} reads, "
                f"{self.priority.name.lower()} requests may take {refusal.allowed}) and resets "
                f"at {when:%Y-%m-%d %H:%M} UTC, later than the maximum wait of "
                f"{self.max_wait_seconds:.0f} s (STRAVA_MAX_RATE_LIMIT_WAIT): rerun after "
                f"{when:%Y-%m-%d %H:%M} UTC; finished work is kept"
            )
        logger.warning("shared %s read budget reached (%d of %d for %s requests): waiting "
                       "until %s UTC", window, refusal.used, refusal.allowed,
                       self.priority.name.lower(), f"{when:%H:%M}")
        self.waits.append(wait)
        self.clock.sleep(wait)

    def observe(self, headers: Mapping[str, str]) -> None:
        """Raise the shared counts to the usage Strava reported (and tell RESPONSE_OBSERVERS)."""
        budget = self._remember(headers)
        if budget is not None:
            sent_at = self._sent_at if self._sent_at is not None else self.clock.now()
            self._reported = {
                "15min": (window_start("15min", sent_at), budget.usage_15min),
                "daily": (window_start("daily", sent_at), budget.usage_daily)}
        self._correct(budget, refused=False)
        for observer in RESPONSE_OBSERVERS:
            observer(budget)

    def after_429(self, headers: Mapping[str, str]) -> None:
        """Strava said 429: the window it says is spent counts as spent for everyone."""
        budget = read_budget(headers, self.clock.now())
        self._held = 0  # the window is spent: reads reserved in it are not sent
        self._correct(budget, refused=True)

    def _correct(self, budget: object, refused: bool) -> None:
        sent_at = self._sent_at if self._sent_at is not None else self.clock.now()
        if budget is None and not refused:
            return
        if not refused and self._known and correct(self._known, sent_at, budget) == self._known:  # type: ignore[arg-type]
            return  # Strava counted no more than the counts already say: nothing to write
        self._change(lambda counts: (correct(counts, sent_at, budget, refused), None))  # type: ignore[arg-type]

    def has_room(self) -> bool:
        """Whether a request of this priority would be granted now, without taking it (for
        work that rather waits for the next run than for a window: the streams)."""
        now = self.clock.now()
        return reserve(self.usage(), now, self.priority)[1] is None

    def usage(self) -> Counts:
        """The shared counts as stored now (for status output and tests)."""
        return current(_counts(read_budget_rows(self.state, self.app_key)), self.clock.now())


def strava_resources() -> dict[str, int]:
    """The Luigi resources of a task that reads Strava: ``strava_api: 1`` once luigi.cfg has a
    ``[resources] strava_api`` (the most Strava readers luigid runs at once), else none: Luigi's
    scheduler counts an unconfigured resource as 1, which would run one reader at a time."""
    from luigi.configuration import get_config

    return {"strava_api": 1} if get_config().has_option("resources", "strava_api") else {}


def share_budget(client: StravaClient, settings: Settings,
                 priority: Priority = Priority.WEEKLY) -> StravaClient:
    """The client, its requests now counted in the shared budget of ``settings.state_url``
    at ``priority`` (a client that reads nothing, in archive-only mode, is left alone)."""
    if not isinstance(client, StravaClient):
        return client
    client.rate_limiter = SharedRateLimiter(
        client.clock, client.rate_limiter.max_wait_seconds,
        lambda: open_state(settings.state_url),
        application_key(settings.strava_api_url, settings.strava_client_id), priority)
    return client


__all__ = ["DEFAULT_LIMITS", "Priority", "SharedRateLimiter", "application_key",
           "share_budget", "strava_resources"]
