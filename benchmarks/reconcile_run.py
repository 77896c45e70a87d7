"""One measured stage for the reconciliation benchmark, in a process of its own.

``python -m benchmarks.reconcile_run load|reconcile RUN_DATE`` with the sandbox's STRAVA_*
variables and DATA_DIR in the environment; prints one JSON line: wall seconds, peak RSS, rows.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from datetime import date

from benchmarks.pipeline_run import loaded_rows, peak_rss_mib


def main(argv: list[str] | None = None) -> int:
    """Build LoadProduction (the setup) or Reconcile (the measurement) for the run date."""
    import luigi
    from luigi.execution_summary import LuigiStatusCode

    from pipeline.tasks import LoadProduction, Reconcile

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("mode", choices=("load", "reconcile"))
    parser.add_argument("run_date", type=date.fromisoformat)
    args = parser.parse_args(argv)
    task = (LoadProduction if args.mode == "load" else Reconcile)(run_date=args.run_date)
    started = time.perf_counter()
    result = luigi.build([task], local_scheduler=True, detailed_summary=True,
                         log_level="ERROR", workers=1)
    seconds = time.perf_counter() - started
    if result.status not in (LuigiStatusCode.SUCCESS, LuigiStatusCode.SUCCESS_WITH_RETRY):
        raise SystemExit(f"the benchmark's {args.mode} failed:\n{result.summary_text}")
    rows, id_sum = loaded_rows()
    print(json.dumps({"seconds": seconds, "peak_rss_mib": peak_rss_mib(), "rows": rows,
                      "id_sum": id_sum}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
