"""Reconciliation and the webhook receiver at scale (issue 20).

    python -m benchmarks.reconcile                          # 5,000 and 100,000 activities
    python -m benchmarks.reconcile --activities 5000 --events 2000

Reconciliation: the sandbox in a process of its own, production loaded once (not measured), then
``Reconcile`` in a child process: list requests (must be ceil(N/200)+1), wall seconds, peak RSS.
Receiver: the WSGI receiver served by waitress in this process on a temporary SQLite state
store, ``--events`` events POSTed by 8 client threads: events acknowledged per second and the
p50/p99 latency. Prints Markdown tables for the README.
"""

from __future__ import annotations

import argparse
import math
import statistics
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from benchmarks.sandbox_process import SandboxProcess
from benchmarks.suite import ATHLETE_END, RUN_DATE, BenchmarkFailure, _child_env, _json_child

SIZES = [5_000, 100_000]


def reconcile_size(n_activities: int, seed: int = 42) -> dict[str, Any]:
    """One reconciliation of ``n_activities`` (nothing changed on Strava), measured."""
    with SandboxProcess(seed, n_activities, ATHLETE_END) as sandbox, \
            tempfile.TemporaryDirectory(prefix="strava-bench-reconcile-") as folder:
        env = _child_env(sandbox, Path(folder) / "data")
        _json_child(["benchmarks.reconcile_run", "load", RUN_DATE.isoformat()], env)
        sandbox.reset()
        run = _json_child(["benchmarks.reconcile_run", "reconcile", RUN_DATE.isoformat()], env)
        requests_made = sandbox.count("/athlete/activities")
        expected = math.ceil(sandbox.activities / 200) + 1
        if requests_made != expected:
            raise BenchmarkFailure(f"reconciling {sandbox.activities} activities took "
                                   f"{requests_made} list requests, not ceil(N/200)+1 = {expected}")
        if run["rows"] != sandbox.activities:
            raise BenchmarkFailure(f"production holds {run['rows']} rows after the "
                                   f"reconciliation, the sandbox {sandbox.activities}")
        return {"activities": sandbox.activities, "requests": requests_made,
                "expected": expected, "seconds": run["seconds"],
                "peak_rss_mib": run["peak_rss_mib"]}


def receiver_throughput(events: int, threads: int = 8) -> dict[str, Any]:
    """Events acknowledged per second and latency percentiles of the receiver."""
    import logging

    import requests
    import waitress

    logging.getLogger("waitress.queue").setLevel(logging.ERROR)  # "queue depth": expected here

    from pipeline.backends import open_state
    from pipeline.webhook.receiver import MAX_BODY, Receiver
    from pipeline.webhook.subscription import remember_subscription

    with tempfile.TemporaryDirectory(prefix="strava-bench-receiver-") as folder:
        data_dir = Path(folder)
        state = open_state(f"sqlite:///{data_dir}/state.db")
        remember_subscription(data_dir, {"id": 1})
        server = waitress.create_server(Receiver(state, "token", data_dir), host="127.0.0.1",
                                        port=0, threads=4, max_request_body_size=MAX_BODY)
        thread = threading.Thread(target=server.run, daemon=True)
        thread.start()
        url = f"http://127.0.0.1:{server.effective_port}/"
        local = threading.local()

        def post(number: int) -> float:
            session = getattr(local, "session", None) or requests.Session()
            local.session = session
            event = {"aspect_type": "update", "event_time": 1764400000 + number,
                     "object_id": 10_000_000 + number % 500, "object_type": "activity",
                     "owner_id": 5, "subscription_id": 1, "updates": {"title": "x"}}
            started = time.perf_counter()
            answer = session.post(url, json=event, timeout=10)
            if answer.status_code != 200:
                raise BenchmarkFailure(f"the receiver answered {answer.status_code}")
            return time.perf_counter() - started

        started = time.perf_counter()
        with ThreadPoolExecutor(threads) as pool:
            latencies = sorted(pool.map(post, range(events)))
        seconds = time.perf_counter() - started
        server.close()
        thread.join(timeout=10)
        stored = state.event_counts()[0]
    if stored != events:
        raise BenchmarkFailure(f"{events} events posted, {stored} stored")
    return {"events": events, "seconds": seconds, "per_second": events / seconds,
            "p50_ms": 1000 * statistics.median(latencies),
            "p99_ms": 1000 * latencies[min(len(latencies) - 1, int(0.99 * len(latencies)))],
            "max_ms": 1000 * latencies[-1]}


def apply_latency(samples: int = 5, n_activities: int = 1000) -> dict[str, Any]:
    """Seconds from a stored event to its change in production through ``strava-pipeline
    apply-events`` (a process of its own, as cron starts it), and the freshness that gives with
    apply-events every minute (an event waits up to a minute for the next call)."""
    import os
    import subprocess

    import requests

    with SandboxProcess(42, n_activities, ATHLETE_END) as sandbox, \
            tempfile.TemporaryDirectory(prefix="strava-bench-events-") as folder:
        data_dir = Path(folder) / "data"
        env = _child_env(sandbox, data_dir)
        _json_child(["benchmarks.reconcile_run", "load", RUN_DATE.isoformat()], env)
        headers = {"Authorization": f"Bearer {sandbox.access_token()}"}
        owner = requests.get(sandbox.info["api_url"] + "/athlete", headers=headers,
                             timeout=10).json()["id"]
        saved = dict(os.environ)
        os.environ.update(env)
        try:
            from pipeline.backends import open_state, open_warehouse
            from pipeline.backends.duckdb_warehouse import release_all
            from pipeline.settings import load_settings

            settings = load_settings()
            ids = [row[0] for row in open_warehouse(settings.warehouse_url).query(
                "SELECT id FROM {production_table} ORDER BY id")][:samples]
            release_all()
            state = open_state(settings.state_url)
            seconds = []
            for number, activity_id in enumerate(ids):
                state.store_event({"subscription_id": 1, "object_type": "activity",
                                   "object_id": activity_id, "aspect_type": "update",
                                   "event_time": 1764400000 + number, "owner_id": owner,
                                   "updates": None})
                started = time.perf_counter()
                done = subprocess.run([sys.executable, "-m", "pipeline.cli", "apply-events"],
                                      env=env, capture_output=True, text=True)
                seconds.append(time.perf_counter() - started)
                if done.returncode != 0 or state.event_counts()[0] != 0:
                    raise BenchmarkFailure("apply-events did not apply the event:\n"
                                           + done.stderr[-1500:])
        finally:
            os.environ.clear()
            os.environ.update(saved)
    return {"samples": len(seconds), "apply_median_s": statistics.median(seconds),
            "apply_worst_s": max(seconds),
            "fresh_median_s": 30 + statistics.median(seconds), "fresh_worst_s": 60 + max(seconds)}


def tables(reconciled: list[dict[str, Any]], receiver: dict[str, Any] | None,
           fresh: dict[str, Any] | None = None) -> list[str]:
    """Markdown tables of the measurements."""
    lines = ["| activities | list requests (ceil(N/200)+1) | wall | peak RSS |",
             "|---|---|---|---|"]
    for row in reconciled:
        lines.append(f"| {row['activities']:,} | {row['requests']} ({row['expected']}) | "
                     f"{row['seconds']:.1f} s | {row['peak_rss_mib']:.0f} MiB |")
    if receiver:
        lines += ["", "| events | acknowledged/s | p50 | p99 | max |", "|---|---|---|---|---|",
                  f"| {receiver['events']:,} | {receiver['per_second']:.0f} | "
                  f"{receiver['p50_ms']:.1f} ms | {receiver['p99_ms']:.1f} ms | "
                  f"{receiver['max_ms']:.1f} ms |"]
    if fresh:
        lines += ["", "| apply-events: one event to production (median / worst) | freshness with "
                  "apply-events every minute (median / worst) |", "|---|---|",
                  f"| {fresh['apply_median_s']:.1f} s / {fresh['apply_worst_s']:.1f} s "
                  f"({fresh['samples']} samples) | {fresh['fresh_median_s']:.0f} s / "
                  f"{fresh['fresh_worst_s']:.0f} s |"]
    return lines


def main(argv: list[str] | None = None) -> int:
    """Measure and print the tables."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--activities", type=int, nargs="*", default=SIZES)
    parser.add_argument("--events", type=int, default=10_000,
                        help="events for the receiver (0: skip it)")
    parser.add_argument("--freshness", type=int, default=5,
                        help="apply-events samples (0: skip them)")
    args = parser.parse_args(argv)
    reconciled = []
    for size in args.activities:
        reconciled.append(reconcile_size(size))
        print(f"reconciled {size:,}: {reconciled[-1]}", file=sys.stderr, flush=True)
    receiver = receiver_throughput(args.events) if args.events else None
    fresh = apply_latency(args.freshness) if args.freshness else None
    print("\n".join(tables(reconciled, receiver, fresh)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
