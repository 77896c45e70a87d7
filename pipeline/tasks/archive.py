"""ImportArchive: the athlete's Strava archive merged into production (pipeline/archive/)."""

from __future__ import annotations

import logging
from functools import cached_property
from pathlib import Path

import luigi

from pipeline.archive.importer import archive_athlete, import_archive, marker_id
from pipeline.archive.options import archive_limits
from pipeline.archive.source import ArchiveError, open_archive
from pipeline.athlete_scope import target_tag
from pipeline.backends import open_state, open_warehouse
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
    athlete_id = luigi.IntParameter(default=0, description="whose archive it is (0: the "
                                    "install's only athlete; needed with several athletes)")

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
        state = open_state(self.settings.state_url)
        return WarehouseMarkerTarget(open_warehouse(self.settings.warehouse_url),
                                     marker_id(self.archive_id, target_tag(state, self.athlete)))

    @cached_property
    def athlete(self) -> int:
        """The athlete whose archive it is (pipeline/archive/importer.py archive_athlete)."""
        return archive_athlete(self.settings, self.athlete_id)

    def run(self) -> None:
        result = import_archive(Path(self.path), self.settings, self.athlete)
        logger.info("archive %s: %d activities read, %d added, %d problem(s)",
                    result.archive_id, result.rows_read, result.added, len(result.failures))
