"""Measure a backfill on the embedded default: time, peak memory and Strava requests.

    python -m pipeline.benchmark --activities 1000 5000

Each size runs in a fresh child process (so peak memory is that run's alone) against the local
sandbox over real HTTP, in a temporary DATA_DIR. Prints a Markdown table for the README.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import resource
import subprocess
import sys
import tempfile
import time
from datetime import date, datetime, timezone

RUN_DATE = date(2026, 11, 29)


def measure(n_activities: int) -> dict[str, float]:
    """One backfill of ``n_activities`` in this process; returns its measurements."""
    import luigi
    from luigi.execution_summary import LuigiStatusCode

    from pipeline.sandbox import SandboxServer, SyntheticAthlete
    from pipeline.tasks import WeeklyPipeline

    athlete = SyntheticAthlete(
        seed=11, n_activities=n_activities, end=datetime(2026, 11, 22, 12, tzinfo=timezone.utc)
    )
    with tempfile.TemporaryDirectory() as folder, SandboxServer(
        athlete, read_limit_15min=10_000, read_limit_daily=100_000
    ) as sandbox:
        os.environ.update(sandbox.env())
        os.environ["DATA_DIR"] = folder
        started = time.perf_counter()
        result = luigi.build(
            [WeeklyPipeline(run_date=RUN_DATE)], local_scheduler=True, detailed_summary=True,
            log_level="ERROR",
        )
        first = time.perf_counter() - started
        if result.status not in (LuigiStatusCode.SUCCESS, LuigiStatusCode.SUCCESS_WITH_RETRY):
            raise SystemExit(f"the benchmark run failed:\n{result.summary_text}")
        list_requests = sandbox.count("/athlete/activities")
        refreshes = sandbox.count("/oauth/token")
        sandbox.reset_log()
        luigi.task_register.Register.clear_instance_cache()
        started = time.perf_counter()
        luigi.build([WeeklyPipeline(run_date=RUN_DATE)], local_scheduler=True, log_level="ERROR")
        rerun = time.perf_counter() - started
        rerun_requests = sandbox.count("/athlete/activities")
    return {
        "activities": n_activities,
        "seconds": round(first, 2),
        "rerun_seconds": round(rerun, 2),
        "peak_rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "list_requests": list_requests,
        "request_bound": math.ceil(n_activities / 200) + 1,
        "token_refreshes": refreshes,
        "rerun_requests": rerun_requests,
    }


def main(argv: list[str] | None = None) -> int:
    """Run each size in a child process and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--activities", type=int, nargs="+", default=[1000, 5000])
    parser.add_argument("--child", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        print(json.dumps(measure(args.child)))
        return 0
    rows = []
    for size in args.activities:
        output = subprocess.run(
            [sys.executable, "-m", "pipeline.benchmark", "--child", str(size)],
            check=True, capture_output=True, text=True,
        ).stdout
        rows.append(json.loads(output.strip().splitlines()[-1]))
    print("| activities | backfill (s) | rerun (s) | peak RSS (MiB) | list requests "
          "(bound ceil(N/200)+1) | token refreshes | rerun requests |")
    print("|---:|---:|---:|---:|---:|---:|---:|")
    for row in rows:
        print(f"| {row['activities']} | {row['seconds']} | {row['rerun_seconds']} | "
              f"{row['peak_rss_mib']} | {row['list_requests']} ({row['request_bound']}) | "
              f"{row['token_refreshes']} | {row['rerun_requests']} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
