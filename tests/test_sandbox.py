"""The sandbox (local fake Strava): synthetic athlete and HTTP behaviour, over real HTTP."""

from __future__ import annotations

import math
import re
import signal
import subprocess
import sys
import time
from collections import Counter
from datetime import datetime, timedelta, timezone
from pathlib import Path
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo

import polyline
import pytest
import requests

from pipeline.sandbox import HOSTILE_NAMES, SandboxServer, SyntheticAthlete
from pipeline.sandbox.athlete import ABSENT, DEFAULT_END

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


def metres(a: list[float] | tuple[float, float], b: list[float] | tuple[float, float]) -> float:
    """Haversine distance in metres."""
    lat1, lng1, lat2, lng2 = map(math.radians, (*a, *b))
    h = math.sin((lat2 - lat1) / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin(
        (lng2 - lng1) / 2
    ) ** 2
    return 2 * 6_371_000 * math.asin(math.sqrt(h))


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


# --- the synthetic athlete ----------------------------------------------------------------


def test_same_seed_same_athlete_other_seed_differs() -> None:
    assert SyntheticAthlete(7, 250).activities == SyntheticAthlete(7, 250).activities
    assert SyntheticAthlete(7, 250).activities != SyntheticAthlete(8, 250).activities


def test_history_spans_three_years_at_a_believable_rate(athlete: SyntheticAthlete) -> None:
    acts = athlete.activities
    first, last = epoch(acts[0]["start_date"]), epoch(acts[-1]["start_date"])
    assert len(acts) == 1200
    assert last - first >= 3 * 365.25 * 86400
    assert last < DEFAULT_END.timestamp()
    assert 5 <= len(acts) / ((last - first) / (7 * 86400)) <= 7
    weeks = Counter(int((epoch(a["start_date"]) - first) // (7 * 86400)) for a in acts)
    assert any(weeks[w] == 0 for w in range(max(weeks))), "some empty weeks (holidays, injury)"


def test_ids_are_int64_unique_and_increase_with_start(athlete: SyntheticAthlete) -> None:
    ids = [a["id"] for a in athlete.activities]
    assert all(isinstance(i, int) and 2**31 < i < 2**63 for i in ids)
    assert len(set(ids)) == len(ids)
    by_start = sorted(athlete.activities, key=lambda a: epoch(a["start_date"]))
    assert [a["id"] for a in by_start] == sorted(ids)


def test_summary_activities_look_like_strava(athlete: SyntheticAthlete) -> None:
    acts = athlete.activities
    for act in acts:
        assert act["resource_state"] == 2 and act["athlete"]["id"] == athlete.athlete_id
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", act["start_date"])
        assert act["start_date_local"].endswith("Z")
        match = re.fullmatch(r"\(GMT[+-]\d\d:\d\d\) (\S+)", act["timezone"])
        assert match
        start = datetime.fromisoformat(act["start_date"].replace("Z", "+00:00"))
        local = start.astimezone(ZoneInfo(match.group(1)))
        assert act["utc_offset"] == local.utcoffset().total_seconds()
        assert act["start_date_local"] == local.strftime("%Y-%m-%dT%H:%M:%SZ")
        assert act["private"] == (act["visibility"] == "only_me")
        assert act["map"]["id"] == f"a{act['id']}"
        assert act["elapsed_time"] >= act["moving_time"] > 0
        if not act["has_heartrate"]:
            assert "average_heartrate" not in act and "max_heartrate" not in act
        if act["manual"]:
            assert act["start_latlng"] == [] and "max_speed" not in act
        if act["sport_type"] in ("WeightTraining", "Yoga"):
            assert act["distance"] == 0.0 and act["start_latlng"] == []
        if act["sport_type"] == "VirtualRide":
            assert act["trainer"] and act["start_latlng"] == []
        if act["sport_type"] == "Run" and act["distance"] > 0:
            assert 2.0 < act["average_speed"] < 5.0
        if act["has_heartrate"]:
            assert 60 < act["average_heartrate"] < act["max_heartrate"] <= 210

    sports = Counter(a["sport_type"] for a in acts)
    assert 0.4 < (sports["Run"] + sports["TrailRun"]) / len(acts) < 0.65
    assert len(sports) >= 10
    for key in ("average_heartrate", "workout_type", "average_temp", "suffer_score",
                "average_watts", "average_cadence", "max_speed"):
        assert any(key not in a for a in acts), f"{key} is sometimes absent"
    assert any(a.get("workout_type", 0) is None for a in acts)
    assert {1, 2, 3} <= {a.get("workout_type") for a in acts}
    assert any(a["manual"] for a in acts) and any(a["kudos_count"] == 0 for a in acts)
    assert {a["visibility"] for a in acts} == {"everyone", "followers_only", "only_me"}
    assert len({a["timezone"] for a in acts}) >= 4
    assert len({a["utc_offset"] for a in acts if "Toronto" in a["timezone"]}) == 2  # DST
    assert any(a["start_date"][:10] != a["start_date_local"][:10] for a in acts)
    assert any(a["start_date"][:7] != a["start_date_local"][:7] for a in acts)
    races = [a for a in acts if a.get("workout_type") == 1]
    easy = [a for a in acts if a.get("workout_type") == 0]
    assert races and sum(a["kudos_count"] for a in races) / len(races) > sum(
        a["kudos_count"] for a in easy
    ) / len(easy)


def test_every_hostile_name_appears(athlete: SyntheticAthlete) -> None:
    names = Counter(a["name"] for a in athlete.activities)
    assert all(names[name] >= 1 for name in HOSTILE_NAMES)
    small = {a["name"] for a in SyntheticAthlete(seed=3, n_activities=200).activities}
    assert set(HOSTILE_NAMES) <= small
    assert sum(names[n] for n in HOSTILE_NAMES) / len(athlete.activities) <= 0.05


def test_polylines_decode_near_the_start(athlete: SyntheticAthlete) -> None:
    with_gps = [a for a in athlete.activities if a["map"]["summary_polyline"]]
    assert len(with_gps) > len(athlete.activities) / 2
    for act in with_gps:
        points = polyline.decode(act["map"]["summary_polyline"], 5)
        assert 30 <= len(points) <= 201
        assert metres(points[0], act["start_latlng"]) < 5
        assert metres(points[-1], act["end_latlng"]) < 5
        assert max(metres(p, act["start_latlng"]) for p in points) <= act["distance"] + 50
        length = sum(metres(p, q) for p, q in zip(points[:-1], points[1:], strict=True))
        assert 0.85 * act["distance"] < length < 1.15 * act["distance"]
    for act in athlete.activities:
        if not act["map"]["summary_polyline"]:
            assert act["start_latlng"] == [] and act["end_latlng"] == []


def test_mutation_helpers() -> None:
    athlete = SyntheticAthlete(seed=5, n_activities=40)
    newest_id = max(a["id"] for a in athlete.activities)
    late = athlete.add_activity(DEFAULT_END - timedelta(days=20), "Ride", name="Synced late")
    assert late["id"] > newest_id and late["name"] == "Synced late"
    assert late["sport_type"] == "Ride" and athlete.get(late["id"]) == late
    changed = athlete.update_activity(late["id"], kudos_count=99, average_temp=ABSENT)
    assert changed["kudos_count"] == 99 and "average_temp" not in athlete.get(late["id"])
    athlete.remove_activity(late["id"])
    with pytest.raises(KeyError):
        athlete.get(late["id"])
    with pytest.raises(ValueError):
        athlete.add_activity(DEFAULT_END, "Quidditch")


# --- the HTTP server ----------------------------------------------------------------------


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
