"""The extraction's limit, measured in the same run: HTTP + decode of the same pages alone.

``reference(api_url, token, before)`` pages the sandbox's activity list exactly as the pipeline
does (200 a page, oldest first, until an empty page) with one requests session, and decodes each
body with msgspec (untyped, in C): what no extraction can beat on this machine. The benchmark
prints the pipeline's ExtractActivities time beside it and the fraction (issue 23: the
extraction near the wire's speed).

    python -m benchmarks.extraction --activities 20000     # the extract alone, in-process
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

PER_PAGE = 200


def reference(api_url: str, token: str, before: int) -> dict[str, Any]:
    """Seconds, pages and activities of GET + decode of every page of the window [0, before)."""
    import msgspec
    import requests

    session = requests.Session()
    headers = {"Authorization": f"Bearer {token}", "Accept-Encoding": "gzip, deflate"}
    decoder = msgspec.json.Decoder()
    pages = activities = 0
    started = time.perf_counter()
    while True:
        response = session.get(f"{api_url.rstrip('/')}/athlete/activities", headers=headers,
                               params={"after": 0, "before": before, "page": pages + 1,
                                       "per_page": PER_PAGE}, timeout=60)
        response.raise_for_status()
        page = decoder.decode(response.content)
        pages += 1
        if not page:
            break
        activities += len(page)
    seconds = time.perf_counter() - started
    return {"seconds": seconds, "pages": pages, "activities": activities,
            "activities_per_s": activities / seconds if seconds else 0.0}


def extract_alone(n_activities: int, seed: int = 11) -> dict[str, Any]:
    """ExtractActivities' work alone (client, spool, typed chunks, CSV, raw JSON) in this
    process against a sandbox process, then the reference on the same pages."""
    import os

    from benchmarks.sandbox_process import SandboxProcess
    from benchmarks.suite import ATHLETE_END, RUN_DATE
    from pipeline import run_dates
    from pipeline.extract_stream import write_extract
    from pipeline.raw_activities import RawJsonLines
    from pipeline.settings import load_settings
    from pipeline.strava import client_from_settings, wire

    before = int(run_dates.extract_before(RUN_DATE).replace(tzinfo=timezone.utc).timestamp())
    with SandboxProcess(seed, n_activities, ATHLETE_END) as sandbox, \
            tempfile.TemporaryDirectory(prefix="strava-bench-extract-") as folder:
        os.environ.update(sandbox.env)
        os.environ["DATA_DIR"] = str(Path(folder) / "data")
        client = client_from_settings(load_settings())
        client.page_decoder = wire.decode_page
        unparseable: list[dict[str, Any]] = []
        started = time.perf_counter()
        with RawJsonLines(Path(folder) / "raw.jsonl.gz", datetime.now(timezone.utc)) as raw:
            rows = write_extract(client.iter_pages(0, before), Path(folder) / "a.csv",
                                 datetime.now(timezone.utc), unparseable=unparseable, raw=raw,
                                 plausible=run_dates.plausible_starts(RUN_DATE))
        seconds = time.perf_counter() - started
        limit = reference(sandbox.info["api_url"], sandbox.access_token(), before)
    return {"activities": rows, "seconds": seconds, "activities_per_s": rows / seconds,
            "reference": limit, "fraction": limit["seconds"] / seconds}


def main(argv: list[str] | None = None) -> int:
    """Measure the extract alone against its reference; print one JSON line."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.extraction",
                                     description=__doc__.splitlines()[0])
    parser.add_argument("--activities", type=int, default=20_000)
    parser.add_argument("--profile", type=Path, help="write a pyinstrument profile here")
    args = parser.parse_args(argv)
    profiler = None
    if args.profile:
        from pyinstrument import Profiler

        profiler = Profiler(interval=0.002)
        profiler.start()
    result = extract_alone(args.activities)
    if profiler is not None:
        profiler.stop()
        args.profile.write_text(profiler.output_text(unicode=False, color=False))
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
