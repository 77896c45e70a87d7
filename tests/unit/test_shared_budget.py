"""The shared read budget's arithmetic under a fake clock (pipeline/strava/budget.py), and the
limiter on a real SQLite state store shared by several clients (pipeline/shared_budget.py)."""

from __future__ import annotations

from datetime import date, datetime, timezone
from pathlib import Path

import pytest

from pipeline.backends.state import SqliteStateStore
from pipeline.shared_budget import SharedRateLimiter, application_key
from pipeline.strava.budget import (
    BOUNDARY_GUARD_SECONDS,
    Count,
    Priority,
    allowed,
    correct,
    current,
    reserve,
)
from pipeline.strava.clock import Clock
from pipeline.strava.errors import RateLimitWaitTooLong
from pipeline.strava.ratelimit import Budget

T0 = datetime(2026, 11, 30, 10, 0, 5, tzinfo=timezone.utc).timestamp()  # 5 s past 10:00 UTC


class FakeClock(Clock):
    """Time that moves only when someone sleeps."""

    def __init__(self, now: float) -> None:
        self.time = now
        self.slept: list[float] = []
        super().__init__(now=lambda: self.time, sleep=self._sleep)

    def _sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.time += seconds


def test_priorities_leave_a_reserve_to_the_higher_ones() -> None:
    assert [allowed(100, p) for p in Priority] == [100, 90, 80]
    assert [allowed(1000, p) for p in Priority] == [1000, 900, 800]
    assert [allowed(5, p) for p in Priority] == [5, 4, 4]
    assert allowed(1, Priority.BACKFILL) == 1


def test_reservations_stop_at_the_priority_share_and_start_again_at_the_quarter_hour() -> None:
    counts: dict[str, Count] = {}
    taken = 0
    while True:
        counts, refusal = reserve(counts, T0, Priority.BACKFILL)
        if refusal:
            break
        taken += 1
    assert taken == 80
    assert refusal.kind == "15min" and refusal.until == T0 - 5 + 900
    # A weekly run still gets the 20 reserved for it, and no more.
    for _ in range(20):
        counts, weekly = reserve(counts, T0, Priority.WEEKLY)
        assert weekly is None
    assert reserve(counts, T0, Priority.WEEKLY)[1] is not None
    assert counts["15min"].used == counts["daily"].used == 100
    # The next quarter hour counts from zero; the day does not.
    counts, again = reserve(counts, T0 + 900, Priority.BACKFILL)
    assert again is None and counts["15min"].used == 1 and counts["daily"].used == 101


def test_a_spent_day_waits_for_utc_midnight() -> None:
    start = int(T0 // 86_400) * 86_400
    counts = {"daily": Count(start, 800, 1000), "15min": Count(int(T0 - 5), 0, 100)}
    counts, refusal = reserve(counts, T0, Priority.BACKFILL)
    assert refusal is not None and refusal.kind == "daily" and refusal.until == start + 86_400
    assert reserve(counts, T0, Priority.RECONCILE)[1] is None


def test_no_request_starts_in_the_last_seconds_of_a_window() -> None:
    late = T0 - 5 + 900 - BOUNDARY_GUARD_SECONDS / 2
    counts, refusal = reserve({}, late, Priority.WEEKLY)
    assert refusal is not None and refusal.until == T0 - 5 + 900
    assert counts["15min"].used == 0


def test_answers_raise_the_counts_to_stravas_never_lower_them() -> None:
    counts, _ = reserve({}, T0, Priority.WEEKLY)
    counts = correct(counts, T0, Budget(100, 1000, 37, 412, T0))
    assert counts["15min"] == Count(int(T0 - 5), 37, 100)
    assert counts["daily"].used == 412
    counts = correct(counts, T0, Budget(600, 30000, 2, 3, T0))
    assert counts["15min"] == Count(int(T0 - 5), 37, 600)  # the limit follows Strava, usage not
    # An answer to a request of the previous window changes nothing of the new one.
    later = current(counts, T0 + 900)
    assert correct(later, T0, Budget(100, 1000, 99, 999, T0))["15min"] == later["15min"]


def test_a_429_spends_the_window_strava_says_is_spent() -> None:
    counts, _ = reserve({}, T0, Priority.WEEKLY)
    quarter = correct(counts, T0, None, refused=True)
    assert quarter["15min"].used == 100 and quarter["daily"].used == 1
    day = correct(counts, T0, Budget(100, 1000, 40, 1000, T0), refused=True)
    assert day["daily"].used == 1000


@pytest.fixture
def store(tmp_path: Path) -> SqliteStateStore:
    return SqliteStateStore("sqlite://" + str(tmp_path / "state.db"), tmp_path / "state.db")


def test_clients_sharing_a_store_share_one_budget(store: SqliteStateStore) -> None:
    clock = FakeClock(T0)
    key = application_key("http://127.0.0.1:1/api/v3", "12345")
    limiters = [SharedRateLimiter(clock, 960, lambda: store, key, Priority.WEEKLY)
                for _ in range(3)]
    for _ in range(34):
        for limiter in limiters:
            limiter.before_request()
    # 102 reservations: the 101st waited for 10:15 (+1 s margin), once, for everyone.
    assert clock.slept == [900 - 5 + 1]
    usage = limiters[0].usage()
    assert usage["15min"].used == 2 and usage["daily"].used == 102
    # Another application (another API or client id) has its own budget.
    other = SharedRateLimiter(clock, 960, lambda: store, application_key("x", "1"))
    other.before_request()
    assert other.usage()["daily"].used == 1


def test_a_wait_longer_than_allowed_stops_with_a_one_line_error(store: SqliteStateStore
                                                                  ) -> None:
    clock = FakeClock(T0)
    limiter = SharedRateLimiter(clock, 60, lambda: store, "app", Priority.BACKFILL)
    limiter.observe({"X-RateLimit-Limit": "100,1000", "X-RateLimit-Usage": "80,80"})
    with pytest.raises(RateLimitWaitTooLong, match=r"backfill requests may take 80\) and "
                       r"resets at 2026-11-30 10:15 UTC.*rerun after"):
        limiter.before_request()
    assert clock.slept == []
    # A weekly client of the same application still has its reserve.
    SharedRateLimiter(clock, 60, lambda: store, "app", Priority.WEEKLY).before_request()


def test_every_answer_raises_the_shared_count_for_every_client(store: SqliteStateStore) -> None:
    clock = FakeClock(T0)
    first, second = (SharedRateLimiter(clock, 960, lambda: store, "app") for _ in range(2))
    first.before_request()
    first.observe({"X-ReadRateLimit-Limit": "100,1000", "X-ReadRateLimit-Usage": "50,70"})
    assert second.usage()["15min"].used == 50 and second.usage()["daily"].used == 70
    second.before_request()
    second.observe({"X-ReadRateLimit-Limit": "100,1000", "X-ReadRateLimit-Usage": "2,2"})
    assert first.usage()["15min"].used == 51  # an older reading never lowers the count
    first.before_request()
    first.after_429({"X-ReadRateLimit-Limit": "100,1000", "X-ReadRateLimit-Usage": "101,80"})
    assert second.usage()["15min"].used == 101  # Strava counted the refused one too


def test_strava_readers_declare_a_resource_only_once_luigi_cfg_caps_it() -> None:
    from luigi.configuration import get_config

    from pipeline.shared_budget import strava_resources
    from pipeline.tasks import ExtractActivities

    config = get_config()
    assert not config.has_option("resources", "strava_api")
    assert strava_resources() == {}
    assert ExtractActivities(run_date=date(2026, 11, 29)).process_resources() == {}
    config.set("resources", "strava_api", "2")
    try:
        assert ExtractActivities(run_date=date(2026, 11, 29)).process_resources() == {
            "strava_api": 1}
    finally:
        config.remove_option("resources", "strava_api")



class CountedStore(SqliteStateStore):
    """The state store, counting its transactions."""

    def __init__(self, path: Path) -> None:
        self.transactions = 0
        super().__init__("sqlite://" + str(path), path)
        self.transactions = 0

    def transaction(self):  # type: ignore[no-untyped-def]
        self.transactions += 1
        return super().transaction()


def test_a_paged_read_reserves_in_blocks_and_gives_back_what_it_did_not_send(tmp_path: Path
                                                                               ) -> None:
    mine, theirs = CountedStore(tmp_path / "state.db"), CountedStore(tmp_path / "state.db")
    clock = FakeClock(T0)
    reader = SharedRateLimiter(clock, 960, lambda: mine, "app")
    other = SharedRateLimiter(clock, 960, lambda: theirs, "app")
    with reader.paged_read():
        for sent in range(1, 21):
            reader.before_request()
            # What is reserved and not sent yet counts for everyone else.
            assert sent <= other.usage()["15min"].used <= sent + 7
    # 20 reads in blocks of 1, 2, 4, 8, 8 (23 reserved), 3 given back: 6 transactions, not 20.
    assert mine.transactions == 6
    assert other.usage()["15min"].used == 20 and other.usage()["daily"].used == 20
    # Outside a paged read, one read per transaction as before.
    reader.before_request()
    assert mine.transactions == 7 and other.usage()["daily"].used == 21


def test_blocks_never_take_more_than_the_window_leaves_and_end_with_it(tmp_path: Path) -> None:
    store = CountedStore(tmp_path / "state.db")
    clock = FakeClock(T0)
    reader = SharedRateLimiter(clock, 960, lambda: store, "app", Priority.BACKFILL)
    other = SharedRateLimiter(clock, 960, lambda: store, "app", Priority.WEEKLY)
    for _ in range(75):
        other.before_request()
    with reader.paged_read():
        for _ in range(5):  # blocks of 1, 2, then 2 of 4: the backfill's share (80) is reached
            reader.before_request()
        assert other.usage()["15min"].used == 80 and clock.slept == []
        reader.before_request()  # the sixth waits for 10:15 and counts in the new quarter
        assert clock.slept == [900 - 5 + 1]
        assert other.usage()["15min"].used == 8  # a block of 8 in the new quarter, 1 sent
    # The 7 not sent are given back; nothing held in the old quarter is given to the new one.
    assert other.usage()["15min"].used == 1 and other.usage()["daily"].used == 81


def test_giving_back_never_goes_below_what_strava_counted(tmp_path: Path) -> None:
    store = CountedStore(tmp_path / "state.db")
    clock = FakeClock(T0)
    reader = SharedRateLimiter(clock, 960, lambda: store, "app")
    with reader.paged_read():
        for _ in range(3):  # blocks of 1 and 2: 3 reserved, all sent; then 4 more, 1 sent
            reader.before_request()
        reader.before_request()
        reader.observe({"X-ReadRateLimit-Limit": "100,1000", "X-ReadRateLimit-Usage": "6,6"})
    assert reader.usage()["15min"].used == 6  # 7 reserved, 4 sent, Strava counted 6


def test_reads_held_when_the_quarter_hour_ends_are_given_back_to_the_day(tmp_path: Path
                                                                          ) -> None:
    store = CountedStore(tmp_path / "state.db")
    clock = FakeClock(T0)
    reader = SharedRateLimiter(clock, 960, lambda: store, "app")
    with reader.paged_read():
        for _ in range(8):  # blocks of 1, 2, 4, then 8 with 1 sent: 7 held
            reader.before_request()
        assert reader.usage()["daily"].used == 15
        clock.time += 900  # a slow page: the next read falls in the next quarter hour
        reader.before_request()
        assert reader.usage()["15min"].used == 8  # a new block of 8, 1 sent
        assert reader.usage()["daily"].used == 8 + 8  # the 7 held went back to the day
    assert reader.usage()["15min"].used == 1 and reader.usage()["daily"].used == 9


def test_an_application_allowed_many_reads_reserves_bigger_blocks(tmp_path: Path) -> None:
    store = CountedStore(tmp_path / "state.db")
    clock = FakeClock(T0)
    reader = SharedRateLimiter(clock, 960, lambda: store, "app")
    with reader.paged_read():
        reader.before_request()  # a block of 1 under the default limits (100 a quarter hour)
        reader.observe({"X-ReadRateLimit-Limit": "6400,64000", "X-ReadRateLimit-Usage": "1,1"})
        for _ in range(199):
            reader.before_request()
        # Blocks of 1, 2, 4, 8, 16, 32, 64, then 100 (a 64th of 6,400) with 73 sent.
        transactions = store.transactions
        assert reader.usage()["15min"].used == 127 + 100
    assert transactions == 8 + 1  # the blocks and the limit Strava reported
    assert reader.usage()["15min"].used == 200  # the 27 not sent were given back
