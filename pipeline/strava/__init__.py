"""Strava: the API client, its token store, rate limiter and activity parser."""

from __future__ import annotations

from pipeline.archive.no_strava import NoStravaClient
from pipeline.archive.options import archive_only
from pipeline.settings import Settings
from pipeline.strava.client import Credentials, StravaClient, is_local_url
from pipeline.strava.clock import SYSTEM_CLOCK, Clock, environment_clock
from pipeline.strava.tokens import TokenStore


def client_from_settings(settings: Settings, clock: Clock | None = None) -> StravaClient:
    """A StravaClient configured from the pipeline's settings (in archive-only mode, one that
    reads nothing: pipeline/archive/no_strava.py). Its clock is ``clock``, else the simulated
    one of STRAVA_SIMULATED_CLOCK for a sandbox on this machine, else the system's."""
    if archive_only():
        return NoStravaClient()  # type: ignore[return-value]
    if clock is None:
        simulated = environment_clock() if is_local_url(settings.strava_api_url) else None
        clock = simulated or SYSTEM_CLOCK
    return StravaClient(
        settings.strava_api_url,
        settings.strava_auth_url,
        Credentials(
            settings.strava_client_id,
            settings.strava_client_secret,
            settings.strava_refresh_token,
        ),
        TokenStore(settings.token_store_path, settings.strava_api_url),
        clock=clock,
        max_rate_limit_wait=settings.max_rate_limit_wait_seconds,
        connect_timeout=settings.connect_timeout,
        read_timeout=settings.read_timeout,
        max_attempts=settings.max_attempts,
    )


__all__ = ["Clock", "StravaClient", "TokenStore", "client_from_settings"]
