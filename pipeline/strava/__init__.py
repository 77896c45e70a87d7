"""Strava: the API client, its token store, rate limiter and activity parser."""

from __future__ import annotations

from pipeline.settings import Settings
from pipeline.strava.athlete_store import default_client
from pipeline.strava.client import StravaClient
from pipeline.strava.clock import SYSTEM_CLOCK, Clock
from pipeline.strava.tokens import TokenStore


def client_from_settings(settings: Settings, clock: Clock = SYSTEM_CLOCK) -> StravaClient:
    """A StravaClient configured from the pipeline's settings: the only athlete's (their entry
    in ``strava_tokens/``, or a single-athlete install's ``strava_tokens.json``); in archive-only
    mode, one that reads nothing (pipeline/archive/no_strava.py). With several athletes, use
    ``pipeline.athletes.client_for_athlete``."""
    return default_client(settings, clock)


__all__ = ["Clock", "StravaClient", "TokenStore", "client_from_settings"]
