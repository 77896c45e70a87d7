"""What every dated task shares: the run date, the settings and the backends they point at."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from functools import cached_property
from typing import Any

import luigi
from luigi.parameter import _no_value

from pipeline import run_dates
from pipeline.backends import Lake, StateStore, Warehouse, open_lake, open_state, open_warehouse
from pipeline.settings import ConfigurationError, Settings, load_settings

NEWEST_ACTIVITY_ZONE_SQL = "production/newest_activity_zone.sql"


def athlete_zone(settings: Settings | None = None) -> run_dates.AthleteZone:
    """The athlete's time zone for this configuration (see ``run_dates.athlete_zone``): reads
    the zone of the newest activity in the warehouse's production table, if there is one."""
    settings = settings or load_settings()
    if settings.athlete_timezone:
        try:
            return run_dates.athlete_zone(settings.athlete_timezone)
        except ValueError as error:
            raise ConfigurationError(str(error)) from None
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


class RunDateParameter(luigi.DateParameter):
    """A DateParameter whose default, the most recent completed day, is found when a task is
    created (at run time), not when the module is imported."""

    def _value_iterator(self, task_name: str, param_name: str) -> Iterator[tuple[Any, Any]]:
        for value, warning in super()._value_iterator(task_name, param_name):
            if value is not _no_value:
                yield value, warning
                return
        yield default_run_date(), None


class RunDateTask(luigi.Task):
    """A task of one weekly run, identified by its run date.

    Every subclass's ``run()`` holds the run date's lock (pipeline/tasks/run_date_lock.py), so
    two runs of one date never work on it at the same time, whatever their command lines.
    """

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "run" in cls.__dict__:
            from pipeline.tasks.run_date_lock import holding_run_date_lock

            cls.run = holding_run_date_lock(cls.__dict__["run"])

    run_date = RunDateParameter(
        description="The run's date: a day that is over in the athlete's time zone; activities "
        "whose local start date is on or before it count. Default: the most recent such day."
    )

    @cached_property
    def settings(self) -> Settings:
        """The configuration in force."""
        return load_settings()

    @cached_property
    def lake(self) -> Lake:
        """The lake adapter for LAKE_URL."""
        return open_lake(self.settings.lake_url)

    @cached_property
    def warehouse(self) -> Warehouse:
        """The warehouse adapter for WAREHOUSE_URL."""
        return open_warehouse(self.settings.warehouse_url)

    @cached_property
    def state(self) -> StateStore:
        """The state-store adapter for STATE_URL."""
        return open_state(self.settings.state_url)

    @property
    def update_id(self) -> str:
        """The marker id of this task's run date, e.g. 'LoadProduction(2026-11-29)'."""
        return f"{self.task_family}({self.run_date.isoformat()})"

    @property
    def lake_key(self) -> str:
        """Where the run date's extract lives in the lake."""
        return f"strava/activities/{self.run_date.isoformat()}/activities.csv"

    @property
    def staging_table(self) -> str:
        """The run date's staging table."""
        from pipeline.sql_files import staging_table_name

        return staging_table_name(self.run_date.strftime("%Y%m%d"))
