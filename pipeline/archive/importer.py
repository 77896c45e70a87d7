"""Import an archive: activities.csv -> the lake -> a staging table -> the staging checks ->
production, merged by id in one transaction with the import's marker.

* Idempotent: the marker ``ImportArchive(<first 16 hex digits of the archive's SHA-256>)``
  says an archive was imported; importing it again does nothing (no parse, no load).
* The API wins (sql/archive/merge_archive_into_production.sql): an activity the API loaded
  keeps its values; one only the archive has is added; a row an earlier archive inserted is
  replaced by a newer archive's. Nothing is duplicated (production's id is unique).
* Afterwards the watermark of the archive's newest local date is recorded
  (sql/production/watermark.sql, as RecordWatermark does), so the next weekly run reads from
  Strava only what is newer, less the lookback.
* A row that cannot be read, a file named in activities.csv but missing, a refused member:
  one line each, the rest imported, every such line kept as one ``archive_import`` warn row in
  validation_results (``strava-pipeline status`` shows them). An archive that cannot be read at
  all is one line and a warn row too; nothing is marked, so importing again retries it.
"""

from __future__ import annotations

import logging
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any

from pipeline import activity_csv, run_dates
from pipeline.archive import csv_reader
from pipeline.archive.options import archive_limits
from pipeline.archive.source import CSV_NAME, Archive, ArchiveError, MemberError, open_archive
from pipeline.athlete_scope import authorized_ids, effective_athlete, target_tag
from pipeline.athlete_zone import athlete_zone
from pipeline.backends import Lake, StateStore, Warehouse, open_lake, open_state, open_warehouse
from pipeline.backends.warehouse import utc_now
from pipeline.settings import Settings
from pipeline.sql_files import parameter_names, read_sql, render, split_statements
from pipeline.strava.activities import typed_frame
from pipeline.streams.parse import StreamError, file_format, parse_file
from pipeline.streams.store import StreamTotals, StreamWriter

logger = logging.getLogger(__name__)

CHECK_NAME = "archive_import"
MARKER_PREFIX = "ImportArchive("
_HALT_CHECKS = ("staging_duplicate_ids.sql", "staging_null_keys.sql")


def marker_id(archive_id: str, tag: str = "") -> str:
    """The import's marker in table_updates, e.g. 'ImportArchive(0123456789abcdef)'; for an
    athlete other than the install's first one 'ImportArchive(0123456789abcdef,a42)'
    (pipeline/athlete_scope.py target_tag)."""
    return f"{MARKER_PREFIX}{archive_id}{',' + tag if tag else ''})"


def staging_table(archive_id: str, tag: str = "") -> str:
    """The import's staging table (with '_a<id>' for an athlete other than the first)."""
    return f"staging_strava_archive_{archive_id}{'_' + tag if tag else ''}"


def lake_key(archive_id: str, tag: str = "") -> str:
    """Where the import's rows (extract dialect) are kept in the lake: under the athlete's id
    for an athlete other than the first ('a42' -> strava/archive/42/...)."""
    folder = f"{tag.removeprefix('a')}/" if tag else ""
    return f"strava/archive/{folder}{archive_id}/activities.csv"


def archive_athlete(settings: Settings, athlete_id: int | None) -> int:
    """The athlete an import is for: ``athlete_id`` (one who authorized the application), or
    without one the install's only athlete (0 on an install of one athlete without the
    athletes' store); several athletes and none given is one line saying to pass it."""
    ids = authorized_ids(settings)
    if athlete_id is None or int(athlete_id) == 0:
        if len(ids) > 1:
            raise ArchiveImportFailed(
                f"this install has {len(ids)} athletes ({', '.join(map(str, ids))}): pass "
                "--athlete-id ID to say whose archive this is")
        return ids[0] if ids else 0
    if ids and int(athlete_id) not in ids:
        raise ArchiveImportFailed(
            f"athlete {int(athlete_id)} has not authorized this application (athletes: "
            f"{', '.join(map(str, ids))}): pass one of them to --athlete-id")
    return int(athlete_id)


class ArchiveImportFailed(RuntimeError):
    """The archive was not imported (the message is one line); nothing was marked."""


@dataclass
class ImportResult:
    """What one import did."""

    archive_id: str = ""
    already_imported: bool = False
    rows_read: int = 0
    added: int = 0
    kept_from_api: int = 0
    replaced: int = 0
    failures: list[str] = field(default_factory=list)
    watermark_date: date | None = None
    files: list[tuple[int, str]] = field(default_factory=list)  # (activity id, file name)
    streams: StreamTotals = field(default_factory=StreamTotals)


@dataclass
class _Backends:
    lake: Lake
    warehouse: Warehouse
    state: StateStore


def _backends(settings: Settings) -> _Backends:
    return _Backends(open_lake(settings.lake_url), open_warehouse(settings.warehouse_url),
                     open_state(settings.state_url))


def _rows(archive: Archive, settings: Settings, result: ImportResult, athlete: int = 0
          ) -> Iterator[dict[str, Any]]:
    """The production rows of activities.csv; a row that cannot be read is one failure line."""
    zone = athlete_zone(settings)
    imported_at = utc_now()
    with archive.open(CSV_NAME) as stream:
        for number, record in enumerate(csv_reader.read_records(stream), start=2):
            try:
                row = csv_reader.to_row(record, zone.tzinfo, zone.name, imported_at)  # type: ignore[arg-type]
            except ValueError as error:
                result.failures.append(f"activities.csv record {number}: {error}: skipped")
                continue
            name = record.get(("Filename", 0), "").strip()
            if name:
                if archive.has(name):
                    result.files.append((row["id"], name))
                else:
                    result.failures.append(f"activity {row['id']}: {name} is named in "
                                           "activities.csv but is not in the archive")
            result.rows_read += 1
            row["athlete_id"] = athlete or None  # issue 26: the athlete's page shows it
            yield row


def _check_staging(warehouse: Warehouse, table: str) -> None:
    """The staging checks that halt a weekly load halt an import too (duplicate ids, NULL keys)."""
    for check in _HALT_CHECKS:
        value, note = warehouse.query_file(f"validation/{check}", staging_table=table)[0]
        if value:
            raise ArchiveImportFailed(f"the archive's rows fail {check.removesuffix('.sql')} "
                                      f"({note}): nothing was merged")


def validation_row(day: date, failures: list[str], message: str) -> dict[str, Any]:
    """The import's one row in validation_results: pass, or warn with its failures."""
    return {"run_date": day, "check_name": CHECK_NAME, "left_value": float(len(failures)),
            "right_value": 0.0, "operator": "equals", "severity": "warn",
            "status": "warn" if failures else "pass", "message": message[:2000],
            "checked_at": utc_now()}


def _summary(archive: Archive, failures: list[str]) -> str:
    head = f"archive {archive.path.name} ({archive.short_id})"
    if not failures:
        return f"{head}: every activity imported"
    return f"{head}: {len(failures)} problem(s): " + " | ".join(failures)


def record_unreadable(settings: Settings, path: Path, error: Exception) -> None:
    """Keep an archive that could not be read at all as a warn row (nothing else changes)."""
    warehouse = open_warehouse(settings.warehouse_url)
    warehouse.record_validations([validation_row(
        datetime.now(timezone.utc).date(), [str(error)], f"archive {path.name}: {error}")])


def import_archive(path: Path, settings: Settings, athlete_id: int = 0) -> ImportResult:
    """Import one archive (a ZIP or a folder) for an athlete (``archive_athlete``: 0 is the
    install's first athlete); see the module docstring."""
    try:
        archive = open_archive(path, archive_limits())
    except ArchiveError as error:
        record_unreadable(settings, path, error)
        raise ArchiveImportFailed(str(error)) from None
    try:
        return _import(archive, settings, athlete_id)
    finally:
        archive.close()


def _import(archive: Archive, settings: Settings, athlete_id: int = 0) -> ImportResult:
    result = ImportResult(archive_id=archive.short_id, failures=list(archive.refused))
    backends = _backends(settings)
    warehouse = backends.warehouse
    warehouse.ensure_schema()
    athlete = effective_athlete(backends.state, athlete_id)
    tag = target_tag(backends.state, athlete_id)
    marker = marker_id(archive.short_id, tag)
    if warehouse.marker_exists(marker):
        result.already_imported = True
        return result
    table = staging_table(archive.short_id, tag)
    key = lake_key(archive.short_id, tag)
    with tempfile.TemporaryDirectory(prefix="archive-") as folder:
        extract = Path(folder) / "activities.csv"
        try:
            frame = typed_frame(list(_rows(archive, settings, result, athlete)))
        except csv_reader.ArchiveCsvError as error:
            record_unreadable(settings, archive.path, error)
            raise ArchiveImportFailed(str(error)) from None
        activity_csv.write_activities_csv(frame, extract)
        backends.lake.put_file(extract, key)
    warehouse.load_staging(backends.lake, key, table,
                           f"ArchiveStaging({archive.short_id}{',' + tag if tag else ''})")
    try:
        _check_staging(warehouse, table)
        _import_streams(archive, backends, result, athlete, tag)
        staged, from_api, from_archive = warehouse.query_file(
            "archive/import_counts.sql", staging_table=table)[0]
        result.kept_from_api, result.replaced = int(from_api or 0), int(from_archive or 0)
        result.added = int(staged) - result.kept_from_api - result.replaced
        for line in result.failures:
            logger.warning("archive %s: %s", archive.short_id, line)
        with warehouse.transaction() as session:
            for statement in split_statements(render(
                    read_sql("archive/merge_archive_into_production.sql"), staging_table=table)):
                wanted = parameter_names(statement)
                session.execute(statement, {"archive_id": archive.short_id} if wanted else None)
            warehouse._insert_validation_rows(session, [validation_row(
                datetime.now(timezone.utc).date(), result.failures,
                _summary(archive, result.failures))])
            warehouse.write_marker(session, marker, "strava_activity_data")
    finally:
        warehouse.drop_table(table)
    if len(frame):
        result.watermark_date = max(frame["start_date_local"]).date()
        _record_watermark(backends, result.watermark_date, athlete)
    return result


def streams_import_id(archive_id: str, tag: str = "") -> str:
    """The import id of an archive's streams in the lake (pipeline/streams/store.py): with
    '-a<id>' for an athlete other than the first, so that forgetting one athlete finds its
    Parquet parts (pipeline/forget_athlete.py owner_of_path)."""
    return f"{archive_id}-{tag}" if tag else archive_id


def _import_streams(archive: Archive, backends: _Backends, result: ImportResult,
                    athlete: int = 0, tag: str = "") -> None:
    """Every activity file's samples, a batch at a time, as the athlete's (issue 26: the
    archive's activities reach production only after); a file that cannot be read is one
    problem line and no stream."""
    writer = StreamWriter(backends.lake, backends.warehouse,
                          streams_import_id(archive.short_id, tag), athlete_id=athlete or None)
    for activity_id, name in result.files:
        if file_format(name) is None:
            continue
        try:
            with archive.open(name, gunzip=name.lower().endswith(".gz")) as stream:
                data = stream.read()
            parsed = parse_file(activity_id, name, data)
        except (MemberError, StreamError) as error:
            result.failures.append(f"activity {activity_id}: {name}: {error}")
            continue
        note = parsed.note()
        if note:
            result.failures.append(f"activity {activity_id}: {name}: {note}")
        writer.add(parsed)
    result.streams = writer.close()


def _record_watermark(backends: _Backends, day: date, athlete: int = 0) -> None:
    """The watermark of the archive's newest local date for its athlete, as RecordWatermark
    computes it (athlete 0: every row, an install of one athlete)."""
    rows = backends.warehouse.query_file("production/watermark.sql",
                                         {"run_date_end": run_dates.run_week(day).end,
                                          "athlete_id": athlete})
    backends.state.record_watermark(day, rows[0][0] if rows else None, athlete_id=athlete)
