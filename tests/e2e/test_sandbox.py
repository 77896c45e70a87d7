"""The sandbox (local fake Strava): synthetic athlete and HTTP behaviour, over real HTTP."""

from __future__ import annotations

import re
import signal
import subprocess
import sys
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from pipeline.sandbox import HOSTILE_NAMES, SandboxServer, SyntheticAthlete
from pipeline.sandbox.athlete import DEFAULT_END

NOW = datetime(2026, 11, 22, 10, 14, 30, tzinfo=timezone.utc).timestamp()


TIMEOUT = 5


ACTIVITIES = "/athlete/activities"


class FakeClock:
    """A clock the test moves by hand."""

    def __init__(self, now: float = NOW) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def epoch(start_date: str) -> float:
    return datetime.fromisoformat(start_date.replace("Z", "+00:00")).timestamp()


@pytest.fixture(scope="module")
def athlete() -> SyntheticAthlete:
    return SyntheticAthlete()


@pytest.fixture()
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture()
def server(athlete: SyntheticAthlete, clock: FakeClock):
    with SandboxServer(athlete, clock=clock) as running:
        yield running


def refresh(server: SandboxServer, token: str | None = None, **extra: str) -> requests.Response:
    data = {
        "client_id": server.client_id,
        "client_secret": server.client_secret,
        "grant_type": "refresh_token",
        "refresh_token": token or server.current_refresh_token,
        **extra,
    }
    return requests.post(server.auth_url, data=data, timeout=TIMEOUT)


def access_token(server: SandboxServer) -> str:
    answer = refresh(server)
    assert answer.status_code == 200, answer.text
    return answer.json()["access_token"]


def list_page(server: SandboxServer, token: str, **params: object) -> requests.Response:
    return requests.get(
        server.api_url + ACTIVITIES,
        headers={"Authorization": f"Bearer {token}"},
        params=params,
        timeout=TIMEOUT,
    )


def error_of(response: requests.Response) -> dict[str, str]:
    return response.json()["errors"][0]


def test_listing_order_filters_and_paging(server: SandboxServer, athlete) -> None:
    token = access_token(server)
    newest_first = list_page(server, token).json()
    assert len(newest_first) == 30
    starts = [epoch(a["start_date"]) for a in newest_first]
    assert starts == sorted(starts, reverse=True)
    assert newest_first[0]["id"] == athlete.activities[-1]["id"]

    pivot = athlete.activities[600]
    after = list_page(server, token, after=int(epoch(pivot["start_date"])), per_page=50).json()
    starts = [epoch(a["start_date"]) for a in after]
    assert starts == sorted(starts) and after[0]["id"] == athlete.activities[601]["id"]
    before = list_page(server, token, before=int(epoch(pivot["start_date"]))).json()
    assert before[0]["id"] == athlete.activities[599]["id"]

    assert len(list_page(server, token, per_page=1000).json()) == 200
    seen: list[int] = []
    for page in range(1, 100):
        chunk = list_page(server, token, after=0, per_page=200, page=page).json()
        if not chunk:
            break
        seen += [a["id"] for a in chunk]
    assert seen == [a["id"] for a in athlete.activities]


def test_hostile_names_survive_http(server: SandboxServer, athlete) -> None:
    token = access_token(server)
    names = set()
    for page in range(1, 8):
        names |= {a["name"] for a in list_page(server, token, per_page=200, page=page).json()}
    assert set(HOSTILE_NAMES) <= names


def test_token_must_be_in_the_header(server: SandboxServer) -> None:
    token = access_token(server)
    answer = requests.get(
        server.api_url + ACTIVITIES, params={"access_token": token}, timeout=TIMEOUT
    )
    assert answer.status_code == 401
    assert answer.json()["message"] == "Authorization Error"
    assert error_of(answer) == {"resource": "Athlete", "field": "access_token", "code": "invalid"}
    assert list_page(server, "not-a-token").status_code == 401


def test_refresh_rotates_and_old_token_dies(server: SandboxServer) -> None:
    first = server.current_refresh_token
    answer = refresh(server, first).json()
    assert answer["token_type"] == "Bearer" and answer["expires_in"] == 21600
    assert answer["expires_at"] == int(NOW) + 21600
    assert answer["refresh_token"] != first == "sandbox-refresh-token-0"
    assert server.current_refresh_token == answer["refresh_token"]
    reused = refresh(server, first)
    assert reused.status_code == 400
    assert error_of(reused) == {
        "resource": "RefreshToken", "field": "refresh_token", "code": "invalid"
    }
    assert refresh(server, answer["refresh_token"]).status_code == 200
    assert server.env()["STRAVA_REFRESH_TOKEN"] == server.current_refresh_token


def test_refresh_without_rotation(athlete: SyntheticAthlete) -> None:
    with SandboxServer(athlete, rotate_refresh_tokens=False) as server:
        token = server.current_refresh_token
        assert refresh(server).json()["refresh_token"] == token
        assert refresh(server, token).status_code == 200


def test_wrong_client_and_expired_token(server: SandboxServer, clock: FakeClock) -> None:
    bad = refresh(server, client_secret="wrong")
    assert bad.status_code == 401
    assert error_of(bad) == {"resource": "Application", "field": "client_id", "code": "invalid"}
    token = access_token(server)
    clock.now += 21600 - 1
    assert list_page(server, token).status_code == 200
    clock.now += 1
    assert list_page(server, token).status_code == 401


def test_code_exchange_is_single_use(server: SandboxServer, athlete) -> None:
    old_refresh = server.current_refresh_token
    code = server.issue_code()
    data = {"client_id": server.client_id, "client_secret": server.client_secret,
            "grant_type": "authorization_code", "code": code}
    answer = requests.post(server.auth_url, data=data, timeout=TIMEOUT)
    assert answer.status_code == 200
    assert answer.json()["athlete"]["id"] == athlete.athlete_id
    assert list_page(server, answer.json()["access_token"]).status_code == 200
    again = requests.post(server.auth_url, data=data, timeout=TIMEOUT)
    assert again.status_code == 400
    assert error_of(again) == {"resource": "AuthorizationCode", "field": "code", "code": "invalid"}
    assert refresh(server, old_refresh).status_code == 400


def test_authorize_redirect_and_missing_read_all(server: SandboxServer) -> None:
    redirect = requests.get(
        server.authorize_url,
        params={"client_id": server.client_id, "redirect_uri": "http://localhost/cb",
                "response_type": "code", "scope": "read", "state": "xyz"},
        allow_redirects=False,
        timeout=TIMEOUT,
    )
    assert redirect.status_code == 302
    location = urlsplit(redirect.headers["Location"])
    query = {k: v[0] for k, v in parse_qs(location.query).items()}
    assert location.path == "/cb" and query["state"] == "xyz" and query["scope"] == "read"
    answer = requests.post(
        server.auth_url,
        params={"client_id": server.client_id, "client_secret": server.client_secret,
                "grant_type": "authorization_code", "code": query["code"]},
        timeout=TIMEOUT,
    )
    token = answer.json()["access_token"]
    listing = list_page(server, token)
    assert listing.status_code == 401
    assert error_of(listing) == {
        "resource": "AccessToken", "field": "activity:read_permission", "code": "missing"
    }
    athlete = requests.get(
        server.api_url + "/athlete", headers={"Authorization": f"Bearer {token}"}, timeout=5
    )
    assert athlete.status_code == 200


def test_headers_on_every_response(server: SandboxServer) -> None:
    token_answer = refresh(server)
    assert token_answer.headers["X-Strava-Sandbox"] == "true"
    assert "X-RateLimit-Usage" not in token_answer.headers
    api = list_page(server, token_answer.json()["access_token"])
    assert api.headers["X-Strava-Sandbox"] == "true"
    assert api.headers["X-RateLimit-Limit"] == "200,2000"
    assert api.headers["X-ReadRateLimit-Limit"] == "100,1000"
    assert api.headers["X-RateLimit-Usage"] == api.headers["X-ReadRateLimit-Usage"] == "1,1"
    missing = requests.get(server.base_url + "/nowhere", timeout=TIMEOUT)
    assert missing.status_code == 404 and missing.headers["X-Strava-Sandbox"] == "true"


def test_rate_limit_429_and_quarter_hour_reset(server: SandboxServer, clock: FakeClock) -> None:
    token = access_token(server)
    server.set_usage(99, 500)
    assert list_page(server, token).headers["X-ReadRateLimit-Usage"] == "100,501"
    over = list_page(server, token)
    assert over.status_code == 429 and "Retry-After" not in over.headers
    assert over.json() == {"message": "Rate Limit Exceeded", "errors": [
        {"resource": "Application", "field": "rate limit", "code": "exceeded"}]}
    assert over.headers["X-ReadRateLimit-Usage"] == "101,502"
    refresh(server)  # the token endpoint does not count
    clock.now = datetime(2026, 11, 22, 10, 14, 59, tzinfo=timezone.utc).timestamp()
    assert list_page(server, token).status_code == 429
    clock.now += 1  # 10:15:00, a natural quarter hour
    fresh = list_page(server, token)
    assert fresh.status_code == 200 and fresh.headers["X-ReadRateLimit-Usage"] == "1,504"

    server.set_usage(0, 1000)
    assert list_page(server, token).status_code == 429
    clock.now = datetime(2026, 11, 23, 0, 0, tzinfo=timezone.utc).timestamp()
    token = access_token(server)
    next_day = list_page(server, token)
    assert next_day.status_code == 200 and next_day.headers["X-ReadRateLimit-Usage"] == "1,1"


def test_inactive_application_answers_403(server: SandboxServer) -> None:
    token = access_token(server)
    server.set_inactive(True)
    for answer in (list_page(server, token), refresh(server)):
        assert answer.status_code == 403
        assert answer.json()["errors"] == [
            {"resource": "Application", "field": "Status", "code": "Inactive"}
        ]
    server.set_inactive(False)
    assert list_page(server, token).status_code == 200


def test_injected_faults(server: SandboxServer) -> None:
    token = access_token(server)
    server.inject("500", "502", "503", "html", "html502", "503:text")
    got = [list_page(server, token) for _ in range(7)]
    assert [r.status_code for r in got] == [500, 502, 503, 200, 502, 503, 200]
    assert got[0].json()["message"] and got[2].json()
    assert got[1].text.strip() == "Bad Gateway"
    assert got[3].headers["Content-Type"].startswith("text/html")
    assert got[3].text.lstrip().startswith("<!DOCTYPE html>") and "</html>" in got[3].text
    assert "<html>" in got[4].text and got[5].text.strip() == "Service Unavailable"
    assert isinstance(got[6].json(), list)

    server.inject("reset")
    with pytest.raises(requests.ConnectionError):
        list_page(server, token)
    server.inject("slow:0.6")
    with pytest.raises(requests.exceptions.ReadTimeout):
        requests.get(server.api_url + ACTIVITIES, headers={"Authorization": f"Bearer {token}"},
                     timeout=(TIMEOUT, 0.2))
    server.inject("short")
    assert len(list_page(server, token).json()) == 15
    assert len(list_page(server, token, page=2).json()) == 30

    server.inject_token("503", "reset")
    assert refresh(server).status_code == 503
    with pytest.raises(requests.ConnectionError):
        refresh(server)
    assert refresh(server).status_code == 200
    with pytest.raises(ValueError):
        server.inject("teapot")


def test_request_log_without_tokens(server: SandboxServer) -> None:
    token = access_token(server)
    list_page(server, token, per_page=5)
    requests.get(server.api_url + ACTIVITIES, params={"access_token": token}, timeout=TIMEOUT)
    assert server.count(ACTIVITIES) == 2 and server.count("/oauth/token") == 1
    authorised, in_query = server.requests_log[-2:]
    assert authorised.authorization and authorised.status == 200
    assert authorised.query == {"per_page": "5"}
    assert not in_query.authorization and in_query.status == 401
    text = repr(server.requests_log)
    assert token not in text and server.current_refresh_token not in text
    server.reset_log()
    assert server.count("") == 0


def test_served_data_follows_mutations(clock: FakeClock) -> None:
    athlete = SyntheticAthlete(seed=9, n_activities=30)
    with SandboxServer(athlete, clock=clock) as server:
        token = access_token(server)
        start = DEFAULT_END - timedelta(days=400)
        late = athlete.add_activity(start, name="Watch synced late", kudos_count=1)
        after = int((start - timedelta(days=1)).timestamp())
        served = list_page(server, token, after=after, per_page=200).json()
        assert late["id"] in [a["id"] for a in served]
        athlete.update_activity(late["id"], kudos_count=12)
        served = {a["id"]: a for a in list_page(server, token, after=after, per_page=200).json()}
        assert served[late["id"]]["kudos_count"] == 12
        athlete.remove_activity(late["id"])
        served = list_page(server, token, after=after, per_page=200).json()
        assert late["id"] not in [a["id"] for a in served]


def test_command_line_prints_banner_and_env_file(tmp_path: Path) -> None:
    env_file = tmp_path / "sandbox.env"
    process = subprocess.Popen(
        [sys.executable, "-m", "pipeline.sandbox", "--port", "0", "--activities", "60",
         "--print-env-file", str(env_file)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 8
        while not env_file.exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        exports = dict(
            re.fullmatch(r"export (\w+)=(\S+)", line).groups()  # type: ignore[union-attr]
            for line in env_file.read_text().splitlines()
        )
        # The sandbox's credentials and its own data locations (never the real DATA_DIR).
        assert set(exports) == {"STRAVA_API_URL", "STRAVA_AUTH_URL", "STRAVA_CLIENT_ID",
                                "STRAVA_CLIENT_SECRET", "STRAVA_REFRESH_TOKEN", "DATA_DIR",
                                "LAKE_URL", "STATE_URL", "WAREHOUSE_URL", "SLACK_WEBHOOK_URL"}
        assert exports["DATA_DIR"].endswith("/sandbox-data")
        answer = requests.post(exports["STRAVA_AUTH_URL"], data={
            "client_id": exports["STRAVA_CLIENT_ID"],
            "client_secret": exports["STRAVA_CLIENT_SECRET"],
            "grant_type": "refresh_token",
            "refresh_token": exports["STRAVA_REFRESH_TOKEN"],
        }, timeout=TIMEOUT)
        assert answer.status_code == 200 and answer.headers["X-Strava-Sandbox"] == "true"
    finally:
        process.send_signal(signal.SIGTERM)
        out, err = process.communicate(timeout=10)
    assert process.returncode == 0, err
    assert "Strava SANDBOX (local fake API, not Strava)" in out
    assert "export STRAVA_API_URL=http://127.0.0.1:" in out
    assert answer.json()["access_token"] not in out + err
