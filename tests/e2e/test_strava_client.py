"""The Strava client against the sandbox over HTTP: tokens, paging, rate limits, faults, errors."""

from __future__ import annotations

import logging
import math
from datetime import datetime, timezone
from pathlib import Path

import pytest

from pipeline.strava.client import Credentials, StravaClient
from pipeline.strava.clock import Clock
from pipeline.strava.errors import (
    ApplicationInactiveError,
    MissingCredentialsError,
    MissingScopeError,
    RateLimitWaitTooLong,
    StravaAuthError,
    StravaUnavailable,
)
from pipeline.strava.tokens import TokenStore
from tests.conftest import RUN_DATE, FakeClock, PipelineWorld, succeeded
from tests.support.helpers import assert_matches_source

BEFORE = int(datetime(2026, 11, 30, tzinfo=timezone.utc).timestamp())
LIST_PATH = "/athlete/activities"


def every_activity(client: StravaClient) -> list[dict]:
    """Every activity of the client's pages up to BEFORE, in the order they came."""
    return [activity for page in client.iter_pages(0, BEFORE) for activity in page]


def make_client(world: PipelineWorld, clock: FakeClock, tmp_path: Path, **options) -> StravaClient:
    env = world.sandbox.env()
    return StravaClient(
        env["STRAVA_API_URL"],
        env["STRAVA_AUTH_URL"],
        Credentials(env["STRAVA_CLIENT_ID"], env["STRAVA_CLIENT_SECRET"],
                    options.pop("refresh_token", env["STRAVA_REFRESH_TOKEN"])),
        TokenStore(tmp_path / "tokens.json"),
        clock=Clock(now=clock, sleep=clock.sleep),
        connect_timeout=2,
        read_timeout=options.pop("read_timeout", 2),
        **options,
    )


def test_backfill_pages_with_few_requests_and_one_refresh(world, fake_clock, tmp_path) -> None:
    client = make_client(world, fake_clock, tmp_path)
    activities = every_activity(client)
    expected = [a for a in world.athlete.activities if a["start_date"] < "2026-11-30"]
    assert len({a["id"] for a in activities}) == len(expected)
    assert client.list_requests == math.ceil(len(expected) / 200) + 1
    assert client.token_refreshes == 1
    log = world.sandbox.requests_log
    assert all(record.authorization for record in log if record.path.endswith(LIST_PATH))
    assert all("access_token" not in record.query for record in log)


def test_a_netrc_entry_for_the_host_does_not_replace_the_bearer_token(
        world, fake_clock, tmp_path, monkeypatch) -> None:
    netrc = tmp_path / "netrc"
    netrc.write_text("machine 127.0.0.1 login someone password not-for-strava\n")
    netrc.chmod(0o600)
    monkeypatch.setenv("NETRC", str(netrc))
    client = make_client(world, fake_clock, tmp_path)
    assert every_activity(client)
    lists = [record for record in world.sandbox.requests_log if record.path.endswith(LIST_PATH)]
    assert lists and all(record.token_id and record.status == 200 for record in lists)


def test_stored_rotated_token_wins_over_the_environment(world, fake_clock, tmp_path) -> None:
    first = make_client(world, fake_clock, tmp_path)
    first.access_token()
    fake_clock.now += 7 * 3600  # the access token expired
    second = make_client(world, fake_clock, tmp_path)
    second.access_token()
    assert second.token_refreshes == 1
    stored = TokenStore(tmp_path / "tokens.json").load()
    assert stored.refresh_token == world.sandbox.current_refresh_token


def test_fresh_access_token_is_not_refreshed_again(world, fake_clock, tmp_path) -> None:
    make_client(world, fake_clock, tmp_path).access_token()
    fake_clock.now += 5 * 3600  # 1 h left: more than five minutes
    again = make_client(world, fake_clock, tmp_path)
    again.access_token()
    assert again.token_refreshes == 0
    fake_clock.now += 56 * 60  # 4 minutes left
    again.access_token()
    assert again.token_refreshes == 1


def test_spent_quarter_hour_waits_until_the_next_boundary(
    world, fake_clock, tmp_path, caplog
) -> None:
    fake_clock.now = datetime(2026, 11, 29, 9, 7, 30, tzinfo=timezone.utc).timestamp()
    world.sandbox.set_usage(read_15min=99, read_daily=200)
    client = make_client(world, fake_clock, tmp_path)
    with caplog.at_level(logging.WARNING):
        activities = every_activity(client)
    assert len(activities) >= 1000
    assert "rate limit reached: waiting until 09:15 UTC" in caplog.text
    boundary = datetime(2026, 11, 29, 9, 15, tzinfo=timezone.utc).timestamp()
    assert client.rate_limiter.waits and fake_clock.now >= boundary
    assert max(client.rate_limiter.waits) <= 7.5 * 60 + 1


def test_429_waits_for_the_boundary_and_retries_the_same_page(
    world, fake_clock, tmp_path, caplog
) -> None:
    fake_clock.now = datetime(2026, 11, 29, 9, 44, 10, tzinfo=timezone.utc).timestamp()
    world.sandbox.set_usage(read_15min=100, read_daily=300)  # next call answers 429
    client = make_client(world, fake_clock, tmp_path)
    with caplog.at_level(logging.WARNING):
        activities = every_activity(client)
    assert "rate limit reached: waiting until 09:45 UTC" in caplog.text
    assert len({a["id"] for a in activities}) == len(
        [a for a in world.athlete.activities if a["start_date"] < "2026-11-30"])
    pages = [record.query.get("page") for record in world.sandbox.requests_log
             if record.path.endswith(LIST_PATH)]
    assert pages[0] == pages[1] == "1"


def test_spent_daily_budget_waits_until_utc_midnight(world, fake_clock, tmp_path, caplog) -> None:
    fake_clock.now = datetime(2026, 11, 29, 23, 50, tzinfo=timezone.utc).timestamp()
    world.sandbox.set_usage(read_15min=10, read_daily=1000)
    client = make_client(world, fake_clock, tmp_path, max_rate_limit_wait=3600)
    with caplog.at_level(logging.WARNING):
        every_activity(client)
    assert "rate limit reached: waiting until 00:00 UTC" in caplog.text
    assert fake_clock.now >= datetime(2026, 11, 30, tzinfo=timezone.utc).timestamp()


def test_wait_longer_than_the_maximum_fails_saying_when_to_rerun(
    world, fake_clock, tmp_path
) -> None:
    fake_clock.now = datetime(2026, 11, 29, 14, 0, 5, tzinfo=timezone.utc).timestamp()
    world.sandbox.set_usage(read_15min=10, read_daily=1000)
    client = make_client(world, fake_clock, tmp_path, max_rate_limit_wait=960)
    with pytest.raises(RateLimitWaitTooLong, match="rerun after 2026-11-30 00:00 UTC"):
        every_activity(client)


@pytest.mark.parametrize("faults", [("500", "502"), ("html",), ("html502", "503"), ("reset",)])
def test_transient_failures_are_retried(world, fake_clock, tmp_path, faults) -> None:
    world.sandbox.inject(*faults)
    client = make_client(world, fake_clock, tmp_path)
    activities = every_activity(client)
    assert len(activities) >= 1000
    assert fake_clock.slept, "retries back off through the injected clock"


def test_read_timeout_is_retried(world, fake_clock, tmp_path) -> None:
    world.sandbox.inject("slow:1.5")
    client = make_client(world, fake_clock, tmp_path, read_timeout=0.5)
    assert len(every_activity(client)) >= 1000


def test_persistent_failure_gives_up_clearly(world, fake_clock, tmp_path) -> None:
    world.sandbox.inject(*["503"] * 10)
    client = make_client(world, fake_clock, tmp_path, max_attempts=3)
    with pytest.raises(StravaUnavailable, match="after 3 tries"):
        every_activity(client)
    assert fake_clock.slept[:2] == [1, 2]


def test_rejected_sandbox_refresh_token_says_what_to_do(world, fake_clock, tmp_path) -> None:
    client = make_client(world, fake_clock, tmp_path, refresh_token="stale-token")
    with pytest.raises(StravaAuthError, match="strava-pipeline sandbox") as raised:
        every_activity(client)
    assert "stale-token" not in str(raised.value)
    assert "\n" not in str(raised.value)


def test_inactive_application_is_explained(world, fake_clock, tmp_path) -> None:
    world.sandbox.set_inactive(True)
    client = make_client(world, fake_clock, tmp_path)
    with pytest.raises(ApplicationInactiveError, match="subscription"):
        every_activity(client)


def test_missing_read_all_scope_is_explained(world_factory, athlete, fake_clock, tmp_path) -> None:
    world = world_factory(athlete, clock=fake_clock, scope="read,activity:read")
    client = make_client(world, fake_clock, tmp_path)
    with pytest.raises(MissingScopeError, match="activity:read_all"):
        every_activity(client)


def test_no_credentials_at_all(world, fake_clock, tmp_path) -> None:
    client = make_client(world, fake_clock, tmp_path, refresh_token="")
    with pytest.raises(MissingCredentialsError, match="run_weekly.sh --demo"):
        every_activity(client)


def test_pipeline_waits_out_rate_limits_and_faults(world, fake_clock) -> None:
    world.sandbox.set_usage(read_15min=98, read_daily=100)
    world.sandbox.inject("502", "html")
    result = world.run_weekly(RUN_DATE)
    assert succeeded(result), result.summary_text
    assert_matches_source(
        world.data_dir, [a for a in world.athlete.activities if a["start_date"] < "2026-11-30"])
    assert fake_clock.slept
