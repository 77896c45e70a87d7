"""WeeklyPipeline: the root of the graph; complete when every stage of the run date is."""

from __future__ import annotations

import luigi

from pipeline.tasks.base import RunDateTask
from pipeline.tasks.dashboard import BuildDashboard
from pipeline.tasks.streams import FetchStreams, streams_from_api
from pipeline.tasks.watermark import RecordWatermark


class WeeklyPipeline(RunDateTask, luigi.WrapperTask):
    """Extract, lake, staging, production, watermark, models and dashboard for one run date.

    A run date not over yet in the athlete's time zone is refused by ExtractActivities, the
    first stage, so nothing of it is ever marked done (``pipeline/run_dates.py``).
    """

    def requires(self) -> list[luigi.Task]:
        # The dashboard requires the marts and the kudos model; the watermark is the only
        # stage it does not imply.
        tasks: list[luigi.Task] = [RecordWatermark(run_date=self.run_date),
                                   BuildDashboard(run_date=self.run_date)]
        if streams_from_api():  # issue 21: the new activities' streams, after the list
            tasks.append(FetchStreams(run_date=self.run_date))
        return tasks
