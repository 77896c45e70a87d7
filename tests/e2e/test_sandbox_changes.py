"""The sandbox's after-the-fact changes: a change list, the admin endpoint, GET /activities/{id}."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import requests

from pipeline.sandbox import ChangeError, SandboxServer, SyntheticAthlete, apply_changes
from tests.conftest import ATHLETE_END, PROJECT_ROOT

CHANGES = [
    {"action": "delete", "days_ago": 60},
    {"action": "rename", "days_ago": 40, "name": "Renamed on Strava"},
    {"action": "retype", "days_ago": 41, "sport_type": "Hike"},
    {"action": "kudos", "days_ago": 20, "kudos_count": 56},
    {"action": "upload", "days_ago": 17, "sport_type": "Ride", "name": "Synced late"},
]


def fresh() -> SyntheticAthlete:
    return SyntheticAthlete(seed=7, n_activities=300, end=ATHLETE_END)


def test_a_change_list_hits_the_same_activities_every_time() -> None:
    first, second = fresh(), fresh()
    done = apply_changes(first, CHANGES)
    assert done == apply_changes(second, CHANGES)
    ids = {act["id"] for act in first.activities}
    assert done[0]["id"] not in ids and len(first) == 300
    by_id = {act["id"]: act for act in first.activities}
    assert by_id[done[1]["id"]]["name"] == "Renamed on Strava"
    assert by_id[done[2]["id"]]["sport_type"] == "Hike" and by_id[done[2]["id"]]["type"] == "Hike"
    assert by_id[done[3]["id"]]["kudos_count"] == 56
    late = by_id[done[4]["id"]]
    assert late["name"] == "Synced late" and late["id"] == max(ids)
    assert late["start_date"].startswith("2026-11-0")  # 17 days before the end


@pytest.mark.parametrize("bad, says", [
    ({"action": "explode", "id": 1}, "not one of"),
    ({"action": "delete"}, "names no activity"),
    ({"action": "delete", "id": 1}, "no activity with id 1"),
    ({"action": "retype", "days_ago": 3, "sport_type": "Flying"}, "unknown sport_type"),
])
def test_a_bad_change_is_one_clear_error(bad: dict, says: str) -> None:
    with pytest.raises(ChangeError, match=says):
        apply_changes(fresh(), [bad])


def test_admin_endpoint_changes_what_the_api_serves() -> None:
    athlete = fresh()
    with SandboxServer(athlete) as server:
        token = server.issue_access_token()
        answer = requests.post(server.base_url + "/admin/changes", json=CHANGES[:2], timeout=5)
        assert answer.status_code == 200, answer.text
        deleted, renamed = answer.json()
        headers = {"Authorization": f"Bearer {token}"}
        gone = requests.get(f"{server.api_url}/activities/{deleted['id']}", headers=headers,
                            timeout=5)
        assert gone.status_code == 404
        got = requests.get(f"{server.api_url}/activities/{renamed['id']}", headers=headers,
                           timeout=5)
        assert got.status_code == 200 and got.json()["name"] == "Renamed on Strava"
        bad = requests.post(server.base_url + "/admin/changes", data=b"{not json", timeout=5)
        assert bad.status_code == 400


def test_sandbox_command_applies_a_change_file(tmp_path: Path) -> None:
    changes = tmp_path / "changes.json"
    changes.write_text(json.dumps(CHANGES[:1]), encoding="utf-8")
    command = [sys.executable, "-m", "pipeline.cli", "sandbox", "--port", "0",
               "--activities", "200", "--end-date", "2026-11-21", "--changes", str(changes)]
    process = subprocess.Popen(command, cwd=PROJECT_ROOT, stdout=subprocess.PIPE, text=True,
                               env={"PATH": "/usr/bin:/bin", "DATA_DIR": str(tmp_path)})
    try:
        assert process.stdout is not None
        lines = [process.stdout.readline() for _ in range(3)]
        assert any("changed: delete activity" in line for line in lines), lines
    finally:
        process.terminate()
        process.wait(timeout=10)
    changes.write_text('[{"action": "nope"}]', encoding="utf-8")
    failed = subprocess.run(command, cwd=PROJECT_ROOT, capture_output=True, text=True,
                            env={"PATH": "/usr/bin:/bin", "DATA_DIR": str(tmp_path)}, timeout=60)
    assert failed.returncode == 2 and "is not one of" in failed.stderr
