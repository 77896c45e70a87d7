"""The layered models on the crafted sandbox athlete, on DuckDB and PostgreSQL: every model gives
exactly the previous release's rows; an older date built after a newer one changes nothing the
newer one built; a new model file is built with no Python change; a model whose halt test fails
leaves the previous table in place.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from pipeline import model_registry
from pipeline.backends import open_warehouse
from pipeline.backends.warehouse import Warehouse
from pipeline.model_registry import mart_names
from pipeline.sql_files import parameter_names, render
from pipeline.tasks.models import model_parameters
from tests.conftest import PROJECT_ROOT, RUN_DATE, PipelineWorld, succeeded
from tests.support.backends import pg_url, postgres_database
from tests.support.models import RUN_WEEK, craft_athlete

PREVIOUS_MODELS = PROJECT_ROOT / "tests" / "fixtures" / "previous_release" / "models"
OLDER = RUN_DATE - timedelta(days=7)


def rows(warehouse: Warehouse, sql: str, params: dict | None = None,
         private_kudos_null: bool = False) -> tuple[list[str], list]:
    """Column names and rows of a query, rows sorted (NULLs first).

    ``private_kudos_null``: the query sees production with private activities' kudos NULL (the
    rule the previous release did not have: sql/fragments/kudos_possible.sql), rolled back.
    """
    class RollBack(Exception):
        pass

    try:
        with warehouse.transaction() as session:
            if private_kudos_null:
                session.execute(render("UPDATE {production_table} SET kudos_count = NULL WHERE "
                                       "NOT {{ fragment('kudos_possible') }}"))
            session.execute(sql, params)
            found = session.fetchall()
            names = session.column_names
            raise RollBack
    except RollBack:
        pass
    return names, sorted(found, key=lambda row: [(value is not None, str(value)) for value in row])


def snapshot(warehouse: Warehouse) -> dict[str, list]:
    return {name: rows(warehouse, f"SELECT * FROM {name}")[1] for name in mart_names()}


@pytest.fixture(params=["duckdb", "postgresql"])
def built(request: pytest.FixtureRequest, world_factory: Callable[..., PipelineWorld],
          monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[PipelineWorld, Warehouse]]:
    """WeeklyPipeline(RUN_DATE) over the crafted athlete on one warehouse."""
    athlete = craft_athlete()[0]
    world = world_factory(athlete)
    if request.param == "duckdb":
        assert succeeded(world.run_weekly(RUN_DATE))
        yield world, open_warehouse(f"duckdb:///{world.data_dir}/warehouse.duckdb")
        return
    with postgres_database() as database:
        monkeypatch.setenv("WAREHOUSE_URL", pg_url(database))
        assert succeeded(world.run_weekly(RUN_DATE))
        yield world, open_warehouse(pg_url(database))


def test_every_model_gives_the_previous_release_rows(built: tuple[PipelineWorld, Warehouse]
                                                      ) -> None:
    _, warehouse = built
    files = sorted(PREVIOUS_MODELS.glob("*.sql"))
    assert {path.stem for path in files} <= set(mart_names())
    for path in files:
        select = render(path.read_text(encoding="utf-8"))
        every = model_parameters(RUN_DATE)
        params = {name: every[name] for name in parameter_names(select)} or None
        columns, expected = rows(warehouse, select, params, private_kudos_null=True)
        where = " WHERE run_date = :run_date" if path.stem == "weekly_new_activities" else ""
        names, actual = rows(warehouse, f"SELECT {', '.join(columns)} FROM {path.stem}{where}",
                             {"run_date": RUN_DATE} if where else None)
        assert names == columns
        assert actual == expected, f"{path.stem} differs from the previous release"
        assert expected, f"{path.stem} is empty: the comparison proves nothing"


def test_an_older_date_after_a_newer_one_moves_nothing_back(
        built: tuple[PipelineWorld, Warehouse]) -> None:
    world, warehouse = built
    before = snapshot(warehouse)
    newest_week = max(row[0] for row in before["weekly_kudos_change"])
    assert newest_week == RUN_WEEK

    assert succeeded(world.run_weekly(OLDER))

    after = snapshot(warehouse)
    for name in mart_names():
        if name == "weekly_new_activities":
            kept = [row for row in after[name] if row[0] != OLDER]
            assert kept == before[name]
            assert {row[0] for row in after[name]} == {RUN_DATE, OLDER}
        else:
            assert after[name] == before[name], f"{name} moved when {OLDER} ran after {RUN_DATE}"

    older_rows = warehouse.query("SELECT start_date_local FROM weekly_new_activities"
                                 " WHERE run_date = :run_date", {"run_date": OLDER})
    assert older_rows and all(OLDER - timedelta(days=6) <= row[0].date() <= OLDER
                              for row in older_rows)  # the seven local dates ending with OLDER


def copy_of_models(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of sql/models/ that the registry reads instead of the shipped one."""
    folder = tmp_path / "models"
    shutil.copytree(model_registry.MODELS_DIR, folder)
    monkeypatch.setattr(model_registry, "MODELS_DIR", folder)
    return folder


def test_a_new_model_file_is_built_with_no_python_change(
        world_factory: Callable[..., PipelineWorld], tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    folder = copy_of_models(tmp_path, monkeypatch)
    (folder / "marts" / "weekly_run_count.sql").write_text(
        "-- Runs per local week.\n"
        "SELECT w.week_start, COUNT(a.id) AS runs\n"
        "FROM {{ ref('stg_weeks') }} AS w\n"
        "LEFT JOIN {{ ref('stg_activities') }} AS a\n"
        "    ON a.week_start = w.week_start AND a.sport_family = 'run'\n"
        "GROUP BY w.week_start\n", encoding="utf-8")
    with (folder / "marts" / "model_tests.ini").open("a", encoding="utf-8") as tests:
        tests.write("\n[weekly_run_count_one_row_per_week]\nmodel = weekly_run_count\n"
                    "test = unique\ncolumn = week_start\n"
                    "\n[weekly_run_count_never_empty_weeks]\nmodel = weekly_run_count\n"
                    "test = expression\nsql = SELECT COUNT(*) FROM {{ this }} WHERE runs = 0\n"
                    "severity = warn\n")
    world = world_factory(craft_athlete()[0])
    assert succeeded(world.run_weekly(RUN_DATE))

    warehouse = open_warehouse(f"duckdb:///{world.data_dir}/warehouse.duckdb")
    counts = dict(warehouse.query("SELECT week_start, runs FROM weekly_run_count"))
    expected = dict(warehouse.query(
        "SELECT week_start, COUNT(*) FROM stg_activities WHERE sport_family = 'run' "
        "GROUP BY week_start"))
    assert counts and all(counts[week] == n for week, n in expected.items())
    assert max(counts) == RUN_WEEK and sum(counts.values()) == sum(expected.values())
    checks = dict(warehouse.query("SELECT check_name, status FROM validation_results"))
    assert checks["weekly_run_count_one_row_per_week"] == "pass"
    assert checks["weekly_run_count_never_empty_weeks"] == "warn"  # recorded, the build went on


def test_a_broken_model_fails_its_halt_test_and_the_previous_table_stays(
        world_factory: Callable[..., PipelineWorld], tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    folder = copy_of_models(tmp_path, monkeypatch)
    world = world_factory(craft_athlete()[0])
    assert succeeded(world.run_weekly(RUN_DATE))
    warehouse = open_warehouse(f"duckdb:///{world.data_dir}/warehouse.duckdb")
    before = rows(warehouse, "SELECT * FROM activity_routes")

    routes = folder / "marts" / "activity_routes.sql"
    good = routes.read_text(encoding="utf-8")
    broken = good.replace("WHERE summary_polyline IS NOT NULL",
                          "CROSS JOIN (SELECT 1 AS twice UNION ALL SELECT 2) AS doubled\n"
                          "WHERE summary_polyline IS NOT NULL")
    assert broken != good
    routes.write_text(broken, encoding="utf-8")
    result = world.run_weekly(OLDER)
    assert not succeeded(result)
    assert f"BuildModel(run_date={OLDER.isoformat()}, model=activity_routes)" \
        in result.summary_text  # its test failed: see validation_results below
    assert rows(warehouse, "SELECT * FROM activity_routes") == before
    outcome = warehouse.query(
        "SELECT status, severity, left_value FROM validation_results"
        " WHERE run_date = :run_date AND check_name = 'routes_one_row_per_activity'",
        {"run_date": OLDER})
    assert outcome == [("fail", "halt", float(len(before[1])))]
    assert not warehouse.query("SELECT 1 FROM table_updates WHERE update_id = :u",
                               {"u": f"BuildModel({OLDER.isoformat()},activity_routes)"})
    candidate = f"activity_routes__next_{OLDER:%Y%m%d}"  # kept for inspection
    assert len(rows(warehouse, f"SELECT * FROM {candidate}")[1]) == 2 * len(before[1])

    routes.write_text(good, encoding="utf-8")  # fixed: the rerun builds and swaps it in
    assert succeeded(world.run_weekly(OLDER))
    assert rows(warehouse, "SELECT * FROM activity_routes") == before


@pytest.mark.parametrize(("name", "sql", "message"), [
    ("marts/bad_ref.sql", "SELECT * FROM {{ ref('stg_nowhere') }}",
     "sql/models/marts/bad_ref.sql refs 'stg_nowhere', which is no model"),
    ("marts/raw.sql", "SELECT id FROM {production_table}",
     "sql/models/marts/raw.sql: a mart selects over refs only"),
    ("staging/stg_loop.sql", "SELECT * FROM {{ ref('stg_loop') }}",
     "models ref each other in a circle"),
    ("staging/stg_odd.sql", "{{ config(materialized='ephemeral') }}\nSELECT 1 AS x",
     "materialized='ephemeral'; use one of table, view, incremental"),
])
def test_a_wrong_model_file_is_one_clear_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                              name: str, sql: str, message: str) -> None:
    folder = copy_of_models(tmp_path, monkeypatch)
    (folder / name).write_text(sql, encoding="utf-8")
    with pytest.raises(model_registry.ModelError) as error:
        model_registry.load_models()
    assert message in str(error.value) and "\n" not in str(error.value)


def test_a_wrong_model_test_is_one_clear_line(tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    from pipeline import model_tests

    folder = copy_of_models(tmp_path, monkeypatch)
    with (folder / "marts" / "model_tests.ini").open("a", encoding="utf-8") as tests:
        tests.write("\n[odd]\nmodel = activity_routes\ntest = unique_ish\ncolumn = id\n")
    with pytest.raises(model_tests.ModelError, match=r"^model_tests.ini, test \[odd\]: test = "
                       r"'unique_ish'; use one of unique, not_null"):
        model_tests.load_model_tests()


def test_registry_reads_the_layers() -> None:
    models = model_registry.load_models()
    staging = [name for name in models if models[name].layer == "staging"]
    # The lists come first (no refs), then the one model that reads production.
    assert staging.index("stg_activities") > max(staging.index("stg_sport_families"),
                                                 staging.index("stg_workout_types"))
    readers = [name for name in models if "{production_table}" in models[name].text]
    assert readers == ["stg_activities"]
    for name in mart_names():
        assert "{production_table}" not in models[name].text, f"{name} reads production"
        assert models[name].refs, f"{name} refs nothing"
    order = list(models)
    for name, model in models.items():
        assert all(order.index(ref) < order.index(name) for ref in model.refs)


@pytest.mark.parametrize(("sql", "message"), [
    ("SELECT * FROM {{ ref('stg_activities') }}",
     "sql/dashboard/odd.sql refs 'stg_activities', which is no mart: read one of "),
    ("SELECT * FROM {production_table}",
     "sql/dashboard/odd.sql reads production: read a mart instead"),
])
def test_a_reader_reads_marts_only(sql: str, message: str,
                                   monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(model_registry, "read_sql", {"dashboard/odd.sql": sql}.get)
    with pytest.raises(model_registry.ModelError) as error:
        model_registry.reader_sql("dashboard/odd.sql")
    assert str(error.value).startswith(message) and "\n" not in str(error.value)


def test_the_dashboard_reads_its_activities_from_the_marts() -> None:
    from pipeline.dashboard.data import QUERIES, marts_read

    assert marts_read() == ["activity_log", "activity_routes"]
    for query in QUERIES:
        assert "strava_activity_data" not in model_registry.reader_sql(query)
