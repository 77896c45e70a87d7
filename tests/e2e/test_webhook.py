"""The webhook receiver over real HTTP (waitress), and the whole loop against the sandbox:
subscribe (validation GET), create, update, delete, deauthorize, apply-events."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest
import requests
import waitress

from pipeline.backends import open_state, open_warehouse
from pipeline.settings import load_settings
from pipeline.tasks import ApplyEvents
from pipeline.webhook.receiver import MAX_BODY, Receiver
from pipeline.webhook.subscription import known_subscription, remember_subscription
from tests.conftest import NEXT_RUN_DATE, PROJECT_ROOT, RUN_DATE, PipelineWorld, succeeded
from tests.e2e.test_reconcile import add_samples
from tests.support.backends import (  # noqa: F401 - fixtures
    fixture_mysql_db,
    fixture_pg_database,
    fixture_s3_env,
    fixture_s3_server,
)
from tests.support.worlds import fixture_world_on_backends  # noqa: F401 - the world fixture

TOKEN = "receiver-verify-token"
EVENT = {"aspect_type": "create", "event_time": 1764400000, "object_id": 1234567,
         "object_type": "activity", "owner_id": 99, "subscription_id": 777, "updates": {}}


@pytest.fixture
def receiver(tmp_path: Path) -> Iterator[str]:
    """The receiver served by waitress in this process; its URL."""
    state = open_state(f"sqlite:///{tmp_path}/state.db")
    remember_subscription(tmp_path, {"id": 777})
    server = waitress.create_server(Receiver(state, TOKEN, tmp_path), host="127.0.0.1",
                                    port=0, max_request_body_size=MAX_BODY)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.effective_port}/"
    server.close()
    thread.join(timeout=10)  # run() returns once closed: no thread left at exit


def test_validation_get_echoes_only_for_the_right_token(receiver: str) -> None:
    wrong = requests.get(receiver, params={"hub.mode": "subscribe", "hub.challenge": "abc",
                                           "hub.verify_token": "guess"}, timeout=5)
    assert wrong.status_code == 403 and "abc" not in wrong.text
    right = requests.get(receiver, params={"hub.mode": "subscribe", "hub.challenge": "abc",
                                           "hub.verify_token": TOKEN}, timeout=5)
    assert right.status_code == 200 and right.json() == {"hub.challenge": "abc"}


def test_bad_bodies_are_4xx_and_a_good_event_is_stored_once(receiver: str,
                                                            tmp_path: Path) -> None:
    assert requests.post(receiver, data=b"{not json", timeout=5).status_code == 400
    assert requests.post(receiver, json={"object_id": 1}, timeout=5).status_code == 400
    assert requests.post(receiver, json={**EVENT, "aspect_type": "explode"},
                         timeout=5).status_code == 400
    huge = json.dumps({**EVENT, "updates": {"title": "x" * (MAX_BODY + 10)}})
    assert requests.post(receiver, data=huge, timeout=5).status_code == 413
    assert requests.post(receiver, json={**EVENT, "subscription_id": 1},
                         timeout=5).status_code == 403
    for _ in range(3):  # Strava retries: one stored event
        assert requests.post(receiver, json=EVENT, timeout=5).status_code == 200
    pending = open_state(f"sqlite:///{tmp_path}/state.db").pending_events()
    assert [event["object_id"] for event in pending] == [EVENT["object_id"]]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def start_receiver(env: dict[str, str]) -> tuple[subprocess.Popen[str], str]:
    """``strava-pipeline webhook serve`` in a subprocess; (process, URL) once it answers."""
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "pipeline.cli", "webhook", "serve", "--port", str(port)],
        cwd=PROJECT_ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    url = f"http://127.0.0.1:{port}/"
    for _ in range(100):
        try:
            requests.get(url, timeout=1)
            return process, url
        except requests.ConnectionError:
            time.sleep(0.1)
    process.kill()
    raise AssertionError("the receiver did not start: " + (process.stderr.read() or ""))


@pytest.mark.parametrize("warehouse", ["duckdb file locked", "postgresql down"])
def test_the_receiver_answers_within_two_seconds_while_the_warehouse_is_locked(
        tmp_path: Path, warehouse: str) -> None:
    env = {**os.environ, "DATA_DIR": str(tmp_path), "STRAVA_WEBHOOK_VERIFY_TOKEN": TOKEN}
    if warehouse == "postgresql down":  # nothing listens on port 9
        env["WAREHOUSE_URL"] = "postgresql://strava@127.0.0.1:9/stopped"
    remember_subscription(tmp_path, {"id": 777})
    locked = duckdb.connect(str(tmp_path / "warehouse.duckdb"))  # holds the file's lock
    locked.execute("BEGIN TRANSACTION; CREATE TABLE busy (x INT)")
    process, url = start_receiver(env)
    try:
        slowest = 0.0
        for number in range(30):
            started = time.perf_counter()
            answer = requests.post(url, json={**EVENT, "object_id": number}, timeout=5)
            slowest = max(slowest, time.perf_counter() - started)
            assert answer.status_code == 200
        assert slowest < 2.0
    finally:
        process.terminate()
        process.wait(timeout=10)
        locked.close()
    assert len(open_state(f"sqlite:///{tmp_path}/state.db").pending_events()) == 30


def cli(world: PipelineWorld, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, **world.env, "STRAVA_WEBHOOK_VERIFY_TOKEN": TOKEN}
    return subprocess.run([sys.executable, "-m", "pipeline.cli", *args], cwd=PROJECT_ROOT,
                          env=env, capture_output=True, text=True, timeout=300)


def test_the_whole_loop_ends_in_the_right_table(world: PipelineWorld,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    assert succeeded(world.run_weekly(RUN_DATE))
    process, url = start_receiver({**os.environ, **world.env,
                                   "STRAVA_WEBHOOK_VERIFY_TOKEN": TOKEN})
    try:
        wrong = subprocess.run(
            [sys.executable, "-m", "pipeline.cli", "webhook", "subscribe", "--callback-url",
             url], cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=60,
            env={**os.environ, **world.env, "STRAVA_WEBHOOK_VERIFY_TOKEN": "not-the-same"})
        assert wrong.returncode == 2 and "does not return 200" in wrong.stderr
        subscribed = cli(world, "webhook", "subscribe", "--callback-url", url)
        assert subscribed.returncode == 0, subscribed.stderr
        assert known_subscription(world.data_dir) is not None
        assert str(known_subscription(world.data_dir)) in cli(world, "webhook", "list").stdout

        changes = [{"action": "upload", "days_ago": 1, "name": "Fresh from the watch"},
                   {"action": "rename", "days_ago": 50, "name": "Renamed, event"},
                   {"action": "rename", "days_ago": 50, "name": "Renamed twice"},
                   {"action": "delete", "days_ago": 70}]
        done = requests.post(world.sandbox.base_url + "/admin/changes", json=changes,
                             timeout=30).json()
        assert all(change["delivered"] == 200 for change in done), done
        add_samples([done[1]["id"], done[3]["id"]])  # the renamed one's and the deleted one's
        stranger = {**EVENT, "subscription_id": known_subscription(world.data_dir)}
        assert requests.post(url, json=stranger, timeout=5).status_code == 200

        state = open_state(load_settings().state_url)
        # Two updates of one activity within a second share Strava's idempotency key (one event);
        # a second apart they are two. Either way the activity is fetched once.
        stored = state.event_counts()[0]
        assert stored in (4, 5)
        world.sandbox.reset_log()
        result = world.build(ApplyEvents(run_date=RUN_DATE, batch="loop1"))
        assert succeeded(result), result.summary_text
        rows = dict(open_warehouse(load_settings().warehouse_url).query(
            "SELECT id, name FROM strava_activity_data"))
        upload, renamed, _, deleted = done
        assert rows[upload["id"]] == "Fresh from the watch"
        assert rows[renamed["id"]] == "Renamed twice"
        assert deleted["id"] not in rows and EVENT["object_id"] not in rows
        assert dict(open_warehouse(load_settings().warehouse_url).query(
            "SELECT activity_id, COUNT(*) FROM activity_streams GROUP BY activity_id"
        )) == {renamed["id"]: 3}  # the deleted activity's samples went with it
        # One GET per changed activity however many events it had; none for the deleted one.
        assert world.sandbox.count(f"/activities/{renamed['id']}") == 1
        assert world.sandbox.count(f"/activities/{deleted['id']}") == 0
        assert state.event_counts()[:2] == (0, stored)
        again = world.build(ApplyEvents(run_date=RUN_DATE, batch="loop2"))
        assert succeeded(again)
        assert dict(open_warehouse(load_settings().warehouse_url).query(
            "SELECT id, name FROM strava_activity_data")) == rows

        # The athlete revokes access: Strava's terms ask for their data to go, in every store.
        deauthorized = requests.post(world.sandbox.base_url + "/admin/deauthorize", timeout=30)
        assert deauthorized.json()["delivered"] == 200
        monkeypatch.setenv("STRAVA_REFRESH_TOKEN", world.sandbox.current_refresh_token)
        gone = cli(world, "webhook", "unsubscribe")
        assert gone.returncode == 0, gone.stderr
        assert known_subscription(world.data_dir) is None
    finally:
        process.terminate()
        process.wait(timeout=10)

    assert state.event_counts()[0] == 1
    forgotten = world.build(ApplyEvents(run_date=RUN_DATE, batch="loop3"))
    assert succeeded(forgotten), forgotten.summary_text
    warehouse = open_warehouse(load_settings().warehouse_url)
    assert warehouse.query("SELECT COUNT(*) FROM strava_activity_data") == [(0,)]
    assert warehouse.query("SELECT update_id FROM table_updates") == [("ApplyEvents(loop3)",)]
    assert state.event_counts()[:2] == (0, 0)
    assert not (world.data_dir / "strava_tokens.json").exists()


def test_the_weekly_run_applies_pending_events_before_its_models(world: PipelineWorld) -> None:
    assert succeeded(world.run_weekly(RUN_DATE))
    settings = load_settings()
    remember_subscription(settings.data_dir, {"id": 5})
    old = world.athlete.activities[25]  # far outside the next run's lookback
    world.athlete.update_activity(old["id"], name="Renamed, weekly")
    state = open_state(settings.state_url)
    state.store_event({"subscription_id": 5, "object_type": "activity", "object_id": old["id"],
                       "aspect_type": "update", "event_time": 1764400001,
                       "owner_id": world.athlete.athlete_id, "updates": None})
    assert succeeded(world.run_weekly(NEXT_RUN_DATE))
    assert state.event_counts()[:2] == (0, 1)
    log = dict(open_warehouse(settings.warehouse_url).query("SELECT id, name FROM activity_log"))
    assert log[old["id"]] == "Renamed, weekly"
