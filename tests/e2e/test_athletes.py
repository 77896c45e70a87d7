"""Many athletes on one application (issue 26, identity): authorize, list, remove, upgrade from a
single-athlete install, the sandbox's N athletes, a revoked athlete; over real HTTP."""

from __future__ import annotations

import io
import json
import logging
import os
import re
import signal
import stat
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path

import pytest
import requests

from pipeline.athletes import (
    AthleteAuthError,
    AthleteNotAuthorized,
    authorized_athletes,
    client_for_athlete,
)
from pipeline.backends.duckdb_warehouse import release_all
from pipeline.cli import main as cli_main
from pipeline.sandbox import SandboxServer, SyntheticAthlete, environment_variables
from pipeline.sandbox_cli import authorize_all, demo_sandbox, parse_args, served_athletes
from pipeline.settings import load_settings
from pipeline.strava import client_from_settings
from pipeline.strava.athlete_store import entry_path
from pipeline.strava.authorize import main as authorize_main
from pipeline.strava.errors import StravaError
from pipeline.strava.tokens import TokenStoreError
from tests.conftest import ATHLETE_END, PROJECT_ROOT, RUN_DATE, PipelineWorld

ACTIVITIES = 60
RELEASE_BEFORE_ATHLETES = "099b1e2"  # main before issue 26: one athlete, strava_tokens.json


def command(*args: str) -> tuple[int, str, str]:
    """``strava-pipeline ARGS`` in this process: exit status, stdout, stderr."""
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        code = cli_main(list(args))
    release_all()
    return code, out.getvalue(), err.getvalue()


@pytest.fixture
def three() -> Iterator[SandboxServer]:
    """A sandbox serving three athletes (seeds 11, 12, 13) under one application."""
    first, *more = served_athletes(11, ACTIVITIES, ATHLETE_END, 3)
    with SandboxServer(first, more_athletes=more) as server:
        yield server


@pytest.fixture
def env(three: SandboxServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The application's id and secret, no refresh token, a fresh DATA_DIR (returned)."""
    data_dir = tmp_path / "data"
    for name, value in {"STRAVA_API_URL": three.api_url, "STRAVA_AUTH_URL": three.auth_url,
                        "STRAVA_CLIENT_ID": three.client_id,
                        "STRAVA_CLIENT_SECRET": three.client_secret,
                        "DATA_DIR": str(data_dir)}.items():
        monkeypatch.setenv(name, value)
    return data_dir


def listed_ids(client: object) -> set[int]:
    """Every activity id the client's athlete can list."""
    return {act["id"] for page in client.iter_pages(0, 2_000_000_000)  # type: ignore[attr-defined]
            for act in page}


def secrets_of(server: SandboxServer, data_dir: Path) -> list[str]:
    """Every token that exists: the sandbox's current refresh tokens and every stored token."""
    found = [server.refresh_token_of(i) for i in range(len(server.athletes))]
    found.append(server.client_secret)
    for path in data_dir.rglob("*.json"):
        document = json.loads(path.read_text())
        found += [document.get("refresh_token", ""), document.get("access_token", "")]
    return [secret for secret in found if secret]


def test_authorize_two_athletes_then_again_list_and_read_each_own_history(
    three: SandboxServer, env: Path, capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    first, second = three.athletes[0], three.athletes[1]
    assert authorize_main(["--code", three.issue_code(athlete=0)]) == 0
    assert authorize_main(["--code", three.issue_code(athlete=1)]) == 0
    out = capsys.readouterr().out
    assert "Authorized for Sandbox Athlete 2 (athlete " + str(second.athlete_id) in out
    assert "2 athlete(s) authorized" in out
    athletes = authorized_athletes(load_settings())
    assert [a.id for a in athletes] == sorted([first.athlete_id, second.athlete_id])
    by_id = {a.id: a for a in athletes}
    assert by_id[first.athlete_id].name == "Sandbox Athlete"
    assert by_id[second.athlete_id].name == "Sandbox Athlete 2"
    assert all(a.authorized_at.endswith("Z") and a.authorized_at[:2] == "20" for a in athletes)
    for athlete in athletes:
        path = entry_path(load_settings(), athlete.id)
        assert stat.S_IMODE(path.stat().st_mode) == 0o600

    # Each athlete's client reads that athlete's history, and only theirs.
    settings = load_settings()
    assert listed_ids(client_for_athlete(settings, first.athlete_id)) == \
        {act["id"] for act in first.activities}
    assert listed_ids(client_for_athlete(settings, second.athlete_id)) == \
        {act["id"] for act in second.activities}

    # Authorizing again replaces that athlete's tokens; the other athlete's stay.
    other_before = entry_path(settings, first.athlete_id).read_bytes()
    assert authorize_main(["--code", three.issue_code(athlete=1)]) == 0
    stored = json.loads(entry_path(settings, second.athlete_id).read_text())
    assert stored["refresh_token"] == three.refresh_token_of(1)
    assert stored["athlete_id"] == second.athlete_id
    assert entry_path(settings, first.athlete_id).read_bytes() == other_before
    assert len(authorized_athletes(settings)) == 2

    code, listing, err = command("athletes", "list")
    assert code == 0, err
    lines = listing.splitlines()
    assert lines[0].split() == ["id", "name", "authorized", "newest", "activity", "last",
                                "run", "last", "reconciliation"]
    assert lines[1].startswith(str(min(first.athlete_id, second.athlete_id)))
    assert "Sandbox Athlete 2" in listing and len(lines) == 3
    assert "—" in lines[1]  # nothing ran yet: no newest activity, no run

    text = capsys.readouterr().out + listing + err + caplog.text
    for secret in secrets_of(three, env):
        assert secret not in text


def test_remove_asks_keeps_a_copy_and_purge_forgets(
    three: SandboxServer, env: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    for position in range(3):
        assert authorize_main(["--code", three.issue_code(athlete=position)]) == 0
    settings = load_settings()
    ids = [a.athlete_id for a in three.athletes]
    secrets_before = secrets_of(three, env)

    # Without --yes and without a terminal: refused, nothing removed.
    code, out, err = command("athletes", "remove", str(ids[1]))
    assert code == 2 and "--yes" in err and "nothing was removed" in err
    assert len(authorized_athletes(settings)) == 3

    code, out, err = command("athletes", "remove", str(ids[1]), "--yes")
    assert code == 0, err
    assert f"removed athlete {ids[1]} (Sandbox Athlete 2)" in out
    copies = list((env / "strava_tokens" / "removed").glob(f"{ids[1]}-*.json"))
    assert len(copies) == 1 and stat.S_IMODE(copies[0].stat().st_mode) == 0o600
    assert json.loads(copies[0].read_text())["athlete_id"] == ids[1]
    assert sorted(a.id for a in authorized_athletes(settings)) == sorted([ids[0], ids[2]])
    with pytest.raises(AthleteNotAuthorized) as error:
        client_for_athlete(settings, ids[1])
    assert str(ids[1]) in str(error.value) and "strava-pipeline authorize" in str(error.value)

    # An unknown id: one line, nothing removed.
    code, _, err = command("athletes", "remove", "999", "--yes")
    assert code == 1 and "athlete 999 has not authorized" in err

    # A backfill's kept pages (pipeline/page_spool.py), the athlete's and another's.
    from pipeline.backends import open_lake
    from pipeline.page_spool import PageSpool, read_key

    lake = open_lake(settings.lake_url)
    kept = {athlete: PageSpool(lake, read_key(0, 1_795_219_200, athlete))
            for athlete in (ids[0], ids[2])}
    for spool in kept.values():
        spool.keep(1, [{"id": 1}])

    # --purge: the forget command's code for that athlete: their tokens (and copies) go.
    code, out, err = command("athletes", "remove", str(ids[2]), "--purge", "--yes")
    assert code == 0, err
    assert kept[ids[2]].numbers() == [], "the athlete's kept pages go"
    assert kept[ids[0]].numbers() == [1], "another athlete's stay"
    assert f"removed athlete {ids[2]} (Sandbox Athlete 3) and forgot their data" in out
    assert not entry_path(settings, ids[2]).exists()
    assert [a.id for a in authorized_athletes(settings)] == [ids[0]]
    # The remaining athlete is the only one: the single-athlete client is theirs.
    assert listed_ids(client_from_settings(settings)) == \
        {act["id"] for act in three.athletes[0].activities}
    for secret in secrets_before:
        assert secret not in out + err + caplog.text


def run_release_before_athletes(world: PipelineWorld, tmp_path: Path) -> None:
    """The weekly run of RUN_DATE by the release before issue 26 (its code from git, run in a
    subprocess) into the world's DATA_DIR."""
    if subprocess.run(["git", "-C", str(PROJECT_ROOT), "cat-file", "-e",
                       f"{RELEASE_BEFORE_ATHLETES}^{{commit}}"]).returncode != 0:
        pytest.skip(f"the release before issue 26 ({RELEASE_BEFORE_ATHLETES}) is not in git")
    release = tmp_path / "release"
    release.mkdir()
    archive = subprocess.run(["git", "-C", str(PROJECT_ROOT), "archive", "--format=tar",
                              RELEASE_BEFORE_ATHLETES], capture_output=True, check=True)
    subprocess.run(["tar", "-x", "-C", str(release)], input=archive.stdout, check=True)
    env = {**os.environ, **world.env, "PYTHONPATH": str(release),
           "LUIGI_CONFIG_PATH": str(release / "luigi.cfg")}
    done = subprocess.run(
        [sys.executable, "-c", "import pipeline, sys; print(pipeline.__file__)"],
        cwd=release, env=env, capture_output=True, text=True, check=True)
    assert done.stdout.startswith(str(release)), done.stdout  # the old code, not this one
    done = subprocess.run(
        [sys.executable, "-m", "luigi", "--module", "pipeline.tasks", "WeeklyPipeline",
         "--run-date", str(RUN_DATE), "--local-scheduler"],
        cwd=release, env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]


def test_a_single_athlete_install_becomes_the_first_athlete_and_loses_nothing(
    world: PipelineWorld, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture,
    tmp_path: Path
) -> None:
    # A data folder built by the release before issue 26: STRAVA_REFRESH_TOKEN, a weekly run,
    # strava_tokens.json without athlete fields.
    run_release_before_athletes(world, tmp_path)
    old_file = world.data_dir / "strava_tokens.json"
    old = json.loads(old_file.read_text())
    assert set(old) == {"refresh_token", "access_token", "expires_at", "api_url"}
    assert not (world.data_dir / "strava_tokens").exists()
    old_bytes = old_file.read_bytes()

    caplog.set_level(logging.DEBUG)
    monkeypatch.delenv("STRAVA_REFRESH_TOKEN")  # the stored token is what counts
    settings = load_settings()
    athletes = authorized_athletes(settings)
    assert [(a.id, a.name, a.authorized_at) for a in athletes] == \
        [(world.athlete.athlete_id, "Sandbox Athlete", "")]
    assert world.sandbox.count("/athlete") == 1  # one request learned who it is
    entry = json.loads(entry_path(settings, world.athlete.athlete_id).read_text())
    assert {k: entry[k] for k in old} == old  # the same tokens, nothing lost
    assert entry["athlete_id"] == world.athlete.athlete_id
    assert old_file.read_bytes() == old_bytes  # the old file stays, as a copy
    assert authorized_athletes(settings) == athletes  # once only
    assert world.sandbox.count("/athlete") == 1

    # The pipeline keeps running on the upgraded store, and the listing shows the history.
    assert listed_ids(client_from_settings(settings)) == \
        {act["id"] for act in world.athlete.activities}
    code, listing, err = command("athletes", "list")
    assert code == 0, err
    row = listing.splitlines()[1]
    assert row.startswith(f"{world.athlete.athlete_id}  Sandbox Athlete")
    assert str(RUN_DATE) in row  # the last run, from the state store
    newest = max(act["start_date"] for act in world.athlete.activities)
    assert newest[:10] in row  # the newest activity, from the warehouse
    for secret in (old["refresh_token"], old["access_token"], entry["access_token"]):
        assert secret not in listing + err + caplog.text

    # Removed, the athlete stays removed: the old file is not upgraded again.
    monkeypatch.setenv("STRAVA_REFRESH_TOKEN", old["refresh_token"])
    assert command("athletes", "remove", str(world.athlete.athlete_id), "--yes")[0] == 0
    assert authorized_athletes(settings) == [] and old_file.read_bytes() == old_bytes
    with pytest.raises(AthleteNotAuthorized) as error:
        client_from_settings(load_settings())
    assert "strava-pipeline authorize" in str(error.value)


def test_the_sandbox_serves_three_athletes_under_one_budget(three: SandboxServer, env: Path
                                                            ) -> None:
    assert len({a.athlete_id for a in three.athletes}) == 3
    authorized = authorize_all(three, [11, 12, 13])
    assert [a.name for a in authorized] == ["Sandbox Athlete", "Sandbox Athlete 2",
                                            "Sandbox Athlete 3"]
    settings = load_settings()
    histories = []
    for athlete, served in zip(authorized, three.athletes, strict=True):
        ids = listed_ids(client_for_athlete(settings, athlete.id))
        assert ids == {act["id"] for act in served.activities} and len(ids) == ACTIVITIES
        histories.append(ids)
    assert not (histories[0] & histories[1]) and not (histories[1] & histories[2])
    reads = three.count("/athlete/activities")
    assert three.usage()[0] == reads  # one application budget for every athlete

    # The profile of each token is its athlete's; per-athlete changes.
    token = three.issue_access_token(athlete=2)
    profile = requests.get(f"{three.api_url}/athlete", timeout=10,
                           headers={"Authorization": f"Bearer {token}"}).json()
    assert profile["id"] == three.athletes[2].athlete_id
    gone = three.athletes[2].activities[0]["id"]
    answer = requests.post(f"{three.base_url}/admin/changes?athlete_id="
                           f"{three.athletes[2].athlete_id}", timeout=10,
                           json=[{"action": "delete", "id": gone}])
    assert answer.status_code == 200, answer.text
    assert gone not in {act["id"] for act in three.athletes[2].activities}
    assert len(three.athletes[0].activities) == ACTIVITIES


def test_one_athlete_sandbox_is_the_same_athlete_as_before() -> None:
    alone, *more = served_athletes(42, 30, ATHLETE_END, 1)
    assert more == []
    before = SyntheticAthlete(seed=42, n_activities=30, end=ATHLETE_END)
    assert alone.athlete_id == before.athlete_id and alone.activities == before.activities
    assert parse_args([]).athletes == 1 and parse_args(["--athletes", "3"]).athletes == 3
    with pytest.raises(SystemExit):
        parse_args(["--athletes", "0"])


def test_a_revoked_athlete_is_named_and_told_to_reauthorize(
    three: SandboxServer, env: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    for position in range(2):
        assert authorize_main(["--code", three.issue_code(athlete=position)]) == 0
    settings = load_settings()
    revoked, other = three.athletes[1], three.athletes[0]
    stored = json.loads(entry_path(settings, revoked.athlete_id).read_text())
    three.tokens.revoke(stored["access_token"])  # the athlete revoked the app on Strava
    path = entry_path(settings, revoked.athlete_id)
    stored["expires_at"] = 0  # the next call refreshes (the refresh token is dead)
    path.write_text(json.dumps(stored))
    with pytest.raises(AthleteAuthError) as error:
        listed_ids(client_for_athlete(settings, revoked.athlete_id))
    message = str(error.value)
    assert message.startswith(f"athlete {revoked.athlete_id} (Sandbox Athlete 2): ")
    assert "strava-pipeline authorize" in message and "\n" not in message
    assert error.value.athlete.id == revoked.athlete_id
    assert isinstance(error.value, StravaError)
    for secret in secrets_of(three, env) + [stored["refresh_token"]]:
        assert secret not in message + caplog.text
    # The other athlete is not affected.
    assert listed_ids(client_for_athlete(settings, other.athlete_id)) == \
        {act["id"] for act in other.activities}


def test_a_demo_with_two_athletes_authorizes_both(tmp_path: Path, monkeypatch: pytest.MonkeyPatch
                                                  ) -> None:
    monkeypatch.setattr("pipeline.sandbox.environment.base_dir", lambda: tmp_path)
    stale = tmp_path / "sandbox-data" / "strava_tokens" / "5.json"  # an earlier sandbox's
    stale.parent.mkdir(parents=True)
    stale.write_text('{"refresh_token": "old"}')
    with demo_sandbox(ATHLETE_END.date(), athletes=2):
        settings = load_settings()
        assert settings.data_dir == tmp_path / "sandbox-data"
        athletes = authorized_athletes(settings)
        assert [a.name for a in sorted(athletes, key=lambda a: a.name)] == \
            ["Sandbox Athlete", "Sandbox Athlete 2"]
        histories = [listed_ids(client_for_athlete(settings, a.id)) for a in athletes]
        assert histories[0] and histories[1] and not histories[0] & histories[1]
    assert not stale.exists()


def test_the_sandbox_command_serves_three_athletes_each_authorized(tmp_path: Path) -> None:
    env_file = tmp_path / "sandbox.env"
    process = subprocess.Popen(
        [sys.executable, "-m", "pipeline.sandbox", "--port", "0", "--activities", "30",
         "--athletes", "3", "--print-env-file", str(env_file)],
        cwd=PROJECT_ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 20
        while not env_file.exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        exports = dict(re.fullmatch(r"export (\w+)=(\S+)", line).groups()  # type: ignore[union-attr]
                       for line in env_file.read_text().splitlines())
        exports = {name: value.strip("'") for name, value in exports.items()}
        with environment_variables(exports):
            settings = load_settings()
            athletes = authorized_athletes(settings)
            assert len(athletes) == 3
            histories = [listed_ids(client_for_athlete(settings, a.id)) for a in athletes]
            assert all(len(ids) == 30 for ids in histories)
            assert len(set().union(*histories)) == 90  # three different histories
            stored = [json.loads(entry_path(settings, a.id).read_text()) for a in athletes]
    finally:
        process.send_signal(signal.SIGTERM)
        out, err = process.communicate(timeout=10)
    assert process.returncode == 0, err
    assert "Athletes: 3 under one application and one rate budget" in out
    for athlete in athletes:
        assert re.search(rf"{athlete.id}\s+{athlete.name}\s+30 activities .* code [0-9a-f]{{40}}",
                         out), out
    for entry in stored:
        for secret in (entry["refresh_token"], entry["access_token"]):
            assert secret not in out + err


def test_debug_checks_every_athletes_entry_and_token(three: SandboxServer, env: Path) -> None:
    for position in range(2):
        assert authorize_main(["--code", three.issue_code(athlete=position)]) == 0
    _, out, err = command("debug")
    lines = {match.group(2): (match.group(1), match.group(3)) for match in re.finditer(
        r"(?m)^  (OK|FAILED)\s+(token store|Strava)\s+(.*)$", out)}
    assert lines["token store"][0] == "OK" and "2 athlete(s)" in lines["token store"][1], out
    assert lines["Strava"] == ("OK", lines["Strava"][1]) and \
        "2 authenticated requests, one per athlete" in lines["Strava"][1], out
    for secret in secrets_of(three, env):
        assert secret not in out + err


def test_each_entry_keeps_its_api_and_the_rescue_file(
    three: SandboxServer, env: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state-home"))
    assert authorize_main(["--code", three.issue_code(athlete=1)]) == 0
    settings = load_settings()
    athlete_id = three.athletes[1].athlete_id
    path = entry_path(settings, athlete_id)
    assert json.loads(path.read_text())["api_url"] == three.api_url

    # A save that fails after the refresh: the new tokens go to a rescue file, named in a line
    # that says how to put them back; moved back, the athlete's entry works again.
    client = client_for_athlete(settings, athlete_id)
    client._current_tokens()  # type: ignore[attr-defined]
    path.unlink()
    path.mkdir()
    with pytest.raises(TokenStoreError) as error:
        client.access_token(force_refresh=True)
    rescue = (tmp_path / "state-home" / "strava-pipeline"
              / f"strava_tokens.rescue-{os.getpid()}.json")
    assert f"mv {rescue} {path}" in str(error.value)
    assert three.refresh_token_of(1) not in str(error.value)
    path.rmdir()
    rescue.rename(path)
    assert json.loads(path.read_text())["athlete_id"] == athlete_id
    assert listed_ids(client_for_athlete(settings, athlete_id)) == \
        {act["id"] for act in three.athletes[1].activities}

    # The same DATA_DIR pointed at another API: the sandbox's entry is refused, one line.
    monkeypatch.setenv("STRAVA_API_URL", "https://www.strava.com/api/v3")
    with pytest.raises(TokenStoreError) as refused:
        client_for_athlete(load_settings(), athlete_id).access_token()
    assert f"belongs to {three.api_url}" in str(refused.value)
