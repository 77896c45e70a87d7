"""SIGKILL during a reconciliation and during ApplyEvents, then a rerun: the same final table as
an uninterrupted run (each stage is one transaction with its marker)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading

from pipeline.backends import open_state, open_warehouse
from pipeline.settings import load_settings
from pipeline.webhook.subscription import remember_subscription
from tests.conftest import PROJECT_ROOT, RUN_DATE, PipelineWorld, succeeded


def names() -> dict[int, str]:
    from pipeline.backends.duckdb_warehouse import release_all

    try:
        return dict(open_warehouse(load_settings().warehouse_url).query(
            "SELECT id, name FROM strava_activity_data"))
    finally:
        release_all()


def killed_while_stalled(world: PipelineWorld, *args: str) -> None:
    """Run ``strava-pipeline ARGS``, stall the sandbox at its second API request, SIGKILL it."""
    stalled, release = threading.Event(), threading.Event()

    def stall(seconds: float) -> None:
        stalled.set()
        release.wait(120)

    world.sandbox.app._sleep = stall
    world.sandbox.inject("slow:0", "slow:3600")
    env = {**os.environ, **world.env, **world.sandbox.env()}
    run = subprocess.Popen([sys.executable, "-m", "pipeline.cli", *args], cwd=PROJECT_ROOT,
                           env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        assert stalled.wait(120), "the command never reached the stalled request"
        run.send_signal(signal.SIGKILL)
        run.wait(timeout=30)
    finally:
        release.set()
        if run.poll() is None:
            run.kill()
            run.wait(timeout=30)
    assert run.returncode == -signal.SIGKILL
    world.sandbox.clear_faults()


def rerun(world: PipelineWorld, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, **world.env, **world.sandbox.env()}
    return subprocess.run([sys.executable, "-m", "pipeline.cli", *args], cwd=PROJECT_ROOT,
                          env=env, capture_output=True, text=True, timeout=600)


def test_reconcile_killed_mid_list_then_rerun(world: PipelineWorld) -> None:
    assert succeeded(world.run_weekly(RUN_DATE))
    before = names()
    gone = world.athlete.remove_activity(world.athlete.activities[10]["id"])
    renamed = world.athlete.update_activity(world.athlete.activities[20]["id"], name="Later")
    killed_while_stalled(world, "reconcile", "--date", str(RUN_DATE))
    assert names() == before  # nothing half-done
    done = rerun(world, "reconcile", "--date", str(RUN_DATE))
    assert done.returncode == 0, done.stderr[-2000:]
    after = names()
    assert gone["id"] not in after and after[renamed["id"]] == "Later"
    expected = {act["id"]: act["name"] for act in world.athlete.activities}
    assert after == expected


def test_apply_events_killed_mid_fetch_then_rerun(world: PipelineWorld) -> None:
    assert succeeded(world.run_weekly(RUN_DATE))
    settings = load_settings()
    remember_subscription(settings.data_dir, {"id": 5})
    state = open_state(settings.state_url)
    renamed = world.athlete.update_activity(world.athlete.activities[30]["id"], name="Evented")
    gone = world.athlete.remove_activity(world.athlete.activities[40]["id"])
    owner = world.athlete.athlete_id
    for object_id, aspect in ((renamed["id"], "update"), (gone["id"], "delete")):
        state.store_event({"subscription_id": 5, "object_type": "activity",
                           "object_id": object_id, "aspect_type": aspect,
                           "event_time": 1764400000, "owner_id": owner, "updates": None})
    before = names()
    killed_while_stalled(world, "apply-events")
    assert names() == before and state.event_counts()[0] == 2
    done = rerun(world, "apply-events")
    assert done.returncode == 0, done.stderr[-2000:]
    after = names()
    assert after[renamed["id"]] == "Evented" and gone["id"] not in after
    assert state.event_counts()[:2] == (0, 2)
