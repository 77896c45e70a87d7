"""Strava's ``activities.csv`` read as Strava writes it, one activity at a time.

UTF-8 with or without a byte-order mark, '\\r\\n' or '\\n' line ends, commas and line breaks
inside quoted cells, header names that repeat (``Distance``, ``Elapsed Time``...: each cell is
keyed ``(name, occurrence)``), columns added or removed between export versions (looked up by
name; an unknown one is named in one log line and ignored).
"""

from __future__ import annotations

import csv
import io
import logging
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from typing import IO, Any
from zoneinfo import ZoneInfo

from pipeline.archive import columns
from pipeline.archive.columns import Key

logger = logging.getLogger(__name__)


class ArchiveCsvError(ValueError):
    """activities.csv cannot be read at all (no header, not UTF-8, no Activity ID column)."""


def header_keys(header: list[str]) -> list[Key]:
    """['A', 'Distance', 'Distance'] -> [('A', 0), ('Distance', 0), ('Distance', 1)]."""
    seen: dict[str, int] = {}
    keys = []
    for name in header:
        name = name.strip()
        keys.append((name, seen.get(name, 0)))
        seen[name] = seen.get(name, 0) + 1
    return keys


def read_records(binary: IO[bytes]) -> Iterator[dict[Key, str]]:
    """Every data row of activities.csv as {(name, occurrence): cell}; blank lines skipped."""
    text = io.TextIOWrapper(binary, encoding="utf-8-sig", newline="")
    reader = csv.reader(text)
    try:
        header = next(reader, None)
    except UnicodeDecodeError as error:
        raise ArchiveCsvError(f"activities.csv is not UTF-8 (byte {error.start})") from None
    if not header:
        raise ArchiveCsvError("activities.csv is empty (no header line)")
    keys = header_keys(header)
    if ("Activity ID", 0) not in keys or ("Activity Date", 0) not in keys:
        raise ArchiveCsvError("activities.csv has no 'Activity ID' or 'Activity Date' column: "
                              "it is not Strava's export")
    unknown = sorted({name for name, _ in keys if name not in columns.known_names()})
    if unknown:
        logger.info("activities.csv: %d columns this release does not know are ignored: %s",
                    len(unknown), ", ".join(unknown))
    try:
        for cells in reader:
            if not any(cell.strip() for cell in cells):
                continue
            yield dict(zip(keys, cells, strict=False))
    except UnicodeDecodeError as error:
        raise ArchiveCsvError(f"activities.csv is not UTF-8 (byte {error.start})") from None


def to_row(record: dict[Key, str], zone: ZoneInfo, zone_name: str,
           imported_at: datetime) -> dict[str, Any]:
    """One record as a production row (ACTIVITY_COLUMNS' names); ValueError when the record has
    no usable id or start."""
    row: dict[str, Any] = {name: None for name in columns.API_ONLY}
    for column, (keys, convert) in columns.MAPPING.items():
        cell = columns.pick(record, keys)
        try:
            row[column] = convert(cell)
        except ValueError:
            if column == "id":
                raise ValueError(f"Activity ID {cell[:30]!r} is not a number") from None
            row[column] = None  # one bad cell does not drop the activity
    if row["id"] is None or row["id"] <= 0:
        raise ValueError("a row has no Activity ID")
    start = columns.archive_time(record.get(("Activity Date", 0), ""))
    local = start.replace(tzinfo=timezone.utc).astimezone(zone)
    offset = local.utcoffset() or timedelta(0)
    label = record.get(("Activity Type", 0), "").strip()
    if not label:
        raise ValueError("no Activity Type")
    sport_type = columns.sport_type_of_label(label)
    work = columns.number(record.get(("Total Work", 0), "") or "")
    from_upload = columns.flag(record.get(("From Upload", 0), "") or "")
    row.update(
        type=columns.legacy_type(sport_type),
        sport_type=sport_type,
        start_date=start,
        start_date_local=local.replace(tzinfo=None),
        timezone=zone_name,
        utc_offset=int(offset.total_seconds()),
        kilojoules=None if work is None else work / 1000,
        manual=None if from_upload is None else not from_upload,
        has_heartrate=bool(columns.pick(record, (("Average Heart Rate", 0),))),
        extracted_at=imported_at,
    )
    return row
