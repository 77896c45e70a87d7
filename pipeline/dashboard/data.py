"""What the dashboard shows, read from the model tables through the warehouse adapter."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

import pandas as pd

from pipeline.backends.warehouse import Warehouse
from pipeline.sql_files import check_identifier, parameter_names, read_sql, render

MODEL_TABLES: tuple[str, ...] = (
    "activity_summary_yearly",
    "monthly_distance_by_sport",
    "weekly_distance_by_sport",
    "kudos_by_workout_type",
    "weekly_kudos_change",
    "activity_routes",
    "weekly_new_activities",
)


# What the dashboard of a run date reads of the models that hold more than that date: its own
# run's rows and no week after its own, so that a later (or earlier) run never changes it.
AS_OF: dict[str, str] = {
    "weekly_new_activities": "run_date = :run_date",
    "weekly_kudos_change": "week_start <= :week_start",
    "weekly_distance_by_sport": "week_start <= :week_start",
}


class MissingModelError(RuntimeError):
    """A model table the dashboard reads does not exist yet."""


def week_start_of(day: date) -> date:
    """The Monday of the week holding ``day`` (the models' DATE_TRUNC('week') buckets)."""
    return day - timedelta(days=day.weekday())


def _plain_numbers(frame: pd.DataFrame) -> pd.DataFrame:
    """NUMERIC columns arrive as Decimal objects; make them floats (NULL becomes NaN)."""
    for column in frame.columns:
        values = frame[column]
        if values.map(lambda value: isinstance(value, Decimal)).any():
            frame[column] = values.map(lambda v: float(v) if v is not None else None).astype(float)
    return frame


def _frame(rows: list[tuple], columns: list[str]) -> pd.DataFrame:
    return _plain_numbers(pd.DataFrame.from_records(rows, columns=columns))


def read_model(warehouse: Warehouse, table: str, run_date: date | None = None) -> pd.DataFrame:
    """A model table as a DataFrame (numbers as floats, dates as dates): every row, or as the
    dashboard of ``run_date`` sees it (``AS_OF``)."""
    name = check_identifier(table)
    if not warehouse.table_exists(name):
        raise MissingModelError(
            f"model table {name} does not exist; run the WeeklyPipeline (it builds the models "
            "before the dashboard)"
        )
    sql, params = f"SELECT * FROM {name}", {}
    if run_date is not None and name in AS_OF:
        sql += f" WHERE {AS_OF[name]}"
        known = {"run_date": run_date, "week_start": week_start_of(run_date)}
        params = {key: known[key] for key in parameter_names(sql)}
    with warehouse.transaction() as session:
        session.execute(sql, params)
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

    @property
    def week_start(self) -> date:
        """Monday of the run date's week."""
        return week_start_of(self.run_date)


def load_dashboard_data(warehouse: Warehouse, run_date: date, sandbox: bool = False
                        ) -> DashboardData:
    """Read every model table the dashboard shows, and the validation history."""
    tables = {table: read_model(warehouse, table, run_date) for table in MODEL_TABLES}
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
    )
