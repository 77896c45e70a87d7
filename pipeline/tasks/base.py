"""What every dated task shares: the run date, the settings and the backends they point at."""

from __future__ import annotations

from datetime import date
from functools import cached_property
from pathlib import Path
from typing import Any

import luigi

from pipeline.athlete_scope import effective_athlete, target_tag
from pipeline.athlete_zone import default_run_date
from pipeline.backends import Lake, StateStore, Warehouse, open_lake, open_state, open_warehouse
from pipeline.raw_activities import raw_lake_key
from pipeline.settings import Settings, load_settings
from pipeline.sql_files import staging_table_name
from pipeline.strava.budget import Priority
from pipeline.tasks.run_date_lock import holding_run_date_lock


def stage_marker_id(task_family: str, run_date: date, tag: str = "") -> str:
    """The marker id of a run date's stage, e.g. 'LoadProduction(2026-11-29)', or with an
    athlete's tag (pipeline/athlete_scope.py) 'LoadProduction(2026-11-29,a42)'."""
    return f"{task_family}({run_date.isoformat()}{',' + tag if tag else ''})"


def strava_client_for(settings: Settings, athlete_id: int,
                      priority: Priority = Priority.WEEKLY) -> Any:
    """A StravaClient for an athlete (0: the install's single token, as before issue 26), its
    requests counted at ``priority`` in the application's shared budget (docs/many-machines.md)."""
    from pipeline.shared_budget import share_budget  # imported when a task reads Strava

    if not athlete_id:
        from pipeline.strava import client_from_settings

        return share_budget(client_from_settings(settings), settings, priority)
    from pipeline.athletes import client_for_athlete  # the athletes' token store (issue 26)

    return share_budget(client_for_athlete(settings, athlete_id), settings, priority)


def athlete_folder(tag: str) -> str:
    """'' for the install's first athlete, '<id>/' for another (a lake or file path part)."""
    return f"{tag[1:]}/" if tag else ""


def unparseable_lake_key(run_date: date, tag: str = "") -> str:
    """Where a run date's unparseable activities (reason and raw JSON) are kept in the lake."""
    return f"strava/unparseable/{athlete_folder(tag)}{run_date.isoformat()}/activities.json"



_PARAMS: dict[type, tuple[tuple[str, luigi.Parameter], ...]] = {}


class ParamsOnce:
    """Mixin: a task class's parameters listed once. Luigi's ``get_params`` walks ``dir()``
    of the class each time a task is made or named (a backfill makes thousands: every
    ``requires()`` and completeness walk); the parameters of a class never change."""

    @classmethod
    def get_params(cls) -> list[tuple[str, luigi.Parameter]]:
        params = _PARAMS.get(cls)
        if params is None:
            params = _PARAMS[cls] = tuple(super().get_params())  # type: ignore[misc]
        return list(params)


class RunDateParameter(luigi.DateParameter):
    """A date that defaults to the most recent completed day, found when a task is created (at
    run time), not when the module is imported: its declared default is None, which
    ``CompletedDayDefaults.get_param_values`` replaces."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(default=None, **kwargs)


class CompletedDayDefaults:
    """Mixin for tasks with RunDateParameters: a missing one becomes the most recent completed
    day in the athlete's time zone (``pipeline.athlete_zone.default_run_date``)."""

    @classmethod
    def get_param_values(cls, params: list[tuple[str, luigi.Parameter]], args: Any,
                         kwargs: Any) -> list[tuple[str, Any]]:
        values = super().get_param_values(params, args, kwargs)  # type: ignore[misc]
        dated = {name for name, param in params if isinstance(param, RunDateParameter)}
        return [(name, default_run_date() if name in dated and value is None else value)
                for name, value in values]


class RunDateTask(ParamsOnce, CompletedDayDefaults, luigi.Task):
    """A task of one weekly run, identified by its run date.

    Every subclass's ``run()`` holds the run date's lock (pipeline/tasks/run_date_lock.py), so
    two runs of one date never work on it at the same time, whatever their command lines.
    """

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "run" in cls.__dict__:
            cls.run = holding_run_date_lock(cls.__dict__["run"])

    athlete_id = luigi.IntParameter(
        default=0, description="The athlete whose data this task handles (0: the install's "
        "single athlete, as before many athletes; pipeline/athlete_scope.py).")

    run_date = RunDateParameter(
        description="The run's date: a day that is over in the athlete's time zone; activities "
        "whose local start date is on or before it count. Default: the most recent such day."
    )

    def __repr__(self) -> str:
        """Luigi's 'Family(param=value, ...)', without athlete 0 (the install's single athlete)
        and an empty athlete list: a single-athlete install's tasks read as they always did."""
        text = super().__repr__()
        for default in ("athlete_id=0, ", ", athlete_id=0", "athlete_id=0", ", athlete_ids=[]"):
            text = text.replace(default, "")
        return text

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
    def athlete(self) -> int:
        """The athlete whose rows this task reads and writes (0: the install's single athlete
        before any was recorded; then every row is its)."""
        return effective_athlete(self.state, self.athlete_id)

    @property
    def athlete_tag(self) -> str:
        """'' for the install's first athlete, 'a<id>' for another (pipeline/athlete_scope.py)."""
        if not self.athlete_id:  # the first athlete's names: no store to open
            return ""
        return target_tag(self.state, self.athlete_id)

    def same_athlete(self, family: type[luigi.Task], **kwargs: Any) -> luigi.Task:
        """Another stage of this run date and athlete."""
        return family(run_date=self.run_date, athlete_id=self.athlete_id, **kwargs)

    def strava_client(self, priority: Priority = Priority.WEEKLY) -> Any:
        """The Strava client of this task's athlete: the athlete's own tokens
        (``pipeline.athletes.client_for_athlete``), or the install's single token for 0."""
        return strava_client_for(self.settings, self.athlete_id, priority)

    @property
    def update_id(self) -> str:
        """The marker id of this task's run date, e.g. 'LoadProduction(2026-11-29)'."""
        return stage_marker_id(self.task_family, self.run_date, self.athlete_tag)

    @property
    def lake_key(self) -> str:
        """Where the run date's extract lives in the lake."""
        return (f"strava/activities/{athlete_folder(self.athlete_tag)}"
                f"{self.run_date.isoformat()}/activities.csv")

    @property
    def raw_key(self) -> str:
        """Where the raw JSON of the activities read is kept in the lake."""
        return raw_lake_key(self.run_date, athlete_folder(self.athlete_tag))

    @property
    def unparseable_key(self) -> str:
        """Where the activities the parser set aside are kept in the lake."""
        return unparseable_lake_key(self.run_date, self.athlete_tag)

    @property
    def extract_path(self) -> Path:
        """Where the run date's extract file is written: $DATA_DIR/extract/YYYY-MM-DD/
        ($DATA_DIR/extract/<athlete id>/YYYY-MM-DD/ for an athlete other than the first)."""
        return (self.settings.extract_dir / athlete_folder(self.athlete_tag)
                / self.run_date.isoformat() / "activities.csv")

    @property
    def staging_table(self) -> str:
        """The run date's staging table (with _a<id> for an athlete other than the first)."""
        tag = self.athlete_tag
        return staging_table_name(self.run_date.strftime("%Y%m%d") + (f"_{tag}" if tag else ""))
