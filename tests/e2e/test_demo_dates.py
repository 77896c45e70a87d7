"""Two demo dates, in either order, build one consistent warehouse (issue 24, finding 1): the
sandbox athlete's history is the same whatever date it ends on, so a second demo date adds the
days the first did not reach and changes none it did."""

from __future__ import annotations

import subprocess
import sys
from datetime import date, timedelta
from pathlib import Path

import duckdb
import pytest

from pipeline.sandbox import SyntheticAthlete, athlete_end
from pipeline.sandbox_cli import DEMO_ACTIVITIES, DEMO_SEED
from tests.e2e.test_cli import user_env
from tests.support.operations import PROCESSING_TIME_COLUMNS, copy_checkout

# Wednesday (README's example) and a Sunday two weeks before this test was written: both long
# over, so every kudo of the demo athlete has arrived whenever the test runs.
FIRST, SECOND = date(2026, 11, 11), date(2026, 11, 22)


def demo_run(checkout: Path, run_date: date) -> None:
    """``strava-pipeline run --demo --date D`` up to the watermark (the next run reads from it
    less the lookback), as a user runs it."""
    result = subprocess.run(
        [sys.executable, "-m", "pipeline.cli", "run", "--demo", "--date", run_date.isoformat(),
         "--task", "RecordWatermark"],
        cwd=checkout, env=user_env(PYTHONPATH=str(checkout)), capture_output=True, text=True,
        timeout=900)
    assert result.returncode == 0, (result.stdout + result.stderr)[-4000:]


def production(checkout: Path) -> list[tuple]:
    """Every row of the demo's production table, processing times left out, ordered."""
    path = checkout / "sandbox-data" / "warehouse.duckdb"
    with duckdb.connect(str(path), read_only=True) as db:
        names = [row[0] for row in db.execute(
            "SELECT column_name FROM information_schema.columns"
            " WHERE table_name = 'strava_activity_data' ORDER BY ordinal_position").fetchall()]
        columns = ", ".join(f'"{n}"' for n in names if n not in PROCESSING_TIME_COLUMNS)
        return db.execute(f"SELECT {columns} FROM strava_activity_data ORDER BY id").fetchall()


@pytest.fixture(scope="module")
def orders(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Two clean checkouts: one ran FIRST then SECOND, the other SECOND then FIRST."""
    done = {}
    for name, dates in (("forward", (FIRST, SECOND)), ("backward", (SECOND, FIRST))):
        checkout = copy_checkout(tmp_path_factory.mktemp(name) / "project")
        for run_date in dates:
            demo_run(checkout, run_date)
        done[name] = checkout
    return done


def test_two_demo_dates_in_either_order_build_the_same_warehouse(orders: dict[str, Path]
                                                                  ) -> None:
    forward, backward = production(orders["forward"]), production(orders["backward"])
    assert forward == backward


def test_the_warehouse_holds_one_athlete_not_two(orders: dict[str, Path]) -> None:
    histories = [SyntheticAthlete(seed=DEMO_SEED, n_activities=DEMO_ACTIVITIES,
                                  end=athlete_end(run_date - timedelta(days=1)))
                 for run_date in (FIRST, SECOND)]
    ids = [{activity["id"] for activity in history.activities} for history in histories]
    assert len(ids[0] & ids[1]) > 0.95 * DEMO_ACTIVITIES
    loaded = {row[0] for row in production(orders["forward"])}
    assert loaded == ids[0] | ids[1]
    assert len(loaded) < DEMO_ACTIVITIES + 20  # one athlete and two weeks, not 2,400 rows
