"""Quarantine: a run date's data moved aside, never deleted, so the date extracts afresh.

A failed halt check or an extract the warehouse cannot read quarantines the run date: its staging
table is renamed, its lake object and extract file move to a timestamped place, and the markers of
the stages that made and checked them are removed, all of them named from the run date alone.
Afterwards ExtractActivities, UploadToLake and CopyToStaging are no longer complete.
"""

from __future__ import annotations

from dataclasses import dataclass

from pipeline.athlete_scope import authorized_ids
from pipeline.backends.warehouse import utc_now
from pipeline.errors import one_line
from pipeline.tasks.base import RunDateTask, athlete_folder, stage_marker_id

QUARANTINE_TABLE_PREFIX = "quarantine_strava_activity_data_"


@dataclass(frozen=True)
class Quarantine:
    """Where a run date's data went, and what could not be moved."""

    places: list[str]
    problems: list[str]

    def describe(self) -> str:
        """One phrase naming every place (and every problem)."""
        text = "quarantined " + (", ".join(self.places) if self.places else "nothing")
        if self.problems:
            text += " (could not move: " + "; ".join(self.problems) + ")"
        return text


def validation_marker_prefix(task: RunDateTask) -> str:
    """The start of the marker id of the run date's validation, 'ValidateStaging(YYYY-MM-DD)'
    (and of the per-check ids 'ValidateStaging(YYYY-MM-DD,check)' of warehouses that ran one
    task per check): a date has a fixed length, so no other date's marker starts with it. Of an
    athlete's (issue 26): 'ValidateStaging(YYYY-MM-DD,a42,'; of the install's first athlete
    among several: its exact id, so no other athlete's marker is forgotten."""
    tag = task.athlete_tag
    if tag:  # issue 26: another athlete's markers of the date never match
        return stage_marker_id("ValidateStaging", task.run_date, tag)[:-1] + ","
    if task.athlete and len(authorized_ids(task.settings)) > 1:
        return stage_marker_id("ValidateStaging", task.run_date)  # exact: others' carry ',a<id>'
    return stage_marker_id("ValidateStaging", task.run_date)[:-1]


def staging_markers(task: RunDateTask) -> tuple[list[str], str]:
    """(the marker ids of the stage that made the task's staging table, the marker prefix of
    its validation): the weekly run's, or those a task names (``staging_markers()``, e.g. a
    reconciliation's own stages)."""
    own = getattr(task, "staging_markers", None)
    if own is not None:
        return own()  # type: ignore[no-any-return]
    tag = task.athlete_tag
    return ([stage_marker_id("CopyToStaging", task.run_date, tag),
             stage_marker_id("ValidateStaging", task.run_date, tag)],
            validation_marker_prefix(task))


def forget_staging(task: RunDateTask) -> None:
    """Forget that the run date was staged and checked, so that both happen again."""
    task.warehouse.quarantine_staging(None, "", *staging_markers(task))


def quarantine_run_date(task: RunDateTask) -> Quarantine:
    """Move the run date's staging table, lake object and extract file aside, never deleting.

    The staging table is renamed and the markers of CopyToStaging and of the date's validation
    are removed in one transaction; then the lake object and the extract file move to a
    timestamped quarantine place.
    """
    warehouse, lake = task.warehouse, task.lake
    extract = task.extract_path
    stamp = utc_now().strftime("%Y%m%dT%H%M%S")
    for attempt in range(1, 100):
        suffix = stamp if attempt == 1 else f"{stamp}_{attempt}"
        table = f"{QUARANTINE_TABLE_PREFIX}{task.run_date:%Y%m%d}_{suffix.lower()}"
        key = f"quarantine/{suffix}/{task.lake_key}"
        extract_copy = (task.settings.data_dir / "quarantine" / suffix / "extract"
                        / athlete_folder(task.athlete_tag) / task.run_date.isoformat()
                        / extract.name)
        if not (warehouse.table_exists(table) or lake.exists(key) or extract_copy.exists()):
            break
    places: list[str] = []
    problems: list[str] = []
    staging = task.staging_table if warehouse.table_exists(task.staging_table) else None
    warehouse.quarantine_staging(staging, table, *staging_markers(task))
    if staging:
        places.append(f"table {table}")
    try:
        if lake.exists(task.lake_key):
            lake.move(task.lake_key, key)
            places.append(lake.uri(key))
    except Exception as error:
        problems.append(f"lake object {lake.uri(task.lake_key)}: {one_line(error)}")
    try:
        if extract.exists():
            extract_copy.parent.mkdir(parents=True, exist_ok=True)
            extract.rename(extract_copy)
            places.append(str(extract_copy))
    except OSError as error:
        problems.append(f"extract {extract}: {one_line(error)}")
    return Quarantine(places, problems)


__all__ = ["QUARANTINE_TABLE_PREFIX", "Quarantine", "forget_staging", "quarantine_run_date",
           "validation_marker_prefix"]
