"""CopyToStaging: the lake object bulk-loaded into the run date's staging table.

An extract file the warehouse cannot read is never retried as is: the failure names the line and
column, and the run date's extract and lake object are quarantined (moved aside, as a failed halt
check does), so the next run of the date extracts afresh from Strava.
"""

from __future__ import annotations

import logging

from pipeline import activity_csv
from pipeline.backends.warehouse import WarehouseMarkerTarget
from pipeline.tasks.base import RunDateTask
from pipeline.tasks.lake import UploadToLake
from pipeline.tasks.quarantine import quarantine_run_date

logger = logging.getLogger(__name__)


class UnreadableExtract(RuntimeError):
    """The run date's extract file breaks the CSV dialect; it was quarantined."""


class CopyToStaging(RunDateTask):
    """staging_strava_activity_data_YYYYMMDD, recreated on every try, marked in one transaction."""

    def requires(self) -> UploadToLake:
        return self.same_athlete(UploadToLake)

    def output(self) -> WarehouseMarkerTarget:
        return WarehouseMarkerTarget(self.warehouse, self.update_id)

    def run(self) -> None:
        try:
            rows = self.warehouse.load_staging(
                self.lake, self.lake_key, self.staging_table, self.update_id
            )
        except Exception as error:
            problem = self._problem_in_extract()
            if problem is None:
                raise
            raise self._quarantine(problem, error) from None
        logger.info("loaded %d rows into %s", rows, self.staging_table)
        self.set_status_message(f"{rows} rows in {self.staging_table}")

    def _problem_in_extract(self) -> str | None:
        """Where the lake object breaks the dialect (None: the file is fine, the failure is not
        the file's, so nothing is quarantined)."""
        try:
            with self.lake.local_file(self.lake_key) as path:
                return activity_csv.find_problem(path)
        except Exception as error:  # cannot even read it back: keep the warehouse's error
            logger.warning("could not inspect %s: %s", self.lake.uri(self.lake_key), error)
            return None

    def _quarantine(self, problem: str, error: Exception) -> UnreadableExtract:
        first_line = (str(error).strip().splitlines() or [type(error).__name__])[0]
        logger.error("the warehouse could not load %s: %s", self.lake.uri(self.lake_key),
                     first_line[:300])
        moved = quarantine_run_date(self).describe()
        return UnreadableExtract(
            f"the extract of run date {self.run_date} cannot be loaded: {problem}; {moved}; "
            "rerun the date: it extracts afresh from Strava"
        )
