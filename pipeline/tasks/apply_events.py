"""ApplyEvents: the stored webhook events applied to production as one micro-batch.

Per activity, however many events it had, the newest state wins: a delete removes the row; a
create or update fetches the activity once (``GET /activities/{id}``; a 404 means deleted) and
the fetched activities take the weekly run's path as a micro-batch: extract file, lake
(``strava/events/<batch>/activities.csv``), staging (``staging_events_<batch>``), merge. The
merge, the deletions and the applied events' keys are one warehouse transaction with the marker;
the state store marks the events applied afterwards (a crash in between is healed by the next
batch, which finds their keys in the warehouse). An athlete event with ``authorized: false``
forgets the athlete after the batch: every store emptied by the forget command's code
(pipeline/forget.py), as Strava's terms ask on revocation. Events of
another athlete are marked applied without effect.
"""

from __future__ import annotations

import json
import logging
import tempfile
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import luigi

from pipeline.backends.warehouse import WarehouseMarkerTarget
from pipeline.extract_stream import write_extract
from pipeline.graph_walk import read_once
from pipeline.reconcile import is_newest_run_date
from pipeline.strava.activities import parse_problem
from pipeline.strava.budget import Priority
from pipeline.tasks.base import RunDateTask

logger = logging.getLogger(__name__)
DEAUTHORIZED = "deauthorized"


def event_key(event: dict[str, Any]) -> str:
    """'subscription:object_type:object_id:aspect:event_time'."""
    return ":".join(str(event[name]) for name in (
        "subscription_id", "object_type", "object_id", "aspect_type", "event_time"))


def new_batch() -> str:
    """A batch name from the UTC time, e.g. '20261206t191500'."""
    return datetime.now(timezone.utc).strftime("%Y%m%dt%H%M%S")


def deauthorizes(event: dict[str, Any]) -> bool:
    """An athlete event that revokes the application's access."""
    updates = json.loads(event.get("updates") or "{}")
    return event["object_type"] == "athlete" and str(updates.get("authorized")).lower() == "false"


class ApplyEvents(RunDateTask):
    """The pending webhook events applied (see the module's docstring)."""

    batch = luigi.Parameter(default="", description="The batch's name (default: UTC now).")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._batch = self.batch or new_batch()

    @property
    def update_id(self) -> str:
        tag = f",{self.athlete_tag}" if self.athlete_tag else ""
        return f"ApplyEvents({self._batch}{tag})"

    @property
    def lake_key(self) -> str:
        folder = f"{self.athlete_tag[1:]}/" if self.athlete_tag else ""
        return f"strava/events/{folder}{self._batch}/activities.csv"

    @property
    def staging_table(self) -> str:
        tag = f"_{self.athlete_tag}" if self.athlete_tag else ""
        return f"staging_events_{self._batch.lower()}{tag}"

    def output(self) -> WarehouseMarkerTarget:
        return WarehouseMarkerTarget(self.warehouse, self.update_id)

    def run(self) -> None:
        pending = self.state.pending_events()
        done_keys = {row[0] for row in self.warehouse.query_file("events/applied_keys.sql")}
        healed = [(e, "applied earlier") for e in pending if event_key(e) in done_keys]
        if healed:
            self.state.mark_events_applied(healed)
        pending = [e for e in pending if event_key(e) not in done_keys]
        if not pending:
            self.warehouse.apply_event_batch(None, self.update_id, [], [])
            self.set_status_message("no pending event")
            return
        outcomes = self._apply(pending)
        self.state.mark_events_applied(outcomes)
        logger.info("applied %d webhook events (batch %s)", len(outcomes), self._batch)
        self.set_status_message(f"{len(outcomes)} events applied")
        if any(outcome.startswith(DEAUTHORIZED) for _, outcome in outcomes):
            self._forget_athlete()

    def _forget_athlete(self) -> None:
        """Strava's terms: an athlete who revoked access is forgotten, in every store (the
        forget command's code), once the batch's other effects are recorded."""
        from pipeline.athlete_scope import authorized_ids
        from pipeline.forget import forget  # the stores' adapters: only for a revocation

        # Several athletes (issue 26): only the one who revoked is forgotten.
        several = len(authorized_ids(self.settings)) > 1
        removed = forget(self.settings, athlete_id=self.athlete if several else None)
        with self.warehouse.transaction() as session:  # this batch's marker: no athlete data
            self.warehouse.write_marker(session, self.update_id, "strava_activity_data")
        logger.warning("the athlete revoked the application's access: every trace was deleted "
                       "(%d stores); a new authorization starts from scratch",
                       sum(1 for line in removed if not line.startswith(" ")))

    def _apply(self, pending: list[dict[str, Any]]) -> list[tuple[dict[str, Any], str]]:
        client = self.strava_client(Priority.RECONCILE)
        profile = client.get_json("/athlete") or {}
        athlete_id = profile.get("id")
        others = self._other_athletes(athlete_id)
        outcomes: dict[str, str] = {}
        newest: dict[int, dict[str, Any]] = {}
        for event in pending:  # oldest first: the last event of an activity decides
            if event["owner_id"] in others:
                continue  # that athlete's own batch applies it
            if event["owner_id"] != athlete_id:
                outcomes[event_key(event)] = "ignored: not this pipeline's athlete"
            elif event["object_type"] == "athlete":
                outcomes[event_key(event)] = self._athlete_event(event)
            else:
                newest[event["object_id"]] = event
        removed: list[int] = []
        fetched: list[dict[str, Any]] = []
        for activity_id, event in newest.items():
            activity = None if event["aspect_type"] == "delete" else \
                client.get_json(f"/activities/{activity_id}")
            if activity is None:
                removed.append(activity_id)
            else:
                fetched.append(activity)
        staging = self._stage(fetched) if fetched else None
        pending = [event for event in pending if event["owner_id"] not in others]
        for event in pending:
            key = event_key(event)
            if key not in outcomes:
                outcomes[key] = ("removed" if event["object_id"] in removed
                                 else "upserted from GET /activities")
        applied = [{"event_key": key, "batch": self._batch, "outcome": outcome[:200]}
                   for key, outcome in outcomes.items()]
        self.warehouse.apply_event_batch(staging, self.update_id, removed, applied)
        return [(event, outcomes[event_key(event)]) for event in pending]

    def _other_athletes(self, athlete_id: Any) -> set[int]:
        """The other authorized athletes: their events wait for their own batch (issue 26)."""
        from pipeline.athlete_scope import authorized_ids

        return {other for other in authorized_ids(self.settings) if other != athlete_id}

    def _athlete_event(self, event: dict[str, Any]) -> str:
        if not deauthorizes(event):
            return "ignored: athlete update"
        return f"{DEAUTHORIZED}: the athlete forgotten in every store"

    def _stage(self, activities: list[dict[str, Any]]) -> str | None:
        """The fetched activities as an extract file, in the lake, in staging."""
        kept = []
        for activity in activities:
            problem = parse_problem(activity)
            if problem:
                logger.warning("event's activity set aside, it cannot be parsed: %s", problem)
            else:
                kept.append(activity)
        with tempfile.TemporaryDirectory(prefix="events-") as folder:
            path = Path(folder) / "activities.csv"
            rows = write_extract([kept], path, extracted_at=datetime.now(timezone.utc))
            if not rows:
                return None
            self.lake.put_file(path, self.lake_key)
        self.warehouse.load_staging(self.lake, self.lake_key, self.staging_table,
                                    f"StageEvents({self._batch})")
        return self.staging_table


def apply_events_if_pending(task: RunDateTask) -> list[luigi.Task]:
    """[ApplyEvents] for the weekly run when webhook events wait, else []."""
    try:
        pending = read_once(("events_pending", task.run_date), lambda: bool(
            task.state.event_counts()[0] and is_newest_run_date(task.state, task.run_date)))
    except Exception as error:  # a state store that cannot answer: the weekly run goes on
        logger.warning("could not count the pending webhook events: %s", error)
        return []
    batch = f"w{task.run_date:%Y%m%d}"
    return [ApplyEvents(run_date=task.run_date, batch=batch, athlete_id=task.athlete_id)] \
        if pending else []
