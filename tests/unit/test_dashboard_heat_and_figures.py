"""Issue 23's dashboard shortcuts give what the long way gave: the heatmap's per-view pruning
of routes, the route frame against route rows, and plain-dict figures against plotly.py's."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import polyline

from pipeline.dashboard import figures
from pipeline.dashboard.page import _figure_json
from pipeline.dashboard.routes import (
    RouteSet,
    View,
    _bin_segments,
    build_route_frame,
    build_routes,
    route_heat,
)


def _random_routes(seed: int) -> RouteSet:
    """Routes around three far-apart places, some crossing between them."""
    rng = np.random.default_rng(seed)
    counts = rng.integers(2, 40, size=300)
    centres = np.array([[10.0, 10.0], [10.4, 10.1], [200.0, 90.0]])
    place = rng.integers(0, 3, size=len(counts))
    x = np.concatenate([centres[p, 0] + np.cumsum(rng.normal(0, 0.002, n))
                        for p, n in zip(place, counts, strict=True)])
    y = np.concatenate([centres[p, 1] + np.cumsum(rng.normal(0, 0.002, n))
                        for p, n in zip(place, counts, strict=True)])
    crossing = np.flatnonzero(place == 0)[:5]  # a far jump in the middle of a few routes
    first = np.concatenate(([0], np.cumsum(counts)[:-1]))
    x[first[crossing] + 1] = 200.0
    return RouteSet(ids=np.arange(len(counts)), start_local=pd.DatetimeIndex([]),
                    places=[""] * len(counts), this_week=np.zeros(len(counts), dtype=bool),
                    counts=counts, x=x.astype(np.float32), y=y.astype(np.float32))


def _every_route(routes: RouteSet, view: View, cells: int = 160) -> np.ndarray:
    """The heat of every route binned, none left out (the previous rule)."""
    cell = max(view.east - view.west, view.south - view.north) / cells
    columns = max(1, int(np.ceil((view.east - view.west) / cell)))
    rows = max(1, int(np.ceil((view.south - view.north) / cell)))
    owner = np.repeat(np.arange(len(routes)), routes.counts)
    return _bin_segments(routes.x.astype(float), routes.y.astype(float), owner, view, cell,
                         rows, columns).reshape(rows, columns)


def test_the_heat_of_the_routes_near_a_view_is_the_heat_of_every_route() -> None:
    for seed in range(5):
        routes = _random_routes(seed)
        for view in (View("a", 9.95, 10.05, 9.95, 10.05), View("b", 10.3, 10.5, 10.0, 10.2),
                     View("c", 199.9, 200.1, 89.9, 90.1), View("all", 0, 256, 0, 256),
                     View("edge", 10.004, 10.02, 9.996, 10.003),
                     View("corner", 9.98, 9.997, 10.002, 10.03)):
            heat = route_heat(routes, view, chunk=37)
            assert heat.counts.sum() > 0
            assert np.array_equal(heat.counts, _every_route(routes, view))


def test_the_route_frame_gives_the_route_rows_set() -> None:
    rng = np.random.default_rng(3)
    rows = []
    for index in range(120):
        points = [(40 + float(v), -3 + float(w)) for v, w in
                  np.cumsum(rng.normal(0, 0.001, (int(rng.integers(1, 30)), 2)), axis=0)]
        text = polyline.encode(points) if index % 11 else ("" if index % 2 else None)
        rows.append((1000 - index, datetime(2026, 11, 29) - timedelta(hours=index * 5),
                     "Europe/Madrid" if index % 3 else None, "Spain" if index % 5 else None,
                     text))
    for cap in (120, 50):
        by_rows = build_routes(iter(rows), date(2026, 11, 23), max_routes=cap, batch=16)
        frame = pd.DataFrame.from_records(rows, columns=["id", "start_date_local", "timezone",
                                                         "location_country",
                                                         "summary_polyline"])
        by_frame = build_route_frame(frame, date(2026, 11, 23), max_routes=cap, batch=16)
        for name in ("ids", "counts", "x", "y", "this_week"):
            assert np.array_equal(getattr(by_rows, name), getattr(by_frame, name)), name
        assert by_rows.places == by_frame.places and by_rows.capped == by_frame.capped
        assert list(by_rows.start_local) == list(by_frame.start_local)
        assert by_frame.this_week.any() and len(by_frame) < cap


def test_a_plain_figure_writes_the_json_of_its_graph_objects() -> None:
    x = np.linspace(0, 1, 7, dtype=np.float32)
    plain = figures._figure([
        figures.trace("scatter", x=x, y=np.arange(7), mode="lines",
                      line={"color": None, "width": 2}, name="a"),
        figures.trace("heatmap", z=np.array([[1.0, np.nan], [2.0, 3.0]], dtype=np.float32),
                      x=["p", "q"], hoverongaps=False)])
    figures.update_layout(plain, legend={"x": 1, "y": 0}, margin={"l": 1, "r": 2})
    figures.update_layout(plain, legend={"x": 0.5}, margin={"b": 3}, height=300)
    objects = go.Figure([go.Scatter(x=x, y=np.arange(7), mode="lines",
                                    line={"color": None, "width": 2}, name="a"),
                         go.Heatmap(z=np.array([[1.0, np.nan], [2.0, 3.0]], dtype=np.float32),
                                    x=["p", "q"], hoverongaps=False)],
                        layout={"template": {}})
    objects.update_layout(legend={"x": 1, "y": 0}, margin={"l": 1, "r": 2})
    objects.update_layout(legend={"x": 0.5}, margin={"b": 3}, height=300)
    assert json.loads(_figure_json(plain)) == json.loads(_figure_json(objects))
