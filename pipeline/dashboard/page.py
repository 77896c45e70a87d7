"""The dashboard and validation pages: HTML with each chart's data, assets loaded by path."""

from __future__ import annotations

import html
import json
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from functools import cache
from importlib import resources

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import plotly.io as pio
from _plotly_utils.utils import convert_to_base64

from pipeline.dashboard import assets, figures, training
from pipeline.dashboard.data import DashboardData
from pipeline.dashboard.options import Units
from pipeline.dashboard.routes import RouteSet, View, frame_points, place_views, route_heat

STRAVA_ACTIVITY = "https://www.strava.com/activities/{id}"
PLOT_CONFIG = {"displaylogo": False, "responsive": True,
               "modeBarButtonsToRemove": ["select2d", "lasso2d"]}
VALIDATION_EMPTY = "no validation results yet"
MAX_TILE_ZOOM = 18
TEMPLATE_FILE = "package_data/templates/plotly_white.json"


@dataclass(frozen=True)
class Metric:
    """One headline number: its DOM id, label, exact value and how it is written."""

    element_id: str
    label: str
    value: float
    unit: str = ""
    decimals: int = 0
    text_override: str | None = None

    @property
    def text(self) -> str:
        """The number as shown, e.g. '1,234.5'."""
        return self.text_override or f"{self.value:,.{self.decimals}f}"


@dataclass
class Section:
    """One panel of the page: an id, a title, its HTML and the figures it draws."""

    section_id: str
    title: str
    body: str
    charts: dict[str, go.Figure | figures.Figure] = field(default_factory=dict)
    wide: bool = False


def hours_text(seconds: float) -> str:
    """Moving time as h:mm."""
    minutes = round(seconds / 60)
    return f"{minutes // 60}:{minutes % 60:02d}"


def week_metrics(data: DashboardData) -> list[Metric]:
    """This week's totals: runs, rides, the rest and all, each with count, distance, time."""
    units = data.options.units
    totals = training.totals_by_family(data.activities, data.week_start, data.run_date)
    metrics = []
    for family in [*totals, None]:
        if family is None:
            key, label = "total", "all"
            count = sum(t.activity_count for t in totals)
            metres = sum(t.distance_m for t in totals)
            seconds = sum(t.moving_time_s for t in totals)
        else:
            key, label = family.family, training.FAMILY_LABELS[family.family]
            count, metres, seconds = family.activity_count, family.distance_m, family.moving_time_s
        metrics += [
            Metric(f"week-{key}-count", f"{label}", count),
            Metric(f"week-{key}-distance", f"{label}: distance",
                   round(units.from_metres(metres), 2), units.distance, 1),
            Metric(f"week-{key}-hours", f"{label}: moving time", round(seconds / 3600, 4), "h",
                   text_override=hours_text(seconds)),
        ]
    return metrics


def year_metrics(data: DashboardData) -> list[Metric]:
    """The run date's year so far, over every activity."""
    units = data.options.units
    days = data.activities["start_date_local"].dt.date
    year = data.activities[(days >= data.run_date.replace(month=1, day=1))
                           & (days <= data.run_date)]
    return [
        Metric("year-activities", "activities", len(year)),
        Metric("year-distance", "distance", round(units.from_metres(year["distance_m"].sum()), 1),
               units.distance, 0),
        Metric("year-moving-hours", "moving time", round(year["moving_time_s"].sum() / 3600, 1),
               "h", 0),
        Metric("year-elevation", "climbing",
               round(units.climb_from_metres(year["elevation_gain_m"].sum())), units.climb, 0),
        Metric("year-kudos", "kudos", int(year["kudos_count"].fillna(0).sum())),
    ]


def _cards(metrics: list[Metric], group: int = 1) -> str:
    cards = []
    for start in range(0, len(metrics), group):
        chunk = metrics[start:start + group]
        values = "".join(
            f'<div class="value" id="{m.element_id}" data-value="{float(m.value)!r}">{m.text}'
            f'<span class="unit">{html.escape(m.unit)}</span></div>' for m in chunk)
        cards.append(f'<div class="card"><div class="label">{html.escape(chunk[0].label)}</div>'
                     f"{values}</div>")
    return "".join(cards)


def _cell(value: object, decimals: int | None = None, css: str = "num") -> str:
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return '<td class="null">–</td>'
    if decimals is not None:
        return f'<td class="{css}">{float(value):,.{decimals}f}</td>'
    if isinstance(value, (int, np.integer)):
        return f'<td class="{css}">{int(value)}</td>'
    return f"<td>{html.escape(str(value))}</td>"


def _link(activity_id: int, name: object) -> str:
    text = html.escape(str(name)) if name is not None and not pd.isna(name) else "–"
    return (f'<a href="{STRAVA_ACTIVITY.format(id=int(activity_id))}" rel="noopener" '
            f'target="_blank">{text}</a>')


def pace_or_speed(units: Units, family: str, metres: float, seconds: float) -> str | None:
    """Pace for runs (and walks, hikes, swims without speed sense), speed for rides."""
    if family == "ride":
        speed = units.speed_value(metres, seconds)
        return None if speed is None else f"{speed:.1f} {units.speed}"
    return units.pace_text(metres, seconds)


def week_table(data: DashboardData) -> str:
    """The run's week, one row per activity, each linked to Strava."""
    units = data.options.units
    days = data.activities["start_date_local"].dt.date
    week = data.activities[(days >= data.week_start) & (days <= data.run_date)]
    if week.empty:
        return '<p class="empty" id="week-activities-empty">no activities this week</p>'
    rows = []
    for row in week.sort_values(["start_date_local", "id"]).itertuples(index=False):
        pace = pace_or_speed(units, row.sport_family, row.distance_m, row.moving_time_s)
        rows.append(
            f'<tr data-activity-id="{int(row.id)}">'
            f"<td>{row.start_date_local:%a %d %b %H:%M}</td>"
            f'<td class="name">{_link(row.id, row.name)}</td>'
            f"{_cell(row.sport_type)}{_cell(row.workout_type_label)}"
            f"{_cell(units.from_metres(row.distance_m), 2)}"
            f'<td class="num">{hours_text(row.moving_time_s)}</td>'
            f'{_cell(pace)}{_cell(row.average_heartrate, 0)}'
            f"{_cell(units.climb_from_metres(row.elevation_gain_m), 0)}"
            f"{_cell(row.kudos_count)}</tr>")
    return (
        '<div class="table-scroll"><table id="table-week-activities"><thead><tr>'
        "<th>start (local)</th><th>name</th><th>sport</th><th>workout</th>"
        f"<th>{units.distance}</th><th>time</th><th>pace / speed</th><th>avg HR</th>"
        f"<th>climb ({units.climb})</th><th>kudos</th></tr></thead><tbody>"
        + "".join(rows) + "</tbody></table></div>")


def records_table(data: DashboardData) -> str:
    """Personal bests from the summary data, each linked to its activity."""
    units = data.options.units
    found = training.records(data.activities) if data.records is None else data.records
    if not found:
        return '<p class="empty" id="records-empty">no records yet</p>'
    rows = []
    for record in found:
        if record.key.startswith("pace"):
            value = units.pace_text(record.distance_m, record.moving_time_s) or "–"
            detail = f"{units.from_metres(record.distance_m):.2f} {units.distance} in " \
                     f"{hours_text(record.moving_time_s)}"
        elif record.key == "biggest_climb":
            value = f"{units.climb_from_metres(record.value):,.0f} {units.climb}"
            detail = f"{units.from_metres(record.distance_m):.1f} {units.distance}"
        else:
            value = f"{units.from_metres(record.value):,.2f} {units.distance}"
            detail = hours_text(record.moving_time_s)
        rows.append(
            f'<tr data-record="{record.key}" data-activity-id="{record.activity_id}">'
            f"<td>{html.escape(record.label)}</td><td class=\"num\">{html.escape(value)}</td>"
            f'<td class="name">{_link(record.activity_id, record.name)}</td>'
            f"<td>{record.start_date_local:%Y-%m-%d}</td><td>{html.escape(detail)}</td></tr>")
    return ('<div class="table-scroll"><table id="table-records"><thead><tr><th>record</th>'
            "<th>best</th><th>activity</th><th>date</th><th></th></tr></thead><tbody>"
            + "".join(rows) + "</tbody></table></div>")


def _figure_json(figure: go.Figure | figures.Figure) -> str:
    """A figure's JSON for the page, without its template (the page applies plotly_white).

    A plain figure's NumPy arrays become plotly.js typed arrays (base64), as plotly.py's
    graph objects write theirs."""
    if isinstance(figure, dict):
        convert_to_base64(figure)
    payload = json.loads(pio.to_json(figure, validate=False))
    payload["layout"].pop("template", None)
    return json.dumps(payload, separators=(",", ":")).replace("<", "\\u003c")


def _charts(section: Section) -> str:
    return "".join(
        f'<div class="chart" id="{chart_id}"></div>'
        f'<script type="application/json" class="figure" data-chart="{chart_id}">'
        f"{_figure_json(figure)}</script>"
        for chart_id, figure in section.charts.items())


@cache
def _template_json() -> str:
    """The plotly_white template, sent once per page instead of once per chart: plotly's own
    file, read as it is (building ``pio.templates["plotly_white"]`` validates it through
    plotly.py's graph objects, which load 3 MB of validator JSON first: issue 23)."""
    text = resources.files("plotly").joinpath(TEMPLATE_FILE).read_text(encoding="utf-8")
    template = json.loads(text)
    return json.dumps({"data": template["data"], "layout": template["layout"]},
                      separators=(",", ":"))


def _map_sections(data: DashboardData, routes: RouteSet, tiles: bool) -> list[Section]:
    units = data.options.units
    if len(routes) == 0:
        return [Section("section-maps", "Routes",
                        '<p class="empty" id="route-map-empty">no routes with GPS yet</p>',
                        wide=True)]
    views = place_views(routes)
    bounds = routes.bounds()
    note = '<p class="map-note" data-tiles-for="{id}" hidden></p>' if tiles else ""
    capped = (f" (the newest {len(routes):,} routes)" if routes.capped else
              f" ({len(routes):,} routes)")
    heat = Section("section-route-heatmap", f"Where you train{capped}",
                   note.format(id=figures.CHART_IDS["route_heatmap"]),
                   {figures.CHART_IDS["route_heatmap"]:
                    figures.route_heatmap([route_heat(routes, view, bounds=bounds)
                                           for view in views])})
    if not routes.this_week.any():
        week = Section("section-route-map", "This week's routes",
                       '<p class="empty" id="route-map-empty">no routes with GPS this week</p>')
        return [week, heat]
    owner = np.repeat(np.arange(len(routes)), routes.counts)
    mask = routes.this_week[owner]
    week_view = frame_points("this week", routes.x[mask], routes.y[mask], robust=False)
    week_views = [week_view, *[View(v.name, v.west, v.east, v.north, v.south) for v in views]]
    week_ids = set(routes.ids[routes.this_week].tolist())
    activities = data.activities[data.activities["id"].isin(week_ids)].set_index("id")
    names = activities["name"].to_dict()
    distances = activities["distance_m"].to_dict()
    count = int(routes.this_week.sum())
    week = Section("section-route-map", f"This week's routes ({count})",
                   note.format(id=figures.CHART_IDS["route_map"]),
                   {figures.CHART_IDS["route_map"]:
                    figures.route_map(routes, names, units, distances, week_views)})
    return [week, heat]


def dashboard_sections(data: DashboardData, routes: RouteSet,
                       extra: list[Section] | None = None) -> list[Section]:
    """Every panel in page order: training first, then the week, maps, records, kudos."""
    units = data.options.units
    acts = data.activities
    weekly = training.weekly_by_family(acts, data.week_start)
    first_day = data.week_start - timedelta(weeks=training.TRAINING_WEEKS - 1)
    ids = figures.CHART_IDS
    tiles = data.options.tile_url is not None
    sections = [
        Section("section-weekly-distance", "",
                "", {ids["weekly_distance"]: figures.weekly_distance(weekly, units)}),
        Section("section-weekly-time", "", "", {ids["weekly_time"]: figures.weekly_time(weekly)}),
        Section("section-year-over-year", "", "", {ids["year_over_year"]: figures.year_over_year(
            training.cumulative_distance_by_year(data.history, data.run_date),
            data.run_date.year,
            units)}),
        Section("section-fitness", "",
                '<p class="note">Load: Strava\'s Relative Effort (suffer score) where present, '
                "else moving minutes. Fitness and fatigue: 42-day and 7-day exponentially "
                "weighted averages of daily load; form = fitness − fatigue.</p>",
                {ids["fitness"]: figures.fitness(
                    training.training_load(data.history, data.run_date), first_day)}),
        Section("section-calendar", "", "", {ids["calendar"]: figures.calendar(
            training.daily_moving_minutes(acts, first_day, data.run_date))}, wide=True),
        Section("section-week-activities",
                f"This week's activities ({data.week_start:%a %d %b} – {data.run_date:%a %d %b})",
                week_table(data), wide=True),
        *_map_sections(data, routes, tiles),
        Section("section-records", "Records", records_table(data), wide=True),
        Section("section-kudos", "", "", {ids["kudos"]: figures.kudos(
            training.weekly_kudos(acts, data.week_start))}, wide=True),
    ]
    sections += extra or []
    return sections


def _section_html(section: Section) -> str:
    title = f"<h2>{html.escape(section.title)}</h2>" if section.title else ""
    css = ' class="wide"' if section.wide else ""
    return (f'<section id="{section.section_id}"{css}>{title}{_charts(section)}{section.body}'
            "</section>")


STYLE = """
*, *::before, *::after { box-sizing: border-box; }
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; margin: 0;
       background: #f6f6f4; color: #222; }
header { background: #fc4c02; color: white; padding: 14px 20px; }
header h1 { margin: 0; font-size: 22px; }
header p { margin: 4px 0 0; opacity: 0.95; }
header a { color: white; }
.sandbox { background: #222; color: #ffd54f; padding: 6px 20px; font-weight: 600; }
main { padding: 10px 16px 32px; max-width: 1400px; margin: 0 auto; }
.panels { display: grid; grid-template-columns: repeat(2, minmax(0, 1fr)); gap: 12px; }
section { background: white; border-radius: 8px; padding: 10px 12px; min-width: 0;
          box-shadow: 0 1px 3px rgba(0,0,0,0.08); }
section.wide { grid-column: 1 / -1; }
section h2 { margin: 4px 0 8px; font-size: 16px; }
@media (max-width: 900px) { .panels { grid-template-columns: minmax(0, 1fr); } }
.chart { width: 100%; min-width: 0; }
.cards { display: flex; flex-wrap: wrap; gap: 10px; margin-bottom: 12px; }
.card { background: white; border-radius: 8px; padding: 8px 14px; min-width: 140px; flex: 1 1 140px;
        box-shadow: 0 1px 3px rgba(0,0,0,0.08); }
.card .value { font-size: 18px; font-weight: 600; }
.card .value:first-of-type { font-size: 26px; font-weight: 700; }
.card .unit { font-size: 13px; font-weight: 400; margin-left: 3px; color: #666; }
.card .label { color: #666; font-size: 13px; text-transform: capitalize; }
h2.group { font-size: 15px; margin: 14px 0 6px; color: #444; }
.table-scroll { overflow-x: auto; max-width: 100%; }
table { border-collapse: collapse; width: 100%; font-size: 14px; }
th, td { text-align: left; padding: 5px 8px; border-bottom: 1px solid #eee; vertical-align: top; }
td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
td.name { white-space: pre-wrap; min-width: 10em; }
td.null { color: #aaa; }
a { color: #c43d00; }
.badge { padding: 1px 8px; border-radius: 10px; background: #ddd; }
.status-pass .badge { background: #c8e6c9; } .status-warn .badge { background: #ffe0b2; }
.status-fail .badge, .status-error .badge { background: #ffcdd2; }
.empty, .note, .map-note { color: #666; font-size: 13px; }
.empty { font-style: italic; }
#charts-status { background: #ffcdd2; padding: 8px 20px; }
footer { color: #888; font-size: 12px; text-align: center; padding: 10px; }
"""


def _document(title: str, header: str, body: str, config: dict[str, object],
              sandbox: bool, generated: datetime) -> str:
    banner = ('<div class="sandbox">SANDBOX: synthetic data from the local fake Strava, '
              "not your activities</div>") if sandbox else ""
    config_json = json.dumps(config, separators=(",", ":")).replace("<", "\\u003c")
    template = _template_json()
    config_json = config_json[:-1] + f',"template":{template}}}'
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{html.escape(title)}</title>
<link rel="icon" href="data:,">
<style>{STYLE}</style>
</head>
<body>
<header>{header}</header>
{banner}
<div id="charts-status" hidden></div>
<main>
{body}
</main>
<footer>Generated {generated:%Y-%m-%d %H:%M} UTC from the warehouse.</footer>
<script type="application/json" id="dashboard-config">{config_json}</script>
<script src="{assets.relative(assets.plotly_asset())}"></script>
<script src="{assets.relative(assets.script_asset())}"></script>
</body>
</html>
"""


def _config(data: DashboardData, maps: bool) -> dict[str, object]:
    tiles = None
    if data.options.tile_url and maps:
        tiles = {"url": data.options.tile_url, "attribution": data.options.tile_attribution,
                 "maxZoom": MAX_TILE_ZOOM}
    return {"plot": PLOT_CONFIG, "plotly": assets.relative(assets.plotly_asset()),
            "maps": list(figures.MAP_CHARTS), "tiles": tiles}


def _freshness(data: DashboardData) -> str:
    """' · data loaded from Strava up to ...': how fresh the page's data is."""
    if data.read_at is None:
        return ""
    return (f' · <span id="freshness">data loaded from Strava up to '
            f"{data.read_at:%Y-%m-%d %H:%M} UTC</span>")


def week_heading(data: DashboardData) -> str:
    """'This week', or 'This week, unfinished: Mon 23 Nov – Sat 28 Nov' when the run date is
    not the week's Sunday."""
    if data.week_finished:
        return "This week"
    return (f'This week, <span id="week-unfinished">unfinished: {data.week_start:%a %d %b} – '
            f"{data.run_date:%a %d %b}</span>")


def render_dashboard(data: DashboardData, routes: RouteSet,
                     extra: list[Section] | None = None,
                     generated_at: datetime | None = None) -> str:
    """The dashboard page of the run date."""
    generated = generated_at or datetime.now(timezone.utc).replace(tzinfo=None)
    sections = dashboard_sections(data, routes, extra)
    units = data.options.units
    header = (f"<h1>Training · week of {data.week_start:%d %b %Y}</h1>"
              f"<p>Run of {data.run_date:%A %Y-%m-%d} (local time) · distances in "
              f"{units.distance} · <a href=\"validation.html\" id=\"link-validation\">data "
              f"checks</a>{_freshness(data)}</p>")
    body = (f'<h2 class="group">{week_heading(data)}</h2><div class="cards" id="headline-week">'
            f"{_cards(week_metrics(data), group=3)}</div>"
            f'<h2 class="group">{data.run_date.year} so far</h2>'
            f'<div class="cards" id="headline-year">{_cards(year_metrics(data))}</div>'
            f'<div class="panels">{"".join(_section_html(s) for s in sections)}</div>')
    return _document(f"Training — week of {data.week_start:%Y-%m-%d}", header, body,
                     _config(data, maps=True), data.sandbox, generated)


def _validation_table(validation: pd.DataFrame, run_date: object) -> str:
    rows = validation[validation["run_date"].map(lambda d: pd.Timestamp(d).date())
                      == pd.Timestamp(run_date).date()]
    if rows.empty:
        return f'<p class="empty" id="validation-run-empty">no checks for {run_date} yet</p>'
    body = "".join(
        f'<tr class="status-{html.escape(str(row.status))}">{_cell(row.check_name)}'
        f'<td><span class="badge">{html.escape(str(row.status))}</span></td>'
        f"{_cell(row.severity)}{_cell(row.left_value, 4)}{_cell(row.operator)}"
        f"{_cell(row.right_value, 4)}{_cell(row.message)}</tr>"
        for row in rows.itertuples(index=False))
    return ('<div class="table-scroll"><table id="table-validation"><thead><tr><th>check</th>'
            "<th>status</th><th>severity</th><th>value</th><th>operator</th><th>expected</th>"
            f"<th>message</th></tr></thead><tbody>{body}</tbody></table></div>")


def render_validation(data: DashboardData, generated_at: datetime | None = None) -> str:
    """The validation page beside the dashboard: history and the run date's checks."""
    generated = generated_at or datetime.now(timezone.utc).replace(tzinfo=None)
    header = ("<h1>Data checks</h1>"
              f"<p>Up to the run of {data.run_date:%Y-%m-%d} · latest attempt of each date · "
              '<a href="dashboard.html" id="link-dashboard">back to the dashboard</a></p>')
    if data.validation.empty:
        body = (f'<section class="wide"><p class="empty" id="validation-empty">'
                f"{VALIDATION_EMPTY}</p></section>")
    else:
        history = Section("section-validation-history", "", "", {
            figures.CHART_IDS["validation_history"]: figures.validation_history(
                data.validation)}, wide=True)
        checks = Section("section-validation-run", f"Checks of the run of {data.run_date}",
                         _validation_table(data.validation, data.run_date), wide=True)
        body = f'<div class="panels">{_section_html(history)}{_section_html(checks)}</div>'
    return _document(f"Data checks — {data.run_date:%Y-%m-%d}", header, body,
                     _config(data, maps=False), data.sandbox, generated)
