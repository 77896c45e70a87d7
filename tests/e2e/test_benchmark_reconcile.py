"""The reconciliation and receiver benchmark measures what it claims (small sizes, no timing)."""

from __future__ import annotations

from benchmarks.reconcile import apply_latency, receiver_throughput, reconcile_size, tables


def test_reconcile_benchmark_checks_requests_and_rows() -> None:
    row = reconcile_size(450)
    assert row["activities"] == 450 and row["requests"] == row["expected"] == 4
    receiver = receiver_throughput(200, threads=4)
    assert receiver["events"] == 200 and receiver["per_second"] > 0
    fresh = apply_latency(samples=1, n_activities=200)
    assert fresh["samples"] == 1 and fresh["fresh_worst_s"] >= 60
    assert any("450" in line for line in tables([row], receiver, fresh))
