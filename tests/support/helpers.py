"""Independent expectations for pipeline tests: what production should hold for a source."""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import duckdb

COLUMNS = [
    "id", "athlete_id", "name", "distance", "moving_time", "elapsed_time",
    "total_elevation_gain", "type", "sport_type", "workout_type", "start_date",
    "start_date_local", "timezone", "utc_offset", "location_country", "achievement_count",
    "kudos_count", "comment_count", "athlete_count", "photo_count", "pr_count", "average_speed",
    "max_speed", "average_cadence", "average_temp", "average_heartrate", "max_heartrate",
    "suffer_score", "elev_high", "elev_low", "lat", "lng", "end_lat", "end_lng",
    "summary_polyline", "trainer", "commute", "manual", "private", "visibility", "gear_id",
    "average_watts", "kilojoules", "extracted_at", "total_photo_count", "device_watts",
    "has_heartrate", "max_watts", "weighted_average_watts", "external_id", "upload_id",
    "location_city", "location_state",
]


def _time(text: str | None) -> datetime | None:
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ") if text else None


def _blank(value: Any) -> Any:
    return None if value == "" else value


def expected_row(activity: dict[str, Any]) -> dict[str, Any]:
    """What one SummaryActivity should become in strava_activity_data (without extracted_at)."""
    start = activity.get("start_latlng") or [None, None]
    end = activity.get("end_latlng") or [None, None]
    zone = activity.get("timezone")
    offset = activity.get("utc_offset")
    row = {
        "id": activity["id"],
        "athlete_id": (activity.get("athlete") or {}).get("id"),
        "start_date": _time(activity.get("start_date")),
        "start_date_local": _time(activity.get("start_date_local")),
        "timezone": zone.split(") ", 1)[1] if zone else None,
        "utc_offset": int(offset) if offset is not None else None,
        "lat": start[0], "lng": start[1], "end_lat": end[0], "end_lng": end[1],
        "summary_polyline": _blank((activity.get("map") or {}).get("summary_polyline")),
        # An older answer without sport_type: its type instead (docs/how-it-works.md).
        "sport_type": _blank(activity.get("sport_type")) or _blank(activity.get("type")),
    }
    for column in COLUMNS:
        if column not in row and column != "extracted_at":
            row[column] = _blank(activity.get(column))
    return row


def production_rows(data_dir: Path) -> dict[int, dict[str, Any]]:
    """strava_activity_data of a DATA_DIR's DuckDB warehouse, keyed by id."""
    with duckdb.connect(str(data_dir / "warehouse.duckdb"), read_only=True) as connection:
        cursor = connection.execute("SELECT * FROM strava_activity_data")
        names = [column[0] for column in cursor.description]
        return {row[0]: dict(zip(names, row, strict=True)) for row in cursor.fetchall()}


def table_dump(data_dir: Path, table: str, exclude: tuple[str, ...] = ()) -> list[tuple]:
    """Every row of a table, ordered by every column (a full ordered dump)."""
    with duckdb.connect(str(data_dir / "warehouse.duckdb"), read_only=True) as connection:
        names = [row[0] for row in connection.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_name = ? "
            "ORDER BY ordinal_position", [table]).fetchall()]
        keep = [name for name in names if name not in exclude]
        columns = ", ".join(f'"{name}"' for name in keep)
        return connection.execute(
            f"SELECT {columns} FROM {table} ORDER BY {columns}").fetchall()


def assert_matches_source(data_dir: Path, activities: list[dict[str, Any]]) -> None:
    """Production holds exactly these activities, field by field."""
    rows = production_rows(data_dir)
    assert sorted(rows) == sorted(a["id"] for a in activities)
    for activity in activities:
        expected = expected_row(activity)
        actual = {key: value for key, value in rows[activity["id"]].items()
                  if key != "extracted_at"}
        assert actual == expected, f"activity {activity['id']} differs"


@dataclass(frozen=True)
class NextWeekChanges:
    """What changed at the source between the first run and the next week's."""

    fresh: dict[str, Any]
    late: dict[str, Any]
    renamed: dict[str, Any]
    rekudoed: dict[str, Any]


def _start(activity: dict[str, Any]) -> datetime:
    return datetime.strptime(activity["start_date"], "%Y-%m-%dT%H:%M:%SZ")


def make_next_week_changes(athlete: Any, new_name: str) -> NextWeekChanges:
    """A new activity in the next week, a late upload 3 days older than the newest one seen,
    and a rename and a kudos change inside the lookback window."""
    newest_start = max(_start(a) for a in athlete.activities)
    fresh = athlete.add_activity(datetime(2026, 12, 2, 7, tzinfo=timezone.utc), "Run")
    late = athlete.add_activity(
        (newest_start - timedelta(days=3)).replace(tzinfo=timezone.utc), "Ride")
    in_lookback = [a for a in athlete.activities
                   if newest_start - timedelta(days=10) < _start(a) < newest_start]
    renamed, rekudoed = in_lookback[0], in_lookback[-1]
    athlete.update_activity(renamed["id"], name=new_name)
    athlete.update_activity(rekudoed["id"], kudos_count=rekudoed["kudos_count"] + 17)
    return NextWeekChanges(fresh, late, renamed, rekudoed)


# The user tests run commands as when they run as root: root ignores permission bits.
NOBODY = 65534


def as_unprivileged(command: list[str]) -> list[str]:
    """Run as an ordinary user: root ignores the permission bits these tests rely on."""
    if os.geteuid() != 0:
        return command
    return ["setpriv", f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups", *command]


def give_away(path: Path) -> None:
    """Hand a path to the unprivileged user (when the tests run as root)."""
    if os.geteuid() == 0:
        os.chown(path, NOBODY, NOBODY)
