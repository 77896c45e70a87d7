"""Measure a backfill through the real command line: wall time, Strava requests, disk, memory.

    python -m benchmarks.backfill                       # 2023-12-01 to 2026-11-29, 157 weeks
    python -m benchmarks.backfill --start 2026-09-01 --json
    python -m benchmarks.backfill --profile    # also the Luigi scheduler's share of the wall time

The sandbox's default athlete (seed 42, 1,200 activities) is served in this process with the
sandbox's default rate limits (100 reads per 15 minutes), so a backfill that asks too much waits
for real, as it would against Strava. The backfill runs as
``python -m luigi --module pipeline.tasks Backfill ... --local-scheduler`` in a child process
with a fresh DATA_DIR; its peak RSS is the child's alone. A second run of the same command
measures the rerun. CPU time is reported beside wall time: on a shared machine the wall time
depends on the load. With ``--profile`` the first backfill runs under pyinstrument (a sampling
profiler, a few percent of overhead) and the share of its main thread's time spent inside Luigi's
scheduler (``luigi/scheduler.py``: handing out work, taking in tasks) is reported.
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
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from pipeline.tasks.backfill import week_run_dates

if TYPE_CHECKING:
    from pyinstrument.frame import Frame

PROJECT_ROOT = Path(__file__).resolve().parent.parent
LIST_PATH = "/athlete/activities"
RATE_LIMIT_LOG = "rate limit reached"


def disk_bytes(folder: Path) -> int:
    """Bytes of every file under ``folder``."""
    return sum(path.stat().st_size for path in folder.rglob("*") if path.is_file())


def scheduler_seconds(frame: Frame) -> float:
    """Seconds of a profile spent inside Luigi's scheduler (its frames and what they call)."""
    if (frame.file_path or "").replace("\\", "/").endswith("luigi/scheduler.py"):
        return frame.time
    return sum(scheduler_seconds(child) for child in frame.children)


def scheduler_share(session_file: Path) -> tuple[float, float]:
    """(seconds in the scheduler, seconds profiled) of a pyinstrument session file."""
    from pyinstrument.session import Session

    root = Session.load(session_file).root_frame(trim_stem=False)
    if root is None:
        return 0.0, 0.0
    return scheduler_seconds(root), root.time


def _backfill(env: dict[str, str], start: date, stop: date,
              profile: Path | None = None) -> tuple[float, str]:
    profiler = ([] if profile is None else
                ["-m", "pyinstrument", "--renderer", "pyisession", "--outfile", str(profile)])
    command = [sys.executable, *profiler, "-m", "luigi", "--module", "pipeline.tasks",
               "Backfill", "--start", start.isoformat(), "--stop", stop.isoformat(),
               "--local-scheduler", "--no-lock"]
    began = time.perf_counter()
    done = subprocess.run(command, cwd=PROJECT_ROOT, env=env, capture_output=True, text=True)
    seconds = time.perf_counter() - began
    if done.returncode != 0:
        raise SystemExit(f"the backfill failed (exit {done.returncode}):\n{done.stderr[-4000:]}")
    return seconds, done.stderr


def measure_backfill(start: date, stop: date, seed: int = 42, n_activities: int = 1200,
                     profile: bool = False) -> dict[str, object]:
    """Run the backfill twice against a fresh sandbox and DATA_DIR; return the measurements
    (with ``profile``, the first run's seconds inside Luigi's scheduler as well)."""
    from pipeline.sandbox import SandboxServer, SyntheticAthlete

    athlete = SyntheticAthlete(seed=seed, n_activities=n_activities)
    weeks = week_run_dates(start, stop)
    with tempfile.TemporaryDirectory() as folder, SandboxServer(athlete) as sandbox:
        env = {**os.environ, **sandbox.env(), "DATA_DIR": folder,
               "LUIGI_CONFIG_PATH": str(PROJECT_ROOT / "luigi.cfg")}
        session = Path(folder) / "backfill.pyisession" if profile else None
        seconds, log = _backfill(env, start, stop, session)
        in_scheduler, profiled = scheduler_share(session) if session else (None, None)
        if session:
            session.unlink()
        list_requests = sandbox.count(LIST_PATH)
        in_range = [a for a in athlete.activities
                    if a["start_date_local"][:10] <= weeks[-1].isoformat()] if weeks else []
        disk = disk_bytes(Path(folder))
        usage = resource.getrusage(resource.RUSAGE_CHILDREN)
        peak, cpu = usage.ru_maxrss / 1024, usage.ru_utime + usage.ru_stime
        sandbox.reset_log()
        env["STRAVA_REFRESH_TOKEN"] = sandbox.current_refresh_token
        rerun_seconds, _ = _backfill(env, start, stop)
        return {
            "weeks": len(weeks),
            "activities": len(in_range),
            "seconds": round(seconds, 1),
            "cpu_seconds": round(cpu, 1),
            "list_requests": list_requests,
            "request_bound": math.ceil(len(in_range) / 200) + 1,
            "rate_limit_waits": log.count(RATE_LIMIT_LOG),
            "disk_mib": round(disk / 2**20, 1),
            "peak_rss_mib": round(peak, 1),
            "rerun_seconds": round(rerun_seconds, 1),
            "rerun_list_requests": sandbox.count(LIST_PATH),
            "scheduler_seconds": None if in_scheduler is None else round(in_scheduler, 1),
            "scheduler_share": None if not profiled else round(in_scheduler / profiled, 3),
        }


def main(argv: list[str] | None = None) -> int:
    """Measure one backfill and print a Markdown table row (or JSON)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--start", type=date.fromisoformat, default=date(2023, 12, 1))
    parser.add_argument("--stop", type=date.fromisoformat, default=date(2026, 11, 29))
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--activities", type=int, default=1200)
    parser.add_argument("--json", action="store_true", help="print the measurements as JSON")
    parser.add_argument("--profile", action="store_true",
                        help="profile the first backfill; report the Luigi scheduler's share")
    args = parser.parse_args(argv)
    row = measure_backfill(args.start, args.stop, args.seed, args.activities, args.profile)
    if args.json:
        print(json.dumps(row))
        return 0
    print("| weeks | activities | backfill wall (s) | CPU (s) | list requests (bound) "
          "| rate-limit waits | on disk (MiB) | peak RSS (MiB) | rerun (s) |")
    print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    print(f"| {row['weeks']} | {row['activities']} | {row['seconds']} | {row['cpu_seconds']} | "
          f"{row['list_requests']} ({row['request_bound']}) | {row['rate_limit_waits']} | "
          f"{row['disk_mib']} | {row['peak_rss_mib']} | {row['rerun_seconds']} |")
    if row["scheduler_share"] is not None:
        print(f"\nLuigi's scheduler: {row['scheduler_seconds']} s of the first backfill "
              f"({row['scheduler_share']:.1%} of its profiled main thread)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
