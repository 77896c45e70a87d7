"""A deterministic synthetic Strava athlete whose activities tests can change while served."""

from __future__ import annotations

import random
import threading
from datetime import date, datetime, time, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo

from pipeline.sandbox.activity import build_activity
from pipeline.sandbox.index import EncodingCache, ServingIndex
from pipeline.sandbox.names import HOSTILE_NAMES
from pipeline.sandbox.places import HOME
from pipeline.sandbox.schedule import Slot, plan_schedule
from pipeline.sandbox.sports import SPORTS

__all__ = ["ABSENT", "DEFAULT_END", "HOSTILE_NAMES", "SyntheticAthlete"]

DEFAULT_END = datetime(2026, 11, 22, 12, 0, tzinfo=timezone.utc)
FIRST_ID = 11_000_000_000
HOSTILE_SHARE = 0.04
ABSENT: Any = object()  # pass as a field value to update_activity() to delete the key


def athlete_end(last_day: date) -> datetime:
    """SyntheticAthlete's ``end`` for a history whose last activity day is ``last_day``."""
    return datetime.combine(last_day + timedelta(days=1), time(12), tzinfo=timezone.utc)


class SyntheticAthlete:
    """Years of believable activities for one athlete, the same for the same seed and end.

    ``activities`` holds SummaryActivity dicts oldest first. Change them through the mutation
    helpers (or assign a new list): they replace dicts rather than editing them, so a served
    snapshot never changes under a reader and the serving index knows to rebuild.
    """

    def __init__(
        self, seed: int = 42, n_activities: int = 1200, end: datetime = DEFAULT_END
    ) -> None:
        if end.tzinfo is None:
            end = end.replace(tzinfo=timezone.utc)
        self.seed = seed
        self.end = end
        self._lock = threading.RLock()
        self._version = 0
        self._encodings = EncodingCache()
        self._index: tuple[tuple[int, int], ServingIndex] | None = None
        rng = random.Random(seed)
        self.athlete_id: int = rng.randint(5_000_000, 150_000_000)
        slots = plan_schedule(rng, n_activities, end)
        self._activities: list[dict[str, Any]] = []
        next_id = FIRST_ID + rng.randrange(50_000_000)
        previous = slots[0].start_utc if slots else end
        for slot in slots:
            gap_seconds = (slot.start_utc - previous).total_seconds()
            next_id += int(gap_seconds * rng.uniform(28, 40)) + rng.randint(1, 5_000)
            previous = slot.start_utc
            year_index = int((slot.start_utc - slots[0].start_utc).days // 365)
            self._activities.append(
                build_activity(rng, next_id, self.athlete_id, slot, year_index)
            )
        self._max_id = next_id
        self._added = 0
        self._apply_hostile_names(rng)

    def _apply_hostile_names(self, rng: random.Random) -> None:
        n = len(self.activities)
        count = round(n * HOSTILE_SHARE)
        if n >= 200:
            count = max(count, len(HOSTILE_NAMES))
        names = []
        while len(names) < count:
            batch = list(HOSTILE_NAMES)
            rng.shuffle(batch)
            names.extend(batch)
        for index, name in zip(sorted(rng.sample(range(n), count)), names[:count], strict=True):
            self.activities[index]["name"] = name

    @property
    def activities(self) -> list[dict[str, Any]]:
        """SummaryActivity dicts, oldest first (late uploads appended at the end)."""
        return self._activities

    @activities.setter
    def activities(self, activities: list[dict[str, Any]]) -> None:
        with self._lock:
            self._activities = activities
            self._version += 1

    def serving_index(self) -> ServingIndex:
        """The activities sorted and encoded for paging, rebuilt only after a change."""
        with self._lock:
            key = (self._version, len(self._activities))
            if self._index is None or self._index[0] != key:
                self._index = (key, ServingIndex(self._activities, self._encodings))
                self._encodings.forget_except({act["id"] for act in self._activities})
            return self._index[1]

    def __len__(self) -> int:
        with self._lock:
            return len(self.activities)

    def snapshot(self) -> list[dict[str, Any]]:
        """A consistent copy of the activity list (the dicts themselves are never edited)."""
        with self._lock:
            return list(self.activities)

    def profile(self) -> dict[str, Any]:
        """The athlete summary Strava returns with a token exchange and from ``/athlete``."""
        return {
            "id": self.athlete_id,
            "username": f"sandbox_athlete_{self.seed}",
            "resource_state": 2,
            "firstname": "Sandbox",
            "lastname": "Athlete",
            "city": HOME.city,
            "state": "Ontario",
            "country": HOME.country,
            "sex": None,
            "premium": False,
            "summit": False,
        }

    def _position(self, activity_id: int) -> int:
        for index, act in enumerate(self.activities):
            if act["id"] == activity_id:
                return index
        raise KeyError(f"no activity with id {activity_id}")

    def get(self, activity_id: int) -> dict[str, Any]:
        """The activity with this id (a copy); KeyError if there is none."""
        with self._lock:
            return dict(self._activities[self._position(activity_id)])

    def add_activity(
        self, start: datetime, sport_type: str = "Run", **overrides: Any
    ) -> dict[str, Any]:
        """Upload a new activity starting at ``start`` (may be back-dated: a late upload).

        Its id is larger than every id issued so far, as for a real late upload. Keyword
        arguments override fields of the generated activity.
        """
        if sport_type not in SPORTS:
            raise ValueError(f"unknown sport_type {sport_type!r}; one of {sorted(SPORTS)}")
        if start.tzinfo is None:
            start = start.replace(tzinfo=timezone.utc)
        with self._lock:
            self._added += 1
            rng = random.Random(self.seed * 1_000_003 + self._added)
            local = start.astimezone(ZoneInfo(HOME.tz)).replace(tzinfo=None)
            slot = Slot(start.astimezone(timezone.utc), local, HOME, sport_type, "easy")
            self._max_id += rng.randint(100_000, 3_000_000)
            act = build_activity(rng, self._max_id, self.athlete_id, slot)
            _apply(act, overrides)
            self._activities.append(act)
            self._version += 1
            return dict(act)

    def update_activity(self, activity_id: int, **fields: Any) -> dict[str, Any]:
        """Change fields of an activity (e.g. ``kudos_count``, ``name``); ABSENT deletes one."""
        with self._lock:
            index = self._position(activity_id)
            act = dict(self._activities[index])
            _apply(act, fields)
            self._activities[index] = act
            self._version += 1
            return dict(act)

    def remove_activity(self, activity_id: int) -> dict[str, Any]:
        """Delete an activity (as the athlete deleting it on Strava) and return it."""
        with self._lock:
            self._version += 1
            return self._activities.pop(self._position(activity_id))


def _apply(act: dict[str, Any], fields: dict[str, Any]) -> None:
    for key, value in fields.items():
        if value is ABSENT:
            act.pop(key, None)
        else:
            act[key] = value
