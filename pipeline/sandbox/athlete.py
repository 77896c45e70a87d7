"""A deterministic synthetic Strava athlete whose activities tests can change while served."""

from __future__ import annotations

import random
import threading
from datetime import date, datetime, time, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo

from pipeline.sandbox.activity import build_activity, older_shape
from pipeline.sandbox.ids import activity_ids, id_at
from pipeline.sandbox.index import EncodingCache, ServingIndex
from pipeline.sandbox.kudos_arrival import Arrivals, KudosArrival
from pipeline.sandbox.names import HOSTILE_NAMES
from pipeline.sandbox.places import HOME
from pipeline.sandbox.schedule import Slot, plan_history, stream_rng
from pipeline.sandbox.sports import SPORTS

__all__ = ["ABSENT", "DEFAULT_END", "HOSTILE_NAMES", "SyntheticAthlete"]

DEFAULT_END = datetime(2026, 11, 22, 12, 0, tzinfo=timezone.utc)
ABSENT: Any = object()  # pass as a field value to update_activity() to delete the key


def athlete_id_of(seed: int) -> int:
    """The id of the synthetic athlete of ``seed`` (without building their history)."""
    return random.Random(seed).randint(5_000_000, 150_000_000)


def athlete_seeds(seed: int, count: int) -> list[int]:
    """The seeds of ``count`` sandbox athletes (``sandbox --athletes N``): ``seed`` for the
    first (the single athlete of every earlier sandbox), then ``seed + 1``, ``seed + 2``, ..."""
    return [seed + position for position in range(count)]


def sandbox_name(position: int) -> str:
    """The name of the sandbox's athlete at ``position``: "Sandbox Athlete", then
    "Sandbox Athlete 2", "Sandbox Athlete 3", ..."""
    return "Sandbox Athlete" + (f" {position + 1}" if position else "")


def athlete_end(last_day: date) -> datetime:
    """SyntheticAthlete's ``end`` for a history whose last activity day is ``last_day``."""
    return datetime.combine(last_day + timedelta(days=1), time(12), tzinfo=timezone.utc)


class SyntheticAthlete:
    """Years of believable activities for one athlete: the ``n_activities`` newest before ``end``.

    The same seed and size give the same athlete for every end date: an activity's id and values
    depend on when it happened, never on where the history ends (pipeline/sandbox/schedule.py),
    so histories that end on different dates agree on every day they share.

    ``activities`` holds SummaryActivity dicts oldest first, with their settled kudos; the server
    shows the kudos that had arrived by its clock (``serving_index(now)``). Change them through
    the mutation helpers (or assign a new list): they replace dicts rather than editing them, so
    a served snapshot never changes under a reader and the serving index knows to rebuild.
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
        self._index: tuple[tuple[Any, ...], ServingIndex] | None = None
        self.athlete_id: int = athlete_id_of(seed)
        slots = plan_history(seed, n_activities, end)
        ids = activity_ids([slot.start_utc.timestamp() for slot in slots])
        self._activities: list[dict[str, Any]] = []
        arrivals: dict[int, KudosArrival] = {}
        for slot, activity_id in zip(slots, ids, strict=True):
            act = build_activity(stream_rng(seed, slot.key, "activity"), activity_id,
                                 self.athlete_id, slot)
            draws = stream_rng(seed, slot.key, "shape")
            older_shape(draws, act, slot.start_utc)
            if slot.hostile is not None:
                act["name"] = HOSTILE_NAMES[slot.hostile]
            if act["kudos_count"]:
                uploaded = slot.start_utc.timestamp() + act["elapsed_time"] \
                    + draws.uniform(120, 3600)
                arrivals[activity_id] = KudosArrival(uploaded, act["kudos_count"], draws.random())
            self._activities.append(act)
        self._arrivals = Arrivals(arrivals)
        self._max_id = ids[-1] if ids else id_at(end.timestamp())
        self._added = 0

    @property
    def activities(self) -> list[dict[str, Any]]:
        """SummaryActivity dicts, oldest first (late uploads appended at the end)."""
        return self._activities

    @activities.setter
    def activities(self, activities: list[dict[str, Any]]) -> None:
        with self._lock:
            self._activities = activities
            self._version += 1

    def serving_index(self, now: float | None = None) -> ServingIndex:
        """The activities sorted and encoded for paging, as served at ``now`` (epoch seconds:
        the kudos that had arrived by then; None: every kudo settled). Rebuilt only after a
        change, or when kudos arrived."""
        with self._lock:
            unsettled = self._unsettled(now)
            key = (self._version, len(self._activities), tuple(sorted(unsettled.items())))
            if self._index is None or self._index[0] != key:
                served = [_with_kudos(act, unsettled) for act in self._activities]
                self._index = (key, ServingIndex(served, self._encodings))
                self._encodings.forget_except({act["id"] for act in self._activities})
            return self._index[1]

    def _unsettled(self, now: float | None) -> dict[int, int]:
        """Activity id -> kudos arrived at ``now``, for activities still collecting kudos whose
        kudos no one changed."""
        if now is None:
            return {}
        counts = self._arrivals.unsettled(now)
        if not counts:
            return counts
        stored = {act["id"]: act.get("kudos_count") for act in self._activities
                  if act["id"] in counts}
        return {activity_id: count for activity_id, count in counts.items()
                if (arrival := self._arrivals.get(activity_id)) is not None
                and stored.get(activity_id) == arrival.settled}

    def served(self, now: float) -> list[dict[str, Any]]:
        """The activities (oldest first) as the server shows them at ``now``."""
        with self._lock:
            unsettled = self._unsettled(now)
            return [_with_kudos(act, unsettled) for act in self._activities]

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

    def get(self, activity_id: int, now: float | None = None) -> dict[str, Any]:
        """The activity with this id (a copy), as served at ``now`` if given; KeyError if
        there is none."""
        with self._lock:
            act = dict(self._activities[self._position(activity_id)])
            arrival = self._arrivals.get(activity_id)
            if now is not None and arrival is not None and \
                    act.get("kudos_count") == arrival.settled:
                act["kudos_count"] = arrival.count_at(now)
            return act

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
        """Change fields of an activity (e.g. ``kudos_count``, ``name``); ABSENT deletes one.

        Kudos set here are served as they are from then on (no more arrive)."""
        with self._lock:
            index = self._position(activity_id)
            if "kudos_count" in fields:
                self._arrivals.forget(activity_id)
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


def _with_kudos(act: dict[str, Any], counts: dict[int, int]) -> dict[str, Any]:
    """The activity with the kudos arrived so far, or itself when they settled."""
    count = counts.get(act["id"])
    return act if count is None else {**act, "kudos_count": count}


def _apply(act: dict[str, Any], fields: dict[str, Any]) -> None:
    for key, value in fields.items():
        if value is ABSENT:
            act.pop(key, None)
        else:
            act[key] = value
