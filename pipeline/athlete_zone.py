"""The athlete's time zone for a configuration, and the run dates it allows (pipeline/run_dates.py).

The zone is ATHLETE_TIMEZONE when set, else the zone of the newest activity in the warehouse's
production table, else (nothing loaded yet) this machine's. A missing embedded warehouse is never
opened to ask: opening it would create it.
"""

from __future__ import annotations

from datetime import date

from pipeline import run_dates
from pipeline.backends import open_warehouse
from pipeline.backends.urls import missing_locally
from pipeline.settings import ConfigurationError, Settings, load_settings

NEWEST_ACTIVITY_ZONE_SQL = "production/newest_activity_zone.sql"


def athlete_zone(settings: Settings | None = None) -> run_dates.AthleteZone:
    """The athlete's time zone for this configuration (``run_dates.athlete_zone``'s rule)."""
    settings = settings or load_settings()
    if settings.athlete_timezone:
        try:
            return run_dates.athlete_zone(settings.athlete_timezone)
        except ValueError as error:
            raise ConfigurationError(str(error)) from None
    if missing_locally(settings.warehouse_url):
        return run_dates.athlete_zone("", None)
    warehouse = open_warehouse(settings.warehouse_url)
    newest = None
    if warehouse.table_exists("strava_activity_data"):
        rows = warehouse.query_file(NEWEST_ACTIVITY_ZONE_SQL)
        newest = rows[0][0] if rows else None
    return run_dates.athlete_zone("", newest)


def default_run_date(settings: Settings | None = None) -> date:
    """The most recent day that is over in the athlete's time zone (the run-date default)."""
    return run_dates.latest_completed_day(athlete_zone(settings))


def ensure_run_date_over(run_date: date, settings: Settings | None = None) -> None:
    """Refuse (RunDateNotOver, one line) a run date not yet over in the athlete's time zone."""
    run_dates.ensure_over(run_date, athlete_zone(settings))
