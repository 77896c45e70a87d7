"""Build a run date's report folder: dashboard.html and validation.html, assets once.

Layout of ``$DATA_DIR/reports/`` (the lake holds the same keys under ``reports/``)::

    assets/plotly-<version>.min.js, assets/dashboard-<hash>.js   written once
    YYYY-MM-DD/dashboard.html, YYYY-MM-DD/validation.html        one folder per run date
    latest/dashboard.html, latest/validation.html                the newest run date's pages
    index.html                                                   every run date, newest first
"""

from __future__ import annotations

import os
import re
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from pipeline.backends.warehouse import Warehouse
from pipeline.dashboard import assets
from pipeline.dashboard.data import (
    DashboardData,
    MartsNotBuiltError,
    marts_read,
    read_activities,
    read_daily_totals,
    read_freshness,
    read_records,
    read_route_frame,
    read_validation,
)
from pipeline.dashboard.kudos import kudos_panel
from pipeline.dashboard.options import DashboardOptions
from pipeline.dashboard.page import Section, render_dashboard, render_validation
from pipeline.dashboard.routes import MAX_ROUTES, RouteSet, build_route_frame
from pipeline.dashboard.streams import streams_panel

DASHBOARD_FILE = "dashboard.html"
VALIDATION_FILE = "validation.html"
LATEST_FOLDER = "latest"
RUN_FOLDER = re.compile(r"^\d{4}-\d{2}-\d{2}$")


SectionBuilder = Callable[[Warehouse, DashboardData], "Section | None"]
# Optional panels placed after the kudos panel, in this order: each builder gets the warehouse
# and the run's data and returns a Section (its id, title, HTML and plotly figures) or None to
# leave it out. The kudos model's section (pipeline/dashboard/kudos.py) registers here.
OPTIONAL_SECTIONS: list[SectionBuilder] = [kudos_panel, streams_panel]


def optional_sections(warehouse: Warehouse, data: DashboardData) -> list[Section]:
    """The optional panels that have something to show."""
    built = (builder(warehouse, data) for builder in OPTIONAL_SECTIONS)
    return [section for section in built if section is not None]


@dataclass
class Pages:
    """The two HTML pages of one run date."""

    dashboard: str
    validation: str


def load(warehouse: Warehouse, run_date: date, options: DashboardOptions,
         sandbox: bool = False, max_routes: int = MAX_ROUTES, athlete_id: int = 0,
         only_athlete: bool = True) -> tuple[DashboardData, RouteSet]:
    """Read the activities, validation results and (streamed, capped) routes of a run date.

    One read transaction (one connection); the schema is made sure of first, so a warehouse
    without activities yet gives empty pages rather than an error. Activities come from the
    marts, which the pipeline builds before the dashboard: a warehouse without them is a
    one-line MartsNotBuiltError. ``athlete_id``: only that athlete's rows (issue 26).
    """
    warehouse.ensure_schema()
    missing = [name for name in marts_read() if not warehouse.table_exists(name)]
    if missing:
        raise MartsNotBuiltError(
            f"the warehouse has no {', '.join(missing)} yet, the mart(s) the dashboard reads: "
            f"run the pipeline for {run_date.isoformat()}, which builds them before the dashboard")
    with warehouse.transaction() as session:
        data = DashboardData(run_date, read_activities(session, run_date, athlete_id),
                             read_validation(session, run_date, athlete_id), options, sandbox,
                             read_freshness(session), athlete_id, only_athlete,
                             read_daily_totals(session, run_date, athlete_id),
                             read_records(session, run_date, athlete_id))
        routes = build_route_frame(read_route_frame(session, run_date, max_routes, athlete_id),
                                   data.week_start, max_routes=max_routes)
    return data, routes


def render_pages(data: DashboardData, routes: RouteSet,
                 extra: list[Section] | None = None) -> Pages:
    """Both pages as HTML text."""
    return Pages(render_dashboard(data, routes, extra), render_validation(data))


def write_atomic(path: Path, content: bytes) -> None:
    """Write a file through a temporary sibling and a rename (never half-written)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(content)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(temporary, 0o666 & ~umask)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def write_assets(reports_dir: Path) -> list[Path]:
    """The shared assets in ``reports/assets/`` (skipped when already there)."""
    written = []
    for name, content in assets.asset_files().items():
        path = reports_dir / assets.ASSET_FOLDER / name
        if not path.exists() or path.stat().st_size != len(content):
            write_atomic(path, content)
        written.append(path)
    return written


def run_dates(reports_dir: Path) -> list[date]:
    """Run dates that have a dashboard folder, newest first."""
    if not reports_dir.is_dir():
        return []
    found = [date.fromisoformat(child.name) for child in reports_dir.iterdir()
             if RUN_FOLDER.match(child.name) and (child / DASHBOARD_FILE).exists()]
    return sorted(found, reverse=True)


def index_page(reports_dir: Path) -> str:
    """A page linking the newest dashboard and every run date's."""
    items = "".join(
        f'<li><a href="{day.isoformat()}/{DASHBOARD_FILE}">week of {day:%Y-%m-%d}</a> · '
        f'<a href="{day.isoformat()}/{VALIDATION_FILE}">data checks</a></li>'
        for day in run_dates(reports_dir))
    return ('<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
            '<meta name="viewport" content="width=device-width, initial-scale=1">'
            "<title>Training dashboards</title></head><body style=\"font-family:system-ui\">"
            f'<h1>Training dashboards</h1><p><a href="{LATEST_FOLDER}/{DASHBOARD_FILE}">'
            f"the newest</a></p><ul>{items}</ul></body></html>")


def athletes_index_page(reports_dir: Path, athlete_ids: list[int], state: Any) -> str:
    """The operator's page of an install of several athletes (issue 26): each athlete by id
    with the newest run date its dashboard was built for and the newest run date loaded
    (its watermark); no name, no activity, no link into an athlete's folder."""
    rows = []
    for athlete in athlete_ids:
        built = run_dates(reports_dir / str(athlete))
        loaded = [day for day, _, _ in state.history(athlete)] if athlete else []
        rows.append(f"<tr><td>{int(athlete)}</td>"
                    f"<td>{built[0].isoformat() if built else 'none yet'}</td>"
                    f"<td>{max(loaded).isoformat() if loaded else 'none yet'}</td></tr>")
    return ('<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
            "<title>Athletes</title></head><body style=\"font-family:system-ui\">"
            "<h1>Athletes</h1><p>Each athlete's dashboards are in reports/&lt;athlete id&gt;/, "
            "to be served to that athlete alone.</p><table><tr><th>athlete id</th>"
            "<th>newest dashboard</th><th>newest run date loaded</th></tr>"
            f"{''.join(rows)}</table></body></html>")


def is_newest(reports_dir: Path, run_date: date) -> bool:
    """Whether no later run date has a dashboard (so latest/ should show this one)."""
    dates = run_dates(reports_dir)
    return not dates or run_date >= dates[0]
