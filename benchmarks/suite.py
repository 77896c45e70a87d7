"""Measure the pipeline at scale, side by side with what users would pick instead.

    python -m benchmarks                       # 1,000 5,000 20,000 100,000 activities
    python -m benchmarks --activities 1000 --no-dlt --no-postgres
    python -m benchmarks --load-rows 1000000   # the staging load alone at 1M rows

For each size the sandbox runs in a process of its own and WeeklyPipeline (embedded default, in a
temporary DATA_DIR) in another, so the wall time and peak RSS are the pipeline's alone. The run
fails unless the production table holds exactly the sandbox's activities (count and id sum).
Baselines in the same run: (a) the original system's one-activity-per-request extraction with a
fixed 15-minute sleep every 75 requests (sleeps counted, not slept), (b) dlt's REST API source
merging the same activities into DuckDB (needs the ``[bench]`` extra), (c) a row-by-row
``executemany`` INSERT against the staging COPY + merge, on DuckDB and PostgreSQL. Prints
Markdown tables for docs/performance.md; ``--json`` keeps every number.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any

from benchmarks.sandbox_process import SandboxProcess

PROJECT_ROOT = Path(__file__).resolve().parent.parent
RUN_DATE = date(2026, 11, 29)
ATHLETE_END = datetime(2026, 11, 22, 12, tzinfo=timezone.utc)
WINDOW_END = int(datetime(2026, 11, 30, tzinfo=timezone.utc).timestamp())
SIZES = [1_000, 5_000, 20_000, 100_000]
# Settings that would point the measured run elsewhere than its temporary DATA_DIR.
_PIPELINE_VARIABLES = ("LAKE_URL", "STATE_URL", "WAREHOUSE_URL", "S3_ENDPOINT_URL",
                       "SLACK_WEBHOOK_URL", "STRAVA_LOOKBACK_DAYS")
# Stages of extract + load, the part dlt also does.
EXTRACT_LOAD = ("ExtractActivities", "UploadToLake", "CopyToStaging", "LoadProduction")


class BenchmarkFailure(RuntimeError):
    """The benchmark measured something other than what it claims (e.g. rows went missing)."""


def check_loaded(what: str, expected: int, expected_id_sum: int, rows: int, id_sum: int) -> None:
    """Fail unless ``rows`` (and their id sum) are exactly the sandbox's activities."""
    if rows != expected or id_sum != expected_id_sum:
        raise BenchmarkFailure(
            f"{what} loaded {rows} rows but the sandbox serves {expected} activities"
            + ("" if rows != expected else " (same count, different ids)")
            + ": the measurement is not of the whole history; fix the loss before timing it"
        )


def warehouse_rows(data_dir: Path) -> tuple[int, int]:
    """(rows, id sum) of the production table in a DATA_DIR's embedded warehouse."""
    import duckdb

    with duckdb.connect(str(data_dir / "warehouse.duckdb"), read_only=True) as connection:
        count, id_sum = connection.execute(
            "SELECT COUNT(*), SUM(id) FROM strava_activity_data"
        ).fetchone()
    return int(count), int(id_sum or 0)


def _child_env(sandbox: SandboxProcess, data_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in _PIPELINE_VARIABLES}
    env.update(sandbox.env)
    env["DATA_DIR"] = str(data_dir)
    env["LUIGI_CONFIG_PATH"] = str(PROJECT_ROOT / "luigi.cfg")
    return env


def _json_child(args: list[str], env: dict[str, str]) -> dict[str, Any]:
    done = subprocess.run([sys.executable, "-m", *args], env=env, cwd=PROJECT_ROOT,
                          capture_output=True, text=True)
    if done.returncode != 0:
        tail = (done.stderr or done.stdout).strip().splitlines()[-15:]
        raise BenchmarkFailure(f"{args[0]} failed (exit {done.returncode}):\n" + "\n".join(tail))
    return json.loads(done.stdout.strip().splitlines()[-1])


def rerun_through_cli(env: dict[str, str]) -> float:
    """Wall seconds of ``luigi --module pipeline.tasks WeeklyPipeline`` on a finished date."""
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "luigi", "--module", "pipeline.tasks", "WeeklyPipeline",
         "--run-date", RUN_DATE.isoformat(), "--local-scheduler", "--log-level", "ERROR"],
        env=env, cwd=PROJECT_ROOT, capture_output=True, text=True,
    )
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        raise BenchmarkFailure("the rerun through luigi --module failed:\n" + done.stderr[-2000:])
    return seconds


def import_seconds(env: dict[str, str]) -> float:
    """Wall seconds of a Python process that only imports pipeline.tasks (a rerun's floor)."""
    started = time.perf_counter()
    subprocess.run([sys.executable, "-c", "import pipeline.tasks"], env=env, cwd=PROJECT_ROOT,
                   check=True)
    return time.perf_counter() - started


def measure_size(n_activities: int, seed: int = 11, *, rerun: bool = True,
                 profile: Path | None = None, dlt: bool = False, original: bool = False,
                 original_max_requests: int = 5_000,
                 after_run: Callable[[Path], None] | None = None) -> dict[str, Any]:
    """Everything the benchmark reports for one size; raises BenchmarkFailure on a bad count."""
    with SandboxProcess(seed, n_activities, ATHLETE_END) as sandbox, \
            tempfile.TemporaryDirectory(prefix="strava-bench-") as folder:
        data_dir = Path(folder) / "data"
        env = _child_env(sandbox, data_dir)
        expected, expected_sum = sandbox.activities, int(sandbox.info["id_sum"])
        sandbox.reset()
        child = ["benchmarks.pipeline_run", RUN_DATE.isoformat()]
        if profile is not None:
            child += ["--profile", str(profile)]
        run = _json_child(child, env)
        row = {
            "activities": expected,
            "first_start": sandbox.info["first_start"],
            "sandbox_generate_s": sandbox.info["generate_seconds"],
            "sandbox_index_s": sandbox.info["index_seconds"],
            "seconds": run["seconds"],
            "peak_rss_mib": run["peak_rss_mib"],
            "peak_rss_through_load_mib": run["peak_rss_after_mib"].get("LoadProduction", 0.0),
            "stages": run["stages"],
            "list_requests": sandbox.count("/athlete/activities"),
            "request_bound": math.ceil(expected / 200) + 1,
            "sandbox_listing_s": sandbox.listing_seconds(),
            "rerun_in_process_s": run["rerun_in_process_seconds"],
        }
        if after_run is not None:
            after_run(data_dir)
        from benchmarks.extraction import reference  # the extraction's limit, same pages
        from pipeline import run_dates

        sandbox.reset()
        row["extract_reference"] = reference(
            sandbox.info["api_url"], sandbox.access_token(),
            int(run_dates.extract_before(RUN_DATE).replace(tzinfo=timezone.utc).timestamp()))
        check_loaded(f"WeeklyPipeline at {n_activities}", expected, expected_sum,
                     *warehouse_rows(data_dir))
        if rerun:
            sandbox.reset()
            row["rerun_cli_s"] = rerun_through_cli(env)
            row["rerun_requests"] = sandbox.count("/athlete/activities")
            row["import_s"] = import_seconds(env)
        if dlt:
            env["STRAVA_BENCH_TOKEN"] = sandbox.access_token()
            sandbox.reset()
            result = _json_child(["benchmarks.dlt_run", sandbox.info["api_url"],
                                  folder, str(WINDOW_END)], env)
            check_loaded(f"dlt at {n_activities}", expected, expected_sum,
                         result["rows"], result["id_sum"])
            result["list_requests"] = sandbox.count("/athlete/activities")
            row["dlt"] = result
        if original:
            from benchmarks.original import run_original

            row["original"] = run_original(sandbox.info["api_url"], sandbox.access_token(),
                                           expected, original_max_requests)
    return row


def measure_loads(n_rows: int, sample: int, postgres: bool) -> dict[str, Any]:
    """Baseline (c) for ``n_rows`` rows on DuckDB and, when asked, PostgreSQL."""
    from benchmarks import loads
    from pipeline.backends.duckdb_warehouse import DuckDBWarehouse

    results: dict[str, Any] = {"rows": n_rows}
    with tempfile.TemporaryDirectory(prefix="strava-bench-load-") as folder:
        work = Path(folder)
        extract = loads.write_rows(work / "activities.csv", n_rows)
        counter = iter(range(100))

        def duckdb_warehouse() -> DuckDBWarehouse:
            path = work / f"warehouse{next(counter)}.duckdb"
            return DuckDBWarehouse(f"duckdb://{path}", path)

        results["duckdb"] = loads.compare(duckdb_warehouse, work, extract, sample)
        if postgres:
            from pipeline.backends.postgres_warehouse import PostgresWarehouse

            with loads.postgres_database() as first, loads.postgres_database() as second, \
                    loads.postgres_database() as third:
                urls = iter([first, second, third])
                results["postgres"] = loads.compare(
                    lambda: PostgresWarehouse(next(urls)), work, extract, sample
                )
    return results


def machine() -> str:
    """One line about the machine the numbers come from."""
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
        memory = int(Path("/proc/meminfo").read_text().split()[1]) / 1024 / 1024
    except OSError:
        memory = 0.0
    return (f"{os.cpu_count()} cores ({cpu}), {memory:.0f} GiB, Python "
            f"{platform.python_version()}, {platform.system()} {platform.release()}")


def _stage(row: dict[str, Any], *names: str) -> float:
    return sum(seconds for name, seconds in row["stages"].items()
               if any(name.startswith(prefix) for prefix in names))


def print_tables(sizes: list[dict[str, Any]], load_results: list[dict[str, Any]]) -> None:
    """Markdown tables for docs/performance.md."""
    print(f"Machine: {machine()}\n")
    print("| activities | history from | wall (s) | peak RSS (MiB) | peak RSS through the load "
          "(MiB) | list requests (bound) "
          "| extract | lake | staging + checks | production | models | dashboard "
          "| rerun in-process (s) | rerun `luigi --module` (s) | of which imports (s) |")
    print("|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for row in sizes:
        print(f"| {row['activities']:,} | {row['first_start'][:10]} | {row['seconds']:.1f} "
              f"| {row['peak_rss_mib']:.0f} | {row['peak_rss_through_load_mib']:.0f} "
              f"| {row['list_requests']} ({row['request_bound']}) "
              f"| {_stage(row, 'ExtractActivities'):.1f} | {_stage(row, 'UploadToLake'):.1f} "
              f"| {_stage(row, 'CopyToStaging', 'Validate'):.1f} "
              f"| {_stage(row, 'LoadProduction', 'RecordWatermark'):.1f} "
              f"| {_stage(row, 'Build') - _stage(row, 'BuildDashboard'):.1f} "
              f"| {_stage(row, 'BuildDashboard'):.1f} | {row['rerun_in_process_s']:.2f} "
              f"| {row.get('rerun_cli_s', float('nan')):.2f} "
              f"| {row.get('import_s', float('nan')):.2f} |")
    print("\nSandbox (its own process): " + "; ".join(
        f"{row['activities']:,}: generated in {row['sandbox_generate_s']:.1f} s, indexed in "
        f"{row['sandbox_index_s']:.1f} s, {row['sandbox_listing_s']:.3f} s serving the lists"
        for row in sizes))
    print("\n| activities | ExtractActivities (s) | activities/s | HTTP + decode of the same "
          "pages alone (s) | activities/s | fraction of it |")
    print("|---:|---:|---:|---:|---:|---:|")
    for row in sizes:
        extract = max(_stage(row, "ExtractActivities"), 1e-9)
        limit = row["extract_reference"]
        print(f"| {row['activities']:,} | {extract:.2f} | {row['activities'] / extract:,.0f} "
              f"| {limit['seconds']:.2f} | {limit['activities_per_s']:,.0f} "
              f"| {limit['seconds'] / extract:.2f} |")
    originals = [row for row in sizes if "original" in row]
    if originals:
        print("\n| activities | original: requests | original: fixed sleeps (h) | pipeline: "
              "requests | requests ratio | time ratio (original / pipeline extract) |")
        print("|---:|---:|---:|---:|---:|---:|")
        for row in originals:
            orig = row["original"]
            extract = max(_stage(row, "ExtractActivities"), 1e-9)
            print(f"| {row['activities']:,} | {orig['requests']:,}"
                  f"{' (counted)' if orig['counted_beyond_real'] else ''} "
                  f"| {orig['sleeps'] * 0.25:.1f} | {row['list_requests']} "
                  f"| {orig['requests'] / row['list_requests']:.0f}x "
                  f"| {orig['simulated_seconds'] / extract:,.0f}x |")
    dlts = [row for row in sizes if "dlt" in row]
    if dlts:
        print("\n| activities | pipeline extract + load (s) | dlt extract + normalize + load "
              "(s) | ratio (dlt / pipeline) | dlt peak RSS (MiB) | dlt list requests |")
        print("|---:|---:|---:|---:|---:|---:|")
        for row in dlts:
            ours = _stage(row, *EXTRACT_LOAD)
            print(f"| {row['activities']:,} | {ours:.1f} | {row['dlt']['seconds']:.1f} "
                  f"| {row['dlt']['seconds'] / ours:.1f}x | {row['dlt']['peak_rss_mib']:.0f} "
                  f"| {row['dlt']['list_requests']} |")
    if load_results:
        print("\n| rows | warehouse | staging COPY + merge (rows/s) | row-by-row executemany "
              "(rows/s, sample) | ratio | the engine's own ingest of the file (rows/s) | "
              "fraction of it | COPY straight into production, no staging: fraction |")
        print("|---:|---|---:|---:|---:|---:|---:|---:|")
        for result in load_results:
            for name in ("duckdb", "postgres"):
                if name in result:
                    r = result[name]
                    print(f"| {result['rows']:,} | {name} | {r['staging_rows_per_s']:,.0f} "
                          f"| {r['row_by_row_rows_per_s']:,.0f} ({r['row_by_row_rows']:,}) "
                          f"| {r['ratio']:.0f}x | {r['engine_rows_per_s']:,.0f} "
                          f"| {r['engine_fraction']:.2f} "
                          f"| {r['without_staging_fraction']:.2f} |")


def main(argv: list[str] | None = None) -> int:
    """Run the sizes and baselines, print the tables; exit 1 when a check fails."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks",
                                     description=__doc__.splitlines()[0])
    parser.add_argument("--activities", type=int, nargs="+", default=SIZES, metavar="N")
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--load-rows", type=int, nargs="*", default=[20_000], metavar="N",
                        help="rows for the staging-load comparison (e.g. 20000 1000000)")
    parser.add_argument("--row-by-row-sample", type=int, default=5_000, metavar="N",
                        help="rows inserted one by one for the baseline's rate")
    parser.add_argument("--dlt-size", type=int, default=20_000, metavar="N",
                        help="the size at which dlt runs beside the pipeline")
    parser.add_argument("--original-max-requests", type=int, default=5_000, metavar="N",
                        help="real requests for the original's strategy; the rest are counted")
    parser.add_argument("--no-dlt", action="store_true")
    parser.add_argument("--no-original", action="store_true")
    parser.add_argument("--no-postgres", action="store_true")
    parser.add_argument("--profile", type=Path, metavar="DIR",
                        help="write a pyinstrument profile of each size's run into DIR")
    parser.add_argument("--json", type=Path, metavar="PATH", help="also write every number here")
    args = parser.parse_args(argv)
    if not args.no_dlt and args.dlt_size in args.activities:
        try:
            import dlt  # noqa: F401
        except ImportError:
            parser.error("dlt is not installed: pip install -e '.[bench]', or pass --no-dlt")
    if args.profile:
        args.profile.mkdir(parents=True, exist_ok=True)
    sizes, load_results = [], []
    try:
        for size in args.activities:
            profile = args.profile / f"pipeline-{size}.txt" if args.profile else None
            print(f"benchmark: {size:,} activities ...", file=sys.stderr, flush=True)
            sizes.append(measure_size(
                size, args.seed, profile=profile,
                dlt=not args.no_dlt and size == args.dlt_size,
                original=not args.no_original,
                original_max_requests=args.original_max_requests,
            ))
        for rows in args.load_rows:
            print(f"benchmark: staging load of {rows:,} rows ...", file=sys.stderr, flush=True)
            load_results.append(measure_loads(rows, args.row_by_row_sample, not args.no_postgres))
    except BenchmarkFailure as failure:
        print(f"benchmark FAILED: {failure}", file=sys.stderr)
        return 1
    if args.json:
        args.json.write_text(json.dumps({"machine": machine(), "sizes": sizes,
                                         "loads": load_results}, indent=2))
    print_tables(sizes, load_results)
    return 0

