"""Turn Strava SummaryActivity objects into typed rows (the little 't' of EtLT).

A missing key, a JSON null and an empty string all become NULL (``pd.NA``), never 0, 'None',
'nan' or ''. Integer columns use pandas' nullable ``Int64`` so a count never turns into 165.0.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

import pandas as pd

# Column name -> pandas dtype, in the order of sql/tables/strava_activity_data.sql.
ACTIVITY_COLUMNS: dict[str, str] = {
    "id": "Int64",
    "athlete_id": "Int64",
    "name": "string",
    "distance": "Float64",
    "moving_time": "Int64",
    "elapsed_time": "Int64",
    "total_elevation_gain": "Float64",
    "type": "string",
    "sport_type": "string",
    "workout_type": "Int64",
    "start_date": "datetime64[us]",
    "start_date_local": "datetime64[us]",
    "timezone": "string",
    "utc_offset": "Int64",
    "location_country": "string",
    "achievement_count": "Int64",
    "kudos_count": "Int64",
    "comment_count": "Int64",
    "athlete_count": "Int64",
    "photo_count": "Int64",
    "pr_count": "Int64",
    "average_speed": "Float64",
    "max_speed": "Float64",
    "average_cadence": "Float64",
    "average_temp": "Float64",
    "average_heartrate": "Float64",
    "max_heartrate": "Float64",
    "suffer_score": "Float64",
    "elev_high": "Float64",
    "elev_low": "Float64",
    "lat": "Float64",
    "lng": "Float64",
    "end_lat": "Float64",
    "end_lng": "Float64",
    "summary_polyline": "string",
    "trainer": "boolean",
    "commute": "boolean",
    "manual": "boolean",
    "private": "boolean",
    "visibility": "string",
    "gear_id": "string",
    "average_watts": "Float64",
    "kilojoules": "Float64",
    "extracted_at": "datetime64[us]",
}

# Columns copied from the Strava object under the same key.
_SAME_KEY = tuple(
    name
    for name in ACTIVITY_COLUMNS
    if name
    not in {
        "athlete_id",
        "start_date",
        "start_date_local",
        "timezone",
        "lat",
        "lng",
        "end_lat",
        "end_lng",
        "summary_polyline",
        "extracted_at",
    }
)

_TIMEZONE_PREFIX = re.compile(r"^\(GMT[+-]\d{1,2}:\d{2}\)\s*")


def _blank_to_none(value: Any) -> Any:
    if isinstance(value, str) and value == "":
        return None
    return value


def iana_timezone(strava_timezone: str | None) -> str | None:
    """'(GMT-05:00) America/Toronto' -> 'America/Toronto'; the GMT part is not DST-aware."""
    if not strava_timezone:
        return None
    return _TIMEZONE_PREFIX.sub("", strava_timezone) or None


def _strava_time(value: str | None) -> datetime | None:
    """Strava times end in 'Z' even when local; drop it and keep a naive wall-clock time."""
    if not value:
        return None
    return datetime.fromisoformat(value.removesuffix("Z").removesuffix("+00:00"))


def _point(latlng: Any, index: int) -> float | None:
    if isinstance(latlng, list | tuple) and len(latlng) == 2:
        return latlng[index]
    return None


def parse_activity(activity: Mapping[str, Any], extracted_at: datetime) -> dict[str, Any]:
    """Map one SummaryActivity to a row keyed by ACTIVITY_COLUMNS (values not yet typed)."""
    row: dict[str, Any] = {name: _blank_to_none(activity.get(name)) for name in _SAME_KEY}
    athlete = activity.get("athlete") or {}
    activity_map = activity.get("map") or {}
    row.update(
        athlete_id=athlete.get("id"),
        start_date=_strava_time(activity.get("start_date")),
        start_date_local=_strava_time(activity.get("start_date_local")),
        timezone=iana_timezone(activity.get("timezone")),
        lat=_point(activity.get("start_latlng"), 0),
        lng=_point(activity.get("start_latlng"), 1),
        end_lat=_point(activity.get("end_latlng"), 0),
        end_lng=_point(activity.get("end_latlng"), 1),
        summary_polyline=_blank_to_none(activity_map.get("summary_polyline")),
        extracted_at=extracted_at.replace(tzinfo=None, microsecond=0),
    )
    return row


def empty_activity_frame() -> pd.DataFrame:
    """A frame with every activity column and no rows (a week without activities)."""
    return pd.DataFrame({name: pd.Series(dtype=dtype) for name, dtype in ACTIVITY_COLUMNS.items()})


def activities_frame(
    activities: Iterable[Mapping[str, Any]], extracted_at: datetime
) -> pd.DataFrame:
    """Typed, de-duplicated frame of activities, sorted by start time then id.

    Pages shift when activities arrive during a run, so the same id can come twice: the later
    copy (the fresher one) wins.
    """
    rows = [parse_activity(activity, extracted_at) for activity in activities]
    if not rows:
        return empty_activity_frame()
    frame = pd.DataFrame.from_records(rows, columns=list(ACTIVITY_COLUMNS))
    frame = frame.astype({name: dtype for name, dtype in ACTIVITY_COLUMNS.items()
                          if not dtype.startswith("datetime")})
    for name, dtype in ACTIVITY_COLUMNS.items():
        if dtype.startswith("datetime"):
            frame[name] = pd.to_datetime(frame[name]).astype(dtype)
    frame = frame.drop_duplicates(subset="id", keep="last")
    return frame.sort_values(["start_date", "id"], kind="stable").reset_index(drop=True)
