"""What the dashboard shows, read through the warehouse adapter with read-only queries.

The queries live in ``sql/dashboard/``: activities and routes come from the marts
(``activity_log``, ``activity_routes``), the checks from the validation results, all in one read
transaction; nothing here writes to the warehouse. Nothing reads the whole history into Python
(issue 23): the activities of the dashboard's window (53 weeks) come one row each, older history
only aggregated in SQL (one row per day, one per record), as DataFrames.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal

import pandas as pd

from pipeline.backends.warehouse import Session
from pipeline.dashboard.options import DashboardOptions
from pipeline.dashboard.training import (
    OTHER_FAMILY,
    PACE_RECORDS,
    RECORD_LABELS,
    TRAINING_WEEKS,
    Record,
)
from pipeline.model_registry import reader_sql, refs_in
from pipeline.run_dates import run_week
from pipeline.sql_files import read_sql


class MartsNotBuiltError(RuntimeError):
    """A mart the dashboard reads does not exist yet in the warehouse."""

ROUTE_BATCH = 2_000
QUERIES: tuple[str, ...] = ("dashboard/activities.sql", "dashboard/daily_totals.sql",
                            "dashboard/records.sql", "dashboard/routes.sql",
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


def window_start(run_date: date) -> date:
    """The first local day whose activities the dashboard reads one by one: the first of its
    53 weeks or the run date's 1 January, whichever is earlier."""
    first_week = run_week(run_date).first_day - timedelta(weeks=TRAINING_WEEKS - 1)
    return min(first_week, run_date.replace(month=1, day=1))


def read_activities(session: Session, run_date: date, athlete_id: int = 0) -> pd.DataFrame:
    """The athlete's activities (0: every row, an install of one athlete) of the dashboard's
    window up to the end of the run date (sql/dashboard/activities.sql); a sport without a
    family (NULL in the marts) is in the family 'other'."""
    session.execute(reader_sql("dashboard/activities.sql"),
                    {"since": datetime.combine(window_start(run_date), time()),
                     "day_after_run_date": day_after(run_date), "athlete_id": athlete_id})
    frame = _numbers(session.fetch_frame())
    if frame.empty:
        frame = pd.DataFrame(columns=list(ACTIVITY_COLUMNS))
    frame["sport_family"] = frame["sport_family"].fillna(OTHER_FAMILY)
    frame["start_date_local"] = pd.to_datetime(frame["start_date_local"])
    for column in ("distance_m", "moving_time_s", "elevation_gain_m", "average_heartrate",
                   "suffer_score"):
        frame[column] = pd.to_numeric(frame[column], errors="coerce").astype(float)
    return frame


def read_daily_totals(session: Session, run_date: date,
                      athlete_id: int = 0) -> pd.DataFrame:
    """One row per local day with activities up to the run date, shaped as the activities the
    training functions take (``start_date_local`` the day, ``suffer_score`` the day's load):
    the year-over-year chart and the fitness curve (sql/dashboard/daily_totals.sql)."""
    session.execute(reader_sql("dashboard/daily_totals.sql"),
                    {"day_after_run_date": day_after(run_date), "athlete_id": athlete_id})
    frame = _numbers(session.fetch_frame())
    return pd.DataFrame({
        "start_date_local": pd.to_datetime(frame["day"]) if len(frame) else
        pd.Series(dtype="datetime64[us]"),
        "distance_m": pd.to_numeric(frame["distance_m"]).astype(float),
        "moving_time_s": pd.to_numeric(frame["moving_time_s"]).astype(float),
        "suffer_score": pd.to_numeric(frame["load"]).astype(float)})


def read_records(session: Session, run_date: date, athlete_id: int = 0) -> list[Record]:
    """Personal bests up to the run date (sql/dashboard/records.sql), in RECORDS' order."""
    session.execute(reader_sql("dashboard/records.sql"),
                    {"day_after_run_date": day_after(run_date), "athlete_id": athlete_id,
                     **{key: minimum for key, _label, minimum in PACE_RECORDS}})
    frame = _numbers(session.fetch_frame())
    rows = {row["record_key"]: row for _, row in frame.iterrows()}
    return [Record(key, label, float(row["value"]), int(row["id"]),
                   "" if pd.isna(row["name"]) else str(row["name"]),
                   pd.Timestamp(row["start_date_local"]), float(row["distance_m"]),
                   float(row["moving_time_s"]))
            for key, label in RECORD_LABELS if (row := rows.get(key)) is not None]


def _numbers(frame: pd.DataFrame) -> pd.DataFrame:
    """Decimal columns (PostgreSQL's numeric) as floats."""
    for column in frame.columns:
        if frame[column].dtype == object and frame[column].map(
                lambda value: isinstance(value, Decimal)).any():
            frame[column] = frame[column].map(_float).astype(float)
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


def read_route_frame(session: Session, run_date: date, max_routes: int,
                     athlete_id: int = 0) -> pd.DataFrame:
    """The rows of :func:`iter_route_rows` as one DataFrame (DuckDB hands over its columns:
    no Python tuple per route; at most ``max_routes`` rows, so memory stays bounded)."""
    session.execute(reader_sql("dashboard/routes.sql"),
                    {"day_after_run_date": day_after(run_date), "max_routes": max_routes,
                     "athlete_id": athlete_id})
    return session.fetch_frame()


@dataclass
class DashboardData:
    """Everything one run date's dashboard shows, read from the warehouse."""

    run_date: date
    activities: pd.DataFrame  # the window's (``window_start``), one row each
    validation: pd.DataFrame
    options: DashboardOptions = field(default_factory=DashboardOptions)
    sandbox: bool = False
    read_at: datetime | None = None  # issue 20: the newest read from Strava (UTC)
    athlete_id: int = 0  # issue 26: whose page (0: an install of one athlete, every row)
    only_athlete: bool = True  # the install has one athlete (panels across athletes allowed)
    # Issue 23: the whole history, aggregated in SQL (None: computed from ``activities``)
    daily: pd.DataFrame | None = None
    records: list[Record] | None = None

    @property
    def history(self) -> pd.DataFrame:
        """The whole history for the charts that need it: one row per day (``daily``), or the
        activities themselves when no daily totals were read."""
        return self.activities if self.daily is None else self.daily

    @property
    def week_start(self) -> date:
        """First day of the run's week: its Monday (pipeline/run_dates.py, the one week)."""
        return run_week(self.run_date).first_day

    @property
    def week_finished(self) -> bool:
        """Whether the run date is the week's Sunday; else the week is unfinished."""
        return run_week(self.run_date).finished
