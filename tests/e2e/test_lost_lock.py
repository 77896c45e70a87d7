"""Finding 4 of issue 25: a run that loses its MariaDB run-date lock stops, saving nothing.

When the lock's connection died mid-extract the holder carried on while a second run got the
lock, and both extracted. Now every commit of a locked task (a warehouse or state transaction, a
file renamed into place, an upload to the lake) first verifies that the lock's connection still
holds it; a lost lock stops the step with one line and nothing of it is written.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

import luigi
import pytest

from pipeline.backends import open_state
from pipeline.backends.lake import atomic_local_path
from pipeline.backends.mysql_state import MySQLStateStore
from pipeline.backends.run_lock import RunDateLockLost, verify_run_date_lock
from pipeline.backends.state import NO_WATERMARK
from pipeline.backends.warehouse import Warehouse
from pipeline.sandbox import SyntheticAthlete
from pipeline.temporaries import KINDS
from tests.conftest import ATHLETE_END, RUN_DATE, FakeClock, PipelineWorld, succeeded
from tests.support.backends import (  # noqa: F401 - fixtures
    S3Server,
    fixture_mysql_db,
    fixture_pg_database,
    fixture_s3_env,
    fixture_s3_server,
    fixture_warehouse,
    mysql_admin,
    mysql_url,
    pg_rows,
    pg_url,
)


def kill_lock_holder(store: MySQLStateStore, timeout: float = 30.0, delay: float = 0.0) -> int:
    """KILL the connection that holds the run date's lock (waiting for one to hold it, then
    ``delay`` seconds more)."""
    admin = mysql_admin()
    try:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with admin.cursor() as cursor:
                cursor.execute("SELECT IS_USED_LOCK(%s)", (store._lock_name(RUN_DATE),))
                (holder,) = cursor.fetchone()
            if holder:
                time.sleep(delay)
                with admin.cursor() as cursor:
                    cursor.execute(f"KILL {int(holder)}")
                return int(holder)
            time.sleep(0.05)
    finally:
        admin.close()
    raise AssertionError("nobody took the run date's lock")


def test_a_lost_lock_stops_every_commit_of_its_holder(
    mysql_db: str, warehouse: Warehouse, tmp_path: Path,
) -> None:
    store = open_state(mysql_url(mysql_db))
    assert isinstance(store, MySQLStateStore)
    target = luigi.LocalTarget(str(tmp_path / "extract" / "activities.csv"))
    with store.lock_run_date(RUN_DATE, 5):
        verify_run_date_lock()  # held: nothing to say
        kill_lock_holder(store)
        with pytest.raises(RunDateLockLost) as lost, warehouse.transaction() as session:
            warehouse.write_marker(session, "Half(2026-11-29)", "strava_activity_data")
        assert "\n" not in str(lost.value)
        assert str(lost.value).startswith("the lock of run date 2026-11-29 in the state store "
                                          "mysql://")
        with pytest.raises(RunDateLockLost):
            store.record_watermark(RUN_DATE, datetime(2026, 11, 29, 8))
        with pytest.raises(RunDateLockLost), atomic_local_path(target) as temporary:
            Path(temporary).write_text("half of an extract")
        with store.lock_run_date(RUN_DATE, 1):  # another run may take the date now
            verify_run_date_lock()
    assert not warehouse.marker_exists("Half(2026-11-29)")
    assert store.watermark_of(RUN_DATE) is NO_WATERMARK
    assert list((tmp_path / "extract").iterdir()) == []  # no file, no temporary


def test_a_run_whose_lock_dies_mid_extract_saves_nothing_and_the_rerun_completes(
    world_factory: Callable[..., PipelineWorld], fake_clock: FakeClock, s3_env: S3Server,
    pg_database: str, mysql_db: str, monkeypatch: pytest.MonkeyPatch,
) -> None:
    world = world_factory(SyntheticAthlete(seed=7, n_activities=300, end=ATHLETE_END),
                          clock=fake_clock)
    urls = {"LAKE_URL": f"s3://{s3_env.new_bucket()}/lake", "STATE_URL": mysql_url(mysql_db),
            "WAREHOUSE_URL": pg_url(pg_database)}
    for name, value in urls.items():
        monkeypatch.setenv(name, value)
        world.env[name] = value
    store = open_state(urls["STATE_URL"])
    assert isinstance(store, MySQLStateStore)
    world.sandbox.inject("slow:3")  # the first page takes 3 s: the lock dies meanwhile
    # Killed 1.5 s after the extract took the lock: while it waits for the slow first page.
    killer = threading.Thread(target=kill_lock_holder, args=(store, 30.0, 1.5), daemon=True)
    killer.start()
    assert not succeeded(world.run_weekly())
    killer.join(timeout=30)
    assert pg_rows(pg_database, "SELECT COUNT(*) FROM table_updates") == [(0,)]
    extract = world.data_dir / "extract" / RUN_DATE.isoformat()
    assert not (extract / "activities.csv").exists()
    assert not extract.exists() or [p.name for p in extract.iterdir() if p.name.startswith(
        tuple(f".{kind}-" for kind in KINDS)) or "-luigi-tmp-" in p.name] == []
    keys = [o["Key"] for o in s3_env.client().list_objects_v2(
        Bucket=urls["LAKE_URL"].split("/")[2]).get("Contents", [])]
    assert keys == []  # nothing reached the lake either

    assert succeeded(world.run_weekly())  # the rerun takes the lock and completes
    assert store.watermark_of(RUN_DATE) is not NO_WATERMARK
    assert sorted(p.name for p in extract.iterdir()) == ["activities.csv"]
