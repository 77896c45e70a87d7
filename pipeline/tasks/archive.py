"""ImportArchive: the athlete's Strava archive merged into production (pipeline/archive/)."""

from __future__ import annotations

import logging
from functools import cached_property
from pathlib import Path

import luigi

from pipeline.archive.importer import import_archive, marker_id
from pipeline.archive.options import archive_limits
from pipeline.archive.source import ArchiveError, open_archive
from pipeline.backends import open_warehouse
from pipeline.backends.warehouse import WarehouseMarkerTarget
from pipeline.settings import Settings, load_settings

logger = logging.getLogger(__name__)


class _Never(luigi.Target):
    """The target of an archive that cannot be read: never complete, so run() says why."""

    def exists(self) -> bool:
        return False


class ImportArchive(luigi.Task):
    """``luigi --module pipeline.tasks ImportArchive --path export.zip``: done once the
    archive's marker (keyed by its content hash) is in the warehouse."""

    path = luigi.Parameter(description="Strava's archive: the ZIP, or the folder it unpacks to")

    @cached_property
    def settings(self) -> Settings:
        return load_settings()

    @cached_property
    def archive_id(self) -> str | None:
        try:
            archive = open_archive(Path(self.path), archive_limits())
        except ArchiveError:
            return None
        archive.close()
        return archive.short_id

    def output(self) -> luigi.Target:
        if self.archive_id is None:
            return _Never()
        return WarehouseMarkerTarget(open_warehouse(self.settings.warehouse_url),
                                     marker_id(self.archive_id))

    def run(self) -> None:
        result = import_archive(Path(self.path), self.settings)
        logger.info("archive %s: %d activities read, %d added, %d problem(s)",
                    result.archive_id, result.rows_read, result.added, len(result.failures))
