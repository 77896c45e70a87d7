"""RecordWatermark: how far extraction got, recorded only once the data is in production."""

from __future__ import annotations

import logging

import luigi

from pipeline import run_dates
from pipeline.tasks.base import RunDateTask
from pipeline.tasks.production import LoadProduction

logger = logging.getLogger(__name__)


class StateWatermarkTarget(luigi.Target):
    """Exists once the state store holds a watermark row for the run date."""

    def __init__(self, task: RunDateTask) -> None:
        self.task = task

    def exists(self) -> bool:
        return self.task.state.has_watermark(self.task.run_date, self.task.athlete)


class RecordWatermark(RunDateTask):
    """Store in last_extracted the newest activity start (UTC) in production among the
    activities the run date covers (local start date on or before it)."""

    def requires(self) -> LoadProduction:
        return self.same_athlete(LoadProduction)

    def output(self) -> StateWatermarkTarget:
        return StateWatermarkTarget(self)

    def run(self) -> None:
        rows = self.warehouse.query_file(
            "production/watermark.sql",
            {"run_date_end": run_dates.run_week(self.run_date).end,
             "athlete_id": self.athlete},
        )
        watermark = rows[0][0] if rows else None
        self.state.record_watermark(self.run_date, watermark, self.athlete)
        logger.info("watermark for %s: %s", self.run_date, watermark)
        self.set_status_message(f"watermark {watermark}")
