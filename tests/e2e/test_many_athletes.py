"""Three athletes on one application (issue 26, data and graph), over real HTTP, on the embedded
default and (CI=true) on MariaDB + moto S3 + PostgreSQL: a backfill, then a next week with new,
late, changed and deleted activities; each athlete's rows equal its source, marts and dashboards
per athlete, no athlete's activity on another's page; a revoked athlete fails alone."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import tarfile
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from pipeline import failures
from pipeline.athletes import authorized_athletes
from pipeline.backends import open_lake, open_state, open_warehouse
from pipeline.sandbox import SandboxServer, SyntheticAthlete
from pipeline.sandbox.changes import apply_changes
from pipeline.sandbox_cli import authorize_all, served_athletes
from pipeline.settings import load_settings
from pipeline.strava.athlete_store import entry_path
from tests.conftest import ATHLETE_END, RUN_DATE, FakeClock, PipelineNow, PipelineWorld, succeeded
from tests.support.backends import (  # noqa: F401 - fixtures
    S3Server,
    fixture_mysql_db,
    fixture_pg_database,
    fixture_s3_env,
    fixture_s3_server,
    mysql_url,
    pg_url,
)

ACTIVITIES = 150
SEEDS = [11, 12, 13]
NEXT_RUN_DATE = RUN_DATE + timedelta(days=7)
CHANGES = [
    {"action": "delete", "days_ago": 60},
    {"action": "rename", "days_ago": 40, "name": "Renamed 40 days later"},
    {"action": "kudos", "days_ago": 20, "kudos_count": 56},
    {"action": "upload", "days_ago": 17, "sport_type": "Ride", "name": "Synced 17 days late"},
]


def query(sql: str, params: dict[str, Any] | None = None, **identifiers: str) -> list[tuple]:
    """Rows from the configured warehouse, through the pipeline's adapter."""
    from pipeline.backends.duckdb_warehouse import release_all

    try:
        return open_warehouse(load_settings().warehouse_url).query(sql, params, **identifiers)
    finally:
        release_all()


def rows_of(athlete_id: int) -> dict[int, str]:
    """id -> name of the athlete's production rows."""
    return {int(row[0]): row[1] for row in query(
        "SELECT id, name FROM strava_activity_data WHERE athlete_id = :a", {"a": athlete_id})}


def source(athlete: SyntheticAthlete, run_date: Any = RUN_DATE) -> dict[int, str]:
    """id -> name of the athlete's activities the run date covers."""
    return {int(act["id"]): act["name"] for act in athlete.activities
            if act["start_date_local"][:10] <= run_date.isoformat()}


@pytest.fixture(name="three", params=["embedded", "production"])
def fixture_three(request: pytest.FixtureRequest, tmp_path: Path,
                  monkeypatch: pytest.MonkeyPatch, fake_clock: FakeClock
                  ) -> Iterator[PipelineWorld]:
    """A sandbox of three athletes (seeds 11-13) sharing the fake clock, each authorized, a fresh
    DATA_DIR; on one of the two backend sets."""
    first, *more = served_athletes(SEEDS[0], ACTIVITIES, ATHLETE_END, len(SEEDS))
    server = SandboxServer(first, more_athletes=more, clock=fake_clock)
    server.start()
    env = {**server.env(), "DATA_DIR": str(tmp_path / "data"), "STRAVA_READ_TIMEOUT": "2",
           "STRAVA_CONNECT_TIMEOUT": "2"}
    env.pop("STRAVA_REFRESH_TOKEN", None)
    monkeypatch.delenv("STRAVA_REFRESH_TOKEN", raising=False)
    if request.param == "production":
        s3: S3Server = request.getfixturevalue("s3_env")
        env.update({"LAKE_URL": f"s3://{s3.new_bucket()}/lake",
                    "STATE_URL": mysql_url(request.getfixturevalue("mysql_db")),
                    "WAREHOUSE_URL": pg_url(request.getfixturevalue("pg_database"))})
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    authorize_all(server, SEEDS)
    try:
        yield PipelineWorld(server, first, tmp_path / "data", env)
    finally:
        server.stop()


def page_of(world: PipelineWorld, athlete_id: int, run_date: Any) -> str:
    return (world.data_dir / "reports" / str(athlete_id) / run_date.isoformat()
            / "dashboard.html").read_text("utf-8")


def check_separated(world: PipelineWorld, run_date: Any, expected: dict[int, dict[int, str]]
                    ) -> None:
    """Each athlete's rows, marts and page hold its activities and no other's."""
    for athlete_id, activities in expected.items():
        assert rows_of(athlete_id) == activities, athlete_id
        logged = {int(row[0]) for row in query(
            "SELECT id FROM activity_log WHERE athlete_id = :a", {"a": athlete_id})}
        assert logged == set(activities)
        monthly = query("SELECT SUM(run_count) FROM activity_summary_monthly "
                        "WHERE athlete_id = :a", {"a": athlete_id})[0][0]
        runs = query("SELECT COUNT(*) FROM stg_activities WHERE athlete_id = :a "
                     "AND sport_family = 'run'", {"a": athlete_id})[0][0]
        assert int(monthly or 0) == int(runs)
        # The kudos model is the athlete's: its runs, its predictions, its model files.
        runs = query("SELECT model_version, reason FROM kudos_model_runs WHERE athlete_id = :a "
                     "AND run_date = :d", {"a": athlete_id, "d": run_date})
        assert runs, athlete_id
        predicted = {int(row[0]) for row in query(
            "SELECT activity_id FROM kudos_predictions WHERE athlete_id = :a AND run_date = :d",
            {"a": athlete_id, "d": run_date})}
        assert predicted <= set(activities)
        for version, _ in runs:
            assert version is None or version.startswith(f"a{athlete_id}-")
        page = page_of(world, athlete_id, run_date)
        others = {i for other, acts in expected.items() if other != athlete_id for i in acts}
        assert not [i for i in others if str(i) in page], athlete_id
        assert any(str(i) in page for i in activities)  # the page does show its own
    unique = query("SELECT athlete_id, week_start, sport_type, COUNT(*) FROM "
                   "weekly_distance_by_sport GROUP BY athlete_id, week_start, sport_type "
                   "HAVING COUNT(*) > 1")
    assert unique == []


def test_three_athletes_backfill_then_a_week_of_changes(
        three: PipelineWorld, monkeypatch: pytest.MonkeyPatch, pipeline_now: PipelineNow
) -> None:
    monkeypatch.setenv("RECONCILE_EVERY_WEEKS", "1")  # the next week reconciles each athlete
    monkeypatch.setenv("KUDOS_MIN_ACTIVITIES", "50")  # each athlete's own kudos model trains
    athletes = three.sandbox.athletes
    ids = [athlete.athlete_id for athlete in athletes]
    assert succeeded(three.run_weekly(RUN_DATE))
    check_separated(three, RUN_DATE, {a.athlete_id: source(a) for a in athletes})
    # Separate targets per athlete: the lake keys, the state rows, the markers.
    state = open_state(load_settings().state_url)
    assert all(state.has_watermark(RUN_DATE, athlete) for athlete in ids)
    markers = {row[0] for row in query("SELECT update_id FROM table_updates")}
    for athlete in ids:
        assert f"LoadProduction({RUN_DATE},a{athlete})" in markers
    lake = open_lake(load_settings().lake_url)
    for athlete in ids:
        versions = [row[0] for row in query(
            "SELECT model_version FROM kudos_model_runs WHERE athlete_id = :a "
            "AND model_sha256 IS NOT NULL", {"a": athlete})]
        assert versions == [f"a{athlete}-{RUN_DATE}"]
        assert lake.keys(f"models/kudos/{athlete}/{RUN_DATE}/")
    assert not lake.keys(f"models/kudos/{RUN_DATE}/")  # no model of every athlete together
    index = (three.data_dir / "reports" / "index.html").read_text("utf-8")
    assert all(str(athlete) in index for athlete in ids)
    assert "Sandbox Athlete" not in index
    assert not any(str(act["id"]) in index for a in athletes for act in a.activities)

    # The next week: each athlete changes something; the middle one deletes and uploads late.
    changed = {athlete.athlete_id: apply_changes(athlete, CHANGES) for athlete in athletes}
    pipeline_now.moment += timedelta(days=7)
    assert succeeded(three.run_weekly(NEXT_RUN_DATE))
    expected = {a.athlete_id: source(a, NEXT_RUN_DATE) for a in athletes}
    check_separated(three, NEXT_RUN_DATE, expected)
    for athlete_id, (deleted, renamed, kudos, late) in changed.items():
        rows = rows_of(athlete_id)
        assert deleted["id"] not in rows and late["id"] in rows
        assert rows[renamed["id"]] == "Renamed 40 days later"
        kudos_now = query("SELECT kudos_count FROM strava_activity_data WHERE id = :i",
                          {"i": kudos["id"]})
        assert kudos_now == [(56,)]
    for athlete in ids:
        last = state.last_reconciliation(athlete_id=athlete)
        assert last is not None and last["removed"] == 1, athlete


def test_a_revoked_athlete_fails_alone_and_is_named(
        three: PipelineWorld, caplog: pytest.LogCaptureFixture) -> None:
    if "mysql" in three.env.get("STATE_URL", ""):
        pytest.skip("the embedded default is enough for the failure's path")
    caplog.set_level(logging.INFO)
    settings = load_settings()
    revoked, *others = three.sandbox.athletes[1], three.sandbox.athletes[0], \
        three.sandbox.athletes[2]
    stored = json.loads(entry_path(settings, revoked.athlete_id).read_text())
    # The athlete revoked the application on Strava: its refresh token dies.
    assert three.sandbox.tokens.revoke(three.sandbox.issue_access_token(athlete=1))
    failures.forget_failures()
    result = three.run_weekly(RUN_DATE)
    assert not succeeded(result)
    lines = [failure.line() for failure in failures.failures_seen()]
    state = open_state(settings.state_url)
    for athlete in others:
        assert state.has_watermark(RUN_DATE, athlete.athlete_id)
        assert rows_of(athlete.athlete_id) == source(athlete)
        assert page_of(three, athlete.athlete_id, RUN_DATE)
    assert not state.has_watermark(RUN_DATE, revoked.athlete_id)
    assert rows_of(revoked.athlete_id) == {}
    named = f"athlete {revoked.athlete_id} (Sandbox Athlete 2)"
    assert named in caplog.text and "authorize" in caplog.text
    assert lines and all(named in line and "authorize" in line for line in lines), lines
    for secret in (stored.get("refresh_token"), stored.get("access_token")):
        assert not secret or secret not in caplog.text


def test_forgetting_one_athlete_leaves_the_others(three: PipelineWorld) -> None:
    if "mysql" in three.env.get("STATE_URL", ""):
        pytest.skip("the embedded default is enough for forget's filters")
    from pipeline.forget import forget

    assert succeeded(three.run_weekly(RUN_DATE))
    gone, *kept = three.sandbox.athletes[1], three.sandbox.athletes[0], three.sandbox.athletes[2]
    settings = load_settings()
    lake = open_lake(settings.lake_url)
    keys_before = lake.keys("strava/")
    removed = forget(settings, athlete_id=gone.athlete_id)
    from pipeline.backends.duckdb_warehouse import release_all

    release_all()
    assert removed
    assert rows_of(gone.athlete_id) == {}
    assert query("SELECT COUNT(*) FROM activity_log WHERE athlete_id = :a",
                 {"a": gone.athlete_id}) == [(0,)]
    assert not [row for row in query("SELECT update_id FROM table_updates")
                if row[0].endswith(f",a{gone.athlete_id})")]
    state = open_state(settings.state_url)
    assert not state.has_watermark(RUN_DATE, gone.athlete_id)
    keys = lake.keys("strava/")
    assert not [key for key in keys if f"/{gone.athlete_id}/" in key]
    assert not (three.data_dir / "reports" / str(gone.athlete_id)).exists()
    assert not (three.data_dir / "extract" / str(gone.athlete_id)).exists()
    for athlete in kept:
        assert rows_of(athlete.athlete_id) == source(athlete)
        assert state.has_watermark(RUN_DATE, athlete.athlete_id)
        assert [key for key in keys_before if f"/{athlete.athlete_id}/" in key] == \
            [key for key in keys if f"/{athlete.athlete_id}/" in key]
        assert page_of(three, athlete.athlete_id, RUN_DATE)


def test_a_backfill_reads_each_athlete_once_and_loads_every_week(three: PipelineWorld) -> None:
    if "mysql" in three.env.get("STATE_URL", ""):
        pytest.skip("the embedded default is enough for the backfill's athletes")
    from pipeline.tasks import Backfill

    start = RUN_DATE - timedelta(days=21)
    assert succeeded(three.build(Backfill(start=start, stop=RUN_DATE)))
    state = open_state(load_settings().state_url)
    weeks = [start + timedelta(days=7 * n) for n in range(4)]
    for athlete in three.sandbox.athletes:
        assert rows_of(athlete.athlete_id) == source(athlete)
        assert [day for day, _, _ in state.history(athlete.athlete_id)] == weeks
        assert page_of(three, athlete.athlete_id, RUN_DATE)
    # One paged read per athlete for the whole range: ceil(N/200) + 1 list requests each.
    assert three.sandbox.count("/athlete/activities") == len(three.sandbox.athletes) * 2


def status_blocks() -> dict[int, str]:
    """``strava-pipeline status`` run in this process: each athlete's block by id."""
    import contextlib
    import io

    from pipeline import status
    from pipeline.backends.duckdb_warehouse import release_all

    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert status.main([]) == 0
    release_all()
    blocks: dict[int, str] = {}
    for block in out.getvalue().split("\nAthlete ")[1:]:
        athlete_id, _, rest = block.partition(" ")
        blocks[int(athlete_id.rstrip(":"))] = rest.split("\nWebhook events:")[0]
    return blocks


def test_status_and_the_run_summary_per_athlete(three: PipelineWorld) -> None:
    if "mysql" in three.env.get("STATE_URL", ""):
        pytest.skip("the embedded default is enough for what the commands print")
    from pipeline.cli import summary_lines

    settings = load_settings()
    ids = [athlete.athlete_id for athlete in three.sandbox.athletes]
    before = summary_lines(settings, RUN_DATE)
    assert f"not built for {RUN_DATE} (it would be {three.data_dir / 'reports' / str(ids[1])}" \
        in "\n".join(before)
    assert succeeded(three.run_weekly(RUN_DATE))
    lines = summary_lines(settings, RUN_DATE)
    for athlete in ids:
        assert (f"Dashboard of athlete {athlete}: {three.data_dir / 'reports' / str(athlete)}"
                f"/{RUN_DATE}/dashboard.html") in lines
    assert f"Athletes:  {three.data_dir / 'reports' / 'index.html'}" in lines

    state = open_state(settings.state_url)
    state.record_reconciliation(RUN_DATE, 1, {"listed": 7, "added": 1, "changed": 2,
                                              "removed": 3}, athlete_id=ids[2])
    blocks = status_blocks()
    assert sorted(blocks) == sorted(ids)
    names = {athlete.id: athlete.name for athlete in authorized_athletes(settings)}
    for athlete in ids:
        block = blocks[athlete]
        assert block.startswith(f"({names[athlete]}):"), block
        watermark = state.history(athlete)[-1][1]
        assert f"last run: {RUN_DATE}" in block and f"watermark {watermark:%Y-%m-%d %H:%M:%S}" \
            in block
        seen = "7 listed, 1 added, 2 changed, 3 removed" in block
        assert seen == (athlete == ids[2]), block
        assert ("Reconciliation: none yet" in block) == (athlete != ids[2])
    assert len({state.history(athlete)[-1][1] for athlete in ids}) == 3  # each its own


def test_an_archive_is_imported_for_the_athlete_named(
        three: PipelineWorld, tmp_path: Path, pipeline_now: PipelineNow) -> None:
    if "mysql" in three.env.get("STATE_URL", ""):
        pytest.skip("the embedded default is enough for whose archive it is")
    import contextlib
    import io

    from pipeline import cli
    from pipeline.backends.duckdb_warehouse import release_all
    from pipeline.sandbox.archive_export import write_archive
    from pipeline.tasks import ImportArchive

    def import_archive(*args: str) -> tuple[int, str, str]:
        out, err = io.StringIO(), io.StringIO()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = cli.main(["import-archive", *args])
        release_all()
        return code, out.getvalue(), err.getvalue()

    athletes = three.sandbox.athletes
    middle, last = athletes[1], athletes[2]
    assert succeeded(three.run_weekly(RUN_DATE))
    only_in_archive = {**middle.snapshot()[0], "id": 4242, "name": "Only in the archive"}
    archive = tmp_path / "export.zip"
    write_archive([*middle.snapshot(), only_in_archive], archive)
    code, out, err = import_archive(str(archive))
    assert code == 1 and out == ""
    assert err.count("\n") == 1 and "pass --athlete-id ID" in err, err
    code, _, err = import_archive(str(archive), "--athlete-id", "999")
    assert code == 1 and "has not authorized" in err
    assert 4242 not in rows_of(middle.athlete_id)

    code, out, err = import_archive(str(archive), "--athlete-id", str(middle.athlete_id))
    assert code == 0, err
    assert "1 added" in out
    assert rows_of(middle.athlete_id)[4242] == "Only in the archive"
    markers = {row[0] for row in query("SELECT update_id FROM table_updates")}
    assert [m for m in markers if m.startswith("ImportArchive(")] == \
        [f"ImportArchive({out.split('(')[1].split(')')[0]},a{middle.athlete_id})"]
    lake = open_lake(load_settings().lake_url)
    assert lake.keys(f"strava/archive/{middle.athlete_id}/")
    code, out, _ = import_archive(str(archive), "--athlete-id", str(middle.athlete_id))
    assert code == 0 and "already imported" in out
    # The Luigi task, for the last athlete: its marker carries the athlete.
    other = tmp_path / "other.zip"
    write_archive(last.snapshot(), other)
    task = ImportArchive(path=str(other), athlete_id=last.athlete_id)
    assert succeeded(three.build(task)) and task.complete()
    assert any(m[0].endswith(f",a{last.athlete_id})") and m[0].startswith("ImportArchive(")
               for m in query("SELECT update_id FROM table_updates"))

    # The next week's run: the archive's activity is on its athlete's page and marts only.
    pipeline_now.moment += timedelta(days=7)
    assert succeeded(three.run_weekly(NEXT_RUN_DATE))
    expected = {a.athlete_id: source(a, NEXT_RUN_DATE) for a in athletes}
    expected[middle.athlete_id][4242] = "Only in the archive"
    check_separated(three, NEXT_RUN_DATE, expected)


def test_the_kudos_command_reads_the_named_athletes_models(
        three: PipelineWorld, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    if "mysql" in three.env.get("STATE_URL", ""):
        pytest.skip("the embedded default is enough for whose model files are read")
    from pipeline.backends.duckdb_warehouse import release_all
    from pipeline.kudos.__main__ import main as kudos_main

    def kudos(*args: str) -> tuple[int, str, str]:
        code = kudos_main(list(args))
        release_all()
        out, err = capsys.readouterr()
        return code, out, err

    monkeypatch.setenv("KUDOS_MIN_ACTIVITIES", "50")  # each athlete's own kudos model trains
    assert succeeded(three.run_weekly(RUN_DATE))
    capsys.readouterr()
    first, middle, last = (athlete.athlete_id for athlete in three.sandbox.athletes)
    predict = ["predict", "--sport-type", "Run", "--distance-km", "10",
               "--moving-minutes", "50", "--start", "2026-11-29T09:30"]
    for command in (["report"], predict):
        code, out, err = kudos(*command)
        assert code == 1 and out == "" and err.count("\n") == 1, err
        assert "pass --athlete-id ID" in err
    code, out, _ = kudos("report", "--athlete-id", str(middle))
    assert code == 0 and f"a{middle}-{RUN_DATE}" in out
    assert f"a{first}-" not in out and f"a{last}-" not in out
    # Each athlete's model files: without one champion's, only that athlete's prediction fails.
    champions = [int(row[0]) for row in query(
        "SELECT athlete_id FROM kudos_model_runs WHERE promoted ORDER BY athlete_id")]
    assert len(champions) >= 2, champions
    kept, gone = champions[:2]
    lake = open_lake(load_settings().lake_url)
    assert lake.keys(f"models/kudos/{gone}/")
    for key in lake.keys(f"models/kudos/{gone}/"):
        lake.delete(key)
    code, out, err = kudos(*predict, "--athlete-id", str(kept))
    assert code == 0, err
    assert f"(champion a{kept}-{RUN_DATE}," in out
    code, out, err = kudos(*predict, "--athlete-id", str(gone))
    assert code == 1 and f"models/kudos/{gone}/" in err, err
    code, _, err = kudos("report", "--athlete-id", "999")
    assert code == 1 and "has not authorized" in err


def test_narrowed_to_one_athlete(three: PipelineWorld) -> None:
    if "mysql" in three.env.get("STATE_URL", ""):
        pytest.skip("the embedded default is enough for the narrowing")
    from pipeline.tasks import WeeklyPipeline

    chosen = three.sandbox.athletes[2]
    assert succeeded(three.build(WeeklyPipeline(run_date=RUN_DATE,
                                                athlete_ids=[chosen.athlete_id])))
    assert rows_of(chosen.athlete_id) == source(chosen)
    for other in three.sandbox.athletes[:2]:
        assert rows_of(other.athlete_id) == {}





# The release before issue 26 (main when it was taken up): a data folder it built is upgraded.
PREVIOUS_RELEASE = "099b1e2d727aef9d4fdc23aba9480708fcfd2d8c"


def previous_release_code(folder: Path) -> Path:
    """The previous release's source tree, from this repository's history."""
    root = Path(__file__).resolve().parents[2]
    archive = folder / "previous.tar"
    done = subprocess.run(["git", "-C", str(root), "archive", "-o", str(archive),
                           PREVIOUS_RELEASE], capture_output=True, text=True)
    if done.returncode != 0:
        pytest.skip(f"the previous release is not in this clone's history: {done.stderr}")
    code = folder / "previous"
    code.mkdir()
    with tarfile.open(archive) as tar:
        tar.extractall(code, filter="data")
    return code


def test_a_single_athlete_folder_of_the_previous_release_upgrades_in_place(
        world_factory: Callable[..., PipelineWorld], fake_clock: FakeClock, tmp_path: Path,
        pipeline_now: PipelineNow) -> None:
    world = world_factory(SyntheticAthlete(seed=7, n_activities=200, end=ATHLETE_END),
                          clock=fake_clock)
    code = previous_release_code(tmp_path)
    built = subprocess.run(
        [sys.executable, "-m", "luigi", "--module", "pipeline.tasks", "WeeklyPipeline",
         "--run-date", RUN_DATE.isoformat(), "--local-scheduler"],
        cwd=code, env={**os.environ, **world.env, "PYTHONPATH": str(code),
                       "LUIGI_CONFIG_PATH": str(code / "luigi.cfg")},
        capture_output=True, text=True, timeout=600)
    assert built.returncode == 0, built.stderr[-2000:]
    before = query("SELECT * FROM strava_activity_data ORDER BY id")
    markers = {row[0] for row in query("SELECT update_id FROM table_updates")}
    extract = world.data_dir / "extract" / RUN_DATE.isoformat() / "activities.csv"
    stamp = extract.stat().st_mtime_ns

    # The token side's upgrade (i26id: `athletes list`, or any use of the athletes' store):
    # the single store becomes the athlete's entry; the next run takes the install over.
    assert [athlete.id for athlete in authorized_athletes(load_settings())] == \
        [world.athlete.athlete_id]
    world.sandbox.reset_log()
    assert succeeded(world.run_weekly(RUN_DATE))  # the upgrade: nothing of the date redone
    assert world.sandbox.count("/athlete/activities") == 0
    assert {row[0] for row in query("SELECT update_id FROM table_updates")} == markers
    assert extract.stat().st_mtime_ns == stamp
    athlete = world.athlete.athlete_id
    state = open_state(load_settings().state_url)
    assert state.upgraded_athlete() == (athlete, RUN_DATE)
    assert [day for day, _, _ in state.history(athlete)] == [RUN_DATE]
    assert state.legacy_rows() == 0  # no row left without its athlete
    after = query("SELECT * FROM strava_activity_data ORDER BY id")
    assert after == before and {row[1] for row in after} == {athlete}
    assert query("SELECT COUNT(*) FROM validation_results WHERE athlete_id IS NULL") == [(0,)]

    pipeline_now.moment += timedelta(days=7)
    assert succeeded(world.run_weekly(NEXT_RUN_DATE))  # the same names as before the upgrade
    markers = {row[0] for row in query("SELECT update_id FROM table_updates")}
    assert f"LoadProduction({NEXT_RUN_DATE})" in markers
    assert (world.data_dir / "reports" / NEXT_RUN_DATE.isoformat() / "dashboard.html").exists()
    assert state.has_watermark(NEXT_RUN_DATE, athlete)
    assert set(rows_of(athlete)) == set(source(world.athlete, NEXT_RUN_DATE))
