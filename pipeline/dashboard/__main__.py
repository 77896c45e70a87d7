"""Print where a run date's dashboard is: ``python -m pipeline.dashboard [--run-date D]``.

Exits 1 (with the reason on stderr) when that dashboard has not been built yet.
"""

from __future__ import annotations

import argparse
import sys
from datetime import date

from pipeline.settings import load_settings
from pipeline.tasks.base import default_run_date
from pipeline.tasks.dashboard import dashboard_path


def main(argv: list[str] | None = None) -> int:
    """Print the dashboard's path for the run date (default: the most recent completed day)."""
    parser = argparse.ArgumentParser(description="Print the path of a run date's dashboard.")
    parser.add_argument("--run-date", type=date.fromisoformat, default=None)
    args = parser.parse_args(argv)
    args.run_date = args.run_date or default_run_date()
    path = dashboard_path(load_settings().data_dir, args.run_date).resolve()
    if not path.exists():
        print(f"no dashboard for {args.run_date} yet ({path}); run the WeeklyPipeline for that "
              "date", file=sys.stderr)
        return 1
    print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
