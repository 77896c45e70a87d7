"""The athlete's Strava archive as a source (pipeline/archive/), on the embedded backends and on
MariaDB + moto S3 + PostgreSQL: the sandbox's archive imported, then the weekly run against the
sandbox's API (and the other way round): production is the union, once per id, with the API's
values where both have one; the same archive again does nothing; hostile archives are one line
each and never wedge a rerun."""

from __future__ import annotations

import contextlib
import io
import zipfile
from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest

from pipeline import cli
from pipeline.backends import open_state, open_warehouse
from pipeline.backends.duckdb_warehouse import release_all
from pipeline.sandbox import SyntheticAthlete
from pipeline.sandbox.archive_export import write_archive
from pipeline.settings import load_settings
from tests.conftest import (
    ATHLETE_END,
    NEXT_RUN_DATE,
    RUN_DATE,
    FakeClock,
    PipelineWorld,
    succeeded,
)
from tests.support.archive import ROWS, csv_bytes, write_zip
from tests.support.backends import (  # noqa: F401 - fixtures
    fixture_mysql_db,
    fixture_pg_database,
    fixture_s3_env,
    fixture_s3_server,
    mysql_url,
    pg_url,
)


@pytest.fixture(params=["embedded", "production"])
def archive_world(request: pytest.FixtureRequest, world_factory: Callable[..., PipelineWorld],
                  fake_clock: FakeClock, monkeypatch: pytest.MonkeyPatch) -> PipelineWorld:
    """A 300-activity athlete in the sandbox; embedded, or MariaDB + moto S3 + PostgreSQL."""
    world = world_factory(SyntheticAthlete(seed=7, n_activities=300, end=ATHLETE_END),
                          clock=fake_clock)
    monkeypatch.setenv("ATHLETE_TIMEZONE", "America/Toronto")
    if request.param == "production":
        s3 = request.getfixturevalue("s3_env")
        for name, value in {"LAKE_URL": f"s3://{s3.new_bucket()}/lake",
                            "STATE_URL": mysql_url(request.getfixturevalue("mysql_db")),
                            "WAREHOUSE_URL": pg_url(request.getfixturevalue("pg_database"))
                            }.items():
            monkeypatch.setenv(name, value)
    return world


def query(sql: str, params: dict[str, Any] | None = None) -> list[tuple]:
    try:
        return open_warehouse(load_settings().warehouse_url).query(sql, params)
    finally:
        release_all()


def production() -> dict[int, dict[str, Any]]:
    """Production's rows by id, as (name, kudos_count, distance, extracted_at)."""
    rows = query("SELECT id, name, kudos_count, distance, extracted_at FROM {production_table}")
    return {row[0]: dict(zip(("id", "name", "kudos", "distance", "extracted_at"), row,
                             strict=True)) for row in rows}


def import_archive(path: Path, code: int = 0) -> tuple[str, str]:
    """``strava-pipeline import-archive PATH`` in this process: (stdout, stderr)."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        assert cli.main(["import-archive", str(path)]) == code
    release_all()
    return out.getvalue(), err.getvalue()


def archive_rows() -> list[tuple]:
    return query("SELECT status, message, left_value FROM {validation_table}"
                 " WHERE check_name = 'archive_import' ORDER BY checked_at")


def extra_activity(athlete: SyntheticAthlete) -> dict[str, Any]:
    """An activity only the archive has (deleted from Strava since, say)."""
    oldest = athlete.snapshot()[0]
    return {**oldest, "id": 4242, "name": "Only in the archive, with, commas"}


def test_archive_first_then_the_weekly_run_reads_only_what_is_newer(
        archive_world: PipelineWorld, tmp_path: Path) -> None:
    activities = archive_world.athlete.snapshot()
    archive = tmp_path / "export.zip"
    write_archive([*activities, extra_activity(archive_world.athlete)], archive)
    out, _ = import_archive(archive)
    assert f"{len(activities) + 1} activities read, {len(activities) + 1} added" in out
    imported = production()
    assert set(imported) == {act["id"] for act in activities} | {4242}
    assert all(row["kudos"] is None for row in imported.values())  # API-only field
    assert imported[4242]["name"] == "Only in the archive, with, commas"
    newest = max(act["start_date_local"][:10] for act in activities)
    assert f"Watermark recorded for {newest}" in out

    requests_before = archive_world.sandbox.count("/athlete/activities")
    assert succeeded(archive_world.run_weekly(RUN_DATE))
    loaded = production()
    assert set(loaded) == set(imported)  # the union, once per id
    (count,) = query("SELECT COUNT(*) FROM {production_table}")[0]
    assert count == len(loaded)
    refreshed = {i for i, row in loaded.items() if row["kudos"] is not None}
    api = {act["id"]: act for act in activities}
    assert refreshed and refreshed < set(api)  # the lookback window only, not the history
    for activity_id in refreshed:
        assert loaded[activity_id]["name"] == api[activity_id]["name"]
        assert loaded[activity_id]["kudos"] is not None
    assert archive_world.sandbox.count("/athlete/activities") - requests_before <= 2


def test_weekly_run_first_then_the_archive_keeps_the_api_values(
        archive_world: PipelineWorld, tmp_path: Path) -> None:
    assert succeeded(archive_world.run_weekly(RUN_DATE))
    loaded = production()
    archive = tmp_path / "export.zip"
    write_archive([*archive_world.athlete.snapshot(), extra_activity(archive_world.athlete)],
                  archive)
    out, _ = import_archive(archive)
    assert f"1 added, 0 replaced (from an earlier archive), {len(loaded)} kept" in out
    after = production()
    assert {i: row for i, row in after.items() if i != 4242} == loaded
    assert after[4242]["kudos"] is None

    # The same archive again: nothing to do, nothing changes.
    validations = archive_rows()
    out, _ = import_archive(archive)
    assert "was already imported: nothing to do" in out
    assert production() == after and archive_rows() == validations

    # A newer archive: the archive's own row is replaced, the API's rows stay.
    renamed = {**extra_activity(archive_world.athlete), "name": "Renamed since"}
    write_archive([*archive_world.athlete.snapshot(), renamed], tmp_path / "newer.zip")
    out, _ = import_archive(tmp_path / "newer.zip")
    assert "0 added, 1 replaced" in out
    newest = production()
    assert newest[4242]["name"] == "Renamed since"
    assert {i: row for i, row in newest.items() if i != 4242} == loaded


def test_hostile_archives_are_one_line_each_and_never_wedge(
        archive_world: PipelineWorld, tmp_path: Path) -> None:
    broken = tmp_path / "broken.zip"
    broken.write_bytes(b"PK\x03\x04 not really a zip")
    for _ in range(2):  # a rerun says the same, nothing marked
        out, err = import_archive(broken, code=1)
        assert err.count("\n") == 1 and "is not a readable ZIP" in err and out == ""
    _, err = import_archive(write_zip(tmp_path / "nocsv.zip", {"profile.csv": b"x"}), code=1)
    assert "no activities.csv in the archive" in err
    _, err = import_archive(tmp_path / "missing.zip", code=1)
    assert "does not exist" in err

    bad_row = '103,"yesterday",Run,,,,,,,false,,,,,,,,,,'
    mixed = write_zip(tmp_path / "mixed.zip", {
        "activities.csv": csv_bytes(rows=(*ROWS, bad_row), bom=True, crlf=True),
        "../../escaped.txt": b"evil"})
    out, _ = import_archive(mixed)
    assert "2 activities read, 2 added" in out
    assert "activities/101.gpx is named in activities.csv but is not in the archive" in out
    assert "activities.csv record 4: 'yesterday' is not a date such as" in out
    assert "path traversal" in out
    assert set(production()) == {101, 102}
    statuses = [(status, left) for status, _message, left in archive_rows()]
    assert statuses == [("warn", 1.0)] * 4 + [("warn", 3.0)]
    assert not (tmp_path.parent / "escaped.txt").exists()
    shown = status_output()
    assert "Archive imports (newest first" in shown and "3 problem(s)" in shown
    assert "path traversal" in shown


def status_output() -> str:
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert cli.main(["status"]) == 0
    release_all()
    return out.getvalue()


def test_archive_only_mode_builds_models_and_dashboard_without_strava(
        archive_world: PipelineWorld, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from pipeline.tasks import WeeklyPipeline
    from pipeline.tasks.dashboard import dashboard_path

    for name in ("STRAVA_CLIENT_ID", "STRAVA_CLIENT_SECRET", "STRAVA_REFRESH_TOKEN",
                 "STRAVA_API_URL", "STRAVA_AUTH_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("ARCHIVE_ONLY", "on")
    archive = tmp_path / "export.zip"
    write_archive(archive_world.athlete.snapshot(), archive)
    import_archive(archive)
    archive_world.sandbox.reset_log()
    assert succeeded(archive_world.build(WeeklyPipeline(run_date=RUN_DATE)))
    assert archive_world.sandbox.count() == 0  # not one request to Strava (or the sandbox)
    assert dashboard_path(load_settings().data_dir, RUN_DATE).exists()
    (weekly,) = query("SELECT COUNT(*) FROM weekly_distance_by_sport")[0]
    assert weekly > 0
    assert len(production()) == len(archive_world.athlete)


def test_archive_only_weeks_after_a_newer_archive_and_with_reconciliations_due(
        world_factory: Callable[..., PipelineWorld], fake_clock: FakeClock, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """An archive exported two days after the run date (its newest activities in the next
    week) and a reconciliation due every week: each week succeeds without a request to Strava,
    the weekly marts count every activity, nothing is removed."""
    from pipeline.tasks import WeeklyPipeline

    exported = datetime(2026, 12, 1, 12, tzinfo=timezone.utc)  # RUN_DATE is Sunday 2026-11-29
    world = world_factory(SyntheticAthlete(seed=7, n_activities=300, end=exported),
                          clock=fake_clock)
    for name in ("STRAVA_CLIENT_ID", "STRAVA_CLIENT_SECRET", "STRAVA_REFRESH_TOKEN",
                 "STRAVA_API_URL", "STRAVA_AUTH_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("ATHLETE_TIMEZONE", "America/Toronto")
    monkeypatch.setenv("ARCHIVE_ONLY", "on")
    monkeypatch.setenv("RECONCILE_EVERY_WEEKS", "1")
    archive = tmp_path / "export.zip"
    write_archive(world.athlete.snapshot(), archive)
    import_archive(archive)
    world.sandbox.reset_log()
    for run_date in (RUN_DATE, NEXT_RUN_DATE):
        assert succeeded(world.build(WeeklyPipeline(run_date=run_date))), run_date
        (weekly_km,) = query("SELECT SUM(distance_km) FROM weekly_distance_by_sport")[0]
        (production_km,) = query("SELECT SUM(distance) / 1000 FROM strava_activity_data "
                                 "WHERE sport_type IS NOT NULL")[0]
        assert float(weekly_km) == pytest.approx(float(production_km), abs=0.5)
    assert world.sandbox.count() == 0
    assert len(production()) == len(world.athlete)
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        assert cli.main(["reconcile", "--date", NEXT_RUN_DATE.isoformat()]) == 2
    assert err.getvalue().startswith("strava-pipeline reconcile: error: archive-only mode")
    assert len(production()) == len(world.athlete)


def test_import_archive_luigi_task_and_watermark(archive_world: PipelineWorld,
                                                 tmp_path: Path) -> None:
    from pipeline.tasks import ImportArchive

    archive = tmp_path / "export.zip"
    write_archive(archive_world.athlete.snapshot(), archive)
    task = ImportArchive(path=str(archive))
    assert succeeded(archive_world.build(task))
    assert task.complete()
    with zipfile.ZipFile(archive) as opened:
        assert opened.read("activities.csv").count(b"\n") > len(archive_world.athlete)
    history = open_state(load_settings().state_url).history()
    assert len(history) == 1 and history[0][1] is not None


def test_archive_only_command_line_needs_no_credentials_and_no_demo(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`strava-pipeline run-date` and `run` in archive-only mode keep to the real DATA_DIR."""
    monkeypatch.setenv("DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("ATHLETE_TIMEZONE", "America/Toronto")
    monkeypatch.setenv("ARCHIVE_ONLY", "on")
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert cli.main(["run-date", RUN_DATE.isoformat()]) == 0
    assert out.getvalue().strip() == RUN_DATE.isoformat()
    monkeypatch.setenv("ARCHIVE_ONLY", "maybe")
    err = io.StringIO()
    with contextlib.redirect_stderr(err):
        assert cli.main(["run-date", RUN_DATE.isoformat()]) == 2
    assert "ARCHIVE_ONLY='maybe' is neither on nor off" in err.getvalue()
