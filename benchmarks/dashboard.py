"""Dashboard benchmark: build time, page size, peak memory and time to draw in Chromium.

    python -m benchmarks.dashboard [--sizes 1000 5000 20000] [--no-browser]

For each size, a sandbox athlete of that many activities is loaded straight into a fresh DuckDB
warehouse (no Strava, no Luigi), then the run date's pages are built in a child process (its
wall time and peak RSS are what a weekly run's BuildDashboard costs) and the dashboard is opened
in headless Chromium until every chart has drawn (``window.dashboardDrawnMs``, from navigation
start). Targets at 20,000 activities: build under 2 s, draw under 3 s.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from datetime import date, datetime, timezone
from datetime import time as clock_time
from pathlib import Path

DEFAULT_SIZES = (1_000, 5_000, 20_000)
RUN_DATE = date(2026, 11, 29)
BUILD_TARGET_S = 2.0
DRAW_TARGET_S = 3.0


@dataclass
class Result:
    """One size's measurements."""

    activities: int
    routes: int
    build_s: float
    build_cpu_s: float
    build_peak_mb: float
    html_bytes: int
    library_ready_s: float | None
    draw_s: float | None


def make_warehouse(folder: Path, activities: int, run_date: date = RUN_DATE) -> str:
    """A DuckDB warehouse whose production table holds a sandbox athlete; its URL."""
    import duckdb

    from pipeline.backends import open_warehouse
    from pipeline.backends.duckdb_warehouse import release_all
    from pipeline.sandbox import SyntheticAthlete
    from pipeline.strava.activities import activities_frame

    end = datetime.combine(run_date, clock_time(10), tzinfo=timezone.utc)
    athlete = SyntheticAthlete(seed=7, n_activities=activities, end=end)
    frame = activities_frame(athlete.activities, end.replace(tzinfo=None))
    url = f"duckdb:///{folder / 'warehouse.duckdb'}"
    open_warehouse(url).ensure_schema()
    release_all()  # the adapter lets go of the file before it is written directly
    with duckdb.connect(str(folder / "warehouse.duckdb")) as db:
        db.register("frame", frame)
        columns = ", ".join(frame.columns)
        db.execute(f"INSERT INTO strava_activity_data ({columns}) SELECT {columns} FROM frame")
    build_models(url, run_date)
    with duckdb.connect(str(folder / "warehouse.duckdb")) as db:
        db.execute("CHECKPOINT")  # no write-ahead log left for the build to replay
    return url


def build_models(url: str, run_date: date) -> None:
    """Every model of the run date, in build order, as the pipeline's model tasks build them
    before the dashboard (which reads the marts); model tests are not the dashboard's cost."""
    from pipeline.backends import open_warehouse
    from pipeline.backends.duckdb_warehouse import release_all
    from pipeline.model_registry import load_models
    from pipeline.tasks.models import build_untested

    warehouse = open_warehouse(url)
    for model in load_models().values():
        build_untested(warehouse, model, run_date,
                       f"DashboardBenchmark({run_date.isoformat()},{model.name})")
    release_all()


def peak_rss_mb() -> float:
    """This process's peak resident memory in MiB (see pipeline_run.peak_rss_mib)."""
    from benchmarks.pipeline_run import peak_rss_mib

    return peak_rss_mib()


def build_once(url: str, run_date: date, reports: Path) -> dict[str, float]:
    """Build the run date's pages into ``reports`` (what BuildDashboard does, lake aside)."""
    from pipeline.backends import open_warehouse
    from pipeline.dashboard.build import load, render_pages, write_assets, write_atomic
    from pipeline.dashboard.options import DashboardOptions

    started = time.perf_counter()
    cpu_started = time.process_time()
    data, routes = load(open_warehouse(url), run_date, DashboardOptions(), sandbox=True)
    pages = render_pages(data, routes)
    write_assets(reports)
    folder = reports / run_date.isoformat()
    write_atomic(folder / "validation.html", pages.validation.encode("utf-8"))
    write_atomic(folder / "dashboard.html", pages.dashboard.encode("utf-8"))
    seconds = time.perf_counter() - started
    cpu_seconds = time.process_time() - cpu_started
    peak_mb = peak_rss_mb()
    return {"build_s": seconds, "build_cpu_s": cpu_seconds, "build_peak_mb": peak_mb,
            "routes": len(routes)}


def _build_in_child(url: str, run_date: date, reports: Path) -> dict[str, float]:
    code = ("import json, sys; from datetime import date; from pathlib import Path; "
            "from benchmarks.dashboard import build_once; "
            "print(json.dumps(build_once(sys.argv[1], date.fromisoformat(sys.argv[2]), "
            "Path(sys.argv[3]))))")
    done = subprocess.run([sys.executable, "-c", code, url, run_date.isoformat(), str(reports)],
                          capture_output=True, text=True, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def draw_seconds(browser: object, html_file: Path) -> tuple[float, float]:
    """Seconds from navigation start until plotly.js is ready and until every chart has drawn."""
    page = browser.new_page(viewport={"width": 1280, "height": 900})  # type: ignore[attr-defined]
    try:
        page.goto(html_file.resolve().as_uri(), wait_until="load")
        page.wait_for_function("() => document.body.dataset.drawn", timeout=60_000)
        ready, drawn = page.evaluate("[window.dashboardScriptMs, window.dashboardDrawnMs]")
        return float(ready) / 1000.0, float(drawn) / 1000.0
    finally:
        page.close()


def run(sizes: tuple[int, ...], browser_draw: bool = True) -> list[Result]:
    """Measure every size."""
    from contextlib import nullcontext

    from benchmarks.browser import headless_chromium

    results = []
    with (headless_chromium() if browser_draw else nullcontext()) as browser:
        for size in sizes:
            with tempfile.TemporaryDirectory(prefix="dashboard-benchmark-") as folder:
                url = make_warehouse(Path(folder), size)
                reports = Path(folder) / "reports"
                _build_in_child(url, RUN_DATE, reports)  # warm the OS file cache
                built = _build_in_child(url, RUN_DATE, reports)
                html_file = reports / RUN_DATE.isoformat() / "dashboard.html"
                ready, draw = (draw_seconds(browser, html_file) if browser is not None
                               else (None, None))
                results.append(Result(
                    size, int(built["routes"]), round(built["build_s"], 2),
                    round(built["build_cpu_s"], 2), round(built["build_peak_mb"]),
                    html_file.stat().st_size, None if ready is None else round(ready, 2),
                    None if draw is None else round(draw, 2)))
    return results


def markdown(results: list[Result]) -> str:
    """The table in docs/models.md (Dashboard benchmark)."""
    lines = ["| activities | routes | build wall (s) | build CPU (s) | build peak RSS (MB) | "
             "dashboard.html | plotly.js ready (s) | every chart drawn (s) |",
             "|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for r in results:
        ready = "–" if r.library_ready_s is None else f"{r.library_ready_s:.2f}"
        draw = "–" if r.draw_s is None else f"{r.draw_s:.2f}"
        lines.append(f"| {r.activities:,} | {r.routes:,} | {r.build_s:.2f} | "
                     f"{r.build_cpu_s:.2f} | {r.build_peak_mb:,.0f} | "
                     f"{r.html_bytes / 1e6:.2f} MB | {ready} | {draw} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Command line: print the table (and JSON with --json)."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=list(DEFAULT_SIZES))
    parser.add_argument("--no-browser", action="store_true", help="skip the Chromium draw")
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    args = parser.parse_args(argv)
    results = run(tuple(args.sizes), browser_draw=not args.no_browser)
    if args.json:
        print(json.dumps([asdict(r) for r in results], indent=2))
    else:
        print(markdown(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
