"""TrainKudosModel: the kudos model retrained when due after production changes
(pipeline/kudos/schedule.py), promoted only if better; otherwise the champion scores."""

from __future__ import annotations

import luigi

from pipeline.activity_csv import read_ids
from pipeline.athlete_scope import authorized_ids
from pipeline.backends.warehouse import WarehouseMarkerTarget
from pipeline.tasks.apply_events import apply_events_if_pending
from pipeline.tasks.base import RunDateTask
from pipeline.tasks.production import LoadProduction
from pipeline.tasks.reconcile import reconcile_if_due


class TrainKudosModel(RunDateTask):
    """A kudos_model_runs row, the model in models/kudos/YYYY-MM-DD/ and the champion's
    kudos_predictions for the run date (the last 12 weeks and every activity the run loaded),
    written with the marker in one transaction.

    Too little history or an unchanged production is a recorded skip, and the run completes;
    so is a configuration where the model may not train (KUDOS_MODEL, pipeline/kudos/terms.py).
    """

    def requires(self) -> list[luigi.Task]:
        return [self.same_athlete(LoadProduction), *reconcile_if_due(self),
                *apply_events_if_pending(self)]

    def output(self) -> WarehouseMarkerTarget:
        return WarehouseMarkerTarget(self.warehouse, self.update_id)

    def loaded_ids(self) -> frozenset[int]:
        """The ids of the activities this run date loaded: its extract in the lake (none when
        the extract is gone, e.g. quarantined)."""
        if not self.lake.exists(self.lake_key):
            return frozenset()
        with self.lake.local_file(self.lake_key) as path:
            return read_ids(path)

    def run(self) -> None:
        from pipeline.kudos.terms import training_refusal
        from pipeline.kudos.training import run_kudos_model  # scikit-learn: only to train

        refusal = training_refusal(self.settings)
        several = len(authorized_ids(self.settings)) > 1 or bool(self.athlete_tag)
        outcome = run_kudos_model(self.warehouse, self.lake, self.run_date,
                                  self.settings.kudos_min_activities, self.update_id,
                                  refusal,
                                  self.settings.kudos_settle_days, self.loaded_ids(),
                                  self.settings.kudos_retrain_every_weeks,
                                  self.settings.kudos_retrain_drift_share,
                                  # several athletes: one model per athlete (issue 26)
                                  athlete_id=self.athlete if several else 0)
        self.set_status_message(outcome.summary)
