"""Turn Strava SummaryActivity objects into typed rows (the little 't' of EtLT).

A missing key, a JSON null and an empty string all become NULL (``pd.NA``), never 0, 'None',
'nan' or ''. Integer columns use pandas' nullable ``Int64`` so a count never turns into 165.0.
One fallback: an activity without ``sport_type`` (answers from before Strava added it in 2022
have ``type`` only) takes its ``type`` as ``sport_type``; the parser counts how often.

An activity the pipeline cannot parse (not an object, no integer id, a start date that is not
ISO 8601) is set aside with the reason and its raw JSON instead of stopping the week; a time
with a UTC offset is parsed (``start_date`` converted to UTC, ``start_date_local`` keeps its
wall-clock time); a lone surrogate in a text (which no warehouse can store) becomes U+FFFD and
is counted.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pandas is imported where it is used (start-up time, issue 23)
    import pandas as pd


# Column name -> pandas dtype, in the order of the production table: the columns of
# sql/migrations/0001_previous_release.sql, then those 0006_activity_fields.sql appends.
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
    "total_photo_count": "Int64",
    "device_watts": "boolean",
    "has_heartrate": "boolean",
    "max_watts": "Float64",
    "weighted_average_watts": "Float64",
    "external_id": "string",
    "upload_id": "Int64",
    "location_city": "string",
    "location_state": "string",
}

# Columns copied from the Strava object under the same key.
_SAME_KEY = tuple(
    name
    for name in ACTIVITY_COLUMNS
    if name
    not in {
        "athlete_id",
        "sport_type",
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


def _strava_time(value: str | None, local: bool = False) -> datetime | None:
    """Strava times end in 'Z' even when local: a naive time (UTC, or wall clock if ``local``).

    ValueError (or TypeError) when the value is not an ISO 8601 time.
    """
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise TypeError(f"not a time string: {value!r}")
    moment = datetime.fromisoformat(value.removesuffix("Z"))
    if moment.tzinfo is not None:
        if not local:
            moment = moment.astimezone(timezone.utc)
        moment = moment.replace(tzinfo=None)
    return moment


def local_start_day(activity: Any) -> date | None:
    """The local calendar date an activity started on; None when it has no readable one."""
    if not isinstance(activity, Mapping):
        return None
    try:
        moment = _strava_time(activity.get("start_date_local"), local=True)
    except (TypeError, ValueError):
        return None
    return moment.date() if moment else None


def _point(latlng: Any, index: int) -> float | None:
    if isinstance(latlng, list | tuple) and len(latlng) == 2:
        return latlng[index]
    return None


def sport_type_of(activity: Mapping[str, Any]) -> tuple[str | None, bool]:
    """The activity's ``sport_type``, else (an answer from before Strava added it) its
    ``type``; and whether ``type`` was taken."""
    sport_type = _blank_to_none(activity.get("sport_type"))
    if sport_type is not None:
        return sport_type, False
    fallback = _blank_to_none(activity.get("type"))
    return fallback, fallback is not None


def parse_activity(activity: Mapping[str, Any], extracted_at: datetime) -> dict[str, Any]:
    """Map one SummaryActivity to a row keyed by ACTIVITY_COLUMNS (values not yet typed)."""
    row: dict[str, Any] = {name: _blank_to_none(activity.get(name)) for name in _SAME_KEY}
    athlete = activity.get("athlete") or {}
    activity_map = activity.get("map") or {}
    row.update(
        athlete_id=athlete.get("id"),
        sport_type=sport_type_of(activity)[0],
        start_date=_strava_time(activity.get("start_date")),
        start_date_local=_strava_time(activity.get("start_date_local"), local=True),
        timezone=iana_timezone(activity.get("timezone")),
        lat=_point(activity.get("start_latlng"), 0),
        lng=_point(activity.get("start_latlng"), 1),
        end_lat=_point(activity.get("end_latlng"), 0),
        end_lng=_point(activity.get("end_latlng"), 1),
        summary_polyline=_blank_to_none(activity_map.get("summary_polyline")),
        extracted_at=extracted_at.replace(tzinfo=None, microsecond=0),
    )
    return row


_LONE_SURROGATE = re.compile("[\ud800-\udfff]")
_TEXT_COLUMNS = tuple(name for name, dtype in ACTIVITY_COLUMNS.items() if dtype == "string")


@dataclass
class ParsedActivities:
    """What the parser made of a listing: the typed frame and what it set aside or changed."""

    frame: pd.DataFrame
    unparseable: list[dict[str, Any]] = field(default_factory=list)  # {"reason", "activity"}
    replaced_surrogates: int = 0
    sport_type_from_type: int = 0  # activities without sport_type that took their type


def parse_problem(activity: Any, plausible: tuple[datetime, datetime] | None = None
                  ) -> str | None:
    """Why an activity cannot be parsed, or None when it can; given ``plausible`` ([earliest,
    latest) naive times), a start outside it is a reason too."""
    if not isinstance(activity, Mapping):
        return f"not a JSON object but {type(activity).__name__}"
    identifier = activity.get("id")
    if identifier is None:
        return "no id"
    if isinstance(identifier, bool) or not isinstance(identifier, int) \
            or not 0 < identifier < 2**63:
        return f"id {identifier!r} is not a positive 64-bit integer"
    for name in (*_SAME_KEY, "sport_type"):
        if not _fits(activity.get(name), ACTIVITY_COLUMNS[name]):
            return f"{name} {str(activity.get(name))[:60]!r} is not a {ACTIVITY_COLUMNS[name]}"
    athlete = activity.get("athlete")
    if athlete is not None and not (isinstance(athlete, Mapping)
                                    and _fits(athlete.get("id"), "Int64")):
        return "athlete is not an object with an integer id"
    for key in ("start_latlng", "end_latlng"):
        point = activity.get(key)
        if isinstance(point, list | tuple) and len(point) == 2 \
                and not all(_fits(value, "Float64") for value in point):
            return f"{key} {str(point)[:60]!r} is not two numbers"
    for key in ("start_date", "start_date_local"):
        value = activity.get(key)
        if key == "start_date" and value in (None, ""):
            return "no start_date"
        try:
            moment = _strava_time(value, local=key == "start_date_local")
        except (TypeError, ValueError, OverflowError):
            return f"{key} {str(value)[:60]!r} is not an ISO 8601 time"
        if plausible is not None and moment is not None \
                and not plausible[0] <= moment < plausible[1]:
            return (f"{key} {str(value)[:60]!r} is outside the plausible range "
                    f"{plausible[0].date()} to {(plausible[1] - timedelta(days=1)).date()}")
    return None


def _fits(value: Any, dtype: str) -> bool:
    """Whether a JSON value can become a value of the column's dtype (None and '' can)."""
    if value is None or value == "":
        return True
    if dtype == "Int64":  # Strava sends some integers as 165.0 (utc_offset)
        whole = isinstance(value, int) or (isinstance(value, float) and value.is_integer())
        return whole and not isinstance(value, bool) and -2**63 < value < 2**63
    if dtype == "Float64":
        return isinstance(value, int | float) and not isinstance(value, bool) \
            and abs(value) < 2**1024
    if dtype == "boolean":
        return isinstance(value, bool)
    return isinstance(value, str)


def _replace_lone_surrogates(row: dict[str, Any]) -> int:
    replaced = 0
    for name in _TEXT_COLUMNS:
        value = row.get(name)
        if isinstance(value, str) and _LONE_SURROGATE.search(value):
            row[name], count = _LONE_SURROGATE.subn("\ufffd", value)
            replaced += count
    return replaced


def parse_activities(activities: Iterable[Any], extracted_at: datetime,
                     validated: bool = False) -> ParsedActivities:
    """The typed frame of the parseable activities, the unparseable ones with their reason,
    how many lone surrogates became U+FFFD and how many activities took ``type`` as their
    ``sport_type``. ``validated``: the caller checked each with ``parse_problem`` already
    (issue 23: each activity validated once)."""
    rows: list[dict[str, Any]] = []
    unparseable: list[dict[str, Any]] = []
    replaced = 0
    from_type = 0
    for activity in activities:
        problem = None if validated else parse_problem(activity)
        if problem:
            unparseable.append({"reason": problem, "activity": activity})
            continue
        row = parse_activity(activity, extracted_at)
        replaced += _replace_lone_surrogates(row)
        from_type += sport_type_of(activity)[1]
        rows.append(row)
    return ParsedActivities(_frame(rows), unparseable, replaced, from_type)


def empty_activity_frame() -> pd.DataFrame:
    """A frame with every activity column and no rows (a week without activities)."""
    import pandas as pd

    return pd.DataFrame({name: pd.Series(dtype=dtype) for name, dtype in ACTIVITY_COLUMNS.items()})


def activities_frame(
    activities: Iterable[Mapping[str, Any]], extracted_at: datetime
) -> pd.DataFrame:
    """Typed, de-duplicated frame of activities, sorted by start time then id.

    Pages shift when activities arrive during a run, so the same id can come twice: the later
    copy (the fresher one) wins.
    """
    return parse_activities(activities, extracted_at).frame


def typed_frame(rows: list[dict[str, Any]]) -> pd.DataFrame:
    """The typed frame of parsed rows (keys of ACTIVITY_COLUMNS), de-duplicated by id (the
    later copy wins) and sorted by start time then id; also used by the archive import."""
    return _frame(rows)


def _frame(rows: list[dict[str, Any]]) -> pd.DataFrame:
    import pandas as pd

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
