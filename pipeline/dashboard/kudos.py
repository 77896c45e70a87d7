"""The dashboard's kudos-model section: predicted vs actual kudos of the last 12 weeks, test RMSE
over time against the baselines, and the champion's permutation importance.

``read_kudos_dashboard`` reads it in the caller's transaction (``load_kudos_dashboard`` in one of
its own); ``kudos_section`` makes the page's Section, ``kudos_panel`` is the builder that
pipeline/dashboard/build.py's OPTIONAL_SECTIONS runs.
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from datetime import date

import pandas as pd
import plotly.graph_objects as go

from pipeline.backends.warehouse import Session, Warehouse
from pipeline.dashboard import figures
from pipeline.dashboard.data import DashboardData
from pipeline.dashboard.page import Section
from pipeline.kudos.terms import is_off_reason

CHART_IDS: dict[str, str] = {
    "predicted_vs_actual": "chart-kudos-predicted-vs-actual",
    "rmse_over_time": "chart-kudos-rmse-over-time",
    "feature_importance": "chart-kudos-feature-importance",
}
EMPTY = "no kudos model yet"


@dataclass
class KudosDashboard:
    """What the kudos section shows for one run date."""

    predictions: pd.DataFrame  # activity_id, start_date_local, sport_type, model_version,
    #                            predicted_kudos, actual_kudos
    runs: pd.DataFrame  # kudos_model_runs up to the run date
    importance: pd.DataFrame  # feature, importance_mean, importance_std, model_version

    @property
    def trained(self) -> pd.DataFrame:
        """Runs that trained a model (skips have no RMSE)."""
        return self.runs[self.runs["rmse"].notna()] if len(self.runs) else self.runs


def _read(session: Session, relative_path: str, run_date: date, athlete_id: int = 0
          ) -> pd.DataFrame:
    session.run_file(relative_path, {"run_date": run_date, "athlete_id": athlete_id})
    return pd.DataFrame.from_records(session.fetchall(), columns=session.column_names)


def read_kudos_dashboard(session: Session, run_date: date, athlete_id: int = 0
                         ) -> KudosDashboard:
    """The kudos section's data up to ``run_date``, read inside the caller's transaction
    (empty frames before the first kudos model run); one athlete's (issue 26) or, for 0,
    every row (an install of one athlete)."""
    session.execute("SELECT 1 FROM information_schema.tables WHERE table_name = :table",
                    {"table": "kudos_model_runs"})
    if not session.fetchall():
        return KudosDashboard(pd.DataFrame(), pd.DataFrame(), pd.DataFrame())
    return KudosDashboard(
        predictions=_read(session, "kudos/predictions_vs_actual.sql", run_date, athlete_id),
        runs=_read(session, "kudos/runs_report.sql", run_date, athlete_id),
        importance=_read(session, "kudos/champion_importance.sql", run_date, athlete_id),
    )


def load_kudos_dashboard(warehouse: Warehouse, run_date: date, athlete_id: int = 0
                         ) -> KudosDashboard:
    """``read_kudos_dashboard`` in a transaction of its own."""
    with warehouse.transaction() as session:
        return read_kudos_dashboard(session, run_date, athlete_id)


def _figure() -> figures.Figure:
    """An empty figure without plotly.py's template: the page applies plotly_white once, and
    the template is dropped from each chart's JSON. A plain dict (pipeline/dashboard/figures.py):
    plotly.py's graph objects load 3 MB of validator JSON the first time (issue 23)."""
    return figures._figure([])


def _layout(figure: figures.Figure, title: str) -> figures.Figure:
    return figures.update_layout(
        figure, title={"text": title, "x": 0.01}, height=380,
        margin={"l": 55, "r": 20, "t": 50, "b": 45},
        legend={"orientation": "h", "y": 1.0, "yanchor": "bottom", "x": 1, "xanchor": "right"})


def _numbers(values: pd.Series) -> list[float | None]:
    return [None if pd.isna(value) else float(value) for value in values]


def predicted_vs_actual_plain(kudos: KudosDashboard) -> figures.Figure:
    """Actual (x) against predicted (y) kudos of the last 12 weeks, with the y = x line."""
    frame = kudos.predictions
    if len(frame):
        frame = frame[frame["actual_kudos"].notna()]
    figure = _figure()
    top = 1.0
    if len(frame):
        top = max(float(frame["actual_kudos"].max()), float(frame["predicted_kudos"].max()), 1)
        labels = [f"{pd.Timestamp(day):%Y-%m-%d} {html.escape(str(sport), quote=False)}"
                  for day, sport in zip(frame["start_date_local"], frame["sport_type"],
                                        strict=True)]
        figure["data"].append(figures.trace(
            "scatter", x=_numbers(frame["actual_kudos"]), y=_numbers(frame["predicted_kudos"]),
            mode="markers", name="activity", text=labels, marker={"color": "#fc4c02"},
            hovertemplate="%{text}<br>actual %{x}<br>predicted %{y:.1f}<extra></extra>"))
    figure["data"].append(figures.trace(
        "scatter", x=[0, top], y=[0, top], mode="lines", name="perfect",
        line={"color": "#999", "dash": "dot"}, hoverinfo="skip"))
    figures.update_layout(figure, xaxis={"title": {"text": "actual kudos"}},
                          yaxis={"title": {"text": "predicted kudos"}})
    return _layout(figure, "Predicted vs actual kudos, last 12 weeks")


def rmse_over_time_plain(kudos: KudosDashboard) -> figures.Figure:
    """Test RMSE of every trained model by run date, with every baseline."""
    trained = kudos.trained
    figure = _figure()
    if len(trained):
        days = [pd.Timestamp(day).date().isoformat() for day in trained["run_date"]]
        for column, name, colour in (("rmse", "model", "#fc4c02"),
                                     ("baseline_rmse", "mean baseline", "#1f77b4"),
                                     ("sport_baseline_rmse", "per-sport baseline", "#2ca02c"),
                                     ("trailing_4_weeks_rmse", "trailing 4-week baseline",
                                      "#9467bd"),
                                     ("trailing_12_weeks_rmse", "trailing 12-week baseline",
                                      "#8c564b")):
            figure["data"].append(figures.trace(
                "scatter", x=days, y=_numbers(trained[column]), name=name,
                mode="lines+markers", line={"color": colour}))
        if len(set(days)) == 1:  # one run: a fortnight around it, not milliseconds
            only = pd.Timestamp(days[0])
            figures.update_layout(figure, xaxis={"range": [
                (only - pd.Timedelta(days=7)).isoformat(),
                (only + pd.Timedelta(days=7)).isoformat()]})
    figures.update_layout(figure, xaxis={"type": "date", "tickformat": "%Y-%m-%d"},
                          yaxis={"title": {"text": "test RMSE (kudos)"}, "rangemode": "tozero"})
    return _layout(figure, "Test RMSE by run date")


def feature_importance_plain(kudos: KudosDashboard) -> figures.Figure:
    """The champion's permutation importance on its test set, most important on top."""
    frame = kudos.importance
    figure = _figure()
    if len(frame):
        ordered = frame.iloc[::-1]
        figure["data"].append(figures.trace(
            "bar", x=_numbers(ordered["importance_mean"]), y=list(ordered["feature"]),
            orientation="h",
            error_x={"type": "data", "array": _numbers(ordered["importance_std"])},
            marker={"color": "#fc4c02"}, name="importance"))
    figures.update_layout(figure, xaxis={"title": {
        "text": "test RMSE increase when shuffled (kudos)"}})
    return _layout(figure, "What the model uses (permutation importance)")


def predicted_vs_actual(kudos: KudosDashboard) -> go.Figure:
    """:func:`predicted_vs_actual_plain` as plotly.py's graph objects."""
    return go.Figure(predicted_vs_actual_plain(kudos))


def rmse_over_time(kudos: KudosDashboard) -> go.Figure:
    """:func:`rmse_over_time_plain` as plotly.py's graph objects."""
    return go.Figure(rmse_over_time_plain(kudos))


def feature_importance(kudos: KudosDashboard) -> go.Figure:
    """:func:`feature_importance_plain` as plotly.py's graph objects."""
    return go.Figure(feature_importance_plain(kudos))


def _best_baseline(run: pd.Series) -> str:
    """'4.10 for the best baseline, the trailing 4-week mean' (a run before migration 0007
    recorded only the two means: the better of them)."""
    name, value = run.get("best_baseline"), run.get("best_baseline_rmse")
    if name is None or pd.isna(name) or value is None or pd.isna(value):
        name, value = min((("training mean", run["baseline_rmse"]),
                           ("per-sport mean", run["sport_baseline_rmse"])),
                          key=lambda pair: float(pair[1]))
    return f"{float(value):.2f} for the best baseline, the {html.escape(str(name))}"


def kudos_panel(warehouse: Warehouse, data: DashboardData) -> Section | None:
    """The page's *Kudos model* panel (registered in build.OPTIONAL_SECTIONS): on an install of
    several athletes, the page's athlete's model and activities only (issue 26)."""
    return kudos_section(load_kudos_dashboard(warehouse, data.run_date, data.athlete_id))


def kudos_section(kudos: KudosDashboard) -> Section:
    """The panel: a one-line summary of the champion and the three charts, or why none yet."""
    trained = kudos.trained
    if len(kudos.runs) and is_off_reason(kudos.runs.iloc[-1]["reason"]):
        reason = html.escape(str(kudos.runs.iloc[-1]["reason"]))
        return Section("section-kudos-model", "Kudos model",
                       f'<p class="empty" id="kudos-model-off">No kudos model: {reason}.</p>',
                       wide=True)
    if not len(trained):
        reason = (": " + html.escape(str(kudos.runs.iloc[-1]["reason"]))
                  if len(kudos.runs) else "")
        return Section("section-kudos-model", "Kudos model",
                       f'<p class="empty" id="kudos-model-empty">{EMPTY}{reason}</p>', wide=True)
    champions = kudos.runs[kudos.runs["promoted"].astype(bool)]
    champion = champions.iloc[-1] if len(champions) else trained.iloc[-1]
    summary = (f"Champion {html.escape(str(champion['model_version']))}: test RMSE "
               f"{float(champion['rmse']):.2f} kudos vs {_best_baseline(champion)}, on "
               f"{int(champion['n_test'])} activities of its last 12 weeks (training mean "
               f"{float(champion['baseline_rmse']):.2f}, per-sport mean "
               f"{float(champion['sport_baseline_rmse']):.2f}).")
    return Section("section-kudos-model", "Kudos model",
                   f'<p id="kudos-model-summary">{summary}</p>',
                   {CHART_IDS["predicted_vs_actual"]: predicted_vs_actual_plain(kudos),
                    CHART_IDS["rmse_over_time"]: rmse_over_time_plain(kudos),
                    CHART_IDS["feature_importance"]: feature_importance_plain(kudos)},
                   wide=True)
