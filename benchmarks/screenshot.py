"""Make the README's dashboard screenshot from the sandbox.

    python -m benchmarks.screenshot [--output docs/dashboard.png] [--run-date 2026-11-29]

Runs the whole WeeklyPipeline against the sandbox athlete in a temporary DATA_DIR, then opens
the dashboard in headless Chromium and saves a full-page PNG. Needs Chromium and Playwright.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from datetime import date, datetime, time, timezone
from pathlib import Path

import luigi
from luigi.execution_summary import LuigiStatusCode

from pipeline.settings import ENVIRONMENT_VARIABLES

DEFAULT_OUTPUT = Path(__file__).resolve().parents[2] / "docs" / "dashboard.png"
DEFAULT_RUN_DATE = date(2026, 11, 29)


def build_sandbox_dashboard(run_date: date, data_dir: Path) -> Path:
    """Run WeeklyPipeline for ``run_date`` on a fresh sandbox athlete; the dashboard's path."""
    from pipeline.sandbox import SandboxServer, SyntheticAthlete
    from pipeline.tasks import WeeklyPipeline
    from pipeline.tasks.dashboard import dashboard_path

    athlete_end = datetime.combine(run_date, time(10), tzinfo=timezone.utc)
    athlete = SyntheticAthlete(seed=7, n_activities=1200, end=athlete_end)
    for name in ENVIRONMENT_VARIABLES:
        os.environ.pop(name, None)
    with SandboxServer(athlete) as server:
        os.environ.update(server.env())
        os.environ["DATA_DIR"] = str(data_dir)
        result = luigi.build([WeeklyPipeline(run_date=run_date)], local_scheduler=True,
                             detailed_summary=True, log_level="WARNING")
    if result.status not in (LuigiStatusCode.SUCCESS, LuigiStatusCode.SUCCESS_WITH_RETRY):
        raise RuntimeError(f"the pipeline failed:\n{result.summary_text}")
    return dashboard_path(data_dir, run_date)


def main(argv: list[str] | None = None) -> int:
    """Command line: build the sandbox dashboard and screenshot it."""
    from benchmarks.browser import headless_chromium, screenshot_page

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT, help="PNG to write")
    parser.add_argument("--run-date", type=date.fromisoformat, default=DEFAULT_RUN_DATE)
    parser.add_argument("--width", type=int, default=1280, help="viewport width in pixels")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="dashboard-screenshot-") as folder:
        html_file = build_sandbox_dashboard(args.run_date, Path(folder) / "data")
        with headless_chromium() as browser:
            screenshot_page(browser, html_file, args.output, width=args.width)
    print(f"wrote {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
