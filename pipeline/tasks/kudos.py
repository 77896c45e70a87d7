"""TrainKudosModel: the kudos model retrained after production changes, promoted only if better."""

from __future__ import annotations

from pipeline.backends.warehouse import WarehouseMarkerTarget
from pipeline.tasks.base import RunDateTask
from pipeline.tasks.production import LoadProduction


class TrainKudosModel(RunDateTask):
    """A kudos_model_runs row, the model in models/kudos/YYYY-MM-DD/ and the champion's
    kudos_predictions for the run date, written with the marker in one transaction.

    Too little history or an unchanged production is a recorded skip, and the run completes;
    so is a configuration where the model may not train (KUDOS_MODEL, pipeline/kudos/terms.py).
    """

    def requires(self) -> LoadProduction:
        return LoadProduction(run_date=self.run_date)

    def output(self) -> WarehouseMarkerTarget:
        return WarehouseMarkerTarget(self.warehouse, self.update_id)

    def run(self) -> None:
        from pipeline.kudos.terms import training_refusal
        from pipeline.kudos.training import run_kudos_model  # scikit-learn: only to train

        outcome = run_kudos_model(self.warehouse, self.lake, self.run_date,
                                  self.settings.kudos_min_activities, self.update_id,
                                  training_refusal(self.settings))
        self.set_status_message(outcome.summary)
