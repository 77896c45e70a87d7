"""CopyToStaging: the lake object bulk-loaded into the run date's staging table."""

from __future__ import annotations

import logging

from pipeline.backends.warehouse import WarehouseMarkerTarget
from pipeline.tasks.base import RunDateTask
from pipeline.tasks.lake import UploadToLake

logger = logging.getLogger(__name__)


class CopyToStaging(RunDateTask):
    """staging_strava_activity_data_YYYYMMDD, recreated on every try, marked in one transaction."""

    def requires(self) -> UploadToLake:
        return UploadToLake(run_date=self.run_date)

    def output(self) -> WarehouseMarkerTarget:
        return WarehouseMarkerTarget(self.warehouse, self.update_id)

    def run(self) -> None:
        rows = self.warehouse.load_staging(
            self.lake, self.lake_key, self.staging_table, self.update_id
        )
        logger.info("loaded %d rows into %s", rows, self.staging_table)
        self.set_status_message(f"{rows} rows in {self.staging_table}")
