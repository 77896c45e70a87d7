"""What the dashboard shows, read from the model tables through the warehouse adapter."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

import pandas as pd

from pipeline.backends.warehouse import Warehouse
from pipeline.dashboard.kudos import KudosDashboard, load_kudos_dashboard
from pipeline.run_dates import run_week
from pipeline.sql_files import check_identifier, read_sql, render

MODEL_TABLES: tuple[str, ...] = (
    "activity_summary_yearly",
    "monthly_distance_by_sport",
    "weekly_distance_by_sport",
    "kudos_by_workout_type",
    "weekly_kudos_change",
    "activity_routes",
    "weekly_new_activities",
)


class MissingModelError(RuntimeError):
    """A model table the dashboard reads does not exist yet."""


def _plain_numbers(frame: pd.DataFrame) -> pd.DataFrame:
    """NUMERIC columns arrive as Decimal objects; make them floats (NULL becomes NaN)."""
    for column in frame.columns:
        values = frame[column]
        if values.map(lambda value: isinstance(value, Decimal)).any():
            frame[column] = values.map(lambda v: float(v) if v is not None else None).astype(float)
    return frame


def _frame(rows: list[tuple], columns: list[str]) -> pd.DataFrame:
    return _plain_numbers(pd.DataFrame.from_records(rows, columns=columns))


def read_model(warehouse: Warehouse, table: str) -> pd.DataFrame:
    """Every row of a model table as a DataFrame (numbers as floats, dates as dates)."""
    name = check_identifier(table)
    if not warehouse.table_exists(name):
        raise MissingModelError(
            f"model table {name} does not exist; run the WeeklyPipeline (it builds the models "
            "before the dashboard)"
        )
    with warehouse.transaction() as session:
        session.execute(f"SELECT * FROM {name}")
        return _frame(session.fetchall(), session.column_names)


def read_validation_history(warehouse: Warehouse, run_date: date) -> pd.DataFrame:
    """Validation outcomes of every run up to ``run_date`` (empty before the first check)."""
    warehouse.ensure_schema()
    with warehouse.transaction() as session:
        session.execute(render(read_sql("dashboard/validation_history.sql")),
                        {"run_date": run_date})
        return _frame(session.fetchall(), session.column_names)


@dataclass
class DashboardData:
    """The model tables of one run date, as the dashboard reads them."""

    run_date: date
    yearly: pd.DataFrame
    monthly_distance: pd.DataFrame
    weekly_distance: pd.DataFrame
    kudos_by_workout: pd.DataFrame
    weekly_kudos_change: pd.DataFrame
    routes: pd.DataFrame
    week_activities: pd.DataFrame
    validation: pd.DataFrame
    sandbox: bool = False
    kudos: KudosDashboard | None = None

    @property
    def week_start(self) -> date:
        """First day of the run's week (the seven local dates ending with the run date)."""
        return run_week(self.run_date).first_day


def load_dashboard_data(warehouse: Warehouse, run_date: date, sandbox: bool = False
                        ) -> DashboardData:
    """Read every model table the dashboard shows, and the validation history."""
    tables = {table: read_model(warehouse, table) for table in MODEL_TABLES}
    return DashboardData(
        run_date=run_date,
        yearly=tables["activity_summary_yearly"],
        monthly_distance=tables["monthly_distance_by_sport"],
        weekly_distance=tables["weekly_distance_by_sport"],
        kudos_by_workout=tables["kudos_by_workout_type"],
        weekly_kudos_change=tables["weekly_kudos_change"],
        routes=tables["activity_routes"],
        week_activities=tables["weekly_new_activities"],
        validation=read_validation_history(warehouse, run_date),
        sandbox=sandbox,
        kudos=load_kudos_dashboard(warehouse, run_date),
    )
