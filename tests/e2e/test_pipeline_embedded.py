"""The whole WeeklyPipeline on the embedded default, fed by the sandbox over real HTTP."""

from __future__ import annotations

import math
import stat
from datetime import datetime, timedelta

import duckdb
import pandas as pd
import pytest

from pipeline.sandbox import HOSTILE_NAMES
from pipeline.tasks import (
    CopyToStaging,
    ExtractActivities,
    LoadProduction,
    RecordWatermark,
    UploadToLake,
)
from tests.conftest import NEXT_RUN_DATE, RUN_DATE, PipelineWorld, succeeded
from tests.support.helpers import (
    assert_matches_source,
    make_next_week_changes,
    production_rows,
    table_dump,
)

LIST_PATH = "/athlete/activities"


def in_window(world: PipelineWorld, end: datetime) -> list[dict]:
    """The athlete's activities that started before ``end`` in their own local time (a run
    date D covers local start dates up to D: ``end`` is the midnight after D)."""
    limit = end.strftime("%Y-%m-%dT%H:%M:%SZ")
    return [a for a in world.athlete.activities if a["start_date_local"] < limit]


def test_backfill_lands_every_activity_exactly(world: PipelineWorld) -> None:
    result = world.run_weekly()
    assert succeeded(result), result.summary_text

    source = in_window(world, datetime(2026, 11, 30))
    assert len(source) >= 1000
    assert_matches_source(world.data_dir, source)

    names = {row["name"] for row in production_rows(world.data_dir).values()}
    for hostile in HOSTILE_NAMES:
        assert hostile in names, f"{hostile!r} did not survive byte-for-byte"

    assert world.sandbox.count(LIST_PATH) <= math.ceil(len(source) / 200) + 1
    assert world.sandbox.count("/oauth/token") == 1

    token_store = world.data_dir / "strava_tokens.json"
    assert stat.S_IMODE(token_store.stat().st_mode) == 0o600
    extract = world.data_dir / "extract" / "2026-11-29" / "activities.csv"
    lake_copy = world.data_dir / "lake" / "strava" / "activities" / "2026-11-29" / "activities.csv"
    assert extract.read_bytes() == lake_copy.read_bytes()
    assert extract.read_bytes().splitlines()[0].startswith(b"id|athlete_id|name|")


def test_nulls_stay_null_and_integers_stay_integers(world: PipelineWorld) -> None:
    assert succeeded(world.run_weekly())
    with duckdb.connect(str(world.data_dir / "warehouse.duckdb"), read_only=True) as db:
        no_heart = db.execute(
            "SELECT COUNT(*) FROM strava_activity_data WHERE average_heartrate IS NULL").fetchone()
        literal_junk = db.execute(
            "SELECT COUNT(*) FROM strava_activity_data WHERE gear_id IN ('None', 'nan', '') "
            "OR summary_polyline IN ('None', 'nan', '') OR location_country IN ('None', '')"
        ).fetchone()
        types = dict(db.execute(
            "SELECT column_name, data_type FROM information_schema.columns "
            "WHERE table_name = 'strava_activity_data'").fetchall())
    assert no_heart[0] > 0
    assert literal_junk[0] == 0
    assert types["id"] == "BIGINT" and types["kudos_count"] == "BIGINT"
    extract = (world.data_dir / "extract" / "2026-11-29" / "activities.csv").read_text("utf-8")
    header = extract.split("\n", 1)[0].split("|")
    kudos_index = header.index("kudos_count")
    first_row = extract.split("\n")[1].split("|")
    assert "." not in first_row[kudos_index]


def test_same_date_again_asks_strava_nothing_and_changes_nothing(world: PipelineWorld) -> None:
    assert succeeded(world.run_weekly())
    before = table_dump(world.data_dir, "strava_activity_data")
    world.sandbox.reset_log()

    assert succeeded(world.run_weekly())

    assert world.sandbox.requests_log == []
    assert table_dump(world.data_dir, "strava_activity_data") == before


def test_next_week_reflects_new_late_and_changed_activities(world: PipelineWorld) -> None:
    original_refresh_token = world.env["STRAVA_REFRESH_TOKEN"]
    assert succeeded(world.run_weekly(RUN_DATE))
    changes = make_next_week_changes(world.athlete, "Renamed | after upload ✨")
    fresh, late, renamed, rekudoed = (changes.fresh, changes.late, changes.renamed,
                                      changes.rekudoed)

    # The environment still holds the first (now rotated, dead) refresh token.
    assert original_refresh_token != world.sandbox.current_refresh_token
    assert succeeded(world.run_weekly(NEXT_RUN_DATE))

    rows = production_rows(world.data_dir)
    assert rows[fresh["id"]]["sport_type"] == "Run"
    assert late["id"] in rows
    assert rows[renamed["id"]]["name"] == "Renamed | after upload ✨"
    assert rows[rekudoed["id"]]["kudos_count"] == world.athlete.get(rekudoed["id"])["kudos_count"]
    assert_matches_source(world.data_dir, in_window(world, datetime(2026, 12, 7)))
    with duckdb.connect(str(world.data_dir / "warehouse.duckdb"), read_only=True) as db:
        total, distinct = db.execute(
            "SELECT COUNT(*), COUNT(DISTINCT id) FROM strava_activity_data").fetchone()
    assert total == distinct


def test_week_without_activities_completes_with_header_only_file(world: PipelineWorld) -> None:
    early = datetime.strptime(
        min(a["start_date"] for a in world.athlete.activities), "%Y-%m-%dT%H:%M:%SZ"
    ).date() - timedelta(days=30)

    assert succeeded(world.run_weekly(early))

    extract = world.data_dir / "extract" / early.isoformat() / "activities.csv"
    assert len(extract.read_text("utf-8").splitlines()) == 1
    assert production_rows(world.data_dir) == {}


STAGES = [ExtractActivities, UploadToLake, CopyToStaging, LoadProduction, RecordWatermark]


@pytest.mark.parametrize("stage", STAGES, ids=lambda s: s.__name__)
def test_stopping_after_any_stage_then_rerunning_loses_and_duplicates_nothing(
    world: PipelineWorld, stage: type
) -> None:
    assert succeeded(world.build(stage(run_date=RUN_DATE)))
    world.sandbox.reset_log()

    assert succeeded(world.run_weekly())

    source = in_window(world, datetime(2026, 11, 30))
    assert_matches_source(world.data_dir, source)
    assert world.sandbox.count(LIST_PATH) == 0


def test_crash_inside_the_production_load_leaves_no_half_loaded_table(
    world: PipelineWorld, monkeypatch: pytest.MonkeyPatch
) -> None:
    from pipeline.backends.warehouse import Warehouse

    original = Warehouse.write_marker

    def crash_on_production_marker(self, session, update_id, target_table):
        if update_id.startswith("LoadProduction"):
            raise RuntimeError("simulated crash after DELETE and INSERT, before commit")
        return original(self, session, update_id, target_table)

    monkeypatch.setattr(Warehouse, "write_marker", crash_on_production_marker)
    assert not succeeded(world.run_weekly())
    assert production_rows(world.data_dir) == {}

    monkeypatch.setattr(Warehouse, "write_marker", original)
    assert succeeded(world.run_weekly())
    assert_matches_source(world.data_dir, in_window(world, datetime(2026, 11, 30)))


def test_monthly_summary_matches_an_independent_computation(world: PipelineWorld) -> None:
    assert succeeded(world.run_weekly())
    runs = pd.DataFrame(
        [a for a in world.athlete.activities
         if a["sport_type"] in {"Run", "TrailRun", "VirtualRun"} and a["start_date"] < "2026-11-30"]
    )
    runs["month"] = pd.to_datetime(runs["start_date_local"].str.rstrip("Z")).dt.to_period("M")
    expected = runs.groupby("month").agg(
        run_count=("id", "size"), miles=("distance", "sum"), kudos=("kudos_count", "sum"))
    with duckdb.connect(str(world.data_dir / "warehouse.duckdb"), read_only=True) as db:
        model = db.execute(
            "SELECT activity_month, run_count, total_miles, total_kudos "
            "FROM activity_summary_monthly ORDER BY activity_month").fetchall()
    assert len(model) == len(expected)
    for month, count, miles, kudos in model:
        row = expected.loc[pd.Period(month, "M")]
        assert count == row["run_count"]
        assert float(miles) == pytest.approx(row["miles"] / 1609.344, abs=0.006)
        assert kudos == row["kudos"]


def test_cli_exit_codes(world: PipelineWorld) -> None:
    ok = world.cli("WeeklyPipeline", "--run-date", RUN_DATE.isoformat())
    assert ok.returncode == 0, ok.stderr[-3000:]
    assert "SANDBOX" in ok.stderr

    failed = world.cli(
        "WeeklyPipeline", "--run-date", "2026-11-22",
        extra_env={"DATA_DIR": str(world.data_dir.parent / "other"),
                   "STRAVA_REFRESH_TOKEN": "not-a-valid-token"},
    )
    assert failed.returncode == 30
    assert "the local Strava SANDBOX at " in failed.stderr and "rejected the token" in failed.stderr
    assert "not-a-valid-token" not in failed.stderr


def test_bad_credentials_fail_clearly_and_load_nothing(world: PipelineWorld, monkeypatch) -> None:
    monkeypatch.setenv("STRAVA_CLIENT_SECRET", "wrong-secret")
    result = world.run_weekly()
    assert not succeeded(result)
    assert not (world.data_dir / "extract" / "2026-11-29" / "activities.csv").exists()
    with duckdb.connect(str(world.data_dir / "warehouse.duckdb")) as db:
        tables = db.execute("SELECT table_name FROM information_schema.tables").fetchall()
    if ("strava_activity_data",) in tables:
        assert production_rows(world.data_dir) == {}


def test_staging_table_lost_after_checks_is_restaged_on_the_next_run(
    world: PipelineWorld,
) -> None:
    from pipeline.backends import open_warehouse
    from pipeline.tasks.validation import ValidateStaging

    assert succeeded(world.build(ValidateStaging(run_date=RUN_DATE)))
    warehouse = open_warehouse(f"duckdb:///{world.data_dir}/warehouse.duckdb")
    warehouse.drop_table("staging_strava_activity_data_20261129")

    first = world.run_weekly()
    assert not succeeded(first)
    assert production_rows(world.data_dir) == {}

    assert succeeded(world.run_weekly())
    assert_matches_source(world.data_dir, in_window(world, datetime(2026, 11, 30)))
