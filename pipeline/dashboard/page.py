"""The dashboard page: one self-contained HTML file (plotly.js inlined, no network needed)."""

from __future__ import annotations

import html
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

import pandas as pd
import plotly.graph_objects as go
from plotly.offline import get_plotlyjs

from pipeline.dashboard import figures
from pipeline.dashboard.data import DashboardData
from pipeline.dashboard.kudos import kudos_section
from pipeline.dashboard.routes import decode_routes, group_by_place

PLOT_CONFIG = {"displaylogo": False, "responsive": True}
VALIDATION_EMPTY = "no validation results yet"


@dataclass(frozen=True)
class Metric:
    """One headline number: its DOM id, label, exact value and how it is written."""

    element_id: str
    label: str
    value: float
    unit: str = ""
    decimals: int = 0

    @property
    def text(self) -> str:
        """The number as shown, e.g. '1,234.5'."""
        return f"{self.value:,.{self.decimals}f}"


def week_metrics(data: DashboardData) -> list[Metric]:
    """Headline numbers of the run date's week, from weekly_distance_by_sport."""
    week = data.weekly_distance[
        data.weekly_distance["week_start"].map(lambda day: pd.Timestamp(day).date())
        == data.week_start
    ]
    return [
        Metric("week-activities", "activities", int(week["activity_count"].sum())),
        Metric("week-distance-km", "distance", round(float(week["distance_km"].sum()), 2),
               "km", 1),
        Metric("week-moving-hours", "moving time", round(float(week["moving_hours"].sum()), 2),
               "h", 1),
        Metric("week-kudos", "kudos", int(week["total_kudos"].sum())),
    ]


def year_metrics(data: DashboardData) -> list[Metric]:
    """Headline numbers of the run date's year so far, from activity_summary_yearly."""
    rows = data.yearly[data.yearly["activity_year"] == data.run_date.year]
    row = rows.iloc[0] if len(rows) else None

    def value(column: str) -> float:
        return 0.0 if row is None or pd.isna(row[column]) else float(row[column])

    return [
        Metric("year-activities", "activities", int(value("activity_count"))),
        Metric("year-distance-km", "distance", value("distance_km"), "km", 1),
        Metric("year-moving-hours", "moving time", value("moving_hours"), "h", 1),
        Metric("year-elevation-m", "climbing", value("elevation_gain_m"), "m", 0),
        Metric("year-kudos", "kudos", int(value("total_kudos"))),
        Metric("year-avg-kudos", "kudos per activity", value("avg_kudos"), "", 1),
    ]


def _cards(metrics: list[Metric]) -> str:
    return "".join(
        f'<div class="card"><div class="value" id="{metric.element_id}" '
        f'data-value="{metric.value!r}">{metric.text}'
        f'<span class="unit">{html.escape(metric.unit)}</span></div>'
        f'<div class="label">{html.escape(metric.label)}</div></div>'
        for metric in metrics
    )


def _cell(value: object, decimals: int | None = None) -> str:
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return "<td class=\"null\">–</td>"
    if decimals is not None:
        return f'<td class="num">{float(value):,.{decimals}f}</td>'
    if isinstance(value, float):
        return f'<td class="num">{value:,.6g}</td>'
    if isinstance(value, int):
        return f'<td class="num">{value}</td>'
    return f"<td>{html.escape(str(value))}</td>"


def _week_table(activities: pd.DataFrame) -> str:
    if activities.empty:
        return '<p class="empty" id="week-activities-empty">no activities this week</p>'
    rows = []
    for row in activities.sort_values(["start_date_local", "id"]).itertuples(index=False):
        started = pd.Timestamp(row.start_date_local)
        rows.append(
            f'<tr data-activity-id="{int(row.id)}">'
            f"<td>{started:%a %Y-%m-%d %H:%M}</td>"
            f'<td class="name">{html.escape(str(row.name)) if row.name is not None else "–"}</td>'
            f"{_cell(row.sport_type)}{_cell(row.workout_type_label)}"
            f"{_cell(row.distance_km, 2)}{_cell(row.moving_minutes, 1)}"
            f"{_cell(row.elevation_gain_m, 1)}{_cell(row.kudos_count)}{_cell(row.comment_count)}"
            "</tr>"
        )
    return (
        '<table id="table-week-activities"><thead><tr><th>start (local)</th><th>name</th>'
        "<th>sport</th><th>workout</th><th>km</th><th>minutes</th><th>climb (m)</th>"
        "<th>kudos</th><th>comments</th></tr></thead><tbody>" + "".join(rows)
        + "</tbody></table>"
    )


def _validation_table(validation: pd.DataFrame) -> str:
    latest_run = validation["run_date"].max()
    latest = validation[validation["run_date"] == latest_run]
    rows = "".join(
        f'<tr class="status-{html.escape(str(row.status))}">{_cell(row.check_name)}'
        f'<td><span class="badge">{html.escape(str(row.status))}</span></td>'
        f"{_cell(row.severity)}{_cell(row.left_value)}{_cell(row.operator)}"
        f"{_cell(row.right_value)}{_cell(row.message)}</tr>"
        for row in latest.itertuples(index=False)
    )
    return (
        f"<h3>Checks of the run of {html.escape(str(latest_run))}</h3>"
        '<table id="table-validation"><thead><tr><th>check</th><th>status</th><th>severity</th>'
        "<th>value</th><th>operator</th><th>expected</th><th>message</th></tr></thead>"
        f"<tbody>{rows}</tbody></table>"
    )


def _chart(figure: go.Figure, key: str) -> str:
    return figure.to_html(full_html=False, include_plotlyjs=False,
                          div_id=figures.CHART_IDS[key], config=PLOT_CONFIG)


STYLE = """
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; margin: 0;
       background: #f6f6f4; color: #222; }
header { background: #fc4c02; color: white; padding: 16px 28px; }
header h1 { margin: 0; font-size: 24px; }
header p { margin: 4px 0 0; opacity: 0.9; }
.sandbox { background: #222; color: #ffd54f; padding: 6px 28px; font-weight: 600; }
main { padding: 12px 28px 40px; max-width: 1400px; margin: 0 auto; }
section { background: white; border-radius: 8px; padding: 12px 16px; margin: 14px 0;
          box-shadow: 0 1px 3px rgba(0,0,0,0.08); }
section h2 { margin: 4px 0 8px; font-size: 18px; }
.grid { display: grid; grid-template-columns: 1fr 1fr; gap: 14px; }
.grid section { margin: 0; }
@media (max-width: 1000px) { .grid { grid-template-columns: 1fr; } }
.cards { display: flex; flex-wrap: wrap; gap: 12px; }
.card { background: #fafafa; border: 1px solid #eee; border-radius: 6px; padding: 10px 16px;
        min-width: 130px; }
.card .value { font-size: 26px; font-weight: 700; }
.card .unit { font-size: 14px; font-weight: 400; margin-left: 4px; color: #666; }
.card .label { color: #666; font-size: 13px; }
table { border-collapse: collapse; width: 100%; font-size: 14px; }
th, td { text-align: left; padding: 5px 8px; border-bottom: 1px solid #eee;
         vertical-align: top; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
td.name { white-space: pre-wrap; }
td.null { color: #aaa; }
.badge { padding: 1px 8px; border-radius: 10px; background: #ddd; }
.status-pass .badge { background: #c8e6c9; } .status-warn .badge { background: #ffe0b2; }
.status-fail .badge, .status-error .badge { background: #ffcdd2; }
.empty { color: #777; font-style: italic; }
footer { color: #888; font-size: 12px; text-align: center; padding: 10px; }
"""


def render_dashboard(data: DashboardData, generated_at: datetime | None = None) -> str:
    """The whole dashboard as one HTML document."""
    generated = generated_at or datetime.now(timezone.utc).replace(tzinfo=None)
    week_end = data.week_start + timedelta(days=6)
    routes = decode_routes(data.routes, data.week_start)
    places = group_by_place(routes)
    latest = max(routes, key=lambda route: route.start_date_local) if routes else None
    initial = next((place for place in places if latest and place.name == latest.place), None)

    if data.validation.empty:
        validation_html = f'<p class="empty" id="validation-empty">{VALIDATION_EMPTY}</p>'
    else:
        validation_html = (_chart(figures.validation_history(data.validation),
                                  "validation_history") + _validation_table(data.validation))
    map_html = (_chart(figures.route_map(places, initial), "route_map") if routes
                else '<p class="empty" id="route-map-empty">no routes with GPS yet</p>')
    sandbox = ('<div class="sandbox">SANDBOX: synthetic data from the local fake Strava, '
               "not your activities</div>") if data.sandbox else ""
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Strava dashboard — week of {data.week_start:%Y-%m-%d}</title>
<link rel="icon" href="data:,">
<style>{STYLE}</style>
<script type="text/javascript">{get_plotlyjs()}</script>
</head>
<body>
<header><h1>Strava dashboard</h1>
<p>Run of {data.run_date:%A %Y-%m-%d} · week {data.week_start:%Y-%m-%d} to {week_end:%Y-%m-%d}
(local time)</p></header>
{sandbox}
<main>
<section id="headline">
<h2>This week ({data.week_start:%b %d} – {week_end:%b %d})</h2>
<div class="cards" id="headline-week">{_cards(week_metrics(data))}</div>
<h2>{data.run_date.year} so far</h2>
<div class="cards" id="headline-year">{_cards(year_metrics(data))}</div>
</section>
<section id="section-kudos-over-time">{_chart(figures.kudos_over_time(data.weekly_distance),
                                              "kudos_over_time")}</section>
<div class="grid">
<section id="section-monthly-distance">{_chart(figures.monthly_distance(data.monthly_distance),
                                               "monthly_distance")}</section>
<section id="section-kudos-by-workout-type">{_chart(
    figures.kudos_by_workout_type(data.kudos_by_workout), "kudos_by_workout_type")}</section>
</div>
<section id="section-weekly-kudos-change">{_chart(
    figures.weekly_kudos_change(data.weekly_kudos_change, data.week_start),
    "weekly_kudos_change")}</section>
<section id="section-route-map"><h2>Routes ({len(routes)} with GPS; this week's in orange)</h2>
{map_html}</section>
<section id="section-week-activities"><h2>New this week ({len(data.week_activities)})</h2>
{_week_table(data.week_activities)}</section>
{kudos_section(data.kudos)}
<section id="section-validation"><h2>Validation history</h2>
{validation_html}</section>
</main>
<footer>Generated {generated:%Y-%m-%d %H:%M} UTC from the warehouse's model tables.</footer>
</body>
</html>
"""
