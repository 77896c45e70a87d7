"""``strava-pipeline import-archive PATH``: the athlete's Strava archive into the warehouse."""

from __future__ import annotations

import argparse
import sys
from contextlib import nullcontext
from pathlib import Path

from pipeline.archive.importer import (
    ArchiveImportFailed,
    ImportResult,
    archive_athlete,
    import_archive,
)
from pipeline.sandbox import sandbox_settings
from pipeline.settings import load_settings

COMMAND = "import-archive"


def describe(result: ImportResult, path: Path) -> list[str]:
    """The command's summary lines."""
    if result.already_imported:
        return [f"== {path.name} ({result.archive_id}) was already imported: nothing to do."]
    lines = [f"== Imported {path.name} ({result.archive_id}): {result.rows_read} activities "
             f"read, {result.added} added, {result.replaced} replaced (from an earlier "
             f"archive), {result.kept_from_api} kept as the API loaded them."]
    if result.streams.samples:
        lines.append(f"Streams: {result.streams.samples} samples of {result.streams.activities} "
                     f"activities in activity_streams and {result.streams.parts} Parquet "
                     f"file(s) in the lake ({result.streams.parquet_bytes} bytes).")
    if result.watermark_date:
        lines.append(f"Watermark recorded for {result.watermark_date}: the next weekly run "
                     "reads from Strava only what is newer.")
    if result.failures:
        lines.append(f"{len(result.failures)} problem(s), the rest was imported (also in "
                     "`strava-pipeline status`):")
        lines.extend(f"  {line}" for line in result.failures)
    return lines


def run(args: argparse.Namespace) -> int:
    """The command: import, then the summary; 1 with one line when nothing could be imported."""
    with sandbox_settings() if args.demo else nullcontext():
        settings = load_settings()
        try:
            athlete = archive_athlete(settings, args.athlete_id)
            result = import_archive(Path(args.path), settings, athlete)
        except ArchiveImportFailed as error:
            print(f"strava-pipeline: error: {error}", file=sys.stderr)
            return 1
    for line in describe(result, Path(args.path)):
        print(line)
    return 0


def add_command(commands: argparse._SubParsersAction) -> None:
    """Register ``strava-pipeline import-archive``."""
    parser = commands.add_parser(
        COMMAND, help="import the athlete's Strava archive (the ZIP from 'Download your data', "
                      "or its folder)",
        description="Read activities.csv of Strava's archive and merge its activities into "
                    "production by id (the API's values win), through the lake, a staging "
                    "table and the staging checks; the same archive twice does nothing. "
                    "See README, 'The athlete's archive'.")
    parser.add_argument("path", metavar="PATH", help="the ZIP as downloaded, or its folder")
    parser.add_argument("--athlete-id", type=int, default=None, metavar="ID",
                        help="whose archive it is (default: the install's only athlete; "
                             "needed when several athletes authorized the application)")
    parser.add_argument("--demo", action="store_true",
                        help="into the sandbox's data (sandbox-data/), not real data")
    parser.set_defaults(handler=run)
