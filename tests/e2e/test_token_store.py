"""The token store never loses a rotated token, refuses what is not its own, and stays private."""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from pipeline.sandbox import SyntheticAthlete
from pipeline.settings import load_settings
from pipeline.strava import client_from_settings
from pipeline.strava.client import REAUTHORIZE, Credentials, StravaClient
from pipeline.strava.errors import StravaAuthError
from pipeline.strava.tokens import TokenStore, TokenStoreError
from tests.conftest import ATHLETE_END, PipelineWorld
from tests.support.helpers import as_unprivileged, give_away


@pytest.fixture
def live_world(world_factory: Callable[..., PipelineWorld]) -> PipelineWorld:
    """A sandbox on the real clock (subprocesses use it too)."""
    return world_factory(SyntheticAthlete(seed=5, n_activities=20, end=ATHLETE_END))


@pytest.fixture
def shared_dir() -> Iterator[Path]:
    """A folder an unprivileged user can reach (pytest's tmp_path is private to root)."""
    folder = Path(tempfile.mkdtemp(prefix="token-store-"))
    folder.chmod(0o777)
    yield folder
    for path in [folder, *folder.rglob("*")]:
        path.chmod(0o777 if path.is_dir() else 0o666)
    shutil.rmtree(folder)


REFRESH_SCRIPT = """
from pipeline.settings import load_settings
from pipeline.strava import client_from_settings
try:
    client_from_settings(load_settings()).access_token(force_refresh=True)
except Exception as error:
    print(type(error).__name__ + ": " + str(error))
    raise SystemExit(1)
print("refreshed")
"""


def refresh_in_subprocess(world: PipelineWorld) -> subprocess.CompletedProcess[str]:
    return subprocess.run(as_unprivileged([sys.executable, "-c", REFRESH_SCRIPT]),
                          env={**os.environ, **world.env}, capture_output=True, text=True,
                          timeout=60)


def test_a_read_only_data_dir_refreshes_nothing_and_loses_no_token(
    live_world: PipelineWorld, shared_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data_dir = shared_dir / "data"
    monkeypatch.setenv("DATA_DIR", str(data_dir))
    live_world.env["DATA_DIR"] = str(data_dir)
    client_from_settings(load_settings()).access_token()  # the first, rotating refresh
    token_file = data_dir / "strava_tokens.json"
    stored = json.loads(token_file.read_text())["refresh_token"]
    assert stored == live_world.sandbox.current_refresh_token
    give_away(data_dir)
    give_away(token_file)
    data_dir.chmod(0o500)

    refused = refresh_in_subprocess(live_world)
    assert refused.returncode == 1
    line = refused.stdout.strip()
    assert "\n" not in line and line.startswith("TokenStoreError: the token store folder")
    assert "not writable" in line and "nothing is lost" in line and str(data_dir) in line
    assert stored not in refused.stdout + refused.stderr
    assert live_world.sandbox.count("/oauth/token") == 1  # Strava was not asked
    assert live_world.sandbox.current_refresh_token == stored

    data_dir.chmod(0o700)
    fixed = refresh_in_subprocess(live_world)
    assert fixed.stdout.strip() == "refreshed", fixed.stdout + fixed.stderr
    assert json.loads(token_file.read_text())["refresh_token"] == \
        live_world.sandbox.current_refresh_token


def test_a_save_that_fails_after_the_refresh_rescues_the_new_token(
    live_world: PipelineWorld, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state-home"))
    settings = load_settings()
    client_from_settings(settings).access_token()
    client = client_from_settings(settings)
    client._current_tokens()  # loaded; then the file becomes impossible to replace
    settings.token_store_path.unlink()
    settings.token_store_path.mkdir()

    with pytest.raises(TokenStoreError) as error:
        client.access_token(force_refresh=True)
    message = str(error.value)
    rescue = (tmp_path / "state-home" / "strava-pipeline"
              / f"strava_tokens.rescue-{os.getpid()}.json")
    assert "\n" not in message
    assert f"mv {rescue} {settings.token_store_path}" in message
    assert "no re-authorization needed" in message
    assert live_world.sandbox.current_refresh_token not in message
    assert stat.S_IMODE(rescue.stat().st_mode) == 0o600

    settings.token_store_path.rmdir()
    rescue.rename(settings.token_store_path)  # the advice, followed
    again = client_from_settings(settings)
    again.access_token(force_refresh=True)
    assert again.token_refreshes == 1


def test_a_rejected_sandbox_token_gets_sandbox_advice(live_world: PipelineWorld,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STRAVA_REFRESH_TOKEN", "a-token-of-an-earlier-sandbox")
    with pytest.raises(StravaAuthError) as error:
        client_from_settings(load_settings()).access_token()
    message = str(error.value)
    assert "\n" not in message and "a-token-of-an-earlier-sandbox" not in message
    assert message.startswith("the local Strava SANDBOX at http://127.0.0.1:")
    assert "strava-pipeline sandbox" in message and "authorize" not in message
    real = StravaClient("https://www.strava.com/api/v3", "https://www.strava.com/oauth/token",
                        Credentials("1", "s"), TokenStore(Path("unused.json")))
    assert real._rejected_advice() == REAUTHORIZE
