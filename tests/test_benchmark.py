"""The benchmark measures what it claims: the whole history, or it fails (small N, no timing)."""

from __future__ import annotations

import math
from datetime import datetime, timezone
from pathlib import Path

import duckdb
import pytest

from benchmarks.original import requests_for, sleeps_for
from benchmarks.suite import BenchmarkFailure, measure_size
from pipeline.sandbox import SyntheticAthlete
from pipeline.sandbox.schedule import EARLIEST_DAY

N = 40


def test_row_check_fails_when_rows_are_missing() -> None:
    def lose_two_rows(data_dir: Path) -> None:
        with duckdb.connect(str(data_dir / "warehouse.duckdb")) as connection:
            connection.execute(
                "DELETE FROM strava_activity_data WHERE id IN "
                "(SELECT id FROM strava_activity_data ORDER BY id LIMIT 2)"
            )

    with pytest.raises(BenchmarkFailure, match=f"loaded {N - 2} rows but the sandbox serves {N}"):
        measure_size(N, rerun=False, after_run=lose_two_rows)


def test_a_whole_small_history_passes_the_check_with_the_minimum_of_requests() -> None:
    row = measure_size(N, rerun=False)
    assert row["activities"] == N
    assert row["list_requests"] <= math.ceil(N / 200) + 1
    assert row["peak_rss_mib"] > 0 and row["stages"]["ExtractActivities"] > 0


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
