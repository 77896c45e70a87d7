"""The dashboard of a sandbox run, opened in headless Chromium (Debian's chromium package)."""

from __future__ import annotations

import importlib.util
import shutil
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pandas as pd
import polyline
import pytest

from pipeline.dashboard.data import MartsNotBuiltError
from pipeline.dashboard.figures import CHART_IDS
from pipeline.dashboard.options import (
    DASHBOARD_VARIABLES,
    METRES_PER_MILE,
    DashboardOptions,
    Units,
)
from pipeline.dashboard.page import VALIDATION_EMPTY
from tests.conftest import RUN_DATE, require_server
from tests.support.dashboard import OpenedPage, render_report_folder, tile_server
from tests.support.models import (
    HOSTILE_HTML_NAME,
    RIDES,
    RUN_WEEK,
    RUNS,
    ModelWorld,
    local_week,
    model_table,
    model_world,
    rebuild_models,
)

MAX_PAGE_BYTES = 1_500_000
DASHBOARD_CHARTS = [key for key in CHART_IDS if key != "validation_history"]
# A first attempt of 2026-11-22 that failed, then its rerun: only the rerun may count.
VALIDATION_ROWS = [
    (date(2026, 11, 22), "duplicate_ids", 3.0, 0.0, "equals", "halt", "fail",
     "3 duplicate ids", datetime(2026, 11, 22, 9, 0)),
    (date(2026, 11, 22), "weekly_activity_count_zscore", -2.4, -1.645, "greater_equals",
     "warn", "warn", "fewer activities than usual <b>&</b>", datetime(2026, 11, 22, 9, 0, 1)),
    (date(2026, 11, 22), "duplicate_ids", 0.0, 0.0, "equals", "halt", "pass",
     "no duplicate ids", datetime(2026, 11, 22, 11, 30)),
    (date(2026, 11, 15), "kudos_zscore", 0.3, -1.645, "greater_equals", "warn", "fail",
     "kudos <script>window.__pwned=1</script>", datetime(2026, 11, 15, 9, 0)),
    (RUN_DATE, "duplicate_ids", 0.0, 0.0, "equals", "halt", "pass", "no duplicate ids",
     datetime(2026, 11, 29, 9, 0)),
]


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ModelWorld]:
    with pytest.MonkeyPatch.context() as patch:
        for name in DASHBOARD_VARIABLES:  # the developer's own settings stay out of the tests
            patch.delenv(name, raising=False)
        with model_world(tmp_path_factory.mktemp("dashboard")) as built:
            yield built


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    from benchmarks.browser import chromium_path, headless_chromium

    require_server(chromium_path() is not None,
                   "Chromium is not installed (apt-get install chromium)")
    require_server(importlib.util.find_spec("playwright") is not None,
                   "Playwright is not installed (pip install -e '.[dev]')")
    with headless_chromium() as opened:
        yield opened


def _warehouse_copy(world: ModelWorld, folder: Path, rows: list[tuple]) -> str:
    """A copy of the run's warehouse holding these validation rows; its URL."""
    from pipeline.backends.duckdb_warehouse import release_all

    release_all()  # the adapter lets go of the file before it is copied
    warehouse_file = folder / "warehouse.duckdb"
    shutil.copy(world.warehouse_path, warehouse_file)
    with duckdb.connect(str(warehouse_file)) as db:
        db.execute("DELETE FROM validation_results")
        for row in rows:
            db.execute("INSERT INTO validation_results (run_date, check_name, left_value,"
                       " right_value, operator, severity, status, message, checked_at)"
                       " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", row)
    return f"duckdb:///{warehouse_file}"


@pytest.fixture(scope="module")
def rendered(world: ModelWorld, tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("rendered")
    return render_report_folder(_warehouse_copy(world, folder, VALIDATION_ROWS), RUN_DATE,
                                folder / "reports")


class _References(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.found: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if name in {"src", "href", "action", "srcset", "data"} and value and not (
                    value.startswith(("data:", "#"))):
                self.found.append(value)


def references(page: str) -> list[str]:
    """Every src/href of the page's elements."""
    parser = _References()
    parser.feed(page)
    return parser.found


def _production(world: ModelWorld, last_day: date = RUN_DATE) -> pd.DataFrame:
    frame = world.production()
    frame = frame[frame["start_date_local"] < pd.Timestamp(last_day + timedelta(days=1))].copy()
    frame["family"] = ["run" if s in RUNS else "ride" if s in RIDES else "other"
                       for s in frame["sport_type"]]
    frame["day"] = frame["start_date_local"].dt.date
    return frame


def test_dashboard_task_writes_pages_assets_lake_copies_and_latest(world: ModelWorld) -> None:
    reports = world.data_dir / "reports"
    lake = world.data_dir / "lake" / "reports"
    folder = RUN_DATE.isoformat()
    for name in ("dashboard.html", "validation.html"):
        assert (reports / folder / name).read_bytes() == (lake / folder / name).read_bytes()
        assert (reports / "latest" / name).read_bytes() == (reports / folder / name).read_bytes()
        assert (lake / "latest" / name).exists()
    page = (reports / folder / "dashboard.html").read_text("utf-8")
    assert len(page.encode("utf-8")) <= MAX_PAGE_BYTES
    assert "Plotly.newPlot" not in page  # the chart library is not inlined...
    scripts = [ref for ref in references(page) if ref.endswith(".js")]
    assert scripts and all(ref.startswith("../assets/") for ref in scripts)
    for ref in scripts:  # ...but once per reports folder, locally and in the lake
        assert (reports / folder / ref).resolve().exists()
        assert (lake / ref.removeprefix("../")).exists()
    links = [ref for ref in references(page) if not ref.endswith(".js")]
    assert "validation.html" in links
    assert all(ref == "validation.html" or ref.startswith("https://www.strava.com/activities/")
               for ref in links), links
    assert HOSTILE_HTML_NAME not in page and "&lt;img src=x" in page
    index = (reports / "index.html").read_text("utf-8")
    assert f'href="{folder}/dashboard.html"' in index and 'href="latest/dashboard.html"' in index


def test_every_chart_draws_and_numbers_equal_the_tables(world: ModelWorld, browser: Any,
                                                         rendered: Path) -> None:
    opened = OpenedPage(browser, rendered)
    for key in DASHBOARD_CHARTS:
        chart_id = CHART_IDS[key]
        traces = opened.chart_data(chart_id)
        assert traces and any(len(t["x"]) or t["z"] for t in traces), key
        drawn = opened.js("id => document.querySelectorAll(`#${id} .main-svg .trace`).length "
                          "+ document.querySelectorAll(`#${id} .hm, #${id} image`).length",
                          chart_id)
        assert drawn > 0, f"{key}: nothing drawn"
    assert opened.errors == []
    assert all(url.startswith(("file:", "data:")) for url in opened.requests), opened.requests

    production = _production(world)
    week = production[production["day"] >= RUN_WEEK]
    # This week's cards split runs, rides and the rest; all = the weekly model's totals.
    for family in ("run", "ride", "other"):
        rows = week[week["family"] == family]
        assert opened.value(f"week-{family}-count") == len(rows)
        assert opened.value(f"week-{family}-distance") == pytest.approx(
            rows["distance"].fillna(0).sum() / 1000, abs=0.005)
    weekly_model = model_table(world.warehouse_path, "weekly_distance_by_sport")
    model_week = weekly_model[weekly_model["week_start"] == RUN_WEEK]
    assert opened.value("week-total-count") == model_week["activity_count"].sum()
    assert opened.value("week-total-distance") == pytest.approx(
        model_week["distance_km"].sum(), abs=0.05)
    assert opened.value("week-total-hours") == pytest.approx(
        model_week["moving_hours"].sum(), abs=0.05)
    assert opened.text("#week-total-distance").startswith(
        f"{model_week['distance_km'].sum():,.1f}")

    yearly = model_table(world.warehouse_path, "activity_summary_yearly").set_index(
        "activity_year").loc[RUN_DATE.year]
    assert opened.value("year-activities") == yearly["activity_count"]
    assert opened.value("year-distance") == pytest.approx(yearly["distance_km"], abs=0.1)
    assert opened.value("year-moving-hours") == pytest.approx(yearly["moving_hours"], abs=0.1)
    assert opened.value("year-elevation") == pytest.approx(yearly["elevation_gain_m"], abs=1)
    assert opened.value("year-kudos") == yearly["total_kudos"]

    # Weekly distance by family = the weekly model regrouped by family, every week shown.
    families = weekly_model.assign(family=["run" if s in RUNS else "ride" if s in RIDES
                                           else "other" for s in weekly_model["sport_type"]])
    expected = families.groupby(["family", "week_start"])["distance_km"].sum()
    bars = opened.chart_data(CHART_IDS["weekly_distance"])
    assert [t["name"] for t in bars] == ["runs", "rides", "other"]
    for trace, family in zip(bars, ("run", "ride", "other"), strict=True):
        assert len(trace["x"]) == 53 and trace["x"][-1] == RUN_WEEK.isoformat()
        for week_start, value in zip(trace["x"], trace["y"], strict=True):
            key = (family, date.fromisoformat(week_start))
            assert value == pytest.approx(expected.get(key, 0.0), abs=0.02), key

    kudos = opened.chart_data(CHART_IDS["kudos"])[0]
    model_kudos = weekly_model.groupby("week_start")["total_kudos"].sum()
    assert kudos["y"] == [model_kudos.get(date.fromisoformat(w), 0) for w in kudos["x"]]

    # Year over year: this year's last point is the year's distance so far.
    this_year = next(t for t in opened.chart_data(CHART_IDS["year_over_year"])
                     if t["name"] == str(RUN_DATE.year))
    assert this_year["y"][-1] == pytest.approx(yearly["distance_km"], abs=0.1)
    assert this_year["x"][-1] == f"2000-{RUN_DATE:%m-%d}"

    # Calendar: the run date's cell is that day's moving minutes.
    calendar = opened.chart_data(CHART_IDS["calendar"])[0]
    minutes = production[production["day"] == RUN_DATE]["moving_time"].sum() / 60
    assert calendar["z"][RUN_DATE.weekday()][-1] == pytest.approx(minutes, abs=0.05)

    # Fitness: the documented recurrence, computed here day by day.
    load = production.assign(load=production["suffer_score"].where(
        production["suffer_score"].notna(), production["moving_time"] / 60))
    daily = load.groupby("day")["load"].sum()
    fitness = fatigue = 0.0
    day = min(daily.index)
    while day <= RUN_DATE:
        value = float(daily.get(day, 0.0))
        fitness += (value - fitness) / 42
        fatigue += (value - fatigue) / 7
        day += timedelta(days=1)
    traces = {t["name"]: t for t in opened.chart_data(CHART_IDS["fitness"])}
    assert traces["fitness (42-day)"]["y"][-1] == pytest.approx(fitness, abs=0.06)
    assert traces["fatigue (7-day)"]["y"][-1] == pytest.approx(fatigue, abs=0.06)

    # The week's table: the weekly model's activities, names byte for byte, linked to Strava.
    new = model_table(world.warehouse_path, "weekly_new_activities")
    rows = opened.js("""() => [...document.querySelectorAll('#table-week-activities tbody tr')]
        .map(tr => [Number(tr.dataset.activityId), tr.querySelector('td.name').textContent,
                    tr.querySelector('td.name a').href])""")
    assert sorted((i, n) for i, n, _ in rows) == sorted(zip(new["id"], new["name"],
                                                            strict=True))
    assert all(href == f"https://www.strava.com/activities/{i}" for i, _, href in rows)
    assert any(name == HOSTILE_HTML_NAME for _, name, _ in rows)

    # Records: the longest run and the fastest 5 km+ run pace, found here with pandas.
    runs = production[production["family"] == "run"]
    longest = runs.sort_values(["distance", "start_date_local"], ascending=[False, True]).iloc[0]
    assert opened.js("() => document.querySelector('[data-record=longest_run]')"
                     ".dataset.activityId") == str(longest["id"])
    five = runs[runs["distance"] >= 5000]
    fastest = five.loc[(five["moving_time"] / five["distance"]).idxmin()]
    assert opened.js("() => document.querySelector('[data-record=pace_5k]')"
                     ".dataset.activityId") == str(fastest["id"])

    # This week's map: every route of the week drawn, hover names shown literally.
    map_traces = opened.chart_data(CHART_IDS["route_map"])
    routed = week[week["summary_polyline"].fillna("") != ""]
    assert len([t for t in map_traces if t["name"].startswith("route ")]) == len(routed)
    hover = opened.js("""() => {
        const gd = document.getElementById('chart-route-map');
        const starts = gd.data.findIndex(t => t.name === 'starts');
        const point = gd.data[starts].hovertext.findIndex(h => h.includes('Race &amp;'));
        Plotly.Fx.hover(gd, [{curveNumber: starts, pointNumber: point}]);
        return gd.querySelector('.hovertext') && gd.querySelector('.hovertext').textContent;
    }""")
    assert hover and hover.startswith(HOSTILE_HTML_NAME), hover
    assert opened.js("() => window.__pwned") is None and opened.dialogs == []
    heat = opened.chart_data(CHART_IDS["route_heatmap"])
    assert heat and np.nanmax(np.array(heat[0]["z"], dtype=float)) >= 2
    opened.page.close()


def test_validation_page_counts_only_the_latest_attempt_of_a_date(
        browser: Any, rendered: Path) -> None:
    opened = OpenedPage(browser, rendered.with_name("validation.html"))
    counts = {(x, t["name"]): y for t in opened.chart_data(CHART_IDS["validation_history"])
              for x, y in zip(t["x"], t["y"], strict=True) if y}
    assert counts == {("2026-11-15", "fail"): 1, ("2026-11-22", "pass"): 1,
                      ("2026-11-22", "warn"): 1, (RUN_DATE.isoformat(), "pass"): 1}
    assert opened.page.locator("#table-validation tbody tr").count() == 1
    assert opened.js("() => window.__pwned") is None
    assert opened.errors == []
    opened.page.close()


def test_pages_without_validation_results_or_routes_say_so(world: ModelWorld,
                                                           tmp_path: Path) -> None:
    html_file = render_report_folder(_warehouse_copy(world, tmp_path, []), RUN_DATE,
                                     tmp_path / "reports")
    validation = html_file.with_name("validation.html").read_text("utf-8")
    assert f'id="validation-empty">{VALIDATION_EMPTY}</p>' in validation
    assert CHART_IDS["validation_history"] not in validation

    empty_url = f"duckdb:///{tmp_path / 'empty.duckdb'}"
    with pytest.raises(MartsNotBuiltError, match=r"^the warehouse has no activity_log, "
                       r"activity_routes yet.*: run the pipeline for 2026-11-29"):
        render_report_folder(empty_url, RUN_DATE, tmp_path / "empty-reports")
    rebuild_models(empty_url)  # what the pipeline does before the dashboard: empty marts
    empty = render_report_folder(empty_url, RUN_DATE, tmp_path / "empty-reports").read_text(
        "utf-8")
    for element in ("week-activities-empty", "route-map-empty", "records-empty"):
        assert f'id="{element}"' in empty


def test_tiles_from_a_local_xyz_server_are_laid_under_the_maps(
        world: ModelWorld, browser: Any, tmp_path: Path) -> None:
    with tile_server(tmp_path / "tiles") as (template, served):
        options = DashboardOptions(tile_url=template, tile_attribution="© test tiles")
        html_file = render_report_folder(_warehouse_copy(world, tmp_path, VALIDATION_ROWS),
                                         RUN_DATE, tmp_path / "reports", options)
        opened = OpenedPage(browser, html_file)
        for chart in ("route_map", "route_heatmap"):
            chart_id = CHART_IDS[chart]
            assert opened.js("id => document.getElementById(id).dataset.tiles",
                             chart_id) == "on"
            images = opened.js("id => document.getElementById(id).layout.images"
                               ".map(i => i.source)", chart_id)
            assert images and all(src.startswith(template.split("{z}")[0]) for src in images)
            assert opened.text(f"[data-tiles-for={chart_id}]") == "© test tiles"
        assert served and all(path.endswith(".png") for path in served)
        assert opened.errors == []
        opened.page.close()


def test_unreachable_tiles_leave_the_offline_drawing_and_a_note(
        world: ModelWorld, browser: Any, tmp_path: Path) -> None:
    with tile_server(tmp_path / "tiles") as (template, _):
        pass  # the port is closed again: nothing answers there
    options = DashboardOptions(tile_url=template, tile_attribution="© test tiles")
    html_file = render_report_folder(_warehouse_copy(world, tmp_path, []), RUN_DATE,
                                     tmp_path / "reports", options)
    opened = OpenedPage(browser, html_file)
    chart_id = CHART_IDS["route_map"]
    assert opened.js("id => document.getElementById(id).dataset.tiles", chart_id) == "offline"
    assert not opened.js("id => document.getElementById(id).layout.images", chart_id)
    assert "did not load" in opened.text(f"[data-tiles-for={chart_id}]")
    assert opened.js(f"() => document.querySelectorAll('#{chart_id} .trace').length") > 0
    # The one probe of the tile server is the only message (the browser's own network log).
    base = template.split("{z}")[0]
    assert all(text.startswith("Failed to load resource") and url.startswith(base)
               for text, url in opened.errors), opened.errors
    opened.page.close()


def test_phone_width_has_no_horizontal_scroll(browser: Any, rendered: Path,
                                              tmp_path: Path) -> None:
    opened = OpenedPage(browser, rendered, width=390)
    assert opened.js("() => document.documentElement.scrollWidth") <= 390
    shot = tmp_path / "phone.png"
    opened.page.screenshot(path=str(shot), full_page=True)
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert opened.errors == []
    opened.page.close()


def test_miles_convert_every_distance(world: ModelWorld, tmp_path: Path) -> None:
    from pipeline.backends import open_warehouse
    from pipeline.dashboard.build import load
    from pipeline.dashboard.page import week_metrics, year_metrics

    warehouse = open_warehouse(f"duckdb:///{world.warehouse_path}")
    km, _ = load(warehouse, RUN_DATE, DashboardOptions(Units("km")))
    mi, _ = load(warehouse, RUN_DATE, DashboardOptions(Units("mi")))
    for metric_km, metric_mi in zip(week_metrics(km) + year_metrics(km),
                                    week_metrics(mi) + year_metrics(mi), strict=True):
        if metric_km.unit == "km":
            assert metric_mi.unit == "mi"
            assert metric_mi.value == pytest.approx(metric_km.value * 1000 / METRES_PER_MILE,
                                                    abs=0.06)
    assert Units("mi").pace_text(1609.344, 480) == "8:00 /mi"
    assert Units("km").pace_text(10_000, 3000) == "5:00 /km"
    assert DashboardOptions.from_environment({"DASHBOARD_UNITS": "MI"}).units.name == "mi"
    with pytest.raises(ValueError, match="^DASHBOARD_UNITS must be km or mi, not 'miles'"):
        DashboardOptions.from_environment({"DASHBOARD_UNITS": "miles"})
    with pytest.raises(ValueError, match="^DASHBOARD_TILE_URL must be an http"):
        DashboardOptions.from_environment({"DASHBOARD_TILE_URL": "tiles/{z}/{x}.png"})


def test_an_older_run_dates_dashboard_shows_that_date_only(world: ModelWorld) -> None:
    from pipeline.backends import open_warehouse
    from pipeline.dashboard.build import load

    older = RUN_DATE - timedelta(days=7)
    data, routes = load(open_warehouse(f"duckdb:///{world.warehouse_path}"), older,
                        DashboardOptions())
    assert data.activities["start_date_local"].max() < pd.Timestamp(RUN_DATE - timedelta(6))
    assert all(start.date() <= older for start in routes.start_local)
    # Monday 03:00 UTC in Toronto is Sunday evening: it belongs to the older week.
    late_sunday = data.activities[data.activities["id"] == world.late_sunday_id]
    assert len(late_sunday) == 1
    assert local_week(late_sunday["start_date_local"]).iloc[0] == older - timedelta(6)


def test_batch_decoder_equals_the_polyline_library(world: ModelWorld) -> None:
    from pipeline.dashboard.routes import decode_polylines

    encoded = [p for p in world.production()["summary_polyline"] if isinstance(p, str) and p]
    malformed = ["", "abc", "_p~iF", "!!!!", "x\u00e9y", "_p~iF~ps|U_ulLnnqC_mqNvxq"]
    lat, lng, counts = decode_polylines(malformed[:3] + encoded + malformed[3:])
    assert list(counts[:3]) == [0, 0, 0] and list(counts[-3:]) == [0, 0, 0]
    first = np.concatenate(([0], np.cumsum(counts)))
    for index, text in enumerate(encoded, start=3):
        got = list(zip(lat[first[index]:first[index + 1]].round(5),
                       lng[first[index]:first[index + 1]].round(5), strict=True))
        assert got == polyline.decode(text)


def test_latest_never_moves_back_to_an_older_date(tmp_path: Path) -> None:
    from pipeline.dashboard.build import is_newest

    for day in ("2026-11-22", "2026-11-29"):
        (tmp_path / day).mkdir()
        (tmp_path / day / "dashboard.html").write_text("x")
    assert is_newest(tmp_path, date(2026, 11, 29))
    assert not is_newest(tmp_path, date(2026, 11, 22))
    assert is_newest(tmp_path, date(2026, 12, 6))


def test_an_optional_section_is_placed_after_the_kudos_panel(
        world: ModelWorld, monkeypatch: pytest.MonkeyPatch) -> None:
    import plotly.graph_objects as go

    from pipeline.backends import open_warehouse
    from pipeline.dashboard import build
    from pipeline.dashboard.page import Section

    def kudos_model(warehouse: object, data: object) -> Section:
        return Section("section-kudos-model", "Kudos model <test>", "<p>fit</p>",
                       {"chart-kudos-model": go.Figure(go.Bar(x=["a"], y=[1]))}, wide=True)

    monkeypatch.setattr(build, "OPTIONAL_SECTIONS", [kudos_model, lambda w, d: None])
    warehouse = open_warehouse(f"duckdb:///{world.warehouse_path}")
    data, routes = build.load(warehouse, RUN_DATE, DashboardOptions())
    page = build.render_pages(data, routes, build.optional_sections(warehouse, data)).dashboard
    assert page.index('id="section-kudos"') < page.index('id="section-kudos-model"')
    assert "Kudos model &lt;test&gt;" in page and 'data-chart="chart-kudos-model"' in page


def test_a_midweek_run_dates_last_bar_is_this_weeks_totals(world: ModelWorld) -> None:
    from pipeline.backends import open_warehouse
    from pipeline.dashboard import training
    from pipeline.dashboard.build import load
    from pipeline.dashboard.page import week_metrics

    thursday = RUN_DATE - timedelta(days=3)
    data, _ = load(open_warehouse(f"duckdb:///{world.warehouse_path}"), thursday,
                   DashboardOptions())
    assert data.week_start == date(2026, 11, 23) and not data.week_finished  # its Monday
    weekly = training.weekly_by_family(data.activities, data.week_start)
    last = weekly[weekly["week_start"] == data.week_start]
    cards = {m.element_id: m.value for m in week_metrics(data)}
    assert cards["week-total-count"] == last["activity_count"].sum()
    assert cards["week-total-distance"] == pytest.approx(last["distance_m"].sum() / 1000,
                                                         abs=0.005)
    production = _production(world, thursday)
    in_week = production[production["day"] >= data.week_start]
    assert cards["week-total-count"] == len(in_week)


def test_hostile_rows_draw_without_errors(world: ModelWorld, browser: Any,
                                          tmp_path: Path) -> None:
    url = _warehouse_copy(world, tmp_path, VALIDATION_ROWS)
    with duckdb.connect(url.removeprefix("duckdb:///")) as db:
        db.executemany(
            "INSERT INTO strava_activity_data (id, name, sport_type, start_date_local, distance,"
            " moving_time, total_elevation_gain, suffer_score, summary_polyline) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", [
                (9_000_000_000_001, "</script><script>window.__pwned=1</script>", None,
                 datetime(2026, 11, 27, 7), 1e12, 0, -5.0, None, "!!!!not a polyline"),
                (9_000_000_000_002, None, "Run", datetime(2026, 11, 28, 23, 59, 59), 0.0,
                 86_400 * 3, 0.0, 1e6, "_p~iF~ps|U_ulLnnqC_mqNvxq`@"),
                (9_000_000_000_003, "\u202e\u0000 emoji 🏃", "Ride",
                 datetime(2026, 11, 29, 23, 59, 59), 5.0, 1, None, None, "x\u00e9y"),
            ])
    rebuild_models(url)  # the dashboard reads the marts
    html_file = render_report_folder(url, RUN_DATE, tmp_path / "reports")
    opened = OpenedPage(browser, html_file)
    assert opened.errors == [] and opened.dialogs == []
    assert opened.js("() => window.__pwned") is None
    ids = opened.js("""() => [...document.querySelectorAll('#table-week-activities tbody tr')]
        .map(tr => tr.dataset.activityId)""")
    assert {"9000000000001", "9000000000002", "9000000000003"} <= set(ids)
    opened.page.close()


def test_the_lake_copy_and_latest_open_offline_too(world: ModelWorld, browser: Any) -> None:
    for html_file in (world.data_dir / "lake" / "reports" / RUN_DATE.isoformat()
                      / "dashboard.html",
                      world.data_dir / "reports" / "latest" / "dashboard.html"):
        opened = OpenedPage(browser, html_file)
        assert opened.js("() => document.querySelectorAll('.main-svg').length") >= 8
        assert opened.errors == []
        assert all(url.startswith("file:") for url in opened.requests), opened.requests
        opened.page.close()


def test_a_rerun_after_a_crash_between_lake_and_local_copy_finishes(
        world: ModelWorld, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import luigi

    from pipeline.backends.duckdb_warehouse import release_all
    from pipeline.settings import ENVIRONMENT_VARIABLES
    from pipeline.tasks.dashboard import BuildDashboard
    from tests.conftest import PROJECT_ROOT

    release_all()
    data_dir = tmp_path / "data"
    shutil.copytree(world.data_dir, data_dir)
    for name in (*ENVIRONMENT_VARIABLES, *DASHBOARD_VARIABLES):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("LUIGI_CONFIG_PATH", str(PROJECT_ROOT / "luigi.cfg"))
    monkeypatch.setenv("DATA_DIR", str(data_dir))
    monkeypatch.setenv("STRAVA_API_URL", "http://127.0.0.1:9/api/v3")  # sandbox-like, unused
    page = data_dir / "reports" / RUN_DATE.isoformat() / "dashboard.html"
    page.unlink()  # the lake copy and latest/ exist, the local page does not
    luigi.task_register.Register.clear_instance_cache()
    assert luigi.build([BuildDashboard(run_date=RUN_DATE)], local_scheduler=True,
                       log_level="WARNING")
    luigi.task_register.Register.clear_instance_cache()
    lake_copy = data_dir / "lake" / "reports" / RUN_DATE.isoformat() / "dashboard.html"
    assert page.read_bytes() == lake_copy.read_bytes()
    assert (data_dir / "lake" / "reports" / "latest" / "dashboard.html").read_bytes() == \
        page.read_bytes()
    assert not list((data_dir / "lake" / "reports" / ".staging").iterdir())
