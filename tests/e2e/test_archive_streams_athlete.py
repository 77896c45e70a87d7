"""Issue 26: the streams of activities only an archive has (never in production from the API)
carry the importing athlete's id, each athlete's marts and page read their own, and forgetting
the athlete removes them, with the rows and Parquet parts an import of before migration 0009
stored without an athlete, and keeps no copy; on the embedded backends and on MariaDB + moto S3 +
PostgreSQL."""

from __future__ import annotations

import contextlib
import io
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest

from pipeline import cli
from pipeline.backends import open_lake, open_warehouse
from pipeline.backends.duckdb_warehouse import release_all
from pipeline.backends.migrations import WAREHOUSE_MIGRATIONS, discover, variant_of
from pipeline.forget import LAKE_PREFIXES, forget
from pipeline.sandbox import SyntheticAthlete
from pipeline.sandbox.activity_files import activity_file
from pipeline.sandbox.archive_export import write_archive
from pipeline.settings import load_settings
from tests.conftest import RUN_DATE, PipelineWorld, succeeded
from tests.e2e.test_archive_streams import recomputed
from tests.e2e.test_many_athletes import fixture_three, page_of, query  # noqa: F401 - fixture
from tests.support.backends import (  # noqa: F401 - fixtures
    fixture_mysql_db,
    fixture_pg_database,
    fixture_s3_env,
    fixture_s3_server,
)

OFFSET = 10**12  # ids the API never lists (a multiple of 4: activity_file's kind is kept)


def archive_only(athlete: SyntheticAthlete, count: int) -> list[dict[str, Any]]:
    """The athlete's first ``count`` activities under ids Strava's API does not have."""
    return [{**act, "id": act["id"] + OFFSET} for act in athlete.snapshot()[:count]]


def import_for(archive: Path, athlete_id: int) -> str:
    """``strava-pipeline import-archive PATH --athlete-id ID``: the archive's id."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = cli.main(["import-archive", str(archive), "--athlete-id", str(athlete_id)])
    release_all()
    assert code == 0, err.getvalue()
    return out.getvalue().split("(")[1].split(")")[0]


def streams_by_athlete() -> dict[Any, set[int]]:
    found: dict[Any, set[int]] = {}
    for athlete_id, activity_id in query("SELECT DISTINCT athlete_id, activity_id "
                                         "FROM activity_streams"):
        found.setdefault(athlete_id, set()).add(int(activity_id))
    return found


def top_heart_rate(samples: Mapping[int, list[tuple]]) -> float:
    """The highest heart rate between 100 and 230 bpm (stg_hr_zones' rule)."""
    return max(row[6] for rows in samples.values() for row in rows
               if row[6] is not None and 100 <= row[6] <= 230)


def run_migration_0009() -> None:
    """Migration 0009's statements, as the runner applies them (the tables already migrated)."""
    warehouse = open_warehouse(load_settings().warehouse_url)
    (migration,) = [m for m in discover(WAREHOUSE_MIGRATIONS, variant_of(warehouse))
                    if m.version == "0009"]
    with warehouse.transaction() as session:
        for statement in migration.statements():
            session.execute(statement)
    release_all()


def test_archive_only_streams_are_the_importing_athletes_until_forgotten(
        three: PipelineWorld, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # A reconciliation would remove the archive-only activities from production (Strava does
    # not list them): off here; below, one such activity is removed by hand.
    monkeypatch.setenv("RECONCILE_EVERY_WEEKS", "0")
    first, middle, last = three.sandbox.athletes
    archives, samples, ids = {}, {}, {}
    for athlete, count in ((middle, 24), (last, 12)):
        archive = tmp_path / f"export-{athlete.athlete_id}.zip"
        write_archive(archive_only(athlete, count), archive, files=activity_file)
        samples[athlete.athlete_id] = recomputed(archive)
        archives[athlete.athlete_id] = import_for(archive, athlete.athlete_id)
        ids[athlete.athlete_id] = set(samples[athlete.athlete_id])
    assert not ids[middle.athlete_id] & {int(row[0]) for row in query(
        "SELECT id FROM strava_activity_data WHERE athlete_id IS NULL OR id < :o",
        {"o": OFFSET})}
    assert streams_by_athlete() == {middle.athlete_id: ids[middle.athlete_id],
                                    last.athlete_id: ids[last.athlete_id]}
    assert dict(query("SELECT athlete_id, COUNT(*) FROM archive_activities GROUP BY athlete_id")
                ) == {middle.athlete_id: 24, last.athlete_id: 12}
    lake = open_lake(load_settings().lake_url)
    middle_parts = lake.keys(f"strava/streams/{archives[middle.athlete_id]}-a{middle.athlete_id}/")
    assert middle_parts

    # Readers by athlete: each athlete's zones come from its own samples; its page shows them.
    assert succeeded(three.run_weekly(RUN_DATE))
    zones = {row[0]: float(row[1]) for row in query("SELECT DISTINCT athlete_id, max_hr "
                                                    "FROM stg_hr_zones")}
    assert zones == {a: top_heart_rate(samples[a]) for a in (middle.athlete_id, last.athlete_id)}
    assert {int(row[0]) for row in query(
        "SELECT DISTINCT activity_id FROM activity_hr_zones WHERE athlete_id = :a",
        {"a": middle.athlete_id})} <= ids[middle.athlete_id]
    assert 'id="stream-summary"' in page_of(three, middle.athlete_id, RUN_DATE)
    assert 'id="stream-summary"' not in page_of(three, first.athlete_id, RUN_DATE)

    # As an import of before the fix left them: no athlete on the rows, a part under the
    # archive's bare id, and one activity production no longer holds.
    gone_from_production = min(i for i, rows in samples[middle.athlete_id].items()
                               if any(row[6] is not None for row in rows))
    warehouse = open_warehouse(load_settings().warehouse_url)
    with warehouse.transaction() as session:
        for table in ("activity_streams", "archive_activities"):
            session.execute(f"UPDATE {table} SET athlete_id = NULL WHERE athlete_id = :a",
                            {"a": middle.athlete_id})
        session.execute("DELETE FROM strava_activity_data WHERE id = :i",
                        {"i": gone_from_production})
        # A model built then gave its samples athlete 0 (stg_activity_samples).
        session.execute("UPDATE activity_hr_zones SET athlete_id = 0 WHERE activity_id = :i",
                        {"i": gone_from_production})
    release_all()
    assert query("SELECT COUNT(*) FROM activity_hr_zones WHERE athlete_id = 0")[0][0] > 0
    legacy = f"strava/streams/{archives[middle.athlete_id]}/part-00001.parquet"
    with lake.local_file(middle_parts[0]) as path:
        lake.put_file(path, legacy)
    run_migration_0009()
    assert streams_by_athlete() == {
        middle.athlete_id: ids[middle.athlete_id] - {gone_from_production},
        None: {gone_from_production}, last.athlete_id: ids[last.athlete_id]}

    last_rows = query("SELECT COUNT(*) FROM activity_streams WHERE athlete_id = :a",
                      {"a": last.athlete_id})
    removed = forget(load_settings(), athlete_id=middle.athlete_id)
    release_all()
    assert not [line for line in removed if "kept:" in line], removed
    assert streams_by_athlete() == {last.athlete_id: ids[last.athlete_id]}
    assert query("SELECT COUNT(*) FROM activity_streams WHERE athlete_id = :a",
                 {"a": last.athlete_id}) == last_rows
    assert query("SELECT COUNT(*) FROM activity_hr_zones WHERE activity_id >= :o "
                 "AND athlete_id <> :a", {"o": OFFSET, "a": last.athlete_id}) == [(0,)]
    assert query("SELECT COUNT(*) FROM archive_activities WHERE athlete_id IS NULL "
                 "OR athlete_id = :a", {"a": middle.athlete_id}) == [(0,)]
    # No copy anywhere: no lake object names the forgotten athlete's archive.
    everything = [key for prefix in LAKE_PREFIXES for key in lake.keys(prefix)]
    assert not [key for key in everything if archives[middle.athlete_id] in key]
    assert [key for key in everything if archives[last.athlete_id] in key]
