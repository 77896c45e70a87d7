"""Model tables rebuilt from production after each load, one task per model."""

from __future__ import annotations

from pipeline.backends.warehouse import WarehouseMarkerTarget
from pipeline.tasks.base import RunDateTask
from pipeline.tasks.production import LoadProduction


class BuildModel(RunDateTask):
    """Replace the model table ``model_name`` with ``sql/models/<model_name>.sql``."""

    model_name: str = ""

    def requires(self) -> LoadProduction:
        return LoadProduction(run_date=self.run_date)

    def output(self) -> WarehouseMarkerTarget:
        return WarehouseMarkerTarget(self.warehouse, self.update_id)

    def run(self) -> None:
        self.warehouse.rebuild_model(self.model_name, self.update_id)
        self.set_status_message(f"{self.model_name} rebuilt")


class BuildMonthlySummary(BuildModel):
    """activity_summary_monthly: runs per local calendar month."""

    model_name = "activity_summary_monthly"


MODEL_TASKS: list[type[BuildModel]] = [BuildMonthlySummary]
