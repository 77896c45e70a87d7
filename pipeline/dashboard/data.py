"""What the dashboard shows, read through the warehouse adapter with read-only queries.

The queries live in ``sql/dashboard/``: activities and routes come from the marts
(``activity_log``, ``activity_routes``), the checks from the validation results, all in one read
transaction; nothing here writes to the warehouse.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

import pandas as pd

from pipeline.backends.warehouse import Session
from pipeline.dashboard.options import DashboardOptions
from pipeline.dashboard.training import OTHER_FAMILY
from pipeline.model_registry import reader_sql, refs_in
from pipeline.run_dates import run_week
from pipeline.sql_files import read_sql


class MartsNotBuiltError(RuntimeError):
    """A mart the dashboard reads does not exist yet in the warehouse."""

ROUTE_BATCH = 2_000
QUERIES: tuple[str, ...] = ("dashboard/activities.sql", "dashboard/routes.sql",
                            "dashboard/validation_latest.sql")
ACTIVITY_COLUMNS: tuple[str, ...] = (
    "id", "name", "sport_type", "sport_family", "workout_type_label", "start_date_local",
    "distance_m", "moving_time_s", "elevation_gain_m", "average_heartrate", "suffer_score",
    "kudos_count", "comment_count",
)


def day_after(run_date: date) -> datetime:
    """Local midnight ending the run date: activities before it belong to the dashboard."""
    return run_week(run_date).end


def marts_read() -> list[str]:
    """The marts the dashboard's queries read, as they name them."""
    return list(dict.fromkeys(name for query in QUERIES for name in refs_in(read_sql(query))))


def _float(value: object) -> object:
    return float(value) if isinstance(value, Decimal) else value


def _frame(rows: list[tuple], columns: list[str]) -> pd.DataFrame:
    frame = pd.DataFrame.from_records(rows, columns=columns)
    for column in frame.columns:
        if frame[column].dtype == object and frame[column].map(
                lambda value: isinstance(value, Decimal)).any():
            frame[column] = frame[column].map(_float).astype(float)
    return frame


def read_activities(session: Session, run_date: date, athlete_id: int = 0) -> pd.DataFrame:
    """Every activity of the athlete (0: every row, an install of one athlete) up to the end of
    the run date (sql/dashboard/activities.sql); a sport without a family (NULL in the marts)
    is in the family 'other'."""
    session.execute(reader_sql("dashboard/activities.sql"),
                    {"day_after_run_date": day_after(run_date), "athlete_id": athlete_id})
    frame = _frame(session.fetchall(), session.column_names)
    if frame.empty:
        frame = pd.DataFrame(columns=list(ACTIVITY_COLUMNS))
    frame["sport_family"] = frame["sport_family"].fillna(OTHER_FAMILY)
    frame["start_date_local"] = pd.to_datetime(frame["start_date_local"])
    for column in ("distance_m", "moving_time_s", "elevation_gain_m", "average_heartrate",
                   "suffer_score"):
        frame[column] = pd.to_numeric(frame[column], errors="coerce").astype(float)
    return frame


def read_validation(session: Session, run_date: date, athlete_id: int = 0) -> pd.DataFrame:
    """Validation outcomes up to the run date, the latest attempt of each date and check: the
    athlete's and those of no athlete (the models' tests)."""
    session.execute(reader_sql("dashboard/validation_latest.sql"),
                    {"run_date": run_date, "athlete_id": athlete_id})
    return _frame(session.fetchall(), session.column_names)


def read_freshness(session: Session) -> datetime | None:
    """When production last took in data from Strava (naive UTC), or None."""
    session.execute(reader_sql("dashboard/freshness.sql"))
    row = session.fetchone()
    value = row[0] if row else None
    return None if value is None else pd.Timestamp(value).to_pydatetime()


def iter_route_rows(session: Session, run_date: date, max_routes: int,
                    athlete_id: int = 0) -> Iterator[tuple]:
    """The newest ``max_routes`` routes, newest first, fetched in batches (bounded memory).

    Each row: (id, start_date_local, timezone, location_country, summary_polyline).
    """
    session.execute(reader_sql("dashboard/routes.sql"),
                    {"day_after_run_date": day_after(run_date), "max_routes": max_routes,
                     "athlete_id": athlete_id})
    while True:
        rows = session.cursor.fetchmany(ROUTE_BATCH)
        if not rows:
            return
        yield from rows


@dataclass
class DashboardData:
    """Everything one run date's dashboard shows, read from the warehouse."""

    run_date: date
    activities: pd.DataFrame
    validation: pd.DataFrame
    options: DashboardOptions = field(default_factory=DashboardOptions)
    sandbox: bool = False
    read_at: datetime | None = None  # issue 20: the newest read from Strava (UTC)
    athlete_id: int = 0  # issue 26: whose page (0: an install of one athlete, every row)
    only_athlete: bool = True  # the install has one athlete (panels across athletes allowed)

    @property
    def week_start(self) -> date:
        """First day of the run's week: its Monday (pipeline/run_dates.py, the one week)."""
        return run_week(self.run_date).first_day

    @property
    def week_finished(self) -> bool:
        """Whether the run date is the week's Sunday; else the week is unfinished."""
        return run_week(self.run_date).finished
