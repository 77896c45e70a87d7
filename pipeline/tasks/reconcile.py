"""Reconcile: the athlete's whole history listed again, production brought in line with it.

The same path as the weekly run, with the reconciliation's own dated targets (so a crash reruns
cleanly and never touches the weekly run's): ExtractHistory (every activity up to the run date)
-> UploadHistory (``strava/reconcile/D/activities.csv``) -> StageHistory
(``staging_reconcile_YYYYMMDD``) -> ValidateHistory (the checks file) -> Reconcile (new and
changed rows upserted, rows Strava no longer lists removed after a copy went to
``strava/deleted/D/activities.csv``, one transaction with the marker). ``attempt`` tells apart
reconciliations of one run date (``strava-pipeline reconcile`` starts a new one each time the
last one completed); attempt 1 has the plain date in its names.
"""

from __future__ import annotations

import json
import logging
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import luigi

from pipeline import notify
from pipeline.activity_csv import write_activities_csv
from pipeline.backends.warehouse import WarehouseMarkerTarget, utc_now
from pipeline.errors import one_line
from pipeline.graph_walk import read_once
from pipeline.page_spool import PageSpool, read_key, resumable_pages
from pipeline.reconcile import MASS_DELETE_CHECK, DeleteGuard, reconcile_due
from pipeline.run_dates import run_week
from pipeline.strava.budget import Priority
from pipeline.tasks.base import RunDateTask
from pipeline.tasks.extract import ExtractActivities, put_keeping_earlier
from pipeline.tasks.lake import UploadToLake
from pipeline.tasks.production import LoadProduction
from pipeline.tasks.quarantine import forget_staging
from pipeline.tasks.staging import CopyToStaging
from pipeline.tasks.validation import ValidateStaging

if TYPE_CHECKING:  # pandas is imported where it is used (start-up time, issue 23)
    import pandas as pd

logger = logging.getLogger(__name__)


class ReconcileHalted(RuntimeError):
    """The mass-delete guard stopped a reconciliation; nothing was deleted."""


class HistoryTargets:
    """The reconciliation's own names for a run date's targets (mixed into each stage)."""

    attempt = luigi.IntParameter(
        default=1, description="Which reconciliation of the run date (1, 2, ...).")

    run_date: Any
    settings: Any
    task_family: str
    athlete_id: int
    athlete_tag: str

    @property
    def label(self) -> str:
        """'2026-11-29' for attempt 1, '2026-11-29.2' for attempt 2; another athlete than the
        install's first: '2026-11-29,a42' in marker ids."""
        day = self.run_date.isoformat()
        day = day if self.attempt == 1 else f"{day}.{self.attempt}"
        return f"{day},{self.athlete_tag}" if self.athlete_tag else day

    @property
    def folder(self) -> str:
        """The label as a path part: '2026-11-29', '42/2026-11-29.2'."""
        day = self.run_date.isoformat()
        day = day if self.attempt == 1 else f"{day}.{self.attempt}"
        return f"{self.athlete_tag[1:]}/{day}" if self.athlete_tag else day

    @property
    def update_id(self) -> str:
        """e.g. 'Reconcile(2026-11-29)', 'StageHistory(2026-11-29.2)'."""
        return f"{self.task_family}({self.label})"

    @property
    def lake_key(self) -> str:
        """The reconciliation's extract in the lake."""
        return f"strava/reconcile/{self.folder}/activities.csv"

    @property
    def raw_key(self) -> str:
        """The raw JSON of the whole history read."""
        return f"strava/reconcile/{self.folder}/activities.jsonl"

    @property
    def unparseable_key(self) -> str:
        """The activities of the history the parser set aside."""
        return f"strava/reconcile/{self.folder}/unparseable.json"

    @property
    def deleted_key(self) -> str:
        """Where the rows a reconciliation removes are kept."""
        return f"strava/deleted/{self.folder}/activities.csv"

    @property
    def extract_path(self) -> Path:
        """$DATA_DIR/extract/reconcile/<label>/activities.csv."""
        return Path(self.settings.extract_dir) / "reconcile" / self.folder / "activities.csv"

    @property
    def staging_table(self) -> str:
        """staging_reconcile_YYYYMMDD (with _N for attempt N > 1)."""
        suffix = "" if self.attempt == 1 else f"_{self.attempt}"
        tag = f"_{self.athlete_tag}" if self.athlete_tag else ""
        return f"staging_reconcile_{self.run_date:%Y%m%d}{suffix}{tag}"

    def staging_markers(self) -> tuple[list[str], str]:
        """The markers a quarantine of this reconciliation's staging forgets."""
        return [f"StageHistory({self.label})"], f"ValidateHistory({self.label})"

    def stage(self, family: type[luigi.Task]) -> luigi.Task:
        """Another stage of the same reconciliation."""
        return family(run_date=self.run_date, attempt=self.attempt, athlete_id=self.athlete_id)


class ExtractHistory(HistoryTargets, ExtractActivities):
    """Every activity up to the run date, listed after the run date's weekly load."""

    budget_priority = Priority.RECONCILE

    def requires(self) -> LoadProduction:
        return self.same_athlete(LoadProduction)

    def window(self) -> tuple[int, int]:
        """From the beginning of time to the extract's usual upper bound."""
        _, before = super().window()
        return 0, before

    def _spool(self, after: int, before: int) -> PageSpool:
        return PageSpool(self.lake, f"{read_key(after, before)}-history-{self.label}")

    def pages(self, client: Any, after: int, before: int) -> Iterator[list[dict[str, Any]]]:
        """The history's pages, kept in the lake as they arrive: a read stopped by the shared
        budget (or killed) resumes at the page it reached (pipeline/page_spool.py)."""
        return resumable_pages(client, self._spool(after, before), after, before)

    def pages_done(self, after: int, before: int) -> None:
        self._spool(after, before).clear()


class UploadHistory(HistoryTargets, UploadToLake):
    """strava/reconcile/<label>/activities.csv."""

    def requires(self) -> luigi.Task:
        return self.stage(ExtractHistory)


class StageHistory(HistoryTargets, CopyToStaging):
    """The whole history in staging_reconcile_YYYYMMDD."""

    def requires(self) -> luigi.Task:
        return self.stage(UploadHistory)


class ValidateHistory(HistoryTargets, ValidateStaging):
    """The checks file on the reconciliation's staging table."""

    def requires(self) -> luigi.Task:
        return self.stage(StageHistory)


class Reconcile(HistoryTargets, RunDateTask):
    """Production in line with Strava's whole history up to the run date: new and changed
    activities upserted, those Strava no longer lists removed (copied to the lake first), all in
    one transaction with the marker; then the reconciliation is recorded in the state store.

    The mass-delete guard: when more than RECONCILE_MAX_DELETE_SHARE of the rows would go, or
    Strava listed nothing while production holds rows, nothing is deleted, a failing
    ``reconcile_mass_delete`` row is recorded and the task fails (Slack hears of it) unless
    ``allow_mass_delete``.
    """

    allow_mass_delete = luigi.BoolParameter(
        default=False, significant=False,
        description="Remove the rows even when the mass-delete guard would stop.")

    def requires(self) -> list[luigi.Task]:
        return [self.stage(StageHistory), self.stage(ValidateHistory)]

    def output(self) -> WarehouseMarkerTarget:
        return WarehouseMarkerTarget(self.warehouse, self.update_id)

    def run(self) -> None:
        warehouse, staging = self.warehouse, self.staging_table
        if not warehouse.table_exists(staging):
            forget_staging(self)
            raise RuntimeError(f"{staging} is missing although the history was staged and "
                               "checked: those markers are now removed; rerun the reconciliation")
        params = {"run_week_end": run_week(self.run_date).parameters()["run_week_end"],
                  "athlete_id": self.athlete}
        listed = int(warehouse.query("SELECT COUNT(*) FROM {staging}", staging=staging)[0][0])
        in_scope = int(warehouse.query_file("reconcile/in_scope_count.sql", params)[0][0])
        removed = self._removed_rows(params)
        guard = DeleteGuard(len(removed), in_scope, listed + len(self._set_aside_ids()),
                            self.settings.reconcile_max_delete_share)
        if guard.trips and not self.allow_mass_delete:
            raise self._halt(guard)
        if len(removed):
            self._keep_removed(removed)
        added, changed = warehouse.reconcile_staging(staging, self.update_id,
                                                     [int(i) for i in removed["id"]])
        counts = {"listed": listed, "added": added, "changed": changed, "removed": len(removed)}
        self.state.record_reconciliation(self.run_date, self.attempt, counts, self.athlete)
        summary = ", ".join(f"{n} {name}" for name, n in counts.items())
        logger.info("reconciliation of %s: %s", self.label, summary)
        self.set_status_message(summary)

    def _set_aside_ids(self) -> set[int]:
        """Ids of the listed activities the parser set aside (still on Strava: kept)."""
        if not self.lake.exists(self.unparseable_key):
            return set()
        with self.lake.open_binary(self.unparseable_key) as handle:
            items = json.load(handle)
        return {int(item["activity"]["id"]) for item in items
                if isinstance(item.get("activity"), dict)
                and str(item["activity"].get("id", "")).isdigit()}

    def _removed_rows(self, params: dict[str, Any]) -> pd.DataFrame:
        """Production's rows in scope that Strava no longer lists."""
        import pandas as pd

        with self.warehouse.transaction() as session:
            session.run_file("reconcile/removed_rows.sql", params,
                             staging_table=self.staging_table)
            names, rows = session.column_names, session.fetchall()
        frame = pd.DataFrame(rows, columns=names)
        keep = self._set_aside_ids()
        return frame[~frame["id"].isin(keep)].reset_index(drop=True) if keep else frame

    def _keep_removed(self, removed: pd.DataFrame) -> None:
        """The removed rows to the lake, in the extract's dialect, before any is deleted."""
        with tempfile.TemporaryDirectory(prefix="deleted-") as folder:
            path = Path(folder) / "activities.csv"
            write_activities_csv(removed, path)
            put_keeping_earlier(self.lake, path, self.deleted_key)
        logger.info("kept the %d rows to remove in %s", len(removed),
                    self.lake.uri(self.deleted_key))

    def _halt(self, guard: DeleteGuard) -> ReconcileHalted:
        """Record the failing guard, tell Slack, and the error to raise."""
        message = guard.message(self.run_date)
        row = {"run_date": self.run_date, "check_name": MASS_DELETE_CHECK,
               "left_value": float(guard.removing), "right_value":
               float(self.settings.reconcile_max_delete_share * guard.in_scope),
               "operator": "less_equals", "severity": "halt", "status": "fail",
               "message": message[:500], "checked_at": utc_now()}
        self.warehouse.record_validations([row])
        if self.settings.slack_webhook_url:
            try:
                notify.post_to_slack(self.settings, notify.validation_summary_payload(
                    self.settings, self.run_date,
                    [{key: row[key] for key in ("check_name", "severity", "status",
                                                "message")}]))
            except Exception as error:  # the guard's verdict stands without Slack
                logger.warning("reconciliation guard not sent to Slack: %s", one_line(error))
        return ReconcileHalted(message)


def reconcile_if_due(task: RunDateTask) -> list[luigi.Task]:
    """[Reconcile(run_date)] when the weekly run of the date reconciles (RECONCILE_EVERY_WEEKS),
    else []: models, the kudos model and the dashboard then wait for it."""
    try:
        due = read_once(("reconcile_due", task.run_date, task.athlete_id),
                        lambda: reconcile_due(task.state, task.settings, task.run_date,
                                              task.athlete))
    except Exception as error:  # a state store that cannot answer: the weekly run goes on
        logger.warning("could not tell whether a reconciliation is due: %s", one_line(error))
        return []
    return [Reconcile(run_date=task.run_date, athlete_id=task.athlete_id)] if due else []


__all__ = ["ExtractHistory", "Reconcile", "ReconcileHalted", "StageHistory", "UploadHistory",
           "ValidateHistory", "reconcile_if_due"]
