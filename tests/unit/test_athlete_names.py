"""How each athlete's targets are named and found again (issue 26): markers, lake keys, files,
staging tables, and the run command's --athlete-id."""

from __future__ import annotations

import pytest

from pipeline.cli import athlete_arguments
from pipeline.forget_athlete import (
    archive_owners,
    marked_archives,
    owner_of_marker,
    owner_of_path,
)
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


def test_an_archives_streams_belong_to_the_athlete_who_imported_it() -> None:
    keys = ["strava/archive/42/00000000000000aa/activities.csv",
            "strava/archive/00000000000000bb/activities.csv",
            "strava/archive/1234567890123456/activities.csv",  # an id of digits only
            "strava/archive/42/00000000000000cc/activities.csv",  # imported by two athletes
            "strava/archive/7/00000000000000cc/activities.csv"]
    archives = archive_owners(keys, FIRST)
    assert archives == {"00000000000000aa": 42, "00000000000000bb": FIRST,
                        "1234567890123456": FIRST}
    # Parts stored before migration 0009 carry no athlete: their archive's folder says whose.
    assert owner_of_path("strava/streams/00000000000000aa/part-00001.parquet", FIRST,
                         archives) == 42
    assert owner_of_path("strava/streams/00000000000000aa/part-00001.parquet", FIRST) == FIRST
    assert owner_of_path("strava/streams/1234567890123456/part-00001.parquet", FIRST,
                         archives) == FIRST
    assert owner_of_path("strava/archive/1234567890123456/activities.csv", FIRST,
                         archives) == FIRST
    assert owner_of_path("strava/streams/00000000000000aa-a42/part-00001.parquet", FIRST) == 42
    assert owner_of_path("strava/streams/00000000000000cc/part-00001.parquet", FIRST,
                         archives) == FIRST
    markers = ["ImportArchive(00000000000000aa,a42)", "ImportArchive(00000000000000bb)",
               "ImportArchive(00000000000000cc,a42)", "ImportArchive(00000000000000cc,a7)",
               "LoadProduction(2026-11-29,a42)"]
    assert marked_archives(markers, FIRST) == {"00000000000000aa": 42,
                                               "00000000000000bb": FIRST}


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
