"""How a column of Strava's ``activities.csv`` becomes a column of ``strava_activity_data``.

Columns are found by name, never by position. Strava writes some names twice: the first
``Distance`` is in the athlete's display unit (km or miles), the second in metres; the first
``Elapsed Time``, ``Max Heart Rate``, ``Relative Effort`` and ``Commute`` are the summary
block's, the second ones the detail block's. A repeated name is addressed as ``(name, n)``, n
counting from 0; the mapping prefers the detail block (n=1) and falls back to the summary one
where the unit is the same. Every other column of production is API-only and stays NULL for an
activity only the archive has (``API_ONLY``).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

Key = tuple[str, int]  # (header name, occurrence)

# "Oct 7, 2020, 2:43:11 PM": the English-locale format of the "Activity Date" column, in UTC.
ARCHIVE_DATE_FORMAT = "%b %d, %Y, %I:%M:%S %p"
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_DATE = re.compile(r"^([A-Z][a-z]{2}) (\d{1,2}), (\d{4}), (\d{1,2}):(\d{2}):(\d{2}) ([AP]M)$")

# Strava's display name of a sport type (as the archive writes it) -> the API's sport_type,
# where removing the blanks and hyphens is not enough.
_SPORT_EXCEPTIONS = {"Rock Climb": "RockClimbing", "Snowboard": "Snowboard",
                     "Pickleball": "Pickleball", "Elliptical": "Elliptical"}
# sport_type -> the legacy ``type`` Strava's API sends beside it, where they differ.
_LEGACY_TYPE = {"TrailRun": "Run", "GravelRide": "Ride", "MountainBikeRide": "Ride",
                "EMountainBikeRide": "EBikeRide"}


def archive_time(text: str) -> datetime:
    """'Oct 7, 2020, 2:43:11 PM' -> datetime(2020, 10, 7, 14, 43, 11) (naive, UTC).

    Parsed without the process locale (strptime's %b follows it); ValueError otherwise."""
    match = _DATE.match(text.strip())
    if not match or match.group(1) not in _MONTHS:
        raise ValueError(f"{text[:40]!r} is not a date such as 'Oct 7, 2020, 2:43:11 PM'")
    month, day, year, hour, minute, second, half = match.groups()
    hour_24 = int(hour) % 12 + (12 if half == "PM" else 0)
    return datetime(int(year), _MONTHS.index(month) + 1, int(day), hour_24, int(minute),
                    int(second))


def format_archive_time(moment: datetime) -> str:
    """The inverse of ``archive_time`` (what the sandbox's export writes)."""
    hour = moment.hour % 12 or 12
    half = "PM" if moment.hour >= 12 else "AM"
    return (f"{_MONTHS[moment.month - 1]} {moment.day}, {moment.year}, "
            f"{hour}:{moment.minute:02d}:{moment.second:02d} {half}")


def sport_type_of_label(label: str) -> str:
    """'Trail Run' -> 'TrailRun', 'E-Bike Ride' -> 'EBikeRide', 'Rock Climb' -> 'RockClimbing'."""
    return _SPORT_EXCEPTIONS.get(label) or re.sub(r"[\s\-]", "", label)


def legacy_type(sport_type: str) -> str:
    """The API's ``type`` for a ``sport_type`` (the two differ for a few sports only)."""
    return _LEGACY_TYPE.get(sport_type, sport_type)


def number(text: str) -> float | None:
    """A number as the archive writes it ('3600.0', '10.25', '1,234.5'); None when empty."""
    text = text.strip()
    if not text:
        return None
    try:
        return float(text)
    except ValueError:
        return float(text.replace(",", ""))


def whole(text: str) -> int | None:
    """An integer written as '3600' or '3600.0'; None when empty."""
    value = number(text)
    return None if value is None else round(value)


def flag(text: str) -> bool | None:
    """'true'/'false' (summary block) or '1.0'/'0.0' (detail block); None when empty."""
    text = text.strip().lower()
    if not text:
        return None
    if text in {"true", "false"}:
        return text == "true"
    return bool(number(text))


def text_value(text: str) -> str | None:
    """A text; None when empty."""
    return text if text.strip() else None


# production column -> (candidate keys in order of preference, converter)
Converter = Callable[[str], Any]
MAPPING: dict[str, tuple[tuple[Key, ...], Converter]] = {
    "id": ((("Activity ID", 0),), whole),
    "name": ((("Activity Name", 0),), text_value),
    "distance": ((("Distance", 1),), number),  # metres; Distance #0 is km or miles
    "moving_time": ((("Moving Time", 0),), whole),
    "elapsed_time": ((("Elapsed Time", 1), ("Elapsed Time", 0)), whole),
    "total_elevation_gain": ((("Elevation Gain", 0),), number),
    "average_speed": ((("Average Speed", 0),), number),
    "max_speed": ((("Max Speed", 0),), number),
    "average_cadence": ((("Average Cadence", 0),), number),
    "average_temp": ((("Average Temperature", 0),), number),
    "average_heartrate": ((("Average Heart Rate", 0),), number),
    "max_heartrate": ((("Max Heart Rate", 1), ("Max Heart Rate", 0)), number),
    "suffer_score": ((("Relative Effort", 1), ("Relative Effort", 0)), number),
    "elev_high": ((("Elevation High", 0),), number),
    "elev_low": ((("Elevation Low", 0),), number),
    "commute": ((("Commute", 1), ("Commute", 0)), flag),
    "average_watts": ((("Average Watts", 0),), number),
    "max_watts": ((("Max Watts", 0),), number),
    "weighted_average_watts": ((("Weighted Average Power", 0),), number),
}
# Read by the importer itself, not copied: the sport (-> type, sport_type), the UTC start
# (-> start_date, start_date_local, timezone, utc_offset), total work in joules (-> kilojoules),
# whether it came from a file (-> manual), its file (-> streams).
SPECIAL: tuple[str, ...] = ("Activity Type", "Activity Date", "Total Work", "From Upload",
                            "Filename")
# Columns of Strava's export the pipeline knows and does not load (no production column).
KNOWN_UNUSED: frozenset[str] = frozenset({
    "Activity Description", "Activity Private Note", "Activity Gear", "Athlete Weight",
    "Bike Weight", "Elevation Loss", "Max Grade", "Average Grade", "Average Positive Grade",
    "Average Negative Grade", "Max Cadence", "Calories", "Max Temperature", "Number of Runs",
    "Uphill Time", "Downhill Time", "Other Time", "Perceived Exertion", "Type", "Start Time",
    "Power Count", "Prefer Perceived Exertion", "Perceived Relative Effort",
    "Total Weight Lifted", "Grade Adjusted Distance", "Weather Observation Time",
    "Weather Condition", "Weather Temperature", "Apparent Temperature", "Dewpoint", "Humidity",
    "Weather Pressure", "Wind Speed", "Wind Gust", "Wind Bearing", "Precipitation Intensity",
    "Sunrise Time", "Sunset Time", "Moon Phase", "Bike", "Gear", "Precipitation Probability",
    "Precipitation Type", "Cloud Cover", "Weather Visibility", "UV Index", "Weather Ozone",
    "Jump Count", "Total Grit", "Average Flow", "Flagged", "Average Elapsed Speed",
    "Dirt Distance", "Newly Explored Distance", "Newly Explored Dirt Distance",
    "Activity Count", "Total Steps", "Carbon Saved", "Pool Length", "Training Load",
    "Intensity", "Average Grade Adjusted Pace", "Timer Time", "Total Cycles", "Media",
})
# Production columns only the API fills: NULL for an activity only the archive has, and an
# activity the API loaded keeps its own values of every column.
API_ONLY: tuple[str, ...] = (
    "athlete_id", "workout_type", "location_country", "achievement_count", "kudos_count",
    "comment_count", "athlete_count", "photo_count", "pr_count", "lat", "lng", "end_lat",
    "end_lng", "summary_polyline", "trainer", "private", "visibility", "gear_id",
    "total_photo_count", "device_watts", "external_id", "upload_id", "location_city",
    "location_state",
)


def known_names() -> frozenset[str]:
    """Every header name the mapping knows (the others are ignored with one log line)."""
    mapped = {name for keys, _ in MAPPING.values() for name, _ in keys}
    return frozenset(mapped | set(SPECIAL) | KNOWN_UNUSED | {"Distance"})


def pick(record: Mapping[Key, str], keys: tuple[Key, ...]) -> str:
    """The first of ``keys`` the record has a non-empty cell for ('' when none)."""
    for key in keys:
        value = record.get(key, "")
        if value.strip():
            return value
    return ""
