"""The kudos model on the sandbox athlete (its kudos depend on distance, intent, visibility):
quality against baselines, champion/challenger, reruns, skips, tampered files, leakage, CLI."""

from __future__ import annotations

import io
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager, redirect_stderr, redirect_stdout
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path

import duckdb
import luigi
import numpy as np
import pandas as pd
import pytest
from luigi.execution_summary import LuigiStatusCode

from pipeline.activity_csv import read_ids
from pipeline.backends import open_lake, open_warehouse
from pipeline.backends.duckdb_warehouse import release_all
from pipeline.kudos.__main__ import main as kudos_main
from pipeline.kudos.features import build_features
from pipeline.kudos.model import predict
from pipeline.kudos.store import (
    load_model,
)
from pipeline.kudos.tables import current_champion, read_activities
from pipeline.sandbox import SandboxServer, SyntheticAthlete
from pipeline.settings import ENVIRONMENT_VARIABLES, load_settings
from tests.conftest import ATHLETE_END, PROJECT_ROOT, RUN_DATE

TEST_START = datetime(2026, 9, 7)  # Monday 11 weeks before the run week's Monday (2026-11-23)


RUN_END = datetime(2026, 11, 30)
SETTLED_END = RUN_END - timedelta(days=7)  # KUDOS_SETTLE_DAYS: younger kudos still arriving


MODEL_DIR = Path("lake/models/kudos/2026-11-29")


@dataclass
class KudosWorld:
    """A DATA_DIR after WeeklyPipeline(RUN_DATE) and the environment that points at it."""

    data_dir: Path
    env: dict[str, str]
    run_week_id: int

    def rows(self, sql: str, params: list | None = None) -> list[tuple]:
        release_all()  # the warehouse adapter keeps the file open in this process
        with duckdb.connect(str(self.data_dir / "warehouse.duckdb"), read_only=True) as db:
            return db.execute(sql, params or []).fetchall()

    def execute(self, sql: str, params: list | None = None) -> None:
        release_all()
        with duckdb.connect(str(self.data_dir / "warehouse.duckdb")) as db:
            db.execute(sql, params or [])

    def runs(self) -> pd.DataFrame:
        release_all()
        with duckdb.connect(str(self.data_dir / "warehouse.duckdb"), read_only=True) as db:
            return db.execute("SELECT * FROM kudos_model_runs ORDER BY trained_at, "
                              "model_version").df()

    def copy(self, folder: Path) -> KudosWorld:
        release_all()
        shutil.copytree(self.data_dir, folder)
        return KudosWorld(folder, {**self.env, "DATA_DIR": str(folder)}, self.run_week_id)

    def cli(self, *args: str) -> subprocess.CompletedProcess[str]:
        """``python -m pipeline.kudos ...`` in a child process, from another directory."""
        release_all()  # so the child need not wait for this process's open warehouse
        return subprocess.run([sys.executable, "-m", "pipeline.kudos", *args],
                              cwd=self.data_dir.parent, env={**os.environ, **self.env},
                              capture_output=True, text=True, timeout=300)

    def command(self, *args: str) -> subprocess.CompletedProcess[str]:
        """The same command in this process (fast): exit code, stdout and stderr."""
        out, err = io.StringIO(), io.StringIO()
        with environment(self.env), redirect_stdout(out), redirect_stderr(err):
            try:
                code = kudos_main(list(args))
            except SystemExit as stop:
                code = int(stop.code or 0)
        return subprocess.CompletedProcess(list(args), code, out.getvalue(), err.getvalue())


@contextmanager
def environment(env: dict[str, str]) -> Iterator[None]:
    with pytest.MonkeyPatch.context() as patch:
        for name in ENVIRONMENT_VARIABLES:
            patch.delenv(name, raising=False)
        patch.setenv("LUIGI_CONFIG_PATH", str(PROJECT_ROOT / "luigi.cfg"))
        for name, value in env.items():
            patch.setenv(name, value)
        luigi.task_register.Register.clear_instance_cache()
        yield
        luigi.task_register.Register.clear_instance_cache()


def build(*tasks: luigi.Task) -> luigi.execution_summary.LuigiRunResult:
    luigi.task_register.Register.clear_instance_cache()
    return luigi.build(list(tasks), local_scheduler=True, detailed_summary=True, workers=1,
                       log_level="WARNING")


def ok(result: luigi.execution_summary.LuigiRunResult) -> bool:
    return result.status in (LuigiStatusCode.SUCCESS, LuigiStatusCode.SUCCESS_WITH_RETRY)


def run_pipeline(athlete: SyntheticAthlete, data_dir: Path) -> dict[str, str]:
    """WeeklyPipeline(RUN_DATE) over the sandbox; returns the environment used."""
    from pipeline.tasks import WeeklyPipeline

    with SandboxServer(athlete) as server:
        env = {**server.env(), "DATA_DIR": str(data_dir)}
        with environment(env):
            result = build(WeeklyPipeline(run_date=RUN_DATE))
        assert ok(result), result.summary_text
    return env


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> KudosWorld:
    athlete = SyntheticAthlete(seed=7, n_activities=1200, end=ATHLETE_END)
    in_run_week = athlete.add_activity(datetime(2026, 11, 25, 12, tzinfo=timezone.utc), "Run")
    data_dir = tmp_path_factory.mktemp("kudos") / "data"
    env = run_pipeline(athlete, data_dir)
    return KudosWorld(data_dir, env, in_run_week["id"])


def production(world: KudosWorld) -> pd.DataFrame:
    release_all()
    with duckdb.connect(str(world.data_dir / "warehouse.duckdb"), read_only=True) as db:
        return db.execute("SELECT * FROM strava_activity_data").df()


def test_champion_beats_the_mean_baseline_by_a_quarter_on_the_last_12_weeks(
        world: KudosWorld) -> None:
    runs = world.runs()
    assert len(runs) == 1
    run = runs.iloc[0]
    assert run["model_version"] == "2026-11-29" and bool(run["promoted"])
    assert run["rmse"] <= 0.75 * run["baseline_rmse"]
    assert run["rmse"] < run["sport_baseline_rmse"]

    # The split and the mean baseline, recomputed with pandas from production.
    frame = production(world)
    frame = frame[frame["kudos_count"].notna() & (frame["start_date_local"] < SETTLED_END)]
    train = frame[frame["start_date_local"] < TEST_START]
    test = frame[frame["start_date_local"] >= TEST_START]
    assert (run["n_train"], run["n_test"]) == (len(train), len(test))
    baseline = np.sqrt(((test["kudos_count"] - train["kudos_count"].mean()) ** 2).mean())
    assert run["baseline_rmse"] == pytest.approx(baseline)

    metrics = json.loads((world.data_dir / MODEL_DIR / "metrics.json").read_text())
    assert metrics["rmse"] == pytest.approx(run["rmse"])
    listed = json.loads((world.data_dir / MODEL_DIR / "features.json").read_text())["features"]
    assert {"distance_km", "visibility", "kudos_prev_4_weeks_mean"} <= set(listed)
    assert "kudos_count" not in listed


def test_predictions_cover_the_run_week_under_the_champion(world: KudosWorld) -> None:
    predicted = dict(world.rows("SELECT activity_id, model_version FROM kudos_predictions "
                                "WHERE run_date = ?", [RUN_DATE]))
    assert predicted[world.run_week_id] == "2026-11-29"
    window = {row[0] for row in world.rows(
        "SELECT id FROM strava_activity_data WHERE start_date_local >= ? AND "
        "start_date_local < ?", [TEST_START, RUN_END])}
    # Every run scores the test weeks and every activity it loaded (the first run: all).
    loaded = read_ids(world.data_dir / "lake/strava/activities/2026-11-29/activities.csv")
    assert len(loaded) > len(window)
    assert set(predicted) == window | loaded
    importance = world.rows("SELECT feature FROM kudos_feature_importance "
                            "ORDER BY importance_mean DESC")
    assert importance[0][0] == "distance_km"  # the sandbox's kudos grow with distance


def test_rerun_of_a_finished_date_trains_nothing(world: KudosWorld, tmp_path: Path) -> None:
    from pipeline.tasks import TrainKudosModel, WeeklyPipeline

    copy = world.copy(tmp_path / "data")
    model_file = copy.data_dir / MODEL_DIR / "model.skops"
    before = (model_file.stat().st_mtime_ns, copy.runs())
    with environment(copy.env):
        result = build(WeeklyPipeline(run_date=RUN_DATE))
    assert ok(result)
    assert "ran successfully" not in result.summary_text
    assert model_file.stat().st_mtime_ns == before[0]
    pd.testing.assert_frame_equal(copy.runs(), before[1])

    # Forced rerun (marker gone) with production unchanged: a recorded skip, no new model.
    copy.execute("DELETE FROM table_updates WHERE update_id = 'TrainKudosModel(2026-11-29)'")
    with environment(copy.env):
        assert ok(build(TrainKudosModel(run_date=RUN_DATE)))
    runs = copy.runs()
    assert len(runs) == 2 and pd.isna(runs.iloc[1]["model_version"])
    assert "production unchanged" in runs.iloc[1]["reason"]
    assert not bool(runs.iloc[1]["promoted"])
    assert sorted(p.name for p in (copy.data_dir / MODEL_DIR).iterdir()) == [
        "features.json", "metrics.json", "model.skops"]
    assert copy.rows("SELECT DISTINCT model_version FROM kudos_predictions") == [("2026-11-29",)]


def test_worse_challenger_on_shuffled_labels_is_not_promoted(world: KudosWorld,
                                                              tmp_path: Path) -> None:
    from pipeline.tasks import TrainKudosModel

    copy = world.copy(tmp_path / "data")
    ids, kudos = zip(*copy.rows("SELECT id, kudos_count FROM strava_activity_data "
                                "WHERE start_date_local < ? ORDER BY id", [TEST_START]),
                     strict=True)
    shuffled = np.random.default_rng(0).permutation(np.array(kudos, dtype=object))
    release_all()
    with duckdb.connect(str(copy.data_dir / "warehouse.duckdb")) as db:
        db.executemany("UPDATE strava_activity_data SET kudos_count = ? WHERE id = ?",
                       [[None if k is None else int(k), i] for k, i in zip(shuffled, ids,
                                                                            strict=True)])
        db.execute("DELETE FROM table_updates WHERE update_id = 'TrainKudosModel(2026-11-29)'")
    with environment(copy.env):
        assert ok(build(TrainKudosModel(run_date=RUN_DATE)))
    runs = copy.runs()
    challenger = runs.iloc[-1]
    assert challenger["model_version"] == "2026-11-29+2"
    assert not bool(challenger["promoted"])
    assert challenger["rmse"] > runs.iloc[0]["rmse"]
    assert challenger["reason"].startswith("not promoted") and "2026-11-29's" in \
        challenger["reason"]
    assert (copy.data_dir / MODEL_DIR / "2" / "model.skops").exists()
    with environment(copy.env):
        champion = current_champion(open_warehouse(load_settings().warehouse_url))
    assert champion is not None and champion.model_version == "2026-11-29"
    assert copy.rows("SELECT DISTINCT model_version FROM kudos_predictions") == [("2026-11-29",)]


def test_too_little_history_is_a_recorded_skip_and_the_pipeline_completes(
        tmp_path: Path) -> None:
    athlete = SyntheticAthlete(seed=5, n_activities=150, end=ATHLETE_END)
    env = run_pipeline(athlete, tmp_path / "data")
    small = KudosWorld(tmp_path / "data", env, 0)
    runs = small.runs()
    count = small.rows("SELECT COUNT(*) FROM strava_activity_data")[0][0]
    assert len(runs) == 1 and not bool(runs.iloc[0]["promoted"])
    assert runs.iloc[0]["reason"] == (f"skipped: {count} activities up to 2026-11-29, fewer "
                                      "than KUDOS_MIN_ACTIVITIES=200")
    assert pd.isna(runs.iloc[0]["model_version"])
    assert not (small.data_dir / "lake" / "models").exists()
    assert small.rows("SELECT COUNT(*) FROM kudos_predictions") == [(0,)]
    answer = small.command("predict", "--sport-type", "Run", "--distance-km", "10",
                       "--moving-minutes", "50")
    assert answer.returncode == 1 and answer.stderr.startswith("no kudos model yet")


def test_a_tampered_champion_stops_training_with_one_line_and_deleting_it_recovers(
        world: KudosWorld, tmp_path: Path) -> None:
    from pipeline.tasks import TrainKudosModel

    copy = world.copy(tmp_path / "data")
    model_file = copy.data_dir / MODEL_DIR / "model.skops"
    model_file.write_bytes(model_file.read_bytes()[:-100] + b"x" * 100)
    copy.execute("UPDATE strava_activity_data SET kudos_count = kudos_count + 1 "
                 "WHERE start_date_local < ?", [TEST_START])
    copy.execute("DELETE FROM table_updates WHERE update_id = 'TrainKudosModel(2026-11-29)'")
    with environment(copy.env):
        assert not ok(build(TrainKudosModel(run_date=RUN_DATE)))
    assert len(copy.runs()) == 1

    shutil.rmtree(copy.data_dir / MODEL_DIR)
    with environment(copy.env):
        assert ok(build(TrainKudosModel(run_date=RUN_DATE)))
    newest = copy.runs().iloc[-1]
    assert bool(newest["promoted"]) and "model file is missing" in newest["reason"]


def test_no_feature_leaks_later_kudos_or_the_activitys_own(world: KudosWorld) -> None:
    with environment(world.env):
        settings = load_settings()
        warehouse = open_warehouse(settings.warehouse_url)
        champion = current_champion(warehouse)
        assert champion is not None
        model = load_model(open_lake(settings.lake_url), champion.model_version,
                           champion.model_sha256)
        frame = read_activities(warehouse, RUN_END)
    week = datetime(2026, 10, 5)  # a Monday inside the test window
    local = pd.to_datetime(frame["start_date_local"])
    later = (local >= week).to_numpy()
    permuted = frame.copy()
    rng = np.random.default_rng(1)
    permuted.loc[later, "kudos_count"] = rng.integers(0, 200, int(later.sum()))
    before = predict(model, build_features(frame))
    after = predict(model, build_features(permuted))
    kept = (local < week + timedelta(days=7)).to_numpy()  # that week's own kudos changed too
    assert kept.sum() > 0 and (later & kept).sum() > 0
    np.testing.assert_array_equal(before[kept], after[kept])
    assert not np.array_equal(before[~kept], after[~kept])  # kudos history does matter


def test_predict_and_report_commands_from_another_directory(world: KudosWorld) -> None:
    def predicted(*args: str) -> float:
        answer = world.command("predict", "--start", "2026-11-29T09:00", *args)
        assert answer.returncode == 0, answer.stderr
        assert answer.stdout.startswith("predicted kudos: ")
        return float(answer.stdout.split()[2])

    easy_run = predicted("--sport-type", "Run", "--distance-km", "10", "--moving-minutes", "50")
    long_ride = predicted("--sport-type", "Ride", "--distance-km", "70", "--moving-minutes",
                          "150")
    private = predicted("--sport-type", "Run", "--distance-km", "10", "--moving-minutes", "50",
                        "--visibility", "only_me")
    titled = predicted("--sport-type", "Run", "--distance-km", "10", "--moving-minutes", "50",
                       "--photos", "3", "--name", "Easy 10k with the crew")
    assert 2 < easy_run < 15  # the sandbox's mean for a 10 km easy run is about 7.4
    assert 0 <= titled < 50
    assert long_ride > 2 * easy_run
    assert private < 1.5

    bad = world.command("predict", "--sport-type", "Run", "--distance-km", "-3",
                    "--moving-minutes", "50")
    assert bad.returncode == 2 and "must be a finite number >= 0" in bad.stderr

    report = world.cli("report")
    assert report.returncode == 0
    header, row = report.stdout.strip().splitlines()
    assert header.split()[:3] == ["run_date", "model_version", "trained_at"]
    assert row.startswith("2026-11-29  2026-11-29") and "promoted: first model" in row


def test_dashboard_shows_predictions_rmse_history_and_importance(world: KudosWorld) -> None:
    from pipeline.dashboard.kudos import (
        CHART_IDS,
        feature_importance,
        load_kudos_dashboard,
        predicted_vs_actual,
        rmse_over_time,
    )

    with environment(world.env):
        kudos = load_kudos_dashboard(open_warehouse(load_settings().warehouse_url), RUN_DATE)
    labelled = world.rows(
        "SELECT p.activity_id, p.predicted_kudos, a.kudos_count FROM kudos_predictions p "
        "JOIN strava_activity_data a ON a.id = p.activity_id WHERE a.kudos_count IS NOT NULL "
        "ORDER BY a.start_date_local, p.activity_id")
    points = predicted_vs_actual(kudos).data[0]
    assert list(points.x) == [float(row[2]) for row in labelled]
    assert list(points.y) == pytest.approx([row[1] for row in labelled])
    history = rmse_over_time(kudos).data
    run = world.runs().iloc[0]
    assert [trace.name for trace in history] == [
        "model", "mean baseline", "per-sport baseline", "trailing 4-week baseline",
        "trailing 12-week baseline"]
    assert history[0].y == pytest.approx([run["rmse"]])
    assert history[1].y == pytest.approx([run["baseline_rmse"]])
    assert feature_importance(kudos).data[0].y[-1] == "distance_km"  # drawn top

    page = (world.data_dir / "reports" / "2026-11-29" / "dashboard.html").read_text()
    assert 'id="section-kudos-model"' in page
    assert all(f'id="{chart}"' in page for chart in CHART_IDS.values())
    assert (f"test RMSE {run['rmse']:.2f} kudos vs {run['best_baseline_rmse']:.2f} for the best "
            f"baseline, the {run['best_baseline']}") in page


def test_the_same_run_on_postgresql_gives_the_same_model_and_rows(
        world: KudosWorld, tmp_path: Path) -> None:
    from pipeline.backends.lake import LocalLake
    from pipeline.kudos.training import run_kudos_model
    from tests.support.backends import pg_rows, pg_url, postgres_database

    with postgres_database() as database, environment(world.env):
        warehouse = open_warehouse(pg_url(database))
        warehouse.ensure_schema()
        release_all()
        with duckdb.connect(str(world.data_dir / "warehouse.duckdb"), read_only=True) as db:
            cursor = db.execute("SELECT * FROM strava_activity_data")
            names = [column[0] for column in cursor.description]
            rows = cursor.fetchall()
        with warehouse.transaction() as session:
            session.cursor.executemany(
                f"INSERT INTO strava_activity_data ({', '.join(names)}) VALUES "
                f"({', '.join(['%s'] * len(names))})", rows)
        lake = LocalLake("file://" + str(tmp_path / "lake"), tmp_path / "lake")
        loaded = read_ids(world.data_dir / "lake/strava/activities/2026-11-29/activities.csv")
        outcome = run_kudos_model(warehouse, lake, RUN_DATE, 200, "TrainKudosModel(2026-11-29)",
                                  loaded_ids=loaded)
        again = run_kudos_model(warehouse, lake, RUN_DATE, 200, "TrainKudosModel(2026-11-29)",
                                loaded_ids=loaded)
        runs = pg_rows(database, "SELECT model_version, rmse, promoted, reason FROM "
                                 "kudos_model_runs ORDER BY trained_at, model_version")
        predictions = pg_rows(database, "SELECT COUNT(*) FROM kudos_predictions")[0][0]
    duck = world.runs().iloc[0]
    assert outcome.row["rmse"] == pytest.approx(duck["rmse"])
    assert runs[0][:3] == ("2026-11-29", pytest.approx(duck["rmse"]), True)
    assert "production unchanged" in again.row["reason"] and runs[1][0] is None
    assert predictions == world.rows("SELECT COUNT(*) FROM kudos_predictions")[0][0]


def test_next_weeks_new_data_retrains_and_compares_on_the_new_test_set(
        world_factory, fake_clock, monkeypatch: pytest.MonkeyPatch) -> None:
    from tests.conftest import NEXT_RUN_DATE, succeeded
    from tests.support.helpers import make_next_week_changes

    # Issue 23: retraining is due every KUDOS_RETRAIN_EVERY_WEEKS (default 4); here every week.
    monkeypatch.setenv("KUDOS_RETRAIN_EVERY_WEEKS", "1")
    athlete = SyntheticAthlete(seed=7, n_activities=1200, end=ATHLETE_END)
    pipeline = world_factory(athlete, clock=fake_clock)
    assert succeeded(pipeline.run_weekly(RUN_DATE))
    changes = make_next_week_changes(athlete, "Renamed after upload")
    assert succeeded(pipeline.run_weekly(NEXT_RUN_DATE))

    kudos = KudosWorld(pipeline.data_dir, pipeline.env, changes.fresh["id"])
    runs = kudos.runs()
    assert list(runs["model_version"]) == ["2026-11-29", "2026-12-06"]
    second = runs.iloc[1]
    test_start, end = datetime(2026, 9, 14), datetime(2026, 11, 30)  # settled: 7 days before
    n_test = kudos.rows("SELECT COUNT(*) FROM strava_activity_data WHERE kudos_count IS NOT "
                        "NULL AND start_date_local >= ? AND start_date_local < ?",
                        [test_start, end])[0][0]
    assert second["n_test"] == n_test
    assert "champion 2026-11-29's" in second["reason"] and f"same {n_test} test" in \
        second["reason"]
    champion = "2026-12-06" if bool(second["promoted"]) else "2026-11-29"
    predicted = dict(kudos.rows("SELECT activity_id, model_version FROM kudos_predictions "
                                "WHERE run_date = ?", [NEXT_RUN_DATE]))
    assert predicted[changes.fresh["id"]] == champion
    assert (pipeline.data_dir / "lake/models/kudos/2026-12-06/model.skops").exists()


def test_hostile_values_in_production_train_by_one_rule_instead_of_failing(
        world: KudosWorld, tmp_path: Path) -> None:
    from pipeline.tasks import TrainKudosModel

    copy = world.copy(tmp_path / "data")
    ids = [row[0] for row in copy.rows("SELECT id FROM strava_activity_data WHERE "
                                       "start_date_local < ? ORDER BY id LIMIT 5",
                                       [TEST_START])]
    copy.execute("UPDATE strava_activity_data SET kudos_count = -5 WHERE id = ?", [ids[0]])
    copy.execute("UPDATE strava_activity_data SET distance = 'inf'::DOUBLE, "
                 "moving_time = 9223372036854775807 WHERE id = ?", [ids[1]])
    copy.execute("UPDATE strava_activity_data SET sport_type = NULL, visibility = NULL, "
                 "workout_type = -9223372036854775808, start_date = NULL WHERE id = ?",
                 [ids[2]])
    copy.execute("UPDATE strava_activity_data SET sport_type = '<b>Ski|\"é🏂</b>', "
                 "total_elevation_gain = 'nan'::DOUBLE WHERE id = ?", [ids[3]])
    copy.execute("DELETE FROM table_updates WHERE update_id = 'TrainKudosModel(2026-11-29)'")
    with environment(copy.env):
        assert ok(build(TrainKudosModel(run_date=RUN_DATE)))
    newest = copy.runs().iloc[-1]
    assert newest["model_version"] == "2026-11-29+2"
    assert newest["n_train"] == world.runs().iloc[0]["n_train"] - 1  # the negative count
    assert np.isfinite(newest["rmse"])


def test_on_strava_data_the_model_is_off_by_default_and_the_dashboard_says_why(
        world: KudosWorld, tmp_path: Path) -> None:
    """Issue 22, finding 7: the same data read from Strava's API (not the sandbox) trains no
    model unless KUDOS_MODEL=on; the skip is recorded and the dashboard panel names it."""
    from pipeline.kudos.terms import is_off_reason
    from pipeline.tasks import TrainKudosModel
    from pipeline.tasks.dashboard import BuildDashboard

    copy = world.copy(tmp_path / "data")
    copy.execute("DELETE FROM table_updates WHERE update_id = 'TrainKudosModel(2026-11-29)'")
    (copy.data_dir / "reports" / "2026-11-29" / "dashboard.html").unlink()
    strava = {**copy.env, "STRAVA_API_URL": "https://www.strava.com/api/v3"}
    with environment(strava):
        assert ok(build(BuildDashboard(run_date=RUN_DATE)))
    runs = copy.runs()
    skip = runs.iloc[-1]
    assert is_off_reason(skip["reason"]) and "KUDOS_MODEL=on" in skip["reason"]
    assert pd.isna(skip["model_version"]) and not bool(skip["promoted"])
    assert copy.rows("SELECT COUNT(*) FROM kudos_predictions WHERE run_date = ?",
                     [RUN_DATE]) == [(0,)]
    page = (copy.data_dir / "reports" / "2026-11-29" / "dashboard.html").read_text()
    assert 'id="kudos-model-off"' in page and "KUDOS_MODEL=on" in page
    assert 'id="kudos-model-summary"' not in page

    # The operator's decision: KUDOS_MODEL=on trains on the same configuration.
    copy.execute("DELETE FROM table_updates WHERE update_id = 'TrainKudosModel(2026-11-29)'")
    with environment({**strava, "KUDOS_MODEL": "on"}):
        assert ok(build(TrainKudosModel(run_date=RUN_DATE)))
    assert not is_off_reason(copy.runs().iloc[-1]["reason"])


def test_a_growing_account_is_promoted_only_against_the_best_baseline(
        world: KudosWorld, tmp_path: Path) -> None:
    """Issue 22, finding 4: on a growing account (kudos = the week's number) the model beats
    the training mean by far but not the trailing 4-week mean: it is not promoted, and the run
    records every baseline and the best."""
    from pipeline.tasks import TrainKudosModel

    copy = world.copy(tmp_path / "data")
    copy.execute("UPDATE strava_activity_data SET private = FALSE, visibility = 'everyone', "
                 "kudos_count = CAST(date_diff('day', DATE '2020-01-06', "
                 "CAST(start_date_local AS DATE)) / 7 AS BIGINT)")
    copy.execute("DELETE FROM table_updates WHERE update_id = 'TrainKudosModel(2026-11-29)'")
    with environment(copy.env):
        assert ok(build(TrainKudosModel(run_date=RUN_DATE)))
    run = copy.runs().iloc[-1]
    assert run["model_version"] == "2026-11-29+2" and not bool(run["promoted"])
    assert run["best_baseline"] == "trailing 4-week mean"
    assert run["best_baseline_rmse"] == pytest.approx(run["trailing_4_weeks_rmse"])
    assert run["trailing_4_weeks_rmse"] < run["trailing_12_weeks_rmse"] < run["baseline_rmse"]
    assert run["rmse"] < 0.5 * run["baseline_rmse"]  # what the old claim compared with
    assert run["rmse"] >= run["best_baseline_rmse"]
    assert run["reason"].startswith("not promoted: test RMSE") and \
        "does not beat the best baseline, the trailing 4-week mean" in run["reason"]
    assert copy.rows("SELECT DISTINCT model_version FROM kudos_predictions") == [("2026-11-29",)]


def _next_week_run(copy: KudosWorld):
    """run_kudos_model for the week after RUN_DATE on a copy, with the default schedule."""
    from pipeline.kudos.training import run_kudos_model
    from tests.conftest import NEXT_RUN_DATE

    with environment(copy.env):
        settings = load_settings()
        return run_kudos_model(open_warehouse(settings.warehouse_url),
                               open_lake(settings.lake_url), NEXT_RUN_DATE, 200,
                               "TrainKudosModel(2026-12-06)",
                               loaded_ids=frozenset({copy.run_week_id}))


def test_a_changed_week_before_the_due_date_only_scores_under_the_champion(
        world: KudosWorld, tmp_path: Path) -> None:
    """Issue 23: a week whose production changed a little, one week after the training (due
    every 4 weeks), trains nothing: the champion scores the week and the run says why."""
    from tests.conftest import NEXT_RUN_DATE

    copy = world.copy(tmp_path / "data")
    copy.execute("UPDATE strava_activity_data SET kudos_count = kudos_count + 1 WHERE id = ("
                 "SELECT MIN(id) FROM strava_activity_data WHERE kudos_count IS NOT NULL)")
    outcome = _next_week_run(copy)
    run = copy.runs().iloc[-1]
    assert pd.isna(run["model_version"]) and not bool(run["promoted"])
    assert run["reason"].startswith("skipped: retraining not due (model 2026-11-29 trained "
                                    "for 2026-11-29; next due 2026-12-27")
    assert "champion 2026-11-29 scored the run" in run["reason"]
    assert outcome.predictions > 0
    predicted = dict(copy.rows("SELECT activity_id, model_version FROM kudos_predictions "
                               "WHERE run_date = ?", [NEXT_RUN_DATE]))
    assert predicted[copy.run_week_id] == "2026-11-29"
    assert len(predicted) == outcome.predictions
    assert not (copy.data_dir / "lake/models/kudos/2026-12-06").exists()

    # Scoring read only the recent weeks: the same predictions as from the whole history.
    with environment(copy.env):
        settings = load_settings()
        warehouse = open_warehouse(settings.warehouse_url)
        model = load_model(open_lake(settings.lake_url), "2026-11-29",
                           current_champion(warehouse).model_sha256)
        history = read_activities(warehouse, datetime(2026, 12, 7))
    features = build_features(history).set_index(history["id"].astype("int64"))
    recorded = dict(copy.rows("SELECT activity_id, predicted_kudos FROM kudos_predictions "
                              "WHERE run_date = ?", [NEXT_RUN_DATE]))
    ids = sorted(recorded)
    np.testing.assert_allclose(predict(model, features.loc[ids]),
                               [recorded[i] for i in ids], rtol=1e-9)


def test_drifted_data_retrains_before_the_due_date(world: KudosWorld, tmp_path: Path) -> None:
    """Issue 23: a sixth of the labelled activities gone (more than KUDOS_RETRAIN_DRIFT_SHARE,
    0.1, of those the champion learnt from) retrains a week after the last training."""
    copy = world.copy(tmp_path / "data")
    copy.execute("DELETE FROM strava_activity_data WHERE id % 6 = 0 AND start_date_local < ?",
                 [TEST_START])
    _next_week_run(copy)
    run = copy.runs().iloc[-1]
    assert run["model_version"] == "2026-12-06"
    assert "champion 2026-11-29's" in run["reason"] or "baseline" in run["reason"]
    assert (copy.data_dir / "lake/models/kudos/2026-12-06/model.skops").exists()
    importance = copy.rows("SELECT COUNT(*) FROM kudos_feature_importance WHERE "
                           "model_version = '2026-12-06'")[0][0]
    assert importance == (len(build_features(pd.DataFrame()).columns)
                          if bool(run["promoted"]) else 0)


def test_a_run_that_only_scores_imports_neither_scikit_learn_nor_skops(
        world: KudosWorld, tmp_path: Path) -> None:
    """Issue 23: the champion scores with the NumPy-only scorer stored in its model file
    (pipeline/kudos/scorer.py); loading scikit-learn and skops cost ~2 s and ~140 MiB."""
    from tests.conftest import NEXT_RUN_DATE

    copy = world.copy(tmp_path / "data")
    copy.execute("UPDATE strava_activity_data SET kudos_count = kudos_count + 1 WHERE id = ("
                 "SELECT MIN(id) FROM strava_activity_data WHERE kudos_count IS NOT NULL)")
    code = (
        "import sys\n"
        "from pipeline.backends import open_lake, open_warehouse\n"
        "from pipeline.kudos.training import run_kudos_model\n"
        "from pipeline.settings import load_settings\n"
        "from tests.conftest import NEXT_RUN_DATE\n"
        "settings = load_settings()\n"
        "outcome = run_kudos_model(open_warehouse(settings.warehouse_url),\n"
        "    open_lake(settings.lake_url), NEXT_RUN_DATE, 200, 'TrainKudosModel(2026-12-06)',\n"
        f"    loaded_ids=frozenset({{{copy.run_week_id}}}))\n"
        "assert 'champion 2026-11-29 scored the run' in outcome.row['reason'], outcome.row\n"
        "assert outcome.predictions > 0\n"
        "heavy = sorted(m for m in ('sklearn', 'skops') if m in sys.modules)\n"
        "assert not heavy, heavy\n")
    release_all()
    env = {k: v for k, v in os.environ.items() if k not in ENVIRONMENT_VARIABLES}
    done = subprocess.run([sys.executable, "-c", code], cwd=PROJECT_ROOT, capture_output=True,
                          text=True, env={**env, **copy.env,
                                          "LUIGI_CONFIG_PATH": str(PROJECT_ROOT / "luigi.cfg")})
    assert done.returncode == 0, done.stderr[-2000:]
    assert len(copy.rows("SELECT * FROM kudos_predictions WHERE run_date = ?",
                         [NEXT_RUN_DATE])) > 0
    assert sorted(p.name for p in (copy.data_dir / MODEL_DIR).iterdir()) == [
        "features.json", "metrics.json", "model.skops"]  # the scorer is inside model.skops
