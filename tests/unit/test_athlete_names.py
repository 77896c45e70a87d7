"""How each athlete's targets are named and found again (issue 26): markers, lake keys, files,
staging tables, and the run command's --athlete-id."""

from __future__ import annotations

import pytest

from pipeline.cli import athlete_arguments
from pipeline.forget_athlete import owner_of_marker, owner_of_path
from pipeline.sql_files import check_identifier, staging_table_name
from pipeline.tasks.base import athlete_folder, stage_marker_id, unparseable_lake_key

FIRST = 1001


def test_marker_ids_carry_the_athlete_except_the_first_athlete() -> None:
    from datetime import date

    day = date(2026, 11, 29)
    assert stage_marker_id("LoadProduction", day) == "LoadProduction(2026-11-29)"
    assert stage_marker_id("LoadProduction", day, "a42") == "LoadProduction(2026-11-29,a42)"
    assert owner_of_marker("LoadProduction(2026-11-29,a42)", FIRST) == 42
    assert owner_of_marker("BuildModel(2026-11-29,activity_log,a42)", FIRST) == 42
    assert owner_of_marker("BuildModel(2026-11-29,activity_log)", FIRST) == FIRST
    assert owner_of_marker("Reconcile(2026-11-29.2)", FIRST) == FIRST
    assert athlete_folder("a42") == "42/" and athlete_folder("") == ""
    assert unparseable_lake_key(day, "a42") == "strava/unparseable/42/2026-11-29/activities.json"


@pytest.mark.parametrize(("path", "owner"), [
    ("strava/activities/42/2026-11-29/activities.csv", 42),
    ("strava/activities/2026-11-29/activities.csv", FIRST),
    ("strava/reconcile/42/2026-11-29.2/activities.csv", 42),
    ("strava/streams/api-2026-11-29-a42/part-00000.parquet", 42),
    ("quarantine/20261206T101010/strava/activities/42/2026-11-29/activities.csv", 42),
    ("reports/42/2026-11-29/dashboard.html", 42),
    ("reports/2026-11-29/dashboard.html", FIRST),
    ("reports/index.html", None),
    ("reports/assets/plotly.min.js", None),
    ("extract/42/2026-11-29/activities.csv", 42),
    ("extract/reconcile/2026-11-29/activities.csv", FIRST),
    ("strava/pages/athlete-42/range-0-1795219200/page-00001.json.gz", 42),
    ("strava/pages/range-0-1795219200/page-00001.json.gz", FIRST),
])
def test_every_path_belongs_to_one_athlete_or_is_shared(path: str, owner: int | None) -> None:
    assert owner_of_path(path, FIRST) == owner


def test_staging_tables_of_an_athlete_are_accepted_names() -> None:
    assert staging_table_name("20261129_a42") == "staging_strava_activity_data_20261129_a42"
    assert check_identifier("staging_strava_activity_data_20261129_a42")
    with pytest.raises(ValueError):
        staging_table_name("20261129_a42; DROP")


def test_run_passes_repeated_athlete_ids_to_luigi() -> None:
    assert athlete_arguments("WeeklyPipeline", []) == []
    assert athlete_arguments("WeeklyPipeline", [3, 1, 3]) == ["--athlete-ids", "[1, 3]"]
    assert athlete_arguments("LoadProduction", [5]) == ["--athlete-id", "5"]
    with pytest.raises(SystemExit):
        athlete_arguments("LoadProduction", [5, 6])
