"""A small sandbox world for model and dashboard tests, with crafted weeks, and the pandas
expectations the models are checked against (computed from the production table)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path

import duckdb
import luigi
import pandas as pd
import pytest
from luigi.execution_summary import LuigiStatusCode

from pipeline.backends.duckdb_warehouse import release_all
from pipeline.backends.warehouse import Warehouse
from pipeline.model_registry import load_models, model
from pipeline.sandbox import SandboxServer, SyntheticAthlete
from pipeline.settings import ENVIRONMENT_VARIABLES
from tests.conftest import PROJECT_ROOT, RUN_DATE

RUNS = {"Run", "TrailRun", "VirtualRun"}
RIDES = {"Ride", "GravelRide", "MountainBikeRide", "EBikeRide", "EMountainBikeRide",
         "VirtualRide"}
LABELS = [("run", "default"), ("run", "race"), ("run", "long run"), ("run", "workout"),
          ("ride", "default"), ("ride", "race"), ("ride", "workout")]
RUN_WEEK = RUN_DATE - timedelta(days=RUN_DATE.weekday())
HOSTILE_HTML_NAME = '<img src=x onerror="window.__pwned=1"> Race & <b>"PR"</b> </td></table>'


@dataclass
class ModelWorld:
    """A finished WeeklyPipeline run over a crafted sandbox athlete."""

    data_dir: Path
    athlete: SyntheticAthlete
    empty_week: date
    zero_kudos_week: date
    late_sunday_id: int
    month_edge_id: int
    hostile_id: int

    @property
    def warehouse_path(self) -> Path:
        """The run's DuckDB warehouse."""
        return self.data_dir / "warehouse.duckdb"

    def production(self) -> pd.DataFrame:
        """strava_activity_data as pandas."""
        return model_table(self.warehouse_path, "strava_activity_data")


def model_table(warehouse: Path, table: str) -> pd.DataFrame:
    """A whole table of a DuckDB warehouse, NUMERIC as float."""
    release_all()  # a test may have used the warehouse adapter in this process
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        cursor = connection.execute(f"SELECT * FROM {table}")
        columns = [column[0] for column in cursor.description]
        frame = pd.DataFrame.from_records(cursor.fetchall(), columns=columns)
    for column in frame.columns:
        if frame[column].map(lambda value: isinstance(value, Decimal)).any():
            frame[column] = frame[column].map(lambda v: None if v is None else float(v))
            frame[column] = frame[column].astype(float)
    return frame


def local_week(local: pd.Series) -> pd.Series:
    """Monday of each local start (pandas' own week arithmetic, not the models')."""
    return local.dt.to_period("W-SUN").dt.start_time.dt.date


def local_month(local: pd.Series) -> pd.Series:
    """First day of each local start's month."""
    return local.dt.to_period("M").dt.start_time.dt.date


def workout_label(sport: object, code: object) -> str | None:
    """The readable label of a workout code (None for sports without labels)."""
    number = None if code is None or pd.isna(code) else int(code)
    if sport in RUNS:
        return {1: "race", 2: "long run", 3: "workout"}.get(number, "default")
    if sport in RIDES:
        return {11: "race", 12: "workout"}.get(number, "default")
    return None


def _parse(text: str) -> datetime:
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ")


def _weeks_of(athlete: SyntheticAthlete) -> dict[date, list[dict]]:
    weeks: dict[date, list[dict]] = {}
    for activity in athlete.activities:
        local = _parse(activity["start_date_local"]).date()
        weeks.setdefault(local - timedelta(days=local.weekday()), []).append(activity)
    return weeks


def craft_athlete() -> tuple[SyntheticAthlete, date, date, dict[str, int]]:
    """A small athlete with one emptied week, one all-zero-kudos week and run-week activities.

    Returns the athlete, the empty week, the zero-kudos week and the ids of crafted activities.
    """
    athlete = SyntheticAthlete(seed=3, n_activities=300,
                               end=datetime(2026, 11, 20, 12, tzinfo=timezone.utc))
    weeks = _weeks_of(athlete)

    def kudos_runs(week: date) -> bool:
        return any(a["sport_type"] in RUNS and a["kudos_count"] > 0 for a in weeks.get(week, []))

    week = timedelta(days=7)
    candidates = sorted((w for w in weeks if w < RUN_WEEK - 4 * week), reverse=True)
    empty_week = next(w for w in candidates
                      if kudos_runs(w - week) and kudos_runs(w + week) and len(weeks[w]) >= 2)
    zero_week = next(w for w in candidates
                     if abs((w - empty_week).days) > 21 and kudos_runs(w - week)
                     and any(a["sport_type"] in RUNS for a in weeks[w])
                     and any(a["kudos_count"] > 0 for a in weeks[w]))
    for activity in weeks[empty_week]:
        athlete.remove_activity(activity["id"])
    for activity in weeks[zero_week]:
        athlete.update_activity(activity["id"], kudos_count=0)

    utc = timezone.utc
    crafted = {
        # Monday 03:00 UTC is Sunday 22:00 in Toronto: the week before the run's week.
        "late_sunday": athlete.add_activity(datetime(2026, 11, 23, 3, tzinfo=utc), "Run",
                                            workout_type=2, kudos_count=9)["id"],
        # 1 November 02:00 UTC is 31 October 22:00 in Toronto: October, not November.
        "month_edge": athlete.add_activity(datetime(2026, 11, 1, 2, tzinfo=utc), "Run",
                                           workout_type=None, kudos_count=5)["id"],
        "hostile": athlete.add_activity(datetime(2026, 11, 24, 12, tzinfo=utc), "Run",
                                        workout_type=1, kudos_count=31,
                                        name=HOSTILE_HTML_NAME)["id"],
        "ride": athlete.add_activity(datetime(2026, 11, 26, 16, tzinfo=utc), "Ride",
                                     workout_type=12, kudos_count=0)["id"],
        "yoga": athlete.add_activity(datetime(2026, 11, 28, 14, tzinfo=utc), "Yoga",
                                     kudos_count=2)["id"],
    }
    return athlete, empty_week, zero_week, crafted


@contextmanager
def model_world(folder: Path) -> Iterator[ModelWorld]:
    """Run WeeklyPipeline for RUN_DATE on the crafted athlete, in ``folder``."""
    athlete, empty_week, zero_week, crafted = craft_athlete()
    data_dir = folder / "data"
    with pytest.MonkeyPatch.context() as patch, SandboxServer(athlete) as server:
        for name in ENVIRONMENT_VARIABLES:
            patch.delenv(name, raising=False)
        patch.setenv("LUIGI_CONFIG_PATH", str(PROJECT_ROOT / "luigi.cfg"))
        for name, value in {**server.env(), "DATA_DIR": str(data_dir)}.items():
            patch.setenv(name, value)
        from pipeline.tasks import WeeklyPipeline

        luigi.task_register.Register.clear_instance_cache()
        result = luigi.build([WeeklyPipeline(run_date=RUN_DATE)], local_scheduler=True,
                             detailed_summary=True, workers=1, log_level="WARNING")
        luigi.task_register.Register.clear_instance_cache()
        release_all()
        assert result.status in (LuigiStatusCode.SUCCESS, LuigiStatusCode.SUCCESS_WITH_RETRY), \
            result.summary_text
        assert os.environ["DATA_DIR"] == str(data_dir)
    yield ModelWorld(data_dir, athlete, empty_week, zero_week, crafted["late_sunday"],
                     crafted["month_edge"], crafted["hostile"])


def build(warehouse: Warehouse, name: str, run_date: date, update_id: str) -> None:
    """What BuildModel does for one model (its tests left out), without Luigi."""
    from pipeline.tasks.models import build_untested

    build_untested(warehouse, model(name), run_date, update_id)


def rebuild_models(warehouse_url: str, run_date: date = RUN_DATE) -> None:
    """Every model again from production, in build order: for a test that writes production
    directly and then reads the marts."""
    from pipeline.backends import open_warehouse

    warehouse = open_warehouse(warehouse_url)
    warehouse.ensure_schema()
    for name in load_models():
        build(warehouse, name, run_date, f"Rebuild({run_date.isoformat()},{name})")
    release_all()


def expected_weekly_kudos_change(production: pd.DataFrame, run_date: date) -> pd.DataFrame:
    """weekly_kudos_change computed with pandas: every week x label, lagged kudos, percent."""
    frame = production.copy()
    frame["week_start"] = local_week(frame["start_date_local"])
    first = frame["week_start"].min()
    last = run_date - timedelta(days=run_date.weekday())
    weeks = [first + timedelta(days=7 * n) for n in range((last - first).days // 7 + 1)]
    frame["label"] = [workout_label(s, c) for s, c in
                      zip(frame["sport_type"], frame["workout_type"], strict=True)]
    frame["family"] = ["run" if s in RUNS else "ride" if s in RIDES else None
                       for s in frame["sport_type"]]
    labelled = frame[frame["family"].notna()]
    grouped = labelled.groupby(["week_start", "family", "label"]).agg(
        activity_count=("id", "size"), total_kudos=("kudos_count", "sum"))
    rows = []
    for family, label in LABELS:
        previous = None
        for week in weeks:
            key = (week, family, label)
            count = int(grouped.loc[key, "activity_count"]) if key in grouped.index else 0
            kudos = int(grouped.loc[key, "total_kudos"]) if key in grouped.index else 0
            pct = None if not previous else 100.0 * (kudos - previous) / previous
            rows.append({"week_start": week, "sport_family": family,
                         "workout_type_label": label, "activity_count": count,
                         "total_kudos": kudos, "previous_week_kudos": previous,
                         "kudos_change_pct": pct})
            previous = kudos
    return pd.DataFrame(rows)
