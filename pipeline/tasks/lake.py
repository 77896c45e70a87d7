"""UploadToLake: the run's extract, kept in the lake under a dated key."""

from __future__ import annotations

from pathlib import Path

import luigi

from pipeline.tasks.base import RunDateTask
from pipeline.tasks.extract import ExtractActivities


class UploadToLake(RunDateTask):
    """$LAKE_URL/strava/activities/YYYY-MM-DD/activities.csv, written atomically."""

    def requires(self) -> ExtractActivities:
        return self.same_athlete(ExtractActivities)

    def output(self) -> luigi.Target:
        return self.lake.target(self.lake_key)

    def run(self) -> None:
        self.lake.put_file(Path(self.input().path), self.lake_key)
        self.set_status_message(f"stored {self.lake.uri(self.lake_key)}")
