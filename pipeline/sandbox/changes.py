"""Changes made on "Strava" after the fact: deletions, renames, re-types, kudos and late uploads.

A change list is JSON: a list of objects, each with an ``action`` and the activity it applies to,
chosen by ``id`` or by ``days_ago`` (the newest activity that started at least that many days
before the athlete's history ends), so a list means the same activities for every run:

    [{"action": "delete", "days_ago": 60},
     {"action": "rename", "days_ago": 40, "name": "Renamed"},
     {"action": "retype", "days_ago": 41, "sport_type": "Hike"},
     {"action": "kudos", "days_ago": 20, "kudos_count": 56},
     {"action": "upload", "days_ago": 17, "sport_type": "Ride", "name": "Synced late"}]

Served by ``strava-pipeline sandbox --changes FILE`` (applied at start) and by the admin
endpoint ``POST /admin/changes`` (applied while serving). Each applied change is reported as
``{"action", "id", "start_date"}`` so a test or a person knows which activity it hit.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from pipeline.sandbox.athlete import SyntheticAthlete
from pipeline.sandbox.index import start_epoch
from pipeline.sandbox.sports import SPORTS

ACTIONS = ("delete", "rename", "retype", "kudos", "upload")


class ChangeError(ValueError):
    """A change list that cannot be applied; the message says which entry and why."""


def load_changes(path: Path) -> list[dict[str, Any]]:
    """The change list of a JSON file; ChangeError when it is not one."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise ChangeError(f"cannot read the change list {path}: {error}") from None
    return check_changes(data)


def check_changes(data: Any) -> list[dict[str, Any]]:
    """``data`` if it is a list of change objects with known actions; ChangeError otherwise."""
    if not isinstance(data, list) or not all(isinstance(item, dict) for item in data):
        raise ChangeError("a change list is a JSON list of objects, each with an 'action'")
    for number, item in enumerate(data, start=1):
        if item.get("action") not in ACTIONS:
            raise ChangeError(f"change {number}: action {item.get('action')!r} is not one of "
                              f"{', '.join(ACTIONS)}")
    return data


def _end(athlete: SyntheticAthlete) -> datetime:
    return athlete.end.astimezone(timezone.utc)


def pick(athlete: SyntheticAthlete, item: dict[str, Any]) -> int:
    """The id of the activity a change names: ``id``, or the newest one that started at least
    ``days_ago`` days before the history's end."""
    if "id" in item:
        return int(item["id"])
    if "days_ago" not in item:
        raise ChangeError(f"change {item!r} names no activity: give 'id' or 'days_ago'")
    limit = (_end(athlete) - timedelta(days=float(item["days_ago"]))).timestamp()
    candidates = [(start_epoch(act["start_date"]), act["id"]) for act in athlete.snapshot()
                  if start_epoch(act["start_date"]) <= limit]
    if not candidates:
        raise ChangeError(f"no activity started {item['days_ago']} or more days before the end")
    return max(candidates)[1]


def apply_change(athlete: SyntheticAthlete, item: dict[str, Any]) -> dict[str, Any]:
    """Apply one change; what it did as {"action", "id", "start_date"}."""
    action = item["action"]
    if action == "upload":
        start = (datetime.fromisoformat(item["start"]) if "start" in item
                 else _end(athlete) - timedelta(days=float(item.get("days_ago", 0))))
        fields = {key: item[key] for key in ("name", "kudos_count") if key in item}
        act = athlete.add_activity(start, item.get("sport_type", "Run"), **fields)
        return {"action": action, "id": act["id"], "start_date": act["start_date"]}
    activity_id = pick(athlete, item)
    try:
        if action == "delete":
            act = athlete.remove_activity(activity_id)
        elif action == "rename":
            act = athlete.update_activity(activity_id, name=str(item["name"]))
        elif action == "kudos":
            act = athlete.update_activity(activity_id, kudos_count=int(item["kudos_count"]))
        else:
            sport_type = str(item["sport_type"])
            if sport_type not in SPORTS:
                raise ChangeError(f"unknown sport_type {sport_type!r}; one of {sorted(SPORTS)}")
            act = athlete.update_activity(activity_id, sport_type=sport_type,
                                          type=SPORTS[sport_type].type)
    except KeyError as error:
        raise ChangeError(f"change {item!r}: {error.args[0]}") from None
    return {"action": action, "id": activity_id, "start_date": act["start_date"]}


def apply_changes(athlete: SyntheticAthlete, changes: list[dict[str, Any]]
                  ) -> list[dict[str, Any]]:
    """Apply a checked change list in order; what each change did."""
    return [apply_change(athlete, item) for item in check_changes(changes)]
