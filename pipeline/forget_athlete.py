"""Forget one athlete in every store (``strava-pipeline athletes remove ID --purge``, issue 26):
that athlete's rows, lake objects, files and markers, and no other athlete's.

Whose a thing is: a row by its ``athlete_id`` (or its activity's, in production); a lake key or
a file under DATA_DIR by the athlete-id folder in its path (``strava/activities/42/...``,
``reports/42/...``, ``extract/42/...``); a marker by its ``,a42)`` tag. Names without an athlete
id are the install's first athlete's (pipeline/athlete_scope.py), except the shared ones (the
dashboards' assets and the operator's index). Model tables lose the athlete's rows; the next run
rebuilds them from production.

An archive import of before migration 0009 stored the streams (and archive_activities rows) of
the activities only its archive had without athlete_id, and its Parquet parts under
``strava/streams/<archive id>/`` for every athlete: such a row whose activity production no
longer holds is the athlete's whose ``ImportArchive`` marker names its archive, and such a part
the athlete's whose ``strava/archive/`` folder holds that archive. An archive two athletes
imported is neither's (its rows stay, its parts follow the rule above).
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterable, Mapping
from pathlib import Path

from pipeline.athlete_scope import first_athlete, forget_cached
from pipeline.backends import Lake, StateStore, Warehouse
from pipeline.backends.deadlock import retry_on_deadlock
from pipeline.model_registry import load_models
from pipeline.sql_files import check_identifier

_TAGGED_MARKER = re.compile(r",a(\d+)\)$")
# '42', a batch's 'api-2026-11-29-a42', or a backfill's kept pages 'strava/pages/athlete-42/'
_ATHLETE_SEGMENT = re.compile(r"^(\d+)$|-a(\d+)$|^athlete-(\d+)$")
_TAGGED_TABLE = re.compile(r"^(?:staging|quarantine)_[a-z0-9_]*_a(\d+)$")
_ARCHIVE_MARKER = re.compile(r"^ImportArchive\(([0-9a-f]+)(?:,a\d+)?\)$")
_ARCHIVE_FOLDERS = ("strava/archive/", "strava/streams/")
# Shared by every athlete: never an athlete's to forget.
SHARED_PATHS = ("reports/assets/", "reports/index.html", "reports/.staging/")


def owner_of_path(path: str, first: int, archives: Mapping[str, int] | None = None
                  ) -> int | None:
    """The athlete a lake key or a DATA_DIR-relative path belongs to (None: shared);
    ``archives``: archive id -> its athlete (``archive_owners``), for the archive folders."""
    if path.startswith(SHARED_PATHS):
        return None
    if archives and path.startswith(_ARCHIVE_FOLDERS):
        for segment in path.split("/")[2:-1]:
            if segment in archives:
                return archives[segment]
    for segment in path.split("/")[1:]:
        found = _ATHLETE_SEGMENT.search(segment)
        if found:
            return int(found.group(1) or found.group(2) or found.group(3))
    return first


def owner_of_marker(update_id: str, first: int) -> int:
    """The athlete a marker belongs to: its ',a<id>)' tag, else the install's first athlete."""
    found = _TAGGED_MARKER.search(update_id)
    return int(found.group(1)) if found else first


def _one_owner(pairs: Iterable[tuple[str, int]]) -> dict[str, int]:
    """archive id -> athlete, without the archives more than one athlete imported."""
    owners: dict[str, set[int]] = {}
    for archive_id, athlete in pairs:
        owners.setdefault(archive_id, set()).add(athlete)
    return {archive_id: found.pop() for archive_id, found in owners.items() if len(found) == 1}


def archive_owners(keys: Iterable[str], first: int) -> dict[str, int]:
    """archive id -> the athlete who imported it, from the lake's
    ``strava/archive/[<athlete>/]<archive id>/activities.csv`` keys."""
    pairs = []
    for key in keys:
        parts = key.split("/")
        if key.startswith("strava/archive/") and len(parts) in (4, 5):
            pairs.append((parts[-2], int(parts[2]) if len(parts) == 5 else first))
    return _one_owner(pairs)


def marked_archives(markers: Iterable[str], first: int) -> dict[str, int]:
    """archive id -> the athlete who imported it, from the ``ImportArchive`` markers."""
    return _one_owner((found.group(1), owner_of_marker(marker, first))
                      for marker in markers if (found := _ARCHIVE_MARKER.match(marker)))


def forget_warehouse_rows(warehouse: Warehouse, state: StateStore, athlete_id: int
                          ) -> list[str]:
    """The athlete's rows, model rows, markers and per-date tables; one transaction."""
    first = first_athlete(state)
    warehouse.ensure_schema()
    listed = dict(warehouse.query_file("forget/warehouse_tables.sql"))
    tables = {name for name, kind in listed.items() if str(kind).upper() == "BASE TABLE"}
    models = sorted(name for name in load_models() if name in tables)
    markers = [row[0] for row in warehouse.query("SELECT update_id FROM {marker_table}")]
    mine = [marker for marker in markers if owner_of_marker(marker, first) == athlete_id]
    archives = [archive for archive, owner in marked_archives(markers, first).items()
                if owner == athlete_id]
    dropped = sorted(name for name in tables if (found := _TAGGED_TABLE.match(name))
                     and int(found.group(1)) == athlete_id)
    lines = []
    with warehouse.transaction() as session:
        before = session.execute("SELECT COUNT(*) FROM strava_activity_data WHERE athlete_id = :a",
                                 {"a": athlete_id}).fetchone()[0]
        for model in models:
            session.execute(f"SELECT * FROM {check_identifier(model)} WHERE 1 = 0")
            columns = set(session.column_names)
            if "athlete_id" in columns:
                session.execute(f"DELETE FROM {model} WHERE athlete_id = :a", {"a": athlete_id})
            elif "activity_id" in columns:
                session.execute(f"DELETE FROM {model} WHERE activity_id IN (SELECT id FROM "
                                "strava_activity_data WHERE athlete_id = :a)", {"a": athlete_id})
            if "activity_id" in columns:
                for archive in archives:
                    session.run_file("forget/model_rows_of_archive.sql", {"archive_id": archive},
                                     model_table=model)
        for archive in archives:  # before athlete_rows.sql: whose they are, by their archive
            session.run_file("forget/archive_rows_without_athlete.sql", {"archive_id": archive})
        session.run_file("forget/athlete_rows.sql", {"athlete_id": athlete_id})
        unknown = session.run_file_value("forget/streams_without_athlete.sql")
        for marker in mine:
            session.execute("DELETE FROM table_updates WHERE update_id = :u", {"u": marker})
        for table in dropped:
            session.execute(f"DROP TABLE IF EXISTS {check_identifier(table)}")
    if before:
        lines.append(f"{before} activities of strava_activity_data and their rows elsewhere")
    if mine:
        lines.append(f"{len(mine)} markers of its stages")
    lines += [f"table {table}" for table in dropped]
    if unknown:
        lines.append(f"kept: {unknown} stream samples of no known athlete (neither production "
                     "nor an archive's marker says whose; docs/athletes.md)")
    return lines


def forget_lake_objects(lake: Lake, state: StateStore, prefixes: tuple[str, ...],
                        athlete_id: int) -> list[str]:
    """The athlete's objects under the lake's prefixes."""
    first = first_athlete(state)
    archives = archive_owners(lake.keys("strava/archive/"), first)
    lines = []
    for prefix in prefixes:
        keys = [key for key in lake.keys(prefix)
                if owner_of_path(key, first, archives) == athlete_id]
        for key in keys:
            lake.delete(key)
        if keys:
            lines.append(f"{len(keys)} object(s) under {prefix}")
    return lines


def forget_state_rows(state: StateStore, athlete_id: int) -> list[str]:
    """The athlete's watermarks, reconciliations and webhook events; one transaction. The
    record of the install's first athlete stays, so the others' target names never change.
    Run again if MySQL picks it as a deadlock's victim (its DELETEs take gap locks as a weekly
    run's watermark does)."""

    def forget() -> None:
        with state.transaction() as session:
            session.run_file("state/forget_athlete.sql", {"athlete_id": athlete_id})

    retry_on_deadlock(forget)
    forget_cached(state)
    return ["its watermarks, reconciliations and webhook events"]


def forget_local_paths(data_dir: Path, state: StateStore, names: tuple[str, ...],
                       athlete_id: int) -> list[str]:
    """The athlete's files under DATA_DIR's folders (extracts, dashboards, quarantine)."""
    first = first_athlete(state)
    lines = []
    for name in names:
        root = data_dir / name
        if not root.is_dir():
            continue
        gone = 0
        for path in sorted(root.rglob("*"), reverse=True):
            relative = path.relative_to(data_dir).as_posix()
            if path.is_file() and owner_of_path(relative, first) == athlete_id:
                path.unlink()
                gone += 1
        for folder in sorted((p for p in root.rglob("*") if p.is_dir()), reverse=True):
            if not any(folder.iterdir()):
                shutil.rmtree(folder)
        if gone:
            lines.append(f"{name}/: {gone} file(s)")
    return lines
