"""``strava-pipeline sandbox export --out PATH.zip``: the sandbox athlete's archive, as Strava's
"Download your data" writes it, consistent with what the sandbox's API serves.

activities.csv keeps Strava's quirks: names that repeat (``Distance`` in km then in metres,
``Elapsed Time``, ``Max Heart Rate``, ``Relative Effort``, ``Commute``), English-locale UTC dates
(``Oct 7, 2020, 2:43:11 PM``), empty cells, descriptions with commas, quotes and line breaks.
Activity files (pipeline/sandbox/activity_files.py) sit in ``activities/``, some gzipped.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

from pipeline.archive.columns import format_archive_time

# Strava's header, in Strava's order (a subset of the newest export's 90-odd columns, with every
# repeated name and every column the import maps).
HEADER: tuple[str, ...] = (
    "Activity ID", "Activity Date", "Activity Name", "Activity Type", "Activity Description",
    "Elapsed Time", "Distance", "Max Heart Rate", "Relative Effort", "Commute",
    "Activity Private Note", "Activity Gear", "Filename", "Athlete Weight", "Bike Weight",
    "Elapsed Time", "Moving Time", "Distance", "Max Speed", "Average Speed", "Elevation Gain",
    "Elevation Loss", "Elevation Low", "Elevation High", "Max Grade", "Average Grade",
    "Max Cadence", "Average Cadence", "Max Heart Rate", "Average Heart Rate", "Max Watts",
    "Average Watts", "Calories", "Max Temperature", "Average Temperature", "Relative Effort",
    "Total Work", "Perceived Exertion", "Weighted Average Power", "Commute", "From Upload",
    "Grade Adjusted Distance", "Bike", "Gear", "Dirt Distance", "Total Steps", "Media",
)
_DESCRIPTIONS = ("", "", "", "Easy, relaxed; legs \"fresh\"", "Intervals:\n6 x 800 m, 2' rest",
                 "With the club, then coffee")


def sport_label(sport_type: str) -> str:
    """'TrailRun' -> 'Trail Run': the display name Strava's archive writes."""
    return re.sub(r"(?<=[a-z])(?=[A-Z])", " ", sport_type)


def _number(value: Any, digits: int = 1) -> str:
    return "" if value is None else f"{float(value):.{digits}f}"


def _utc(text: str) -> datetime:
    return datetime.fromisoformat(text.removesuffix("Z"))


def csv_cells(act: Mapping[str, Any], filename: str) -> dict[tuple[str, int], str]:
    """One activity's cells keyed (name, occurrence), from the API's view of it."""
    distance = act.get("distance") or 0.0
    hr_max = _number(act.get("max_heartrate"))
    effort = _number(act.get("suffer_score"))
    commute = bool(act.get("commute"))
    watts = act.get("average_watts")
    work = None if watts is None else watts * act["moving_time"]
    return {
        ("Activity ID", 0): str(act["id"]),
        ("Activity Date", 0): format_archive_time(_utc(act["start_date"])),
        ("Activity Name", 0): act.get("name") or "",
        ("Activity Type", 0): sport_label(act.get("sport_type") or act["type"]),
        ("Activity Description", 0): _DESCRIPTIONS[act["id"] % len(_DESCRIPTIONS)],
        ("Elapsed Time", 0): str(act["elapsed_time"]),
        ("Distance", 0): f"{distance / 1000:.2f}",
        ("Max Heart Rate", 0): hr_max,
        ("Relative Effort", 0): effort,
        ("Commute", 0): "true" if commute else "false",
        ("Filename", 0): filename,
        ("Elapsed Time", 1): f"{act['elapsed_time']:.1f}",
        ("Moving Time", 0): f"{act['moving_time']:.1f}",
        ("Distance", 1): f"{distance:.1f}",
        ("Max Speed", 0): _number(act.get("max_speed"), 3),
        ("Average Speed", 0): _number(act.get("average_speed"), 3),
        ("Elevation Gain", 0): _number(act.get("total_elevation_gain")),
        ("Elevation Low", 0): _number(act.get("elev_low")),
        ("Elevation High", 0): _number(act.get("elev_high")),
        ("Average Cadence", 0): _number(act.get("average_cadence")),
        ("Max Heart Rate", 1): hr_max,
        ("Average Heart Rate", 0): _number(act.get("average_heartrate")),
        ("Max Watts", 0): _number(act.get("max_watts")),
        ("Average Watts", 0): _number(watts),
        ("Average Temperature", 0): _number(act.get("average_temp")),
        ("Relative Effort", 1): effort,
        ("Total Work", 0): _number(work),
        ("Weighted Average Power", 0): _number(act.get("weighted_average_watts")),
        ("Commute", 1): "1.0" if commute else "0.0",
        ("From Upload", 0): "0.0" if act.get("manual") else "1.0",
    }


def csv_text(activities: Iterable[Mapping[str, Any]],
             filename: Callable[[Mapping[str, Any]], str] = lambda act: "") -> str:
    """activities.csv (header and one row per activity, newest first as Strava writes it)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(HEADER)
    seen: dict[str, int] = {}
    keys = []
    for name in HEADER:
        keys.append((name, seen.get(name, 0)))
        seen[name] = seen.get(name, 0) + 1
    for act in sorted(activities, key=lambda act: act["start_date"], reverse=True):
        cells = csv_cells(act, filename(act))
        writer.writerow([cells.get(key, "") for key in keys])
    return out.getvalue()


def write_archive(activities: list[Mapping[str, Any]], out: Path,
                  files: Callable[[Mapping[str, Any]], tuple[str, bytes] | None] | None = None
                  ) -> int:
    """Write the archive ZIP: each activity's file (given ``files``: name relative to the
    archive, bytes), written as it is made so that one file at a time is in memory, then
    activities.csv naming them; return the number of activities."""
    names: dict[int, str] = {}
    temporary = out.with_name(f".{out.name}.partial")
    with zipfile.ZipFile(temporary, "w", zipfile.ZIP_DEFLATED) as archive:
        for act in activities if files else ():
            made = files(act)  # type: ignore[misc]
            if made:
                names[act["id"]] = made[0]
                archive.writestr(made[0], made[1])
        archive.writestr("activities.csv", csv_text(
            activities, lambda act: names.get(act["id"], "")))
    temporary.replace(out)
    return len(activities)
