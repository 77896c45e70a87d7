"""Findings 3 and 8 of issue 25: paging that never ends, and what a killed run leaves.

A page repeating the previous page's ids once paged for ever (708,000 "activities", a 568 MB
spool never removed); a SIGKILL left the extract's spool folder and, on PostgreSQL after the
merge's commit, the run date's staging table for good.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from pipeline import run_dates
from pipeline.backends.lake import LocalLake
from pipeline.backends.warehouse import Warehouse
from pipeline.settings import load_settings
from pipeline.strava import client as client_module
from pipeline.strava import client_from_settings
from pipeline.strava.errors import PagingError
from pipeline.tasks import LoadProduction
from pipeline.temporaries import KINDS
from tests.conftest import RUN_DATE, PipelineWorld, succeeded
from tests.support.backends import (  # noqa: F401 - fixture
    KEY,
    STAGING,
    fixture_warehouse,
    write_extract,
)

BEFORE = int(run_dates.extract_before(RUN_DATE).timestamp())


def leftovers(data_dir: Path) -> list[Path]:
    """Every temporary folder of a kind the pipeline makes, anywhere under DATA_DIR."""
    return sorted(path for path in data_dir.rglob(".*")
                  if any(path.name.startswith(f".{kind}-") for kind in KINDS))


def test_a_page_that_repeats_the_previous_one_stops_with_one_line(world: PipelineWorld) -> None:
    world.sandbox.set_repeating_pages()
    client = client_from_settings(load_settings())
    started = time.monotonic()
    with pytest.raises(PagingError) as stopped:
        for _ in client.iter_pages(0, BEFORE):
            pass
    message = str(stopped.value)
    assert "\n" not in message
    assert message.startswith("Strava's page 2 of the activity list brought only activities "
                              "already read")
    assert client.list_requests == 2

    result = world.run_weekly()
    assert not succeeded(result)
    assert time.monotonic() - started < 60
    extract = world.data_dir / "extract" / RUN_DATE.isoformat()
    assert not (extract / "activities.csv").exists()
    assert leftovers(world.data_dir) == []
    assert not extract.exists() or os.listdir(extract) == []  # a failed run leaves no empty folder

    world.sandbox.set_repeating_pages(False)
    assert succeeded(world.run_weekly())  # the source fixed: the date runs
    assert leftovers(world.data_dir) == []


def test_a_listing_longer_than_the_athletes_count_allows_stops(
    world: PipelineWorld, monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The hard cap: CAP_FACTOR x the athlete's count (/athletes/{id}/stats) + CAP_SLACK,
    checked once a listing passes UNCHECKED_ACTIVITIES (here made small)."""
    monkeypatch.setattr(client_module, "UNCHECKED_ACTIVITIES", 0)
    monkeypatch.setattr(client_module, "CAP_FACTOR", 0)
    monkeypatch.setattr(client_module, "CAP_SLACK", client_module.PER_PAGE)
    client = client_from_settings(load_settings())
    with pytest.raises(PagingError) as stopped:
        for _ in client.iter_pages(0, BEFORE):
            pass
    assert "reached page 2 (400 activities), more than this athlete can have (at most 200" \
        in str(stopped.value)
    paths = [record.path for record in world.sandbox.app.log]
    assert f"/api/v3/athletes/{world.athlete.athlete_id}/stats" in paths

    monkeypatch.setattr(client_module, "CAP_FACTOR", 2)
    monkeypatch.setattr(client_module, "CAP_SLACK", 0)
    pages = list(client_from_settings(load_settings()).iter_pages(0, BEFORE))  # the real count
    assert sum(len(page) for page in pages) > 400


KILLED_IN_TEMPORARIES = """
import os, signal, sys
from contextlib import ExitStack
from pathlib import Path
from pipeline.temporaries import KINDS, temporary_folder
with ExitStack() as stack:
    for kind in KINDS:
        folder = stack.enter_context(temporary_folder(Path(sys.argv[1]), kind))
        (folder / "spool").write_bytes(b"x" * 1_000_000)
    os.kill(os.getpid(), signal.SIGKILL)
"""


def test_temporaries_of_a_killed_run_are_removed_by_the_rerun(world: PipelineWorld) -> None:
    extract = world.data_dir / "extract" / RUN_DATE.isoformat()
    extract.mkdir(parents=True)
    killed = subprocess.run([sys.executable, "-c", KILLED_IN_TEMPORARIES, str(extract)],
                            timeout=60)
    assert killed.returncode == -signal.SIGKILL
    assert len(leftovers(world.data_dir)) == len(KINDS)
    assert succeeded(world.run_weekly())
    assert leftovers(world.data_dir) == []
    assert os.listdir(extract) == ["activities.csv"]


def test_a_staging_table_left_after_the_merge_is_dropped_by_the_rerun(
    warehouse: Warehouse, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("WAREHOUSE_URL", warehouse.url)
    monkeypatch.setenv("DATA_DIR", str(tmp_path / "data"))
    lake = LocalLake(f"file://{tmp_path}/lake", tmp_path / "lake")
    write_extract(tmp_path / "activities.csv", n_activities=50)
    lake.put_file(tmp_path / "activities.csv", KEY)
    marker = f"LoadProduction({RUN_DATE.isoformat()})"

    warehouse.load_staging(lake, KEY, STAGING, f"CopyToStaging({RUN_DATE.isoformat()})")
    warehouse.merge_staging(STAGING, marker)
    assert not warehouse.table_exists(STAGING)  # dropped in the merge's own transaction

    # A run of the release before, killed between the merge's commit and the drop:
    warehouse.load_staging(lake, KEY, STAGING, f"CopyToStaging({RUN_DATE.isoformat()})")
    with warehouse.transaction() as session:
        session.run_file("production/merge_staging_into_production.sql", staging_table=STAGING)
        warehouse.write_marker(session, marker, "strava_activity_data")
    assert warehouse.table_exists(STAGING)
    assert LoadProduction(run_date=RUN_DATE).complete()
    assert not warehouse.table_exists(STAGING)
    assert warehouse.query("SELECT COUNT(*) FROM strava_activity_data") == [(50,)]
