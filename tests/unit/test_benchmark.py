"""The benchmark measures what it claims: the whole history, or it fails (small N, no timing)."""

from __future__ import annotations

from datetime import datetime, timezone

from benchmarks.original import requests_for, sleeps_for
from pipeline.sandbox import SyntheticAthlete
from pipeline.sandbox.schedule import EARLIEST_DAY


def test_long_histories_start_in_2009_and_grow_denser() -> None:
    end = datetime(2012, 1, 1, tzinfo=timezone.utc)  # three years after 2009: 3,000 is dense
    athlete = SyntheticAthlete(seed=11, n_activities=3_000, end=end)
    starts = [a["start_date"] for a in athlete.activities]
    assert EARLIEST_DAY.isoformat() <= starts[0] < "2009-01-10"
    assert len(starts) / ((end - datetime(2009, 1, 2, tzinfo=timezone.utc)).days / 7) > 15
    index = athlete.serving_index()
    oldest_first = b"".join(index.page(0, end.timestamp(), 1, 200))
    assert oldest_first.startswith(b'{"resource_state": 2') and starts[0].encode() in oldest_first
    assert len(index.page(0, end.timestamp(), 15, 200)) == 200
    assert index.page(0, end.timestamp(), 16, 200) == []


def test_the_original_strategy_counts() -> None:
    assert requests_for(1000) == 1001
    assert sleeps_for(1001) == 13  # before requests 75, 150, ..., 975
