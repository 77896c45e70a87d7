"""The dashboard reads no whole history into Python (issue 23): its window's activities one by
one, the rest aggregated in SQL, with the numbers the per-activity computation gives."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest

from pipeline.backends import open_warehouse
from pipeline.dashboard import training
from pipeline.dashboard.data import (
    read_activities,
    read_daily_totals,
    read_records,
    window_start,
)
from pipeline.model_registry import render_model_sql
from tests.conftest import RUN_DATE
from tests.support.models import ModelWorld, model_world


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ModelWorld]:
    with model_world(tmp_path_factory.mktemp("dashboard-sql")) as built:
        yield built


def every_activity(world: ModelWorld) -> pd.DataFrame:
    """The whole history as the dashboard used to read it (the reference)."""
    warehouse = open_warehouse(f"duckdb:///{world.warehouse_path}")
    with warehouse.transaction() as session:
        session.execute(render_model_sql(
            "SELECT * FROM {{ ref('activity_log') }} WHERE start_date_local < :end "
            "ORDER BY start_date_local, id"),
            {"end": pd.Timestamp(RUN_DATE) + pd.Timedelta(days=1)})
        frame = session.fetch_frame()
    frame["sport_family"] = frame["sport_family"].fillna(training.OTHER_FAMILY)
    return frame


def test_records_and_daily_history_equal_the_per_activity_numbers(world: ModelWorld,
                                                                  tmp_path: Path) -> None:
    history = every_activity(world)
    warehouse = open_warehouse(f"duckdb:///{world.warehouse_path}")
    with warehouse.transaction() as session:
        window = read_activities(session, RUN_DATE)
        daily = read_daily_totals(session, RUN_DATE)
        records = read_records(session, RUN_DATE)
    first = pd.Timestamp(window_start(RUN_DATE))
    assert len(window) < len(history)
    assert window["id"].tolist() == history[history["start_date_local"] >= first]["id"].tolist()
    assert len(daily) == history["start_date_local"].dt.normalize().nunique()

    expected = training.records(history)
    assert [r.key for r in records] == [r.key for r in expected] and len(records) >= 4
    for got, want in zip(records, expected, strict=True):
        assert (got.activity_id, got.name, got.start_date_local) == \
            (want.activity_id, want.name, want.start_date_local)
        assert got.value == pytest.approx(want.value, rel=1e-9)

    by_day = training.training_load(daily, RUN_DATE)
    by_activity = training.training_load(history, RUN_DATE)
    assert by_day["day"].tolist() == by_activity["day"].tolist()
    assert by_day["fitness"].to_numpy() == pytest.approx(by_activity["fitness"].to_numpy())
    years = training.cumulative_distance_by_year(daily, RUN_DATE)
    reference = training.cumulative_distance_by_year(history, RUN_DATE)
    assert list(years) == list(reference)
    for year, series in years.items():
        assert series.to_numpy() == pytest.approx(reference[year].to_numpy())
