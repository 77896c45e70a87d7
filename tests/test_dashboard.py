"""The dashboard of a sandbox run, opened in headless Chromium (Debian's chromium package)."""

from __future__ import annotations

import importlib.util
import shutil
from collections.abc import Iterator
from datetime import date, datetime
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd
import pytest

from pipeline.dashboard import CHART_IDS, VALIDATION_EMPTY
from tests.conftest import RUN_DATE, require_server
from tests.models_support import (
    HOSTILE_HTML_NAME,
    RUN_WEEK,
    ModelWorld,
    model_table,
    model_world,
)

VALIDATION_ROWS = [
    (date(2026, 11, 22), "duplicate_ids", 0.0, 0.0, "equals", "halt", "pass",
     "no duplicate ids", datetime(2026, 11, 22, 9, 0)),
    (date(2026, 11, 22), "weekly_activity_count_zscore", -2.4, -1.645, "greater_equals",
     "warn", "warn", "fewer activities than usual <b>&</b>", datetime(2026, 11, 22, 9, 0, 1)),
    (date(2026, 11, 15), "kudos_zscore", 0.3, -1.645, "greater_equals", "warn", "fail",
     "kudos <script>window.__pwned=1</script>", datetime(2026, 11, 15, 9, 0)),
]


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ModelWorld]:
    with model_world(tmp_path_factory.mktemp("dashboard")) as built:
        yield built


@pytest.fixture
def browser() -> Iterator[Any]:
    from pipeline.dashboard.browser import chromium_path, headless_chromium

    require_server(chromium_path() is not None,
                   "Chromium is not installed (apt-get install chromium)")
    require_server(importlib.util.find_spec("playwright") is not None,
                   "Playwright is not installed (pip install -e '.[dev]')")
    with headless_chromium() as opened:
        yield opened


class OpenedPage:
    """A page opened from a file, with what the browser logged and fetched."""

    def __init__(self, browser: Any, html_file: Path) -> None:
        self.errors: list[str] = []
        self.requests: list[str] = []
        self.dialogs: list[str] = []
        self.page = browser.new_page(viewport={"width": 1280, "height": 900})
        self.page.on("console", lambda m: m.type == "error" and self.errors.append(m.text))
        self.page.on("pageerror", lambda error: self.errors.append(str(error)))
        self.page.on("request", lambda request: self.requests.append(request.url))
        self.page.on("dialog", lambda dialog: (self.dialogs.append(dialog.message),
                                               dialog.dismiss()))
        self.page.goto(html_file.resolve().as_uri(), wait_until="load")
        self.page.wait_for_function(
            "() => [...document.querySelectorAll('.plotly-graph-div')]"
            ".every(div => div.querySelector('.main-svg'))")

    def js(self, script: str, argument: Any = None) -> Any:
        return self.page.evaluate(script, argument)

    def chart_data(self, chart: str) -> list[dict[str, Any]]:
        """The traces plotly drew in a chart (x, y, name of each)."""
        return self.js("id => document.getElementById(id).data.map(t => "
                       "({name: t.name, x: Array.from(t.x || []), y: Array.from(t.y || [])}))",
                       CHART_IDS[chart])

    def text(self, selector: str) -> str:
        return self.page.locator(selector).inner_text()


class _References(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.found: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if name in {"src", "href", "action", "srcset", "data"} and value and not (
                    value.startswith(("data:", "#"))):
                self.found.append(f"<{tag} {name}={value}>")


def external_references(page: str) -> list[str]:
    """Every src/href of the page's elements that would load something (script text aside)."""
    parser = _References()
    parser.feed(page)
    return parser.found


def _sums(frame: pd.DataFrame, by: str, column: str) -> dict[str, float]:
    return {pd.Timestamp(key).date().isoformat(): value
            for key, value in frame.groupby(by)[column].sum().items()}


def test_dashboard_task_writes_a_dated_self_contained_file_and_a_lake_copy(
        world: ModelWorld) -> None:
    html_file = world.data_dir / "reports" / RUN_DATE.isoformat() / "dashboard.html"
    lake_copy = world.data_dir / "lake" / "reports" / RUN_DATE.isoformat() / "dashboard.html"
    assert html_file.read_bytes() == lake_copy.read_bytes()
    page = html_file.read_text("utf-8")
    assert external_references(page) == []
    assert "Plotly.newPlot" in page and len(page) > 3_000_000  # plotly.js inlined
    assert HOSTILE_HTML_NAME not in page and "&lt;img src=x" in page
    for chart_id in CHART_IDS.values():
        if chart_id != "chart-validation-history":
            assert f'id="{chart_id}"' in page


def _dashboard_with_validation(world: ModelWorld, folder: Path, rows: list[tuple]) -> Path:
    """Render the dashboard of a copy of the run's warehouse holding these validation rows."""
    from pipeline.backends import open_warehouse
    from pipeline.dashboard import load_dashboard_data, render_dashboard

    warehouse_file = folder / "warehouse.duckdb"
    shutil.copy(world.warehouse_path, warehouse_file)
    with duckdb.connect(str(warehouse_file)) as db:
        db.execute("DELETE FROM validation_results")
        for row in rows:
            db.execute("INSERT INTO validation_results VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", row)
    data = load_dashboard_data(open_warehouse(f"duckdb:///{warehouse_file}"), RUN_DATE)
    html_file = folder / "dashboard.html"
    html_file.write_text(render_dashboard(data), "utf-8")
    return html_file


def test_dashboard_in_chromium_shows_every_chart_and_the_model_numbers(
        world: ModelWorld, browser: Any, tmp_path: Path) -> None:
    html_file = _dashboard_with_validation(world, tmp_path, VALIDATION_ROWS)
    opened = OpenedPage(browser, html_file)

    # Every chart is there, drawn and non-empty.
    for key, chart_id in CHART_IDS.items():
        traces = opened.chart_data(key)
        assert traces and sum(len(trace["x"]) for trace in traces) > 0, key
        drawn = opened.js("id => document.querySelectorAll(`#${id} .main-svg .trace`).length",
                          chart_id)
        assert drawn > 0, f"{key}: no trace drawn"

    # The map's route layer: long SVG paths of decoded polylines, this week's in orange.
    paths = opened.js("""() => [...document.querySelectorAll(
        '#chart-route-map .scatterlayer .trace path.js-line')].map(p => ({
            d: (p.getAttribute('d') || '').length, stroke: p.style.stroke}))""")
    routes = model_table(world.warehouse_path, "activity_routes")
    drawn_routes = [path for path in paths if path["d"] > 100]
    assert len(drawn_routes) >= len(routes) // 2, (len(drawn_routes), len(routes))
    assert any(path["stroke"] == "rgb(252, 76, 2)" and path["d"] > 100 for path in paths)

    screenshot = tmp_path / "dashboard.png"
    opened.page.screenshot(path=str(screenshot), full_page=True)
    assert screenshot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert screenshot.stat().st_size > 50_000

    # The numbers shown are the model tables' numbers.
    weekly = model_table(world.warehouse_path, "weekly_distance_by_sport")
    week = weekly[weekly["week_start"] == RUN_WEEK]
    yearly = model_table(world.warehouse_path, "activity_summary_yearly").set_index(
        "activity_year").loc[RUN_DATE.year]
    shown = {
        "week-activities": (week["activity_count"].sum(), 0),
        "week-distance-km": (week["distance_km"].sum(), 1),
        "week-moving-hours": (week["moving_hours"].sum(), 1),
        "week-kudos": (week["total_kudos"].sum(), 0),
        "year-activities": (yearly["activity_count"], 0),
        "year-distance-km": (yearly["distance_km"], 1),
        "year-moving-hours": (yearly["moving_hours"], 1),
        "year-elevation-m": (yearly["elevation_gain_m"], 0),
        "year-kudos": (yearly["total_kudos"], 0),
        "year-avg-kudos": (yearly["avg_kudos"], 1),
    }
    for element_id, (value, decimals) in shown.items():
        text = opened.text(f"#{element_id}")
        assert text.startswith(f"{float(value):,.{decimals}f}"), (element_id, text, value)
        data_value = float(opened.js(f"() => document.getElementById('{element_id}')"
                                     ".dataset.value"))
        assert data_value == pytest.approx(float(value), abs=1e-6)

    kudos_bars = opened.chart_data("kudos_over_time")[0]
    assert dict(zip(kudos_bars["x"], kudos_bars["y"], strict=True)) == _sums(
        weekly, "week_start", "total_kudos")

    monthly = model_table(world.warehouse_path, "monthly_distance_by_sport")
    for trace in opened.chart_data("monthly_distance"):
        rows = monthly[monthly["sport_type"] == trace["name"]]
        assert dict(zip(trace["x"], trace["y"], strict=True)) == pytest.approx(
            _sums(rows, "activity_month", "distance_km"))

    by_type = model_table(world.warehouse_path, "kudos_by_workout_type")
    for trace, family in zip(opened.chart_data("kudos_by_workout_type"), ("run", "ride"),
                             strict=True):
        rows = by_type[by_type["sport_family"] == family].sort_values("label_order")
        assert trace["x"] == [f"{trace['name']}: {label}" for label in rows["workout_type_label"]]
        assert trace["y"] == [None if pd.isna(v) else v for v in rows["avg_kudos"]]

    change = model_table(world.warehouse_path, "weekly_kudos_change")
    traces = opened.chart_data("weekly_kudos_change")
    assert len(traces) == 7
    for trace in traces:
        family, label = trace["name"].split(": ")
        rows = change[(change["sport_family"] == family)
                      & (change["workout_type_label"] == label)].sort_values("week_start")
        assert trace["x"] == [day.isoformat() for day in rows["week_start"]]
        assert trace["y"] == [None if pd.isna(v) else v for v in rows["kudos_change_pct"]]

    validation = opened.chart_data("validation_history")
    counts = {(x, trace["name"]): y for trace in validation
              for x, y in zip(trace["x"], trace["y"], strict=True) if y}
    assert counts == {("2026-11-15", "fail"): 1, ("2026-11-22", "pass"): 1,
                      ("2026-11-22", "warn"): 1}
    assert opened.page.locator("#table-validation tbody tr").count() == 2

    # The week's new activities, names byte for byte and never interpreted as HTML.
    new = model_table(world.warehouse_path, "weekly_new_activities")
    rows = opened.js("""() => [...document.querySelectorAll('#table-week-activities tbody tr')]
        .map(tr => [Number(tr.dataset.activityId), tr.querySelector('td.name').textContent])""")
    assert sorted(map(tuple, rows)) == sorted(zip(new["id"], new["name"], strict=True))
    assert any(name == HOSTILE_HTML_NAME for _, name in rows)
    hover = opened.js("""() => {
        const gd = document.getElementById('chart-route-map');
        const starts = gd.data.findIndex(t => t.name === 'starts');
        const point = gd.data[starts].hovertext.findIndex(h => h.includes('Race &amp;'));
        Plotly.Fx.hover(gd, [{curveNumber: starts, pointNumber: point}]);
        return gd.querySelector('.hovertext') && gd.querySelector('.hovertext').textContent;
    }""")
    assert hover and hover.startswith(HOSTILE_HTML_NAME), hover
    assert opened.js("() => window.__pwned") is None and opened.dialogs == []
    assert "fewer activities than usual <b>&</b>" in opened.text("#table-validation")

    assert opened.errors == []
    assert all(url.startswith(("file:", "data:")) for url in opened.requests), opened.requests


def test_dashboard_without_validation_results_says_so(world: ModelWorld,
                                                      tmp_path: Path) -> None:
    page = _dashboard_with_validation(world, tmp_path, []).read_text("utf-8")
    assert f'<p class="empty" id="validation-empty">{VALIDATION_EMPTY}</p>' in page
    assert CHART_IDS["validation_history"] not in page
