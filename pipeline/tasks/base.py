"""What every dated task shares: the run date, the settings and the backends they point at."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone
from functools import cached_property
from typing import Any

import luigi

from pipeline.backends import Lake, StateStore, Warehouse, open_lake, open_state, open_warehouse
from pipeline.settings import Settings, load_settings


def today_utc() -> date:
    """Today's date in UTC (the default run date)."""
    return datetime.now(timezone.utc).date()


def run_window_end(run_date: date) -> datetime:
    """The run's upper bound: the end of the run date, i.e. the next midnight, in UTC (naive)."""
    return datetime.combine(run_date + timedelta(days=1), time())


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

    run_date = luigi.DateParameter(
        default=today_utc(), description="The run's date (UTC); activities up to its end count."
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
