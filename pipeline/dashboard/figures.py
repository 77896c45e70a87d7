"""The dashboard's charts, one plotly figure each, under a stable DOM id.

Maps are drawn on Web Mercator axes (the XYZ tile grid's own projection), so the same figure
is the offline drawing and, with tiles laid under it by the page's script, a tile map.

A figure is plotly's JSON shape as plain dicts (``{"data": [traces], "layout": {...}}``), not
plotly.py's graph objects: building and validating those was about half a weekly run's
BuildDashboard (issue 23). ``plotly.io.to_json`` writes either; the page draws them the same.
"""

from __future__ import annotations

import html
from collections.abc import Iterable
from datetime import date, timedelta
from typing import Any

import numpy as np
import pandas as pd

from pipeline.dashboard import training
from pipeline.dashboard.options import Units
from pipeline.dashboard.routes import Heat, RouteSet, View

CHART_IDS: dict[str, str] = {
    "weekly_distance": "chart-weekly-distance",
    "weekly_time": "chart-weekly-time",
    "year_over_year": "chart-year-over-year",
    "calendar": "chart-calendar",
    "fitness": "chart-fitness",
    "kudos": "chart-kudos",
    "route_map": "chart-route-map",
    "route_heatmap": "chart-route-heatmap",
    "validation_history": "chart-validation-history",
}
MAP_CHARTS: tuple[str, ...] = (CHART_IDS["route_map"], CHART_IDS["route_heatmap"])
FAMILY_COLOURS: dict[str, str] = {"run": "#fc4c02", "ride": "#1f77b4",
                                 training.OTHER_FAMILY: "#8c8c8c"}
STATUS_COLOURS: dict[str, str] = {
    "pass": "#2ca02c", "warn": "#ff7f0e", "fail": "#d62728", "error": "#9467bd",
    "skipped": "#9e9e9e",
}
MAP_BACKGROUND = "#f1efe9"
HEAT_COLOURS = [[0.0, "#fde0c5"], [0.35, "#fb8b24"], [0.7, "#d7263d"], [1.0, "#5f0f40"]]


def plain(text: object) -> str:
    """Text for plotly labels: its pseudo-HTML tags and entities shown literally."""
    return html.escape("" if text is None else str(text), quote=False)


def _iso(values: object) -> list[str]:
    return [pd.Timestamp(value).date().isoformat() for value in values]


Figure = dict[str, Any]  # plotly's figure JSON: {"data": [...], "layout": {...}}


def _merge(target: dict[str, Any], changes: dict[str, Any]) -> None:
    """plotly's ``update`` rule: a dict merges into the dict already there, anything else
    replaces; a None value is left out (plotly drops an unset property)."""
    for key, value in changes.items():
        if isinstance(value, dict):
            _merge(target.setdefault(key, {}), value)
        elif value is not None:
            target[key] = value


def trace(kind: str, **properties: Any) -> dict[str, Any]:
    """One trace of type ``kind`` ('bar', 'scatter', 'heatmap'), None properties left out."""
    made: dict[str, Any] = {"type": kind}
    _merge(made, properties)
    return made


def _figure(traces: Iterable[dict[str, Any]] | dict[str, Any]) -> Figure:
    """A figure without plotly.py's default template (the page applies plotly_white once)."""
    return {"data": [traces] if isinstance(traces, dict) else list(traces),
            "layout": {"template": {}}}


def update_layout(figure: Figure, **changes: Any) -> Figure:
    """Merge ``changes`` into the figure's layout, as plotly.py's ``update_layout`` does."""
    _merge(figure["layout"], changes)
    return figure


def _layout(figure: Figure, title: str, height: int = 340) -> Figure:
    update_layout(
        figure, title={"text": title, "x": 0.01, "font": {"size": 15}},
        height=height, margin={"l": 48, "r": 12, "t": 44, "b": 36},
        legend={"orientation": "h", "yanchor": "bottom", "y": 1.0, "x": 1, "xanchor": "right",
                "traceorder": "normal"},
        hovermode="x unified",
    )
    return figure


def weekly_distance(weekly: pd.DataFrame, units: Units) -> Figure:
    """Distance per week for 12 months, stacked by sport family."""
    traces = []
    for family in training.FAMILIES:
        rows = weekly[weekly["sport_family"] == family]
        traces.append(trace(
            "bar", x=_iso(rows["week_start"]),
            y=[round(units.from_metres(value), 2) for value in rows["distance_m"]],
            name=training.FAMILY_LABELS[family], marker={"color": FAMILY_COLOURS[family]},
            hovertemplate=f"%{{y:.1f}} {units.distance}<extra>{family}</extra>"))
    figure = _figure(traces)
    update_layout(figure, barmode="stack", bargap=0.15,
                         yaxis={"title": {"text": units.distance}})
    return _layout(figure, f"Weekly distance ({units.distance}, last 12 months)")


def weekly_time(weekly: pd.DataFrame) -> Figure:
    """Moving time per week for 12 months, stacked by sport family."""
    traces = []
    for family in training.FAMILIES:
        rows = weekly[weekly["sport_family"] == family]
        traces.append(trace(
            "bar", x=_iso(rows["week_start"]),
            y=[round(value / 3600.0, 2) for value in rows["moving_time_s"]],
            name=training.FAMILY_LABELS[family], marker={"color": FAMILY_COLOURS[family]},
            hovertemplate=f"%{{y:.1f}} h<extra>{family}</extra>"))
    figure = _figure(traces)
    update_layout(figure, barmode="stack", bargap=0.15, yaxis={"title": {"text": "hours"}})
    return _layout(figure, "Weekly moving time (hours, last 12 months)")


def year_over_year(years: dict[int, pd.Series], run_year: int, units: Units) -> Figure:
    """Cumulative distance through each year, this year in bold, on one Jan–Dec axis."""
    traces = []
    for year, cumulative in years.items():
        current = year == run_year
        traces.append(trace(
            "scatter", x=np.array([f"2000-{day:%m-%d}" for day in cumulative.index], dtype=object),
            y=np.round(cumulative.to_numpy() / units.metres_per_unit, 1),
            name=str(year), mode="lines",
            line={"width": 3.5 if current else 1.4,
                  "color": "#fc4c02" if current else None},
            opacity=1.0 if current else 0.75,
            hovertemplate=f"{year}: %{{y:,.0f}} {units.distance}<extra></extra>"))
    figure = _figure(traces)
    update_layout(figure, xaxis={"tickformat": "%b", "range": ["2000-01-01", "2000-12-31"]},
                         yaxis={"title": {"text": units.distance}})
    _layout(figure, f"Distance through the year ({units.distance}, cumulative)", height=360)
    update_layout(figure, legend={"orientation": "v", "x": 0.01, "xanchor": "left", "y": 0.99,
                                 "yanchor": "top", "bgcolor": "rgba(255,255,255,0.6)"})
    return figure


def calendar(daily_minutes: pd.Series) -> Figure:
    """Training time per day, one column per week (Monday at the top)."""
    first = daily_minutes.index[0].date()
    monday = first - timedelta(days=first.weekday())
    days = pd.date_range(monday, daily_minutes.index[-1], freq="D")
    values = daily_minutes.reindex(days)
    weeks = (len(days) + 6) // 7
    grid = np.full(weeks * 7, np.nan)
    grid[:len(values)] = values.to_numpy()
    z = grid.reshape(weeks, 7).T
    labels = np.array([day.date().isoformat() for day in days] + [""] * (weeks * 7 - len(days)))
    figure = _figure(trace(
        "heatmap", x=[(monday + timedelta(weeks=n)).isoformat() for n in range(weeks)],
        y=["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"],
        z=np.round(z, 1).tolist(), customdata=labels.reshape(weeks, 7).T.tolist(),
        colorscale=[[0.0, "#ebedf0"], [0.0001, "#ffd8c2"], [0.5, "#fc7a3c"],
                    [1.0, "#a52a00"]],
        zmin=0, zmax=max(60.0, float(np.nanquantile(values, 0.98)) if len(values) else 60.0),
        xgap=2, ygap=2, hoverongaps=False, colorbar={"title": {"text": "min"}, "thickness": 10},
        hovertemplate="%{customdata}: %{z:.0f} min<extra></extra>"))
    update_layout(figure, yaxis={"autorange": "reversed", "fixedrange": True},
                         xaxis={"tickformat": "%b", "fixedrange": True, "showgrid": False},
                         plot_bgcolor="white")
    _layout(figure, "Training time per day (minutes, last 12 months)", height=250)
    update_layout(figure, hovermode="closest", margin={"l": 40, "r": 8, "t": 40, "b": 28})
    return figure


def fitness(load: pd.DataFrame, first: date) -> Figure:
    """Daily load (bars), fitness (42-day) and fatigue (7-day) averages and form (line)."""
    shown = load[load["day"] >= first]
    days = np.array([day.isoformat() for day in shown["day"]], dtype=object)
    figure = _figure([
        trace("bar", x=days, y=np.round(shown["load"].to_numpy(), 1), name="daily load",
              marker={"color": "rgba(120,120,120,0.35)"},
              hovertemplate="load %{y:.0f}<extra></extra>"),
        trace("scatter", x=days, y=np.round(shown["fitness"].to_numpy(), 1),
              name="fitness (42-day)", mode="lines", line={"color": "#1f77b4", "width": 2.5},
              hovertemplate="fitness %{y:.1f}<extra></extra>"),
        trace("scatter", x=days, y=np.round(shown["fatigue"].to_numpy(), 1),
              name="fatigue (7-day)", mode="lines", line={"color": "#c2185b", "width": 1.5},
              hovertemplate="fatigue %{y:.1f}<extra></extra>"),
        trace("scatter", x=days, y=np.round(shown["form"].to_numpy(), 1),
              name="form", mode="lines", line={"color": "#2ca02c", "width": 1.5,
                                               "dash": "dot"},
              hovertemplate="form %{y:+.1f}<extra></extra>"),
    ])
    update_layout(figure, yaxis={"title": {"text": "load"}}, bargap=0)
    _layout(figure, "Fitness trend (training load, 42-day and 7-day averages)", height=380)
    update_layout(figure, legend={"orientation": "h", "yanchor": "top", "y": -0.1, "x": 0,
                                 "xanchor": "left"}, margin={"b": 60})
    return figure


def kudos(weekly_kudos: pd.DataFrame) -> Figure:
    """Kudos per week (bars) and per activity (line), last 12 months."""
    per_activity = [round(k / n, 2) if n else None for k, n in
                    zip(weekly_kudos["total_kudos"], weekly_kudos["activity_count"], strict=True)]
    weeks = _iso(weekly_kudos["week_start"])
    figure = _figure([
        trace("bar", x=weeks, y=[int(v) for v in weekly_kudos["total_kudos"]], name="kudos",
              marker={"color": "#fc4c02"}, hovertemplate="%{y} kudos<extra></extra>"),
        trace("scatter", x=weeks, y=per_activity, name="per activity", yaxis="y2", mode="lines",
              line={"color": "#333333", "width": 1.5},
              hovertemplate="%{y} per activity<extra></extra>"),
    ])
    update_layout(
        figure, yaxis={"title": {"text": "kudos"}},
        yaxis2={"overlaying": "y", "side": "right", "showgrid": False, "rangemode": "tozero"},
        bargap=0.15)
    return _layout(figure, "Kudos per week", height=300)


def _map_layout(figure: Figure, views: list[View], height: int) -> Figure:
    view = views[0]
    update_layout(
        figure, xaxis={"range": [view.west, view.east], "visible": False},
        yaxis={"range": [-view.south, -view.north], "visible": False, "scaleanchor": "x",
               "scaleratio": 1},
        plot_bgcolor=MAP_BACKGROUND, showlegend=False, hovermode="closest",
        height=height, margin={"l": 4, "r": 4, "t": 36, "b": 4},
        updatemenus=[{
            "type": "buttons", "direction": "right", "x": 0, "xanchor": "left", "y": 1.0,
            "yanchor": "bottom", "pad": {"b": 2}, "font": {"size": 11},
            "buttons": [{"label": plain(v.name), "method": "relayout",
                         "args": [{"xaxis.range": [v.west, v.east],
                                   "yaxis.range": [-v.south, -v.north]}]} for v in views],
        }] if len(views) > 1 else [],
    )
    return figure


def route_map(routes: RouteSet, names: dict[int, str], units: Units,
              distances: dict[int, float], views: list[View]) -> Figure:
    """This week's routes in orange, a dot where each one started."""
    traces = []
    starts_x, starts_y, labels = [], [], []
    for index in np.flatnonzero(routes.this_week):
        x, y = routes.points(int(index))
        activity_id = int(routes.ids[index])
        traces.append(trace("scatter", x=x.astype(float), y=-y.astype(float), mode="lines",
                            line={"color": "#fc4c02", "width": 3}, hoverinfo="skip",
                            name=f"route {activity_id}"))
        starts_x.append(float(x[0]))
        starts_y.append(-float(y[0]))
        started = routes.start_local[index]
        distance = units.from_metres(distances.get(activity_id, 0.0))
        labels.append(f"{plain(names.get(activity_id, ''))}<br>{started:%a %d %b %H:%M} · "
                      f"{distance:.1f} {units.distance}")
    traces.append(trace("scatter", x=starts_x, y=starts_y, mode="markers", name="starts",
                        marker={"size": 9, "color": "white",
                                "line": {"color": "#fc4c02", "width": 2.5}},
                        hovertext=labels, hoverinfo="text"))
    return _map_layout(_figure(traces), views, height=460)


def route_heatmap(heats: list[Heat]) -> Figure:
    """How often each path is used: passes per cell over every route (newest routes if capped)."""
    traces = []
    for heat in heats:
        counts = heat.counts[::-1].astype(np.float32)
        counts[counts == 0] = np.nan
        nonzero = heat.counts[heat.counts > 0]
        top = float(np.quantile(nonzero, 0.98)) if len(nonzero) else 1.0
        traces.append(trace(
            "heatmap",
            x=heat.x_centres.astype(np.float32), y=(-heat.y_centres[::-1]).astype(np.float32),
            z=counts, zmin=1, zmax=max(2.0, top), colorscale=HEAT_COLOURS, showscale=False,
            hoverongaps=False, opacity=0.9, name=plain(heat.view.name),
            hovertemplate="%{z:.0f} passes<extra></extra>"))
    return _map_layout(_figure(traces), [heat.view for heat in heats], height=460)


def validation_history(validation: pd.DataFrame) -> Figure:
    """Checks per run date (latest attempt), stacked by outcome."""
    counts = validation.groupby(["run_date", "status"]).size().unstack(fill_value=0)
    runs = _iso(counts.index)
    statuses = [*STATUS_COLOURS, *sorted(set(counts.columns) - set(STATUS_COLOURS))]
    figure = _figure([
        trace("bar", x=runs, y=[int(v) for v in counts[status]], name=status,
              marker={"color": STATUS_COLOURS.get(status, "#777777")},
              hovertemplate=f"%{{y}} {plain(status)}<extra></extra>")
        for status in statuses if status in counts.columns
    ])
    update_layout(figure, barmode="stack", yaxis={"title": {"text": "checks"}},
                         xaxis={"type": "category"}, bargap=0.5)
    return _layout(figure, "Checks per run date (latest attempt of each date)", height=320)
