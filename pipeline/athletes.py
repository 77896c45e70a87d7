"""The athletes who authorized this Strava application, and a client per athlete.

Every athlete has their own token entry (pipeline/strava/athlete_store.py, docs/athletes.md);
the graph, the CLI and the dashboards ask here who the athletes are and get each one's client::

    for athlete in authorized_athletes(settings):
        client = client_for_athlete(settings, athlete.id)

A single-athlete install (``strava_tokens.json`` or STRAVA_REFRESH_TOKEN) becomes the first
athlete on first use here, with no action (one ``GET /athlete`` learns who it is).
"""

from __future__ import annotations

from pipeline.settings import Settings
from pipeline.strava.athlete_store import (
    Athlete,
    AthleteAuthError,
    AthleteNotAuthorized,
    athlete_client,
    stored_athletes,
    upgrade_single_store,
)
from pipeline.strava.client import StravaClient
from pipeline.strava.clock import SYSTEM_CLOCK, Clock

__all__ = ["Athlete", "AthleteAuthError", "AthleteNotAuthorized", "authorized_athletes",
           "client_for_athlete"]


def authorized_athletes(settings: Settings) -> list[Athlete]:
    """Every athlete with a token entry, sorted by id (a single-athlete install is upgraded to
    its first athlete first, which may cost one request to Strava once)."""
    upgrade_single_store(settings)
    return stored_athletes(settings)


def client_for_athlete(settings: Settings, athlete_id: int,
                       clock: Clock = SYSTEM_CLOCK) -> StravaClient:
    """A StravaClient reading as this athlete, with their own rotating tokens.

    Raises AthleteNotAuthorized (a StravaError whose message names the athlete and says to run
    ``strava-pipeline authorize``) for an id without tokens; a refused refresh later raises
    AthleteAuthError, naming the athlete (``.athlete``) and saying to re-authorize.
    """
    return athlete_client(settings, athlete_id, clock)
