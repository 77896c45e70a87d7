"""The athlete's time zone for a configuration, and the run dates it allows (pipeline/run_dates.py).

The zone is ATHLETE_TIMEZONE when set, else the zone of the newest activity in the warehouse's
production table, else (nothing loaded yet: a new installation's first run) the zone of the
athlete's newest activity on Strava, else this machine's. A missing embedded warehouse is never
opened to ask: opening it would create it.

Strava is asked only while production holds no activity, and only when the answer matters: a
date over in every time zone (even at UTC-12) is over in the athlete's, and one over in none
(not even at UTC+14) is refused in any, so checking either asks nothing; the default run date
(yesterday in the athlete's zone) does. The question is one list
request of one activity (``per_page=1``, newest first), counted in the shared read budget like
any other, once per process and warehouse. A run once something is loaded, and so a rerun of a
finished date, sends none. When Strava cannot be asked (no credentials, unreachable, the
budget spent, archive-only mode: an archive names no zone) the machine's zone stays, and a log
line says so.

One zone per installation, as production's rule has it (issue 26): the newest activity of any
athlete decides. Before the first load every authorized athlete is asked (one request each) and
the newest of their newest activities decides.
"""

from __future__ import annotations

import logging
from datetime import date
from typing import Any

from pipeline import run_dates
from pipeline.backends import open_warehouse
from pipeline.backends.urls import missing_locally
from pipeline.errors import one_line
from pipeline.settings import ConfigurationError, Settings, load_settings

logger = logging.getLogger(__name__)

NEWEST_ACTIVITY_ZONE_SQL = "production/newest_activity_zone.sql"
STRAVA_SOURCE = "the newest activity on Strava, nothing loaded yet"
MACHINE_UNTIL_LOADED = ("this machine's time zone decides which run dates are over until the "
                        "first load (or set ATHLETE_TIMEZONE)")
# The zone Strava named, per (warehouse URL, application): asked once per process.
_ASKED: dict[tuple[str, str], str | None] = {}


def known_zone(settings: Settings) -> run_dates.AthleteZone | None:
    """The zone ATHLETE_TIMEZONE or production's newest activity names; None before the first
    load when ATHLETE_TIMEZONE is not set (then ``athlete_zone`` asks Strava)."""
    if settings.athlete_timezone:
        try:
            return run_dates.athlete_zone(settings.athlete_timezone)
        except ValueError as error:
            raise ConfigurationError(str(error)) from None
    if missing_locally(settings.warehouse_url):
        return None
    warehouse = open_warehouse(settings.warehouse_url)
    if not warehouse.table_exists("strava_activity_data"):
        return None
    rows = warehouse.query_file(NEWEST_ACTIVITY_ZONE_SQL)
    return run_dates.athlete_zone("", rows[0][0]) if rows else None


def athlete_zone(settings: Settings | None = None, ask_strava: bool = True
                 ) -> run_dates.AthleteZone:
    """The athlete's time zone for this configuration (the module's rule). ``ask_strava=False``
    leaves Strava out (a sandbox's settings while no sandbox is served)."""
    settings = settings or load_settings()
    zone = known_zone(settings)
    if zone is not None:
        return zone
    return run_dates.athlete_zone("", strava_zone(settings) if ask_strava else None,
                                  STRAVA_SOURCE)


def strava_zone(settings: Settings) -> str | None:
    """The IANA zone of the athlete's newest activity on Strava (None when Strava cannot say),
    asked once per process for a warehouse and application."""
    key = (settings.warehouse_url, settings.strava_client_id)
    if key not in _ASKED:
        _ASKED[key] = _ask_strava(settings)
    return _ASKED[key]


def _ask_strava(settings: Settings) -> str | None:
    from pipeline.archive.options import archive_only
    from pipeline.strava.activities import iana_timezone
    from pipeline.strava.athlete_store import AthleteNotAuthorized
    from pipeline.strava.errors import MissingCredentialsError

    if archive_only():
        logger.info("archive-only mode: an archive names no time zone; %s", MACHINE_UNTIL_LOADED)
        return None
    if _sandbox_data_without_sandbox(settings):
        return None
    try:
        newest = [activity for activity in _newest_activities(settings)
                  if iana_timezone(activity.get("timezone"))]
    except (MissingCredentialsError, AthleteNotAuthorized):
        # Not authorized yet: the run itself says how to authorize; nothing more to say here.
        logger.info("no Strava token to ask for the athlete's time zone: %s",
                    MACHINE_UNTIL_LOADED)
        return None
    except Exception as error:  # noqa: BLE001 - Strava, the token store or the state store
        # (the shared budget's) out of reach: the first run goes on as before, and says so
        logger.warning("could not ask Strava for the athlete's time zone (%s): %s",
                       one_line(error), MACHINE_UNTIL_LOADED)
        return None
    if not newest:
        logger.info("Strava lists no activity with a time zone yet: %s", MACHINE_UNTIL_LOADED)
        return None
    zone = iana_timezone(max(newest, key=lambda act: str(act.get("start_date") or ""))
                         .get("timezone"))
    logger.info("the athlete's time zone, from the newest activity on Strava (nothing is "
                "loaded yet): %s", zone)
    return zone


def _newest_activities(settings: Settings) -> list[dict[str, Any]]:
    """Every authorized athlete's newest activity (before now), one list request each, in the
    shared read budget at the weekly run's priority; none retried, none waiting for a window."""
    from pipeline.shared_budget import share_budget
    from pipeline.strava.athlete_store import athlete_client, default_client, stored_athletes
    from pipeline.strava.budget import Priority
    from pipeline.strava.client import StravaClient

    ids = [athlete.id for athlete in stored_athletes(settings)]
    clients = [athlete_client(settings, athlete_id) for athlete_id in ids] \
        or [default_client(settings)]
    before = int(run_dates.utc_now().timestamp())
    found = []
    for client in clients:
        if not isinstance(client, StravaClient):  # archive-only mode's client reads nothing
            continue
        client.max_attempts = 1
        client = share_budget(client, settings, Priority.WEEKLY)
        client.rate_limiter.max_wait_seconds = 0.0
        newest = client.newest_activity(before)
        if newest is not None:
            found.append(newest)
    return found


def _sandbox_data_without_sandbox(settings: Settings) -> bool:
    """Whether these are a sandbox's settings with no sandbox served (its DATA_DIR, an API that
    is not local): such settings never ask (a real Strava must not see the sandbox's tokens)."""
    from pipeline.sandbox import sandbox_data_dir
    from pipeline.strava.client import is_local_url

    try:
        sandbox = sandbox_data_dir()
    except ConfigurationError:
        return False
    return settings.data_dir.absolute() == sandbox and not is_local_url(settings.strava_api_url)


def default_run_date(settings: Settings | None = None, ask_strava: bool = True) -> date:
    """The most recent day that is over in the athlete's time zone (the run-date default)."""
    return run_dates.latest_completed_day(athlete_zone(settings, ask_strava))


def latest_run_date(up_to: date, settings: Settings | None = None) -> date:
    """The latest run date up to ``up_to`` that is over in the athlete's time zone; the zone is
    looked for only when ``up_to`` is not over in every time zone."""
    if run_dates.over_everywhere(up_to):
        return up_to
    return min(up_to, default_run_date(settings))


def ensure_run_date_over(run_date: date, settings: Settings | None = None) -> None:
    """Refuse (RunDateNotOver, one line) a run date not yet over in the athlete's time zone.
    Strava is asked only when the answer matters: a date over in every time zone is over in
    the athlete's, and one over in none is refused in any. The warehouse is always read (a
    query), so that a warehouse the run cannot use is refused here, in one line."""
    settings = settings or load_settings()
    ask = run_dates.over_somewhere(run_date) and not run_dates.over_everywhere(run_date)
    run_dates.ensure_over(run_date, athlete_zone(settings, ask_strava=ask))
