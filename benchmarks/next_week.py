"""Measure one new week on a long history: ``WeeklyPipeline`` for D, then for D + 7 days.

    python -m benchmarks.next_week                     # 20,000 and 100,000 activities
    python -m benchmarks.next_week --activities 100000

The sandbox athlete's history ends on Friday 27 November 2026; the first run (D = 22 November)
loads everything up to D and leaves that week's activities to the next run date, so the second
run (29 November) is a real weekly run: one new week of activities on the whole history. Each
run is a child process of its own (benchmarks/pipeline_run.py), so its wall time and peak RSS
are its own. Also prints how the kudos model's run ended (trained, or why not). Issue 23's
targets: under 4 s and under 350 MB peak at 100,000 activities.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any

from benchmarks.sandbox_process import SandboxProcess
from benchmarks.suite import _child_env, _json_child, machine

FIRST, NEXT = date(2026, 11, 22), date(2026, 11, 29)
ATHLETE_END = datetime(2026, 11, 27, 12, tzinfo=timezone.utc)


def kudos_runs(data_dir: Path) -> list[tuple[Any, ...]]:
    """(run_date, model_version, reason) of every kudos model run, oldest first."""
    import duckdb

    with duckdb.connect(str(data_dir / "warehouse.duckdb"), read_only=True) as connection:
        return connection.execute("SELECT run_date, model_version, reason FROM kudos_model_runs"
                                  " ORDER BY trained_at").fetchall()


def measure(n_activities: int, seed: int = 11) -> dict[str, Any]:
    """The two runs' wall time, peak RSS and stage times for one history size."""
    with SandboxProcess(seed, n_activities, ATHLETE_END) as sandbox, \
            tempfile.TemporaryDirectory(prefix="strava-bench-week-") as folder:
        data_dir = Path(folder) / "data"
        env = _child_env(sandbox, data_dir)
        first = _json_child(["benchmarks.pipeline_run", FIRST.isoformat()], env)
        sandbox.reset()
        second = _json_child(["benchmarks.pipeline_run", NEXT.isoformat()], env)
        runs = kudos_runs(data_dir)
        return {"activities": sandbox.activities, "first_s": first["seconds"],
                "first_peak_mib": first["peak_rss_mib"], "seconds": second["seconds"],
                "peak_rss_mib": second["peak_rss_mib"], "stages": second["stages"],
                "stages_cpu": second.get("stages_cpu", {}),
                "peak_rss_after_mib": second["peak_rss_after_mib"],
                "model_seconds": second.get("model_seconds", {}),
                "list_requests": sandbox.count("/athlete/activities"),
                "new_rows": second["rows"] - first["rows"],
                "kudos": runs[-1][2] if runs else None}


def main(argv: list[str] | None = None) -> int:
    """Measure each size and print a Markdown table (and JSON with --json)."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.next_week",
                                     description=__doc__.splitlines()[0])
    parser.add_argument("--activities", type=int, nargs="+", default=[20_000, 100_000])
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--json", type=Path, metavar="PATH")
    args = parser.parse_args(argv)
    rows = []
    for size in args.activities:
        print(f"benchmark: one new week on {size:,} activities ...", file=sys.stderr, flush=True)
        rows.append(measure(size, args.seed))
    if args.json:
        args.json.write_text(json.dumps({"machine": machine(), "sizes": rows}, indent=2))
    print(f"machine: {machine()}; load average {os.getloadavg()[0]:.1f}\n")
    print("| activities | first run D (s) | one new week D+7 (s) | its peak RSS (MiB) | new rows |"
          " list requests | TrainKudosModel (s) | BuildDashboard (s) | kudos model |")
    print("|---:|---:|---:|---:|---:|---:|---:|---:|---|")
    for row in rows:
        stages = row["stages"]
        print(f"| {row['activities']:,} | {row['first_s']:.1f} | {row['seconds']:.2f} | "
              f"{row['peak_rss_mib']:.0f} | {row['new_rows']} | {row['list_requests']} | "
              f"{stages.get('TrainKudosModel', 0.0):.2f} | "
              f"{stages.get('BuildDashboard', 0.0):.2f} | {str(row['kudos'])[:90]} |")
    for row in rows:
        after = sorted(row["peak_rss_after_mib"].items(), key=lambda pair: pair[1])
        print(f"\n{row['activities']:,}: peak RSS (MiB) after each task, as it grew: "
              + ", ".join(f"{name} {mib:.0f}" for name, mib in after))
        cpu = row["stages_cpu"]
        print(f"\n{row['activities']:,}: CPU seconds of the process in each task (wall above "
              "is CPU plus waiting for a core): " + ", ".join(
                  f"{name} {seconds:.2f}" for name, seconds
                  in sorted(cpu.items(), key=lambda pair: -pair[1])))
        models = row["model_seconds"]
        print(f"\n{row['activities']:,}: BuildModel {row['stages'].get('BuildModel', 0.0):.2f} s"
              f" in all; per model (s), slowest first: "
              + ", ".join(f"{name} {seconds:.3f}" for name, seconds
                          in sorted(models.items(), key=lambda pair: -pair[1])))
    return 0


if __name__ == "__main__":
    sys.exit(main())
