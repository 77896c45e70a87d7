"""The benchmark measures what it claims: the whole history, or it fails (small N, no timing)."""

from __future__ import annotations

import math
from pathlib import Path

import duckdb
import pytest

from benchmarks.suite import BenchmarkFailure, measure_loads, measure_size
from tests.support.backends import require_postgres

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


@pytest.mark.parametrize("postgres", [False, True], ids=["duckdb", "duckdb+postgres"])
def test_the_loads_baseline_loads_every_row_each_way(postgres: bool) -> None:
    if postgres:
        require_postgres()
    result = measure_loads(300, 20, postgres)
    for name in ["duckdb", "postgres"] if postgres else ["duckdb"]:
        load = result[name]
        counts = load["rows"], load["without_staging_rows"], load["row_by_row_rows"]
        assert counts == (300, 300, 20)
        for key in ("engine_fraction", "without_staging_fraction", "ratio"):
            assert math.isfinite(load[key]) and load[key] > 0
