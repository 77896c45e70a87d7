"""Baseline (b): dlt's REST API source paging the same sandbox into DuckDB, merge on id.

``python -m benchmarks.dlt_run API_URL WORK_DIR BEFORE`` with STRAVA_BENCH_TOKEN (an
access token) in the environment; prints one JSON line: extract + normalize + load seconds,
peak RSS, and the rows dlt loaded. Needs the ``[bench]`` extra (``pip install -e '.[bench]'``).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

from benchmarks.pipeline_run import peak_rss_mib


def run_dlt(api_url: str, work_dir: Path, before: int, token: str) -> dict[str, Any]:
    """One dlt pipeline run of the whole history; its time, memory and loaded rows."""
    os.environ.setdefault("RUNTIME__DLTHUB_TELEMETRY", "false")
    imported = time.perf_counter()
    import dlt
    from dlt.sources.rest_api import rest_api_source

    import_seconds = time.perf_counter() - imported
    source = rest_api_source({
        "client": {"base_url": api_url.rstrip("/") + "/",
                   "auth": {"type": "bearer", "token": token}},
        "resource_defaults": {"primary_key": "id", "write_disposition": "merge"},
        "resources": [{
            "name": "activities",
            "endpoint": {
                "path": "athlete/activities",
                "params": {"after": 0, "before": before, "per_page": 200},
                "paginator": {"type": "page_number", "base_page": 1, "page_param": "page",
                              "total_path": None, "stop_after_empty_page": True},
            },
        }],
    })
    pipeline = dlt.pipeline(
        pipeline_name="strava_bench", pipelines_dir=str(work_dir / "dlt"),
        destination=dlt.destinations.duckdb(str(work_dir / "dlt.duckdb")),
        dataset_name="strava",
    )
    started = time.perf_counter()
    pipeline.run(source)
    seconds = time.perf_counter() - started
    with pipeline.sql_client() as client:
        rows = client.execute_sql("SELECT COUNT(*), SUM(id) FROM activities")[0]
    return {"seconds": seconds, "import_seconds": import_seconds, "peak_rss_mib": peak_rss_mib(),
            "rows": int(rows[0]), "id_sum": int(rows[1] or 0)}


def main(argv: list[str] | None = None) -> int:
    """Run dlt once and print one JSON line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("api_url")
    parser.add_argument("work_dir", type=Path)
    parser.add_argument("before", type=int)
    args = parser.parse_args(argv)
    token = os.environ["STRAVA_BENCH_TOKEN"]
    print(json.dumps(run_dlt(args.api_url, args.work_dir, args.before, token)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
