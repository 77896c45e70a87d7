"""A load's counts read in the merge's own transaction equal the counts read around it."""

from __future__ import annotations

from pathlib import Path

from pipeline.backends.lake import LocalLake
from pipeline.backends.warehouse import Warehouse
from tests.conftest import RUN_DATE
from tests.support.backends import (  # noqa: F401 - fixture
    KEY,
    STAGING,
    fixture_warehouse,
    write_extract,
)


def test_the_counted_merge_gives_the_counts_read_before_and_after_it(
    warehouse: Warehouse, tmp_path: Path
) -> None:
    lake = LocalLake(f"file://{tmp_path}/lake", tmp_path / "lake")
    write_extract(tmp_path / "activities.csv", n_activities=50)
    lake.put_file(tmp_path / "activities.csv", KEY)
    marker = f"LoadProduction({RUN_DATE.isoformat()})"

    warehouse.load_staging(lake, KEY, STAGING, f"CopyToStaging({RUN_DATE.isoformat()})")
    assert warehouse.merge_staging_counted(STAGING, marker) == (50, 0, 0, 50)
    assert not warehouse.table_exists(STAGING)
    assert warehouse.marker_exists(marker)

    # The same week again, one name changed: nothing new, one change, 50 rows before and after.
    warehouse.load_staging(lake, KEY, STAGING, f"CopyToStaging({RUN_DATE.isoformat()})")
    with warehouse.transaction() as session:
        session.execute(f"UPDATE {STAGING} SET name = 'renamed' WHERE id = "
                        f"(SELECT MIN(id) FROM {STAGING})")
    ((added, changed, before),) = warehouse.query_file("production/load_counts.sql",
                                                       staging_table=STAGING)
    counted = warehouse.merge_staging_counted(STAGING, marker)
    ((after,),) = warehouse.query_file("production/production_rows.sql")
    assert counted == (added, changed, before, after) == (0, 1, 50, 50)
    assert warehouse.query("SELECT COUNT(*) FROM strava_activity_data WHERE name = 'renamed'"
                           ) == [(1,)]
