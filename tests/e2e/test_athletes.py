"""Many athletes on one application (issue 26, identity): authorize, list, remove, upgrade from a
single-athlete install, the sandbox's N athletes, a revoked athlete; over real HTTP."""

from __future__ import annotations

import io
import json
import logging
import stat
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
from pipeline.sandbox import SandboxServer, SyntheticAthlete
from pipeline.sandbox_cli import authorize_all, parse_args, served_athletes
from pipeline.settings import load_settings
from pipeline.strava import client_from_settings
from pipeline.strava.athlete_store import entry_path
from pipeline.strava.authorize import main as authorize_main
from pipeline.strava.errors import StravaError
from tests.conftest import ATHLETE_END, RUN_DATE, PipelineWorld, succeeded

ACTIVITIES = 60


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

    # --purge: the forget command's code for that athlete: their tokens (and copies) go.
    code, out, err = command("athletes", "remove", str(ids[2]), "--purge", "--yes")
    assert code == 0, err
    assert f"removed athlete {ids[2]} (Sandbox Athlete 3) and forgot their data" in out
    assert not entry_path(settings, ids[2]).exists()
    assert [a.id for a in authorized_athletes(settings)] == [ids[0]]
    # The remaining athlete is the only one: the single-athlete client is theirs.
    assert listed_ids(client_from_settings(settings)) == \
        {act["id"] for act in three.athletes[0].activities}
    for secret in secrets_before:
        assert secret not in out + err + caplog.text


def test_a_single_athlete_install_becomes_the_first_athlete_and_loses_nothing(
    world: PipelineWorld, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    # Today's layout: STRAVA_REFRESH_TOKEN, a run, strava_tokens.json without athlete fields.
    assert succeeded(world.run_weekly())
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
