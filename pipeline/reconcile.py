"""Reconciliation rules (issue 20): when one is due, and when its deletions need a confirmation.

The weekly run reads only its lookback window; a reconciliation lists the athlete's whole history
(ceil(N/200) + 1 list requests) and brings production in line with it: new and changed
activities upserted, the ones Strava no longer lists removed (kept in the lake first).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date
from typing import Any

from pipeline.archive.options import archive_only
from pipeline.backends import StateStore
from pipeline.backends.state import HISTORY_READ_ATTEMPT
from pipeline.settings import Settings

MASS_DELETE_CHECK = "reconcile_mass_delete"


def reconcile_due(state: StateStore, settings: Settings, run_date: date,
                  athlete_id: int = 0) -> bool:
    """Whether WeeklyPipeline(run_date) reconciles: RECONCILE_EVERY_WEEKS (0: only on demand)
    weeks or more after the last completed reconciliation of an earlier date, or, when there was
    none, after the first run (which read the whole history). Never for a run date whose
    backfill read the whole history (that read counts as its reconciliation), never on a first
    run, never for a run date older than the newest one recorded (rerunning or inspecting an old
    date does not reconcile, and ``status`` shows no retroactive stage). Per athlete (issue
    26). Never in archive-only mode (ARCHIVE_ONLY=on): there is no Strava to list."""
    every = settings.reconcile_every_weeks
    if every <= 0 or archive_only():  # archive-only: nothing is listed to reconcile against
        return False
    history = [day for day, _, _ in state.history(athlete_id)]
    earlier = [day for day in history if day < run_date]
    if not earlier or any(day > run_date for day in history):
        return False
    if state.history_read_of(run_date, athlete_id):
        return False  # the backfill that loaded this date listed the whole history
    last = state.last_reconciliation(before=run_date, athlete_id=athlete_id)
    since = last["run_date"] if last else min(earlier)
    return (run_date - since).days >= 7 * every


def is_newest_run_date(state: StateStore, run_date: date) -> bool:
    """Whether no later run date has a watermark (the weekly run of the newest date)."""
    return not any(day > run_date for day, _, _ in state.history())


def list_requests(activities: int, per_page: int = 200) -> int:
    """The list requests a reconciliation of ``activities`` makes: full pages and one empty."""
    return math.ceil(activities / per_page) + 1 if activities else 1


@dataclass(frozen=True)
class DeleteGuard:
    """Whether removing ``removing`` of ``in_scope`` production rows needs a confirmation."""

    removing: int
    in_scope: int
    listed: int
    max_share: float

    @property
    def trips(self) -> bool:
        """More than the share would go, or Strava listed nothing while production holds rows."""
        if self.removing == 0:
            return False
        return (self.listed == 0 and self.in_scope > 0) or \
            self.removing > self.max_share * self.in_scope

    def message(self, run_date: date) -> str:
        """The one line of a tripped guard: how many rows would go and how to confirm."""
        share = self.removing / max(1, self.in_scope)
        why = ("Strava listed no activity at all" if self.listed == 0 else
               f"more than RECONCILE_MAX_DELETE_SHARE={self.max_share:g}")
        return (f"reconciliation of {run_date} would remove {self.removing} of "
                f"{self.in_scope} activities from production ({share:.1%}; {why}); nothing "
                "was deleted: check the athlete on Strava, then confirm with "
                f"`strava-pipeline reconcile --date {run_date} --allow-mass-delete`")


def reconciliation_line(last: dict[str, Any] | None) -> str:
    """'Reconciliation: last of <date>, completed ...' or 'none yet', for one athlete's newest."""
    if last is None:
        return ("Reconciliation: none yet (strava-pipeline reconcile; the weekly run "
                "reconciles every RECONCILE_EVERY_WEEKS weeks)")
    if last["attempt"] == HISTORY_READ_ATTEMPT:
        return (f"Reconciliation: last of {last['run_date'].isoformat()}, the backfill's read "
                f"of the whole history (no separate reconciliation ran), completed "
                f"{last['completed_at']:%Y-%m-%d %H:%M} UTC: {last['listed']} listed, "
                f"{last['added']} loaded week by week")
    label = last["run_date"].isoformat() + (f".{last['attempt']}" if last["attempt"] > 1
                                             else "")
    return (f"Reconciliation: last of {label}, completed "
            f"{last['completed_at']:%Y-%m-%d %H:%M} UTC: {last['listed']} listed, "
            f"{last['added']} added, {last['changed']} changed, {last['removed']} removed"
            + (f" (kept in strava/deleted/{label}/)" if last["removed"] else ""))


def status_lines(state: StateStore, per_athlete: bool = False) -> list[str]:
    """What ``strava-pipeline status`` says about reconciliations and webhook events (the
    reconciliation line left to each athlete's block when ``per_athlete``)."""
    lines = [] if per_athlete else [reconciliation_line(state.last_reconciliation())]
    pending, applied, newest = state.event_counts()
    received = f", newest received {newest:%Y-%m-%d %H:%M} UTC" if newest else ""
    lines.append(f"Webhook events: {pending} pending, {applied} applied{received}")
    return lines
