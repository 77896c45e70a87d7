"""WeeklyPipeline: the root of the graph; complete when every stage of the run date is."""

from __future__ import annotations

import luigi

from pipeline.tasks.base import RunDateTask, ensure_run_date_over
from pipeline.tasks.dashboard import BuildDashboard
from pipeline.tasks.models import MODEL_TASKS
from pipeline.tasks.watermark import RecordWatermark


class WeeklyPipeline(RunDateTask, luigi.WrapperTask):
    """Extract, lake, staging, production, watermark, models and dashboard for one run date."""

    def requires(self) -> list[luigi.Task]:
        self._refuse_a_day_not_over()
        tasks: list[luigi.Task] = [RecordWatermark(run_date=self.run_date)]
        tasks.extend(model(run_date=self.run_date) for model in MODEL_TASKS)
        tasks.append(BuildDashboard(run_date=self.run_date))
        return tasks

    def _refuse_a_day_not_over(self) -> None:
        # Once per task instance (Luigi calls requires() for scheduling and for complete()).
        if not getattr(self, "_run_date_checked", False):
            ensure_run_date_over(self.run_date, self.settings)
            self._run_date_checked = True
