"""LoadProduction: staging merged into strava_activity_data by id, in one transaction."""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager

import luigi

from pipeline import run_summary
from pipeline.backends.warehouse import WarehouseMarkerTarget
from pipeline.tasks.base import RunDateTask
from pipeline.tasks.quarantine import forget_staging
from pipeline.tasks.staging import CopyToStaging
from pipeline.tasks.validation import ValidateStaging

logger = logging.getLogger(__name__)


_LOADS = threading.local()


@contextmanager
def loads_in_a_row() -> Iterator[None]:
    """Within the block, LoadProduction keeps the warehouse open after its merge: a backfill
    loads week after week, and closing the DuckDB file after each (a checkpoint, then about
    30 ms to open it again) cost more than the week's load. The idle release (1 s, and at the
    end of the process) still gives the memory back."""
    before = getattr(_LOADS, "in_a_row", False)
    _LOADS.in_a_row = True
    try:
        yield
    finally:
        _LOADS.in_a_row = before


class LoadProduction(RunDateTask):
    """Delete production rows whose id is in staging, insert staging, mark; then drop staging."""

    def requires(self) -> list[luigi.Task]:
        return [self.same_athlete(CopyToStaging), self.same_athlete(ValidateStaging)]

    def output(self) -> WarehouseMarkerTarget:
        return WarehouseMarkerTarget(self.warehouse, self.update_id)

    def complete(self) -> bool:
        """Done once merged; a staging table a release before this one left after the merge
        (a kill between the merge's commit and the drop) is dropped here, on the rerun."""
        done = super().complete()
        if done and not getattr(self, "_leftover_checked", False):
            self._leftover_checked = True
            self._drop_leftover_staging()
        return done

    def _drop_leftover_staging(self) -> None:
        if self.warehouse.table_exists(self.staging_table):
            self.warehouse.drop_table(self.staging_table)
            logger.info("dropped %s, left after its merge by a run that was killed",
                        self.staging_table)

    def run(self) -> None:
        try:
            added, changed, before, after = self.warehouse.merge_staging_counted(
                self.staging_table, self.update_id)
        except Exception:
            # Asked only when the load fails (a backfill loads 157 weeks): is staging gone?
            if self.warehouse.table_exists(self.staging_table):
                raise
            forget_staging(self)
            raise RuntimeError(
                f"{self.staging_table} is missing although the date was staged and checked: "
                "those markers are now removed; rerun the date to stage and check it again"
            ) from None
        # The merge dropped staging in its own transaction: nothing is left to look for.
        self._leftover_checked = True
        logger.info("merged %s into strava_activity_data", self.staging_table)
        if not getattr(_LOADS, "in_a_row", False):
            self.warehouse.release_memory()  # the stages after the load start from a clean engine
        run_summary.loaded(self.run_date, added, changed, before + added - after)
        self.set_status_message("production updated")
