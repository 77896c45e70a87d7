"""50 athletes on one Strava application: the shared read budget at scale (issue 26).

    python -m benchmarks.many_athletes                       # 50 athletes x 500, 1 and 4 workers
    python -m benchmarks.many_athletes --extraction-only     # the extraction stage alone

By default the real per-athlete graph through Luigi's command line (Backfill, then a weekly
run): benchmarks/many_athletes_graph.py. What follows is ``--extraction-only``.
    python -m benchmarks.many_athletes --athletes 10 --activities 300 --workers 2

One sandbox serves every athlete under one application budget with Strava's default limits
(100 reads per 15 minutes, 1,000 per day) on a **simulated clock**: time moves only when a
worker waits for a window, so the simulated wall time is what the run would take against
Strava, and the real wall time what it costs here. Each worker count runs in a child process
of its own (its peak RSS is the child's, the sandbox's 25,000 activities included), with its
own DATA_DIR and SQLite state store.

The stage measured is the **extraction** of the graph, per athlete, as the tasks do it: the
athlete's own client (``pipeline.athletes.client_for_athlete``) through the shared limiter
(``pipeline.shared_budget``), first the backfill's one paged read of the whole history, pages
kept in the lake (``pipeline.page_spool``, ``ExtractRange``'s read, backfill priority), then
the weekly increment of every athlete (the last week with the 14-day lookback, weekly
priority). Workers are threads here (one process): the budget is shared through the state store
exactly as between processes. The per-athlete graph downstream (loads, marts) is not included.

Checked, or the benchmark fails: the requests equal the sum of per-athlete minimums
(ceil(n/200)+1 list requests per read), no 429, no window over Strava's limit.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import queue
import resource
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

ATHLETE_END = datetime(2026, 11, 22, 12, tzinfo=timezone.utc)
BACKFILL_BEFORE = ATHLETE_END - timedelta(days=7)  # the backfill reads up to a week ago
LOOKBACK = timedelta(days=14)
QUARTER = 900
LIMIT_15MIN = 100


class SimulatedClock:
    """Shared simulated time: it moves only when a thread sleeps, to the moment that thread
    last read plus its wait (two threads waiting for one boundary move it once)."""

    def __init__(self, start: float) -> None:
        self.time = start
        self._lock = threading.Lock()
        self._seen = threading.local()

    def now(self) -> float:
        with self._lock:
            self._seen.time = self.time
            return self.time

    def sleep(self, seconds: float) -> None:
        with self._lock:
            self.time = max(self.time, getattr(self._seen, "time", self.time) + seconds)


def minimum_requests(count: int) -> int:
    """ceil(n/200)+1: the list requests of one paged read of ``count`` activities."""
    return math.ceil(count / 200) + 1


def run_workers(athletes: int, activities: int, workers: int, seed: int = 4200
                ) -> dict[str, Any]:
    """Backfill then the weekly increment of every athlete with ``workers`` threads."""
    from pipeline.athletes import client_for_athlete
    from pipeline.backends import open_lake
    from pipeline.page_spool import PageSpool, read_key, resumable_pages
    from pipeline.sandbox import SandboxServer, SyntheticAthlete
    from pipeline.sandbox.athlete import athlete_seeds
    from pipeline.sandbox_cli import authorize_all
    from pipeline.settings import load_settings
    from pipeline.shared_budget import share_budget
    from pipeline.strava.budget import Priority
    from pipeline.strava.clock import Clock

    start = (int(ATHLETE_END.timestamp()) // QUARTER + 96 * 7) * QUARTER  # a week later, :00
    clock = SimulatedClock(float(start))
    seeds = athlete_seeds(seed, athletes)
    histories = [SyntheticAthlete(one, activities, ATHLETE_END) for one in seeds]
    before = int(BACKFILL_BEFORE.timestamp())
    weekly_after, weekly_before = before - int(LOOKBACK.total_seconds()), start
    minimum_backfill = sum(minimum_requests(sum(1 for a in h.activities
                                                if _epoch(a["start_date"]) < before))
                           for h in histories)
    minimum_weekly = sum(minimum_requests(sum(1 for a in h.activities
                                              if weekly_after < _epoch(a["start_date"])))
                         for h in histories)
    with tempfile.TemporaryDirectory(prefix="strava-bench-athletes-") as folder, \
            SandboxServer(histories[0], more_athletes=histories[1:], clock=clock.now) as server:
        os.environ.update({**server.env(), "DATA_DIR": str(Path(folder) / "data"),
                           "STRAVA_MAX_RATE_LIMIT_WAIT": "90000", "SLACK_WEBHOOK_URL": ""})
        for name in ("LAKE_URL", "STATE_URL", "WAREHOUSE_URL"):
            os.environ.pop(name, None)
        settings = load_settings()
        stored = authorize_all(server, seeds)
        lake = open_lake(settings.lake_url)
        shared_clock = Clock(now=clock.now, sleep=clock.sleep)
        errors: list[BaseException] = []

        def phase(priority: Priority, after: int, until: int, keep_pages: bool) -> float:
            todo: queue.Queue[int] = queue.Queue()
            for athlete in stored:
                todo.put(athlete.id)

            def work() -> None:
                while True:
                    try:
                        athlete_id = todo.get_nowait()
                    except queue.Empty:
                        return
                    try:
                        client = share_budget(
                            client_for_athlete(settings, athlete_id, shared_clock), settings,
                            priority)
                        if keep_pages:
                            spool = PageSpool(lake, read_key(after, until, athlete_id))
                            for _ in resumable_pages(client, spool, after, until):
                                pass
                            spool.clear()
                        else:
                            for _ in client.iter_pages(after, until):
                                pass
                    except BaseException as error:  # reported below, the run fails
                        errors.append(error)
                        return

            began = clock.now()
            threads = [threading.Thread(target=work) for _ in range(workers)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            return clock.now() - began

        real_started = time.perf_counter()
        backfill_simulated = phase(Priority.BACKFILL, 0, before, keep_pages=True)
        backfill_requests = _api_requests(server)
        weekly_simulated = phase(Priority.WEEKLY, weekly_after, weekly_before, keep_pages=False)
        real = time.perf_counter() - real_started
        if errors:
            raise RuntimeError(f"{len(errors)} athlete(s) failed; first: {errors[0]}")
        log = [r for r in server.requests_log if r.path.startswith("/api/v3/")]
        per_window = Counter(int(r.time // QUARTER) for r in log)
        return {
            "athletes": athletes, "activities": activities, "workers": workers,
            "backfill_requests": backfill_requests, "backfill_minimum": minimum_backfill,
            "weekly_requests": len(log) - backfill_requests, "weekly_minimum": minimum_weekly,
            "too_many": sum(1 for r in log if r.status == 429),
            "max_per_window": max(per_window.values()),
            "backfill_simulated_min": backfill_simulated / 60,
            "weekly_simulated_min": weekly_simulated / 60,
            "real_seconds": real,
            "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        }


def _epoch(stamp: str) -> int:
    return int(datetime.strptime(stamp, "%Y-%m-%dT%H:%M:%SZ")
               .replace(tzinfo=timezone.utc).timestamp())


def _api_requests(server: Any) -> int:
    return sum(1 for r in server.requests_log if r.path.startswith("/api/v3/"))


def ideal_minutes(requests: int) -> float:
    """requests / 100 per 15 minutes, in minutes."""
    return requests / LIMIT_15MIN * 15


def check(result: dict[str, Any]) -> None:
    """The benchmark's promises; SystemExit naming the broken one."""
    for phase in ("backfill", "weekly"):
        if result[f"{phase}_requests"] != result[f"{phase}_minimum"]:
            raise SystemExit(f"{phase}: {result[f'{phase}_requests']} requests, not the "
                             f"per-athlete minimum {result[f'{phase}_minimum']}")
    if result["too_many"] or result["max_per_window"] > LIMIT_15MIN:
        raise SystemExit(f"{result['too_many']} answers 429, {result['max_per_window']} "
                         "requests in one window")


def table(results: list[dict[str, Any]]) -> str:
    """The Markdown table for README and docs/many-machines.md."""
    lines = ["| workers | phase | requests (= minimum) | simulated wall (ideal) | real wall "
             "| peak RSS |", "|---|---|---|---|---|---|"]
    for result in results:
        for phase in ("backfill", "weekly"):
            requests = result[f"{phase}_requests"]
            lines.append(
                f"| {result['workers']} | {phase} | {requests} (= {result[f'{phase}_minimum']})"
                f" | {result[f'{phase}_simulated_min']:.0f} min "
                f"({ideal_minutes(requests):.0f} min) | "
                + (f"{result['real_seconds']:.1f} s | {result['peak_rss_mib']:.0f} MiB |"
                   if phase == "backfill" else "(both phases) | |"))
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Run each worker count in a child process; print the table."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.many_athletes")
    parser.add_argument("--athletes", type=int, default=50)
    parser.add_argument("--activities", type=int, default=500)
    parser.add_argument("--workers", type=int, action="append",
                        help="worker count (repeatable; default 1 and 4)")
    parser.add_argument("--extraction-only", action="store_true",
                        help="the extraction stage alone, workers as threads (no Luigi)")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    counts = args.workers or [1, 4]
    from benchmarks.many_athletes_graph import check_graph, graph_table, run_graph

    if args.child:
        run = run_workers if args.extraction_only else run_graph
        result = run(args.athletes, args.activities, counts[0])
        print(json.dumps(result))
        return 0
    results = []
    for workers in counts:
        child = subprocess.run(
            [sys.executable, "-m", "benchmarks.many_athletes", "--child", "--athletes",
             str(args.athletes), "--activities", str(args.activities), "--workers",
             str(workers), *(["--extraction-only"] if args.extraction_only else [])],
            capture_output=True, text=True, check=False)
        if child.returncode != 0:
            print(child.stderr[-3000:], file=sys.stderr)
            return 1
        result = json.loads(child.stdout.strip().splitlines()[-1])
        (check if args.extraction_only else check_graph)(result)
        results.append(result)
        print(json.dumps(result), file=sys.stderr)
    print((table if args.extraction_only else graph_table)(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
