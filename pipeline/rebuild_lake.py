"""``strava-pipeline rebuild-from-lake``: production's rows rebuilt from the raw JSON kept in the
lake (pipeline/raw_activities.py), with this release's parser, without a request to Strava.

What it is for: a release that adds a column (a migration appends it to production, existing
rows hold NULL in it) or changes a parsing rule. For every loaded run date, oldest first, whose
raw JSON is in the lake, it

1. parses the raw JSON again into the run date's extract (the same rows ExtractActivities wrote
   then, with today's columns and rules), replacing the lake's extract (the earlier one is kept
   beside it as ``superseded-<time>.csv``) and the local one when there is one;
2. replaces production's rows of those ids, in one transaction per run date, only where
   production holds them from the same read or an older one: a rebuild never brings back an
   activity production no longer has and never puts an older read over a newer one.

It changes no marker, so the pipeline carries on as before; the marts and the dashboard take the
new values at the next run. Run dates loaded before the raw JSON was kept have none: they are
named, and their rows keep NULL in the new columns until a run's lookback reads them again.
A rerun gives the same result.
"""

from __future__ import annotations

import argparse
import filecmp
import logging
import os
import shutil
import tempfile
from contextlib import nullcontext
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from pipeline.backends import Lake, Warehouse, open_lake, open_state, open_warehouse
from pipeline.backends.urls import missing_locally
from pipeline.extract_stream import write_extract
from pipeline.preflight import PreflightError, date_argument
from pipeline.raw_activities import raw_lake_key, raw_pages, read_time
from pipeline.sandbox import sandbox_settings
from pipeline.settings import Settings, load_settings
from pipeline.tasks.base import stage_marker_id
from pipeline.tasks.extract import (
    ExtractActivities,
    local_dates_through,
    put_keeping_earlier,
)

logger = logging.getLogger(__name__)

COMMAND = "rebuild-from-lake"
_LOADED = "LoadProduction("


@dataclass
class Rebuild:
    """What a rebuild did: rows replaced per run date, and the dates without raw JSON."""

    rows: dict[date, int] = field(default_factory=dict)
    without_raw: list[date] = field(default_factory=list)


def loaded_run_dates(warehouse: Warehouse) -> list[date]:
    """Every run date whose LoadProduction finished, oldest first."""
    dates = set()
    for update_id, *_ in warehouse.query_file("status/markers.sql"):
        if update_id.startswith(_LOADED) and update_id.endswith(")"):
            try:
                dates.add(date.fromisoformat(update_id[len(_LOADED):-1]))
            except ValueError:
                continue
    return sorted(dates)


def _replace_local(path: Path, source: Path) -> None:
    """Overwrite an existing local extract atomically."""
    temporary = path.with_name(f".{path.name}.rebuild")
    shutil.copyfile(source, temporary)
    os.replace(temporary, path)


def rebuild_run_date(run_date: date, lake: Lake, warehouse: Warehouse) -> int | None:
    """Rebuild one run date from its raw JSON; the production rows replaced, or None when the
    lake holds no raw JSON for it."""
    raw_key = raw_lake_key(run_date)
    if not lake.exists(raw_key):
        return None
    task = ExtractActivities(run_date=run_date)  # where the date's extracts live
    key = task.lake_key
    with tempfile.TemporaryDirectory(prefix="rebuild-") as folder:
        extract = Path(folder) / "activities.csv"
        with lake.local_file(raw_key) as raw:
            write_extract(raw_pages(raw), extract, extracted_at=read_time(raw),
                          keep=local_dates_through(run_date))
        changed = True
        if lake.exists(key):
            with lake.local_file(key) as current:
                changed = not filecmp.cmp(current, extract, shallow=False)
        if changed:
            put_keeping_earlier(lake, extract, key)
        local = task.extract_path
        if local.exists() and not filecmp.cmp(local, extract, shallow=False):
            _replace_local(local, extract)
    table = f"rebuild_strava_activity_data_{run_date:%Y%m%d}"
    return warehouse.refresh_production_rows(lake, key, table)


def rebuild_from_lake(settings: Settings, only: list[date] | None = None) -> Rebuild:
    """Rebuild every loaded run date (or those of ``only`` that are loaded), oldest first,
    each under its run date's lock."""
    if missing_locally(settings.warehouse_url):
        raise PreflightError(f"no warehouse at {settings.warehouse_url} yet: nothing was "
                             "loaded, so there is nothing to rebuild")
    warehouse = open_warehouse(settings.warehouse_url)
    lake = open_lake(settings.lake_url)
    state = open_state(settings.state_url)
    warehouse.ensure_schema()
    loaded = loaded_run_dates(warehouse)
    if only:
        unknown = sorted(set(only) - set(loaded))
        if unknown:
            raise PreflightError(
                f"run date {unknown[0]} is not loaded (no marker "
                f"{stage_marker_id('LoadProduction', unknown[0])}): rebuild a loaded run date, "
                "see `strava-pipeline status`")
        loaded = sorted(set(only))
    done = Rebuild()
    for run_date in loaded:
        with state.lock_run_date(run_date, settings.run_lock_wait_seconds):
            rows = rebuild_run_date(run_date, lake, warehouse)
        if rows is None:
            done.without_raw.append(run_date)
            print(f"{run_date}: no raw JSON in the lake (loaded before it was kept); skipped")
        else:
            done.rows[run_date] = rows
            print(f"{run_date}: {rows} rows of strava_activity_data rebuilt from "
                  f"{lake.uri(raw_lake_key(run_date))}", flush=True)
    return done


def run(args: argparse.Namespace) -> int:
    """The command: rebuild, then one summary line (and one about dates without raw JSON)."""
    with sandbox_settings() if args.demo else nullcontext():
        settings = load_settings()
        done = rebuild_from_lake(settings, args.date)
    total = sum(done.rows.values())
    print(f"== Rebuilt {total} rows of strava_activity_data from the raw JSON of "
          f"{len(done.rows)} run dates in the lake, without a request to Strava.")
    if done.without_raw:
        print(f"{len(done.without_raw)} loaded run dates have no raw JSON ({done.without_raw[0]}"
              f" to {done.without_raw[-1]}): their rows keep what they hold; a run's lookback "
              "refreshes the recent ones.")
    print("The marts and the dashboard take the rebuilt rows at the next run.")
    return 0


def add_command(commands: argparse._SubParsersAction) -> None:
    """Register ``strava-pipeline rebuild-from-lake``."""
    parser = commands.add_parser(
        COMMAND, help="rebuild production's rows from the raw JSON in the lake (no Strava "
                      "request), e.g. to fill a column a new release added",
        description="Parse the raw JSON kept in the lake for every loaded run date again, "
                    "oldest first, and replace production's rows of those activities (never "
                    "an activity production no longer has, never an older read over a newer "
                    "one). No request to Strava; changes no marker; a rerun gives the same "
                    "result.")
    parser.add_argument("--date", type=date_argument, action="append", metavar="YYYY-MM-DD",
                        help="only this loaded run date (repeat for several; default: every "
                             "loaded run date)")
    parser.add_argument("--demo", action="store_true",
                        help="the sandbox's data (sandbox-data/), not real data")
    parser.set_defaults(handler=run)
