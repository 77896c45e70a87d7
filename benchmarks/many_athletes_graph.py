"""The real per-athlete graph for many athletes on one application (issue 26): the run of
``python -m benchmarks.many_athletes`` (its default; ``--extraction-only`` for the extraction
stage alone).

One sandbox serves every athlete under one application budget with Strava's default limits
(100 reads per 15 minutes, 1,000 per day), every athlete authorized, on the **scaled simulated
clock** the pipeline's processes share (STRAVA_SIMULATED_CLOCK, ``SPEED`` times real time: a
quarter hour in 15 s). Then Luigi's own command line, as an operator runs it:
``luigi --module pipeline.tasks Backfill --start .. --stop .. --workers W --local-scheduler``
(every athlete's ExtractRange, its weeks' chains, the newest week's models and dashboards), then
``WeeklyPipeline --run-date ..`` of the next week for every athlete. W is Luigi's
``--workers``: W worker processes forked by one Luigi worker, taking turns on the embedded DuckDB
warehouse; a fresh DATA_DIR with the embedded defaults (SQLite state store, local lake).

The simulated wall counts processing time too (SPEED simulated seconds per real second), so
it is above the ideal (requests / 100 per 15 minutes) by the graph's real time x SPEED.
"""

from __future__ import annotations

import math
import os
import resource
import subprocess
import sys
import tempfile
import time
from collections import Counter
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any

ATHLETE_END = datetime(2026, 11, 22, 12, tzinfo=timezone.utc)
BACKFILL_START = date(2026, 11, 15)  # two weeks: the first one's read lists the whole history
BACKFILL_STOP = date(2026, 11, 22)
WEEKLY_RUN_DATE = date(2026, 11, 29)
SPEED = 60.0
QUARTER = 900
LIST_PATH = "/athlete/activities"


def minimum_requests(count: int) -> int:
    """ceil(n/200)+1: the list requests of one paged read of ``count`` activities."""
    return math.ceil(count / 200) + 1


def _epoch(stamp: str) -> int:
    return int(datetime.strptime(stamp, "%Y-%m-%dT%H:%M:%SZ")
               .replace(tzinfo=timezone.utc).timestamp())


def luigi_command(task: str, workers: int, *params: str) -> list[str]:
    """``python -m luigi --module pipeline.tasks TASK ... --workers W --local-scheduler``."""
    return [sys.executable, "-m", "luigi", "--module", "pipeline.tasks", task, *params,
            "--workers", str(workers), "--local-scheduler", "--no-lock"]


def run_graph(athletes: int, activities: int, workers: int, seed: int = 4200
              ) -> dict[str, Any]:
    """Backfill of every athlete, then a weekly run, with ``workers`` Luigi workers."""
    from pipeline import run_dates
    from pipeline.sandbox import SandboxServer, SyntheticAthlete
    from pipeline.sandbox.app import token_fingerprint
    from pipeline.sandbox.athlete import athlete_seeds
    from pipeline.sandbox_cli import authorize_all
    from pipeline.strava.clock import scaled_clock, simulated_clock_setting

    real = time.time()
    simulated = (real // QUARTER) * QUARTER + 5
    setting = simulated_clock_setting(real, simulated, SPEED)
    clock = scaled_clock(real, simulated, SPEED).now
    seeds = athlete_seeds(seed, athletes)
    histories = [SyntheticAthlete(one, activities, ATHLETE_END) for one in seeds]
    before = int(run_dates.extract_before(BACKFILL_STOP).replace(tzinfo=timezone.utc)
                 .timestamp())
    backfill_minimum = sum(minimum_requests(sum(1 for a in h.activities
                                                if _epoch(a["start_date"]) < before))
                           for h in histories)
    result: dict[str, Any] = {"athletes": athletes, "activities": activities,
                              "workers": workers, "speed": SPEED}
    with tempfile.TemporaryDirectory(prefix="strava-bench-graph-") as folder, \
            SandboxServer(histories[0], more_athletes=histories[1:], clock=clock,
                          rotate_refresh_tokens=False) as server:
        os.environ.update({**server.env(), "DATA_DIR": str(Path(folder) / "data"),
                           "STRAVA_MAX_RATE_LIMIT_WAIT": "90000", "SLACK_WEBHOOK_URL": "",
                           "STRAVA_SIMULATED_CLOCK": setting})
        for name in ("LAKE_URL", "STATE_URL", "WAREHOUSE_URL", "STRAVA_REFRESH_TOKEN"):
            os.environ.pop(name, None)
        authorize_all(server, seeds)
        phases = {
            "backfill": luigi_command("Backfill", workers, "--start", BACKFILL_START.isoformat(),
                                      "--stop", BACKFILL_STOP.isoformat()),
            "weekly": luigi_command("WeeklyPipeline", workers, "--run-date",
                                    WEEKLY_RUN_DATE.isoformat()),
        }
        for phase, command in phases.items():
            began, simulated_began = time.perf_counter(), clock()
            done = subprocess.run(command, capture_output=True, text=True, check=False)
            if done.returncode != 0:
                raise RuntimeError(f"{phase} exited {done.returncode}: {done.stderr[-3000:]}")
            result[f"{phase}_real_seconds"] = time.perf_counter() - began
            result[f"{phase}_simulated_min"] = (clock() - simulated_began) / 60
            log = [r for r in server.requests_log if r.path.startswith("/api/v3/")]
            result[f"{phase}_requests"] = len(log) - sum(
                result.get(f"{other}_requests", 0) for other in phases if other != phase)
        log = [r for r in server.requests_log if r.path.startswith("/api/v3/")]
        reads: dict[tuple[str, str, str], list[int]] = {}
        for r in log:
            if r.path.endswith(LIST_PATH):
                key = (r.token_id, r.query.get("after", ""), r.query["before"])
                reads.setdefault(key, []).append(int(r.query["page"]))
        # Whose read each is: the sandbox's access tokens name their athlete (by position).
        owners = {token_fingerprint(f"Bearer {token}"): grant.athlete
                  for token, grant in server.tokens._access.items()}
        result["weekly_minimum"] = sum(
            minimum_requests(sum(1 for a in histories[owners[token]].activities
                                 if int(after or 0) < _epoch(a["start_date"]) < int(until)))
            for token, after, until in reads if int(until) > before)
        result.update({
            "backfill_minimum": backfill_minimum,
            "list_requests": sum(map(len, reads.values())),
            "pages_twice": sum(len(p) - len(set(p)) for p in reads.values()),
            "too_many": sum(1 for r in log if r.status == 429),
            "max_per_window": max(Counter(int(r.time // QUARTER) for r in log).values()),
            "peak_rss_mib_luigi": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024,
            "peak_rss_mib_sandbox": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        })
    return result


def check_graph(result: dict[str, Any]) -> None:
    """The benchmark's promises; SystemExit naming the broken one."""
    for phase in ("backfill", "weekly"):
        if result[f"{phase}_requests"] != result[f"{phase}_minimum"]:
            raise SystemExit(f"{phase}: {result[f'{phase}_requests']} requests, not the "
                             f"per-athlete minimum {result[f'{phase}_minimum']}")
    if result["too_many"] or result["max_per_window"] > 100 or result["pages_twice"]:
        raise SystemExit(f"{result['too_many']} answers 429, {result['max_per_window']} "
                         f"requests in one window, {result['pages_twice']} pages asked twice")


def graph_table(results: list[dict[str, Any]]) -> str:
    """The Markdown table for README and docs/many-machines.md."""
    lines = ["| athletes x activities, Luigi workers | phase | requests (= minimum) "
             "| simulated wall (ideal) | real wall | peak RSS (Luigi, sandbox) |",
             "|---|---|---|---|---|---|"]
    for r in results:
        for phase in ("backfill", "weekly"):
            requests = r[f"{phase}_requests"]
            lines.append(
                f"| {r['athletes']} x {r['activities']}, {r['workers']} | {phase} | {requests} "
                f"(= {r[f'{phase}_minimum']}) | {r[f'{phase}_simulated_min']:.0f} min "
                f"({requests / 100 * 15:.0f} min) | {r[f'{phase}_real_seconds']:.0f} s | "
                + (f"{r['peak_rss_mib_luigi']:.0f}, {r['peak_rss_mib_sandbox']:.0f} MiB |"
                   if phase == "backfill" else "|"))
    return "\n".join(lines)
