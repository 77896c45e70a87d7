"""The dashboard's charts, one plotly figure per section, each under a stable DOM id."""

from __future__ import annotations

import html
import math
from datetime import date, timedelta

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from pipeline.dashboard.routes import Place, Route

CHART_IDS: dict[str, str] = {
    "kudos_over_time": "chart-kudos-over-time",
    "monthly_distance": "chart-monthly-distance",
    "kudos_by_workout_type": "chart-kudos-by-workout-type",
    "weekly_kudos_change": "chart-weekly-kudos-change",
    "route_map": "chart-route-map",
    "validation_history": "chart-validation-history",
}

STATUS_COLOURS: dict[str, str] = {
    "pass": "#2ca02c", "warn": "#ff7f0e", "fail": "#d62728", "error": "#9467bd",
    "skipped": "#9e9e9e",
}
FAMILY_COLOURS: dict[str, str] = {"run": "#fc4c02", "ride": "#1f77b4"}
RECENT_WEEKS = 26


def _plain(text: str) -> str:
    """Text for plotly labels: its pseudo-HTML tags and entities shown literally."""
    return html.escape(text, quote=False)


def _iso(values: pd.Series) -> list[str]:
    return [pd.Timestamp(value).date().isoformat() for value in values]


def _numbers(values: pd.Series) -> list[float | None]:
    return [None if pd.isna(value) else float(value) for value in values]


def _layout(figure: go.Figure, title: str, height: int = 380) -> go.Figure:
    figure.update_layout(
        title={"text": title, "x": 0.01}, template="plotly_white", height=height,
        margin={"l": 55, "r": 20, "t": 50, "b": 45},
        legend={"orientation": "h", "yanchor": "bottom", "y": 1.0, "x": 1, "xanchor": "right"},
        hovermode="closest",
    )
    return figure


def weekly_totals(weekly_distance: pd.DataFrame) -> pd.DataFrame:
    """Activities, kudos and distance per week over every sport (from weekly_distance_by_sport)."""
    totals = weekly_distance.groupby("week_start", as_index=False).agg(
        activity_count=("activity_count", "sum"), total_kudos=("total_kudos", "sum"),
        distance_km=("distance_km", "sum"),
    )
    return totals.sort_values("week_start", ignore_index=True)


def kudos_over_time(weekly_distance: pd.DataFrame) -> go.Figure:
    """Kudos per week (bars) and kudos per activity (line), every week including empty ones."""
    totals = weekly_totals(weekly_distance)
    per_activity = [
        round(kudos / count, 2) if count else None
        for kudos, count in zip(totals["total_kudos"], totals["activity_count"], strict=True)
    ]
    weeks = _iso(totals["week_start"])
    figure = go.Figure([
        go.Bar(x=weeks, y=[int(v) for v in totals["total_kudos"]], name="kudos per week",
               marker_color="#fc4c02",
               customdata=[int(v) for v in totals["activity_count"]],
               hovertemplate="week of %{x}<br>%{y} kudos, %{customdata} activities<extra></extra>"),
        go.Scatter(x=weeks, y=per_activity, name="kudos per activity", yaxis="y2",
                   mode="lines", line={"color": "#333333", "width": 1.5},
                   hovertemplate="week of %{x}<br>%{y} kudos per activity<extra></extra>"),
    ])
    figure.update_layout(
        yaxis={"title": {"text": "kudos"}},
        yaxis2={"title": {"text": "per activity"}, "overlaying": "y", "side": "right",
                "showgrid": False, "rangemode": "tozero"},
        bargap=0.1,
    )
    return _layout(figure, "Kudos over time (per week, local Monday weeks)")


def monthly_distance(monthly: pd.DataFrame) -> go.Figure:
    """Kilometres per local month, stacked by sport (sports without distance left out)."""
    by_sport = monthly.groupby("sport_type")["distance_km"].sum()
    sports = [sport for sport in by_sport.sort_values(ascending=False).index
              if by_sport[sport] > 0]
    traces = []
    for sport in sports:
        rows = monthly[monthly["sport_type"] == sport].sort_values("activity_month")
        traces.append(go.Bar(
            x=_iso(rows["activity_month"]), y=_numbers(rows["distance_km"]), name=sport,
            customdata=[int(v) for v in rows["activity_count"]],
            hovertemplate=(f"{_plain(sport)}<br>%{{x|%b %Y}}: %{{y:.1f}} km, "
                           "%{customdata} activities<extra></extra>"),
        ))
    figure = go.Figure(traces)
    figure.update_layout(barmode="stack", yaxis={"title": {"text": "km"}},
                         xaxis={"tickformat": "%b %Y"})
    _layout(figure, "Monthly distance by sport (km)", height=420)
    figure.update_layout(legend={"orientation": "h", "yanchor": "top", "y": -0.12, "x": 0,
                                 "xanchor": "left"})
    return figure


def kudos_by_workout_type(kudos: pd.DataFrame) -> go.Figure:
    """Average kudos per run or ride for each workout label."""
    traces = []
    for family, label in (("run", "runs"), ("ride", "rides")):
        rows = kudos[kudos["sport_family"] == family].sort_values("label_order")
        traces.append(go.Bar(
            x=[f"{label}: {workout}" for workout in rows["workout_type_label"]],
            y=_numbers(rows["avg_kudos"]), name=label, marker_color=FAMILY_COLOURS[family],
            text=_numbers(rows["avg_kudos"]), textposition="outside",
            customdata=list(zip([int(v) for v in rows["activity_count"]],
                                [int(v) for v in rows["total_kudos"]], strict=True)),
            hovertemplate=("%{x}<br>%{y} kudos on average<br>%{customdata[0]} activities, "
                           "%{customdata[1]} kudos in all<extra></extra>"),
        ))
    figure = go.Figure(traces)
    figure.update_layout(yaxis={"title": {"text": "average kudos"}}, barmode="group")
    return _layout(figure, "Kudos by workout type (average per activity)")


def weekly_kudos_change(change: pd.DataFrame, run_week: date) -> go.Figure:
    """Week-over-week kudos change in percent per workout label; gaps where undefined."""
    traces = []
    ordered = change.sort_values(["label_order", "week_start"])
    for (family, label), rows in ordered.groupby(["sport_family", "workout_type_label"],
                                                 sort=False):
        traces.append(go.Scatter(
            x=_iso(rows["week_start"]), y=_numbers(rows["kudos_change_pct"]),
            name=f"{family}: {label}", mode="lines+markers", connectgaps=False,
            line={"width": 1.5}, marker={"size": 5},
            customdata=list(zip([int(v) for v in rows["total_kudos"]],
                                _numbers(rows["previous_week_kudos"]), strict=True)),
            hovertemplate=(f"{family}: {label}<br>week of %{{x}}: %{{y:+.1f}}%<br>"
                           "%{customdata[0]} kudos (previous week %{customdata[1]})"
                           "<extra></extra>"),
        ))
    figure = go.Figure(traces)
    first = run_week - timedelta(weeks=RECENT_WEEKS)
    shown = change[change["week_start"].map(lambda day: pd.Timestamp(day).date()) >= first]
    values = shown["kudos_change_pct"].dropna()
    y_range = None
    if len(values):
        low, high = min(-100.0, float(values.min())), max(0.0, float(values.max()))
        pad = (high - low) * 0.06
        y_range = [low - pad, high + pad]
    figure.update_layout(
        yaxis={"title": {"text": "change vs previous week (%)"}, "zeroline": True,
               "range": y_range},
        xaxis={"range": [(first - timedelta(days=3)).isoformat(),
                         (run_week + timedelta(days=3)).isoformat()]},
    )
    return _layout(figure, f"Weekly kudos change by workout type (last {RECENT_WEEKS} weeks; "
                           "drag to see earlier)")


def _route_lines(routes: list[Route]) -> tuple[np.ndarray, np.ndarray]:
    """All routes as one lat and one lng array, each route ended by NaN (a gap in the line).

    NumPy arrays, not lists: plotly validates a list element by element, which cost seconds
    for a few hundred thousand points.
    """
    points = [point for route in routes for point in (*route.points, (math.nan, math.nan))]
    coordinates = np.array(points, dtype=float).reshape(-1, 2)
    return coordinates[:, 0], coordinates[:, 1]


def _view(place: Place) -> dict[str, object]:
    low, high, west, east = place.bounds
    pad_lat = max(0.01, (high - low) * 0.08)
    pad_lng = max(0.01, (east - west) * 0.08)
    return {
        "xaxis.range": [west - pad_lng, east + pad_lng],
        "yaxis.range": [low - pad_lat, high + pad_lat],
        "yaxis.scaleratio": place.lng_per_lat,
    }


def route_map(places: list[Place], initial: Place | None) -> go.Figure:
    """Routes as lines on longitude/latitude axes with true proportions (no tiles needed).

    One button per place zooms to its routes; this week's routes are drawn on top in orange.
    """
    routes = [route for place in places for route in place.routes]
    older = [route for route in routes if not route.this_week]
    recent = [route for route in routes if route.this_week]
    lats, lngs = _route_lines(older)
    traces = [go.Scatter(x=lngs, y=lats, mode="lines", name="routes", hoverinfo="skip",
                         line={"color": "rgba(31, 119, 180, 0.45)", "width": 1.2},
                         connectgaps=False)]
    traces.append(go.Scatter(
        x=[route.points[0][1] for route in routes], y=[route.points[0][0] for route in routes],
        mode="markers", name="starts", marker={"size": 3, "color": "#333333", "opacity": 0.3},
        hovertext=[
            f"{_plain(route.name)}<br>{route.start_date_local:%Y-%m-%d %H:%M} · "
            f"{_plain(route.sport_type)} · {route.distance_km:.1f} km · "
            f"{route.kudos_count if route.kudos_count is not None else '–'} kudos"
            for route in routes
        ],
        hoverinfo="text",
    ))
    lats, lngs = _route_lines(recent)
    traces.append(go.Scatter(x=lngs, y=lats, mode="lines", name="this week", hoverinfo="skip",
                             line={"color": "#fc4c02", "width": 3}, connectgaps=False))
    figure = go.Figure(traces)
    view = _view(initial) if initial is not None else {}
    figure.update_layout(
        xaxis={"title": {"text": "longitude (°)"}, "range": view.get("xaxis.range"),
               "showgrid": True, "zeroline": False},
        yaxis={"title": {"text": "latitude (°)"}, "range": view.get("yaxis.range"),
               "scaleanchor": "x", "scaleratio": view.get("yaxis.scaleratio", 1.0),
               "showgrid": True, "zeroline": False},
        updatemenus=[{
            "type": "buttons", "direction": "right", "x": 0, "xanchor": "left", "y": 1.0,
            "yanchor": "bottom", "pad": {"b": 4},
            "buttons": [
                {"label": f"{_plain(place.name)} ({len(place.routes)})",
                 "method": "relayout", "args": [_view(place)]}
                for place in places
            ],
        }] if places else [],
        legend={"orientation": "h", "yanchor": "top", "y": -0.12, "x": 0},
        plot_bgcolor="#f4f1ea",
    )
    _layout(figure, "", height=560)
    figure.update_layout(margin={"t": 40}, legend={"y": -0.12, "yanchor": "top", "x": 0,
                                                  "xanchor": "left"})
    return figure


def validation_history(validation: pd.DataFrame) -> go.Figure:
    """Checks per run date, stacked by outcome."""
    counts = validation.groupby(["run_date", "status"]).size().unstack(fill_value=0)
    runs = [pd.Timestamp(day).date().isoformat() for day in counts.index]
    traces = [
        go.Bar(x=runs, y=[int(v) for v in counts[status]], name=status,
               marker_color=STATUS_COLOURS.get(status, "#777777"),
               hovertemplate=f"run %{{x}}: %{{y}} {_plain(status)}<extra></extra>")
        for status in [*STATUS_COLOURS, *sorted(set(counts.columns) - set(STATUS_COLOURS))]
        if status in counts.columns
    ]
    figure = go.Figure(traces)
    figure.update_layout(barmode="stack", yaxis={"title": {"text": "checks"}},
                         xaxis={"type": "category"}, bargap=0.6)
    return _layout(figure, "Validation history (checks per run)", height=320)
