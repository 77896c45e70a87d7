"""The dashboard's stream panel (issue 21): best-effort progression (5 km, 10 km), weekly time
in heart-rate zones, and the fitness and fatigue curve from the streams' training load (Edwards
TRIMP instead of the suffer-score proxy). Shown only when activity streams exist; registered in
pipeline/dashboard/build.py's OPTIONAL_SECTIONS."""

from __future__ import annotations

from datetime import date, timedelta

import pandas as pd

from pipeline.backends.warehouse import Warehouse
from pipeline.dashboard import figures, training
from pipeline.dashboard.data import DashboardData
from pipeline.dashboard.page import Section
from pipeline.model_registry import reader_sql

CHART_IDS = {"efforts": "chart-stream-best-efforts", "zones": "chart-stream-weekly-zones",
             "fitness": "chart-stream-fitness"}
ZONE_COLOURS = ("#9ecae1", "#74c476", "#fdae6b", "#fb6a4a", "#a50f15")
_MARTS = ("activity_best_efforts", "weekly_training_load", "activity_training_load")


def _read(warehouse: Warehouse, name: str, run_date: date, athlete_id: int = 0
          ) -> pd.DataFrame:
    with warehouse.transaction() as session:
        session.execute(reader_sql(f"dashboard/{name}.sql"),
                        {"day_after_run_date": run_date + timedelta(days=1),
                         "athlete_id": athlete_id})
        return pd.DataFrame.from_records(session.fetchall(), columns=session.column_names)


def efforts_figure(efforts: pd.DataFrame) -> figures.Figure:
    """Each run's best 5 km and 10 km (minutes), and the best so far as a step line."""
    traces: list[dict] = []
    for effort, colour in (("5 km", "#1f77b4"), ("10 km", "#c2185b")):
        shown = efforts[efforts["effort"] == effort]
        minutes = shown["best_seconds"].astype(float) / 60
        days = [pd.Timestamp(value).date().isoformat() for value in shown["start_date_local"]]
        traces.append(figures.trace("scatter", x=days, y=minutes.round(2).to_numpy(),
                                    mode="markers", name=effort,
                                    marker={"color": colour, "size": 5, "opacity": 0.5}))
        traces.append(figures.trace("scatter", x=days,
                                    y=minutes.cummin().round(2).to_numpy(), mode="lines",
                                    line={"color": colour, "shape": "hv"},
                                    name=f"{effort} best so far"))
    figure = figures.update_layout(figures._figure(traces), yaxis={"title": {"text": "minutes"}})
    return figures._layout(figure, "Best efforts inside runs (from the streams)")


def zones_figure(weekly: pd.DataFrame) -> figures.Figure:
    """Minutes per heart-rate zone per week, stacked."""
    days = [pd.Timestamp(value).date().isoformat() for value in weekly["week_start"]]
    figure = figures._figure([
        figures.trace("bar", x=days,
                      y=weekly[f"zone{zone}_minutes"].astype(float).round(1).to_numpy(),
                      name=f"zone {zone}", marker={"color": ZONE_COLOURS[zone - 1]})
        for zone in range(1, 6)])
    figures.update_layout(figure, barmode="stack", yaxis={"title": {"text": "minutes"}})
    return figures._layout(figure, "Weekly time in heart-rate zones")


def streams_panel(warehouse: Warehouse, data: DashboardData) -> Section | None:
    """The panel, or None when no stream mart holds a row (no archive with files imported)."""
    if not all(warehouse.table_exists(name) for name in _MARTS):
        return None
    loads = _read(warehouse, "stream_loads", data.run_date, data.athlete_id)
    if loads.empty:
        return None
    efforts = _read(warehouse, "stream_efforts", data.run_date, data.athlete_id)
    weekly = _read(warehouse, "stream_weekly_zones", data.run_date,
                   data.athlete_id).tail(training.TRAINING_WEEKS)
    activities = pd.DataFrame({"start_date_local": pd.to_datetime(loads["start_date_local"]),
                               "suffer_score": loads["trimp"].astype(float),
                               "moving_time_s": 0.0})
    curve = training.training_load(activities, data.run_date)
    first = data.run_date - timedelta(weeks=training.TRAINING_WEEKS)
    body = ('<p id="stream-summary">From the activity streams (imported archives, or the API '
            "with STREAMS_FROM_API=on): "
            f"{len(loads)} activities with heart rate; load is Edwards TRIMP (docs/archive.md)."
            "</p>")
    return Section("section-streams", "Streams: efforts, zones and load", body,
                   {CHART_IDS["efforts"]: efforts_figure(efforts),
                    CHART_IDS["zones"]: zones_figure(weekly),
                    CHART_IDS["fitness"]: figures.fitness(curve, first)}, wide=True)
