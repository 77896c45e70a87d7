"""Each model table against numbers computed independently with pandas from production."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import pandas as pd
import pytest

from pipeline import model_tests
from pipeline.model_registry import load_models, model
from tests.conftest import RUN_DATE
from tests.support.models import (
    LABELS,
    RIDES,
    RUN_WEEK,
    RUNS,
    ModelWorld,
    build,
    expected_weekly_kudos_change,
    local_month,
    local_week,
    model_table,
    model_world,
    workout_label,
)


def close(decimals: int) -> float:
    """Tolerance for a value the model rounded to ``decimals`` places."""
    return 0.5 * 10 ** -decimals + 1e-9


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ModelWorld]:
    with model_world(tmp_path_factory.mktemp("models")) as built:
        yield built


@pytest.fixture(scope="module")
def production(world: ModelWorld) -> pd.DataFrame:
    frame = world.production()
    # The documented rule (sql/fragments/kudos_possible.sql): a private activity's kudos count
    # in no aggregate.
    private = (frame["private"].fillna(False).astype(bool)
               | (frame["visibility"].fillna("everyone") == "only_me"))
    assert private.any()
    frame["kudos_count"] = frame["kudos_count"].astype("float64").where(~private)
    frame["week_start"] = local_week(frame["start_date_local"])
    frame["month"] = local_month(frame["start_date_local"])
    return frame


def table(world: ModelWorld, name: str) -> pd.DataFrame:
    return model_table(world.warehouse_path, name)


def test_every_model_file_follows_the_portable_rules() -> None:
    models = load_models()
    assert {m.layer for m in models.values()} == {"staging", "marts"}
    for name, found in models.items():
        code = "\n".join(line.split("--", 1)[0] for line in found.text.splitlines())
        assert not re.search(r"generate_series|truncate|::", code, re.IGNORECASE), name
        assert not re.search(r"\b(19|20)\d\d\b", code), f"{name} hard-codes a year"
        assert not re.search(r"AS NUMERIC\)", code), f"{name}: NUMERIC needs a precision"


def test_monthly_summary_buckets_runs_on_local_months(world: ModelWorld,
                                                      production: pd.DataFrame) -> None:
    runs = production[production["sport_type"].isin(RUNS)]
    expected = runs.groupby("month").agg(count=("id", "size"), metres=("distance", "sum"),
                                         kudos=("kudos_count", "sum"))
    model = table(world, "activity_summary_monthly").set_index("activity_month")
    assert sorted(model.index) == sorted(expected.index)
    for month, row in expected.iterrows():
        assert model.loc[month, "run_count"] == row["count"]
        assert model.loc[month, "total_miles"] == pytest.approx(row["metres"] / 1609.344,
                                                                abs=close(2))
        assert model.loc[month, "total_kudos"] == row["kudos"]
    edge = production.set_index("id").loc[world.month_edge_id]
    assert edge["start_date"].month == 11 and edge["month"] == date(2026, 10, 1)


def test_yearly_summary(world: ModelWorld, production: pd.DataFrame) -> None:
    production = production.assign(year=production["start_date_local"].dt.year)
    model = table(world, "activity_summary_yearly").set_index("activity_year")
    assert sorted(model.index) == sorted(production["year"].unique())
    for year, rows in production.groupby("year"):
        got = model.loc[year]
        assert got["activity_count"] == len(rows)
        assert got["run_count"] == rows["sport_type"].isin(RUNS).sum()
        assert got["distance_km"] == pytest.approx(rows["distance"].sum() / 1000, abs=close(1))
        assert got["run_distance_km"] == pytest.approx(
            rows.loc[rows["sport_type"].isin(RUNS), "distance"].sum() / 1000, abs=close(1))
        assert got["moving_hours"] == pytest.approx(rows["moving_time"].sum() / 3600,
                                                    abs=close(1))
        assert got["total_kudos"] == rows["kudos_count"].sum()
        assert got["avg_kudos"] == pytest.approx(rows["kudos_count"].mean(), abs=close(1))
        assert got["zero_kudos_activities"] == (rows["kudos_count"] == 0).sum()


def test_kudos_by_workout_type_has_readable_labels(world: ModelWorld,
                                                   production: pd.DataFrame) -> None:
    frame = production[production["sport_type"].isin(RUNS | RIDES)].copy()
    frame["family"] = ["run" if sport in RUNS else "ride" for sport in frame["sport_type"]]
    frame["label"] = [workout_label(s, c) for s, c in
                      zip(frame["sport_type"], frame["workout_type"], strict=True)]
    model = table(world, "kudos_by_workout_type").set_index(
        ["sport_family", "workout_type_label"])
    assert sorted(model.index) == sorted(LABELS)
    for family, label in LABELS:
        rows = frame[(frame["family"] == family) & (frame["label"] == label)]
        got = model.loc[(family, label)]
        assert got["activity_count"] == len(rows), (family, label)
        assert got["total_kudos"] == rows["kudos_count"].sum()
        if rows.empty:
            assert pd.isna(got["avg_kudos"]) and pd.isna(got["kudos_per_km"])
            continue
        assert got["avg_kudos"] == pytest.approx(rows["kudos_count"].mean(), abs=close(1))
        assert got["max_kudos"] == rows["kudos_count"].max()
        assert got["zero_kudos_count"] == (rows["kudos_count"] == 0).sum()
        km = rows["distance"].sum() / 1000
        assert got["distance_km"] == pytest.approx(km, abs=close(1))
        if km:
            assert got["kudos_per_km"] == pytest.approx(rows["kudos_count"].sum() / km,
                                                        abs=close(2))
    # NULL and missing workout codes are runs' default; the crafted race is a race.
    assert model.loc[("run", "race"), "activity_count"] >= 1
    assert model.loc[("run", "default"), "activity_count"] == sum(
        1 for s, c in zip(frame["sport_type"], frame["workout_type"], strict=True)
        if s in RUNS and (c is None or pd.isna(c) or int(c) not in (1, 2, 3)))


def test_weekly_kudos_change_has_every_week_and_no_division_by_zero(
        world: ModelWorld, production: pd.DataFrame) -> None:
    expected = expected_weekly_kudos_change(production, RUN_DATE)
    model = table(world, "weekly_kudos_change")
    key = ["week_start", "sport_family", "workout_type_label"]
    assert len(model) == len(expected) == len(model.drop_duplicates(key))
    merged = expected.merge(model, on=key, suffixes=("", "_model"), how="left",
                            validate="one_to_one")
    for column in ("activity_count", "total_kudos"):
        assert (merged[column] == merged[f"{column}_model"]).all(), column
    for _, row in merged.iterrows():
        if row["previous_week_kudos"] is None or pd.isna(row["previous_week_kudos"]):
            assert pd.isna(row["previous_week_kudos_model"])
        else:
            assert row["previous_week_kudos_model"] == row["previous_week_kudos"]
        if row["kudos_change_pct"] is None or pd.isna(row["kudos_change_pct"]):
            assert pd.isna(row["kudos_change_pct_model"]), row.to_dict()
        else:
            assert row["kudos_change_pct_model"] == pytest.approx(row["kudos_change_pct"],
                                                                  abs=close(1))

    weeks = sorted(model["week_start"].unique())
    assert weeks[0] == production["week_start"].min() and weeks[-1] == RUN_WEEK
    assert all(b - a == timedelta(days=7) for a, b in zip(weeks, weeks[1:], strict=False))

    empty = model[model["week_start"] == world.empty_week]
    assert len(empty) == len(LABELS)
    assert (empty["activity_count"] == 0).all() and (empty["total_kudos"] == 0).all()
    after_empty = model[model["week_start"] == world.empty_week + timedelta(days=7)]
    assert after_empty["kudos_change_pct"].isna().all()
    fell = empty[empty["previous_week_kudos"] > 0]
    assert len(fell) >= 1 and (fell["kudos_change_pct"] == -100.0).all()

    zero = model[model["week_start"] == world.zero_kudos_week]
    assert zero["activity_count"].sum() > 0 and (zero["total_kudos"] == 0).all()
    dropped = zero[zero["previous_week_kudos"] > 0]
    assert len(dropped) >= 1 and (dropped["kudos_change_pct"] == -100.0).all()


def test_weekly_distance_by_sport_has_every_week_and_sport(world: ModelWorld,
                                                           production: pd.DataFrame) -> None:
    model = table(world, "weekly_distance_by_sport")
    first = production["week_start"].min()
    weeks = (RUN_WEEK - first).days // 7 + 1
    sports = sorted(production["sport_type"].unique())
    assert len(model) == weeks * len(sports)
    assert sorted(model["sport_type"].unique()) == sports
    grouped = production.groupby(["week_start", "sport_type"]).agg(
        count=("id", "size"), metres=("distance", "sum"), seconds=("moving_time", "sum"),
        kudos=("kudos_count", "sum"))
    for row in model.itertuples(index=False):
        key = (row.week_start, row.sport_type)
        if key not in grouped.index:
            assert (row.activity_count, row.distance_km, row.total_kudos) == (0, 0, 0), key
            continue
        want = grouped.loc[key]
        assert row.activity_count == want["count"]
        assert row.distance_km == pytest.approx(want["metres"] / 1000, abs=close(2))
        assert row.moving_hours == pytest.approx(want["seconds"] / 3600, abs=close(2))
        assert row.total_kudos == want["kudos"]
    assert model.loc[model["week_start"] == world.empty_week, "activity_count"].sum() == 0


def test_monthly_distance_by_sport(world: ModelWorld, production: pd.DataFrame) -> None:
    model = table(world, "monthly_distance_by_sport").set_index(["activity_month", "sport_type"])
    grouped = production.groupby(["month", "sport_type"]).agg(
        count=("id", "size"), metres=("distance", "sum"), kudos=("kudos_count", "sum"))
    assert sorted(model.index) == sorted(grouped.index)
    for key, want in grouped.iterrows():
        assert model.loc[key, "activity_count"] == want["count"]
        assert model.loc[key, "distance_km"] == pytest.approx(want["metres"] / 1000,
                                                              abs=close(2))
        assert model.loc[key, "total_kudos"] == want["kudos"]


def test_routes_and_the_weeks_new_activities(world: ModelWorld,
                                             production: pd.DataFrame) -> None:
    with_route = production[production["summary_polyline"].fillna("") != ""]
    routes = table(world, "activity_routes")
    assert sorted(routes["id"]) == sorted(with_route["id"])

    in_week = production[production["week_start"] == RUN_WEEK]
    new = table(world, "weekly_new_activities").set_index("id")
    assert sorted(new.index) == sorted(in_week["id"])
    assert world.hostile_id in new.index and world.late_sunday_id not in new.index
    assert new.loc[world.hostile_id, "workout_type_label"] == "race"
    for row in in_week.itertuples(index=False):
        assert new.loc[row.id, "name"] == row.name
        assert new.loc[row.id, "kudos_count"] == row.kudos_count
        label = new.loc[row.id, "workout_type_label"]
        expected = workout_label(row.sport_type, row.workout_type)
        assert label == expected if expected is not None else pd.isna(label)


def test_models_are_rebuilt_atomically_with_a_dated_marker(world: ModelWorld,
                                                          tmp_path: Path) -> None:
    import shutil

    import duckdb

    copy = tmp_path / "warehouse.duckdb"
    shutil.copy(world.warehouse_path, copy)
    with duckdb.connect(str(copy)) as db:
        markers = {row[0] for row in db.execute("SELECT update_id FROM table_updates").fetchall()}
        tables = {row[0] for row in db.execute(
            "SELECT table_name FROM information_schema.tables").fetchall()}
        tested = {row[0] for row in db.execute(
            "SELECT check_name FROM validation_results WHERE run_date = ?",
            [RUN_DATE]).fetchall()}
    for name in load_models():
        assert f"BuildModel({RUN_DATE.isoformat()},{name})" in markers
        if model(name).materialized == "table":  # built aside and tested before the swap
            assert {test.name for test in model_tests.tests_of(name)} <= tested
        assert f"{name}__next_{RUN_DATE:%Y%m%d}" not in tables  # swapped in, nothing aside

    from pipeline.backends import open_warehouse

    warehouse = open_warehouse(f"duckdb:///{copy}")
    before = model_table(copy, "weekly_kudos_change")
    spine = model("stg_run_weeks")
    with pytest.raises(ValueError, match="run_date"):
        warehouse.replace_run_rows("stg_run_weeks", spine.select(), "X(0)", {})

    def broken(self, session, update_id, target_table):  # the marker insert fails
        raise RuntimeError("crash before commit")

    from pipeline.backends.warehouse import Warehouse

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(Warehouse, "write_marker", broken)
        with pytest.raises(RuntimeError):
            build(warehouse, "weekly_kudos_change", RUN_DATE, "X(1)")
    assert model_table(copy, "weekly_kudos_change").equals(before)

    later = RUN_DATE + timedelta(days=70)
    for name in ("stg_run_weeks", "stg_weeks", "weekly_kudos_change"):
        build(warehouse, name, later, f"X(2,{name})")
    rebuilt = model_table(copy, "weekly_kudos_change")
    assert rebuilt["week_start"].max() == later - timedelta(days=later.weekday())
    assert len(rebuilt) == len(before) + 10 * len(LABELS)
    for name in ("stg_run_weeks", "stg_weeks", "weekly_kudos_change"):  # older date: no change
        build(warehouse, name, RUN_DATE, f"X(3,{name})")
    keys = ["week_start", "sport_family", "workout_type_label"]
    assert model_table(copy, "weekly_kudos_change").sort_values(keys, ignore_index=True).equals(
        rebuilt.sort_values(keys, ignore_index=True))


def test_a_view_model_replaces_the_table_an_earlier_release_built(world: ModelWorld,
                                                                   tmp_path: Path) -> None:
    """Issue 23: stg_activities became a view; a warehouse holding it as a table (an earlier
    release's) gets the view in its place, with the same rows."""
    import shutil

    import duckdb

    from pipeline.backends import open_warehouse

    copy = tmp_path / "warehouse.duckdb"
    shutil.copy(world.warehouse_path, copy)
    with duckdb.connect(str(copy)) as db:
        db.execute("DROP VIEW stg_activities")
        db.execute("CREATE TABLE stg_activities AS SELECT * FROM strava_activity_data LIMIT 1")
    warehouse = open_warehouse(f"duckdb:///{copy}")
    build(warehouse, "stg_activities", RUN_DATE, "X(view)")
    with duckdb.connect(str(copy)) as db:
        kinds = db.execute("SELECT table_type FROM information_schema.tables "
                           "WHERE table_name = 'stg_activities'").fetchall()
        rows = db.execute("SELECT COUNT(*) FROM stg_activities").fetchone()[0]
    assert kinds == [("VIEW",)]
    assert rows > 1  # production's, not the one row of the old table
