"""python -m pipeline.strava.authorize against the sandbox: listener, paste, code, and failures."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import luigi
import pytest
import requests

from pipeline.sandbox import SandboxServer, SyntheticAthlete
from pipeline.sandbox.athlete import athlete_id_of
from pipeline.settings import ConfigurationError
from pipeline.strava.authorize import (
    REQUIRED_SCOPE,
    Answer,
    AuthorizationError,
    authorize_page_url,
    code_of,
    main,
    parse_pasted,
)
from pipeline.strava.errors import MissingScopeError
from pipeline.strava.tokens import TokenStore
from pipeline.tasks import ExtractActivities
from tests.conftest import ATHLETE_END, PROJECT_ROOT, RUN_DATE


@pytest.fixture
def sandbox() -> Iterator[SandboxServer]:
    """A sandbox whose athlete has not authorized anything yet."""
    with SandboxServer(SyntheticAthlete(seed=9, n_activities=200, end=ATHLETE_END)) as server:
        yield server


@pytest.fixture
def settings_env(sandbox: SandboxServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
                 ) -> dict[str, str]:
    """The application's id and secret, no refresh token, a fresh DATA_DIR."""
    env = {"STRAVA_API_URL": sandbox.api_url, "STRAVA_AUTH_URL": sandbox.auth_url,
           "STRAVA_CLIENT_ID": sandbox.client_id, "STRAVA_CLIENT_SECRET": sandbox.client_secret,
           "DATA_DIR": str(tmp_path / "data")}
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return env


def token_store(settings_env: dict[str, str]) -> Path:
    """The athlete's own entry (issue 26: one per athlete; the sandbox athlete has seed 9)."""
    return Path(settings_env["DATA_DIR"]) / "strava_tokens" / f"{athlete_id_of(9)}.json"


def assert_stored(settings_env: dict[str, str], sandbox: SandboxServer) -> None:
    path = token_store(settings_env)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    stored = TokenStore(path).load()
    assert stored is not None and stored.refresh_token == sandbox.current_refresh_token
    assert stored.access_token and stored.expires_at > 0


def assert_no_secrets(text: str, sandbox: SandboxServer, settings_env: dict[str, str]) -> None:
    assert sandbox.client_secret not in text
    stored = json.loads(token_store(settings_env).read_text()) if token_store(
        settings_env).exists() else {}
    for secret in (stored.get("refresh_token"), stored.get("access_token")):
        if secret:
            assert secret not in text


def spawn(settings_env: dict[str, str], *args: str) -> subprocess.Popen[str]:
    environment = {key: value for key, value in os.environ.items()
                   if not key.startswith("STRAVA_")}
    environment.update(settings_env)
    return subprocess.Popen(
        [sys.executable, "-m", "pipeline.strava.authorize", *args], cwd=PROJECT_ROOT,
        env=environment, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        text=True,
    )


def read_authorize_url(process: subprocess.Popen[str], sandbox: SandboxServer) -> str:
    assert process.stdout is not None
    for line in process.stdout:
        if line.startswith(sandbox.authorize_url):
            return line.strip()
    raise AssertionError("no authorize URL was printed")


def test_listener_catches_the_redirect_exchanges_the_code_and_stores_tokens(
    sandbox: SandboxServer, settings_env: dict[str, str]
) -> None:
    process = spawn(settings_env, "--port", "0", "--timeout", "60")
    url = read_authorize_url(process, sandbox)
    query = parse_qs(urlsplit(url).query)
    assert REQUIRED_SCOPE in query["scope"][0].split(",")
    assert query["response_type"] == ["code"] and query["client_id"] == [sandbox.client_id]
    assert urlsplit(query["redirect_uri"][0]).hostname == "localhost"

    # The browser: Strava's page redirects to the listener, which answers with a page.
    page = requests.get(url, timeout=30)
    assert page.status_code == 200 and "close this tab" in page.text
    out, err = process.communicate(timeout=60)
    assert process.returncode == 0, err
    assert "Authorized for Sandbox Athlete" in out and "SANDBOX" in out
    assert str(token_store(settings_env)) in out
    assert_stored(settings_env, sandbox)
    assert_no_secrets(out + err, sandbox, settings_env)
    assert sandbox.count("/athlete/activities") == 1  # the scope check


def test_pasted_redirect_address_works_and_the_pipeline_then_runs(
    sandbox: SandboxServer, settings_env: dict[str, str]
) -> None:
    process = spawn(settings_env, "--paste")
    url = read_authorize_url(process, sandbox)
    location = requests.get(url, allow_redirects=False, timeout=30).headers["Location"]
    assert location.startswith("http://localhost/exchange_token?")
    out, err = process.communicate(location + "\n", timeout=60)
    assert process.returncode == 0, err
    assert_stored(settings_env, sandbox)
    assert_no_secrets(out + err, sandbox, settings_env)

    # No STRAVA_REFRESH_TOKEN anywhere: the pipeline runs on the stored token.
    task = ExtractActivities(run_date=RUN_DATE)
    assert luigi.build([task], local_scheduler=True, log_level="WARNING")
    assert Path(task.output().path).exists()
    assert sandbox.count("/athlete/activities") >= 2


def test_code_option_exchanges_a_code(
    sandbox: SandboxServer, settings_env: dict[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["--code", sandbox.issue_code()]) == 0
    assert_stored(settings_env, sandbox)
    captured = capsys.readouterr()
    assert_no_secrets(captured.out + captured.err, sandbox, settings_env)


def test_a_wrong_code_says_so_and_stores_nothing(
    sandbox: SandboxServer, settings_env: dict[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    used = sandbox.issue_code()
    assert main(["--code", used]) == 0
    token_store(settings_env).unlink()

    for code in ("0123456789abcdef0123", used):  # unknown, then already used
        assert main(["--code", code]) == 1
        error = capsys.readouterr().err
        assert error.startswith("error: Strava rejected the authorization code")
        assert "authorize again" in error
        assert not token_store(settings_env).exists()


def test_a_missing_scope_is_explained_and_stores_nothing(
    sandbox: SandboxServer, settings_env: dict[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    # A pasted redirect that shows the box was unticked: refused before the exchange.
    process = spawn(settings_env, "--paste")
    url = read_authorize_url(process, sandbox).replace("activity%3Aread_all", "activity%3Aread")
    location = requests.get(url, allow_redirects=False, timeout=30).headers["Location"]
    out, err = process.communicate(location + "\n", timeout=60)
    assert process.returncode == 1
    assert err.startswith("error: Strava granted only 'read,activity:read', without "
                          "activity:read_all")
    assert "View data about your private activities" in err
    assert sandbox.count("/oauth/token") == 0

    # A bare code without the scope: exchanged, then the one-activity check refuses it.
    assert main(["--code", sandbox.issue_code("read")]) == 1
    error = capsys.readouterr().err
    assert error.startswith("error: the Strava token lacks the activity:read_all scope")
    assert not token_store(settings_env).exists()


def test_an_inactive_application_is_explained(
    sandbox: SandboxServer, settings_env: dict[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    code = sandbox.issue_code()
    sandbox.set_inactive()
    assert main(["--code", code]) == 1
    error = capsys.readouterr().err
    assert error.startswith("error: Strava answered 403 'Application Inactive'")
    assert "subscription" in error
    assert not token_store(settings_env).exists()


def test_missing_client_credentials_are_asked_for(
    settings_env: dict[str, str], monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("STRAVA_CLIENT_SECRET")
    assert main(["--code", "abcdef123456"]) == 1
    error = capsys.readouterr().err
    assert "STRAVA_CLIENT_ID and STRAVA_CLIENT_SECRET" in error
    assert "https://www.strava.com/settings/api" in error


def test_pasted_answers_and_authorize_page_url() -> None:
    assert authorize_page_url("https://www.strava.com/oauth/token") == (
        "https://www.strava.com/oauth/authorize")
    assert authorize_page_url("http://127.0.0.1:9/oauth/token/") == (
        "http://127.0.0.1:9/oauth/authorize")
    with pytest.raises(ConfigurationError, match="STRAVA_AUTH_URL"):
        authorize_page_url("https://example.com/token-endpoint")

    pasted = parse_pasted("http://localhost/exchange_token?state=s1&code=c0de42&scope=read,"
                          "activity:read_all\n")
    assert code_of(pasted, "s1") == "c0de42"
    assert code_of(parse_pasted("  c0de4242  "), "s1") == "c0de4242"
    with pytest.raises(AuthorizationError, match="another authorization attempt"):
        code_of(pasted, "s2")
    with pytest.raises(AuthorizationError, match="Cancel"):
        code_of(parse_pasted("http://localhost/exchange_token?state=s1&error=access_denied"),
                "s1")
    with pytest.raises(MissingScopeError):
        code_of(Answer(code="c0de42", scope="read"), None)
    with pytest.raises(AuthorizationError, match="address bar"):
        parse_pasted("this is not it!")
