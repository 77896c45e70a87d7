"""Routes for the maps: summary polylines decoded in batches, projected, simplified, binned.

``polyline.decode`` costs about 100 µs per sandbox route in pure Python (2 s for 20,000
routes), so routes are decoded here with NumPy over a whole batch of polylines at once; the
tests check it equals ``polyline.decode`` point for point. Points are projected to Web
Mercator "world" units (0..256 at zoom 0, the XYZ tile grid), simplified (points closer than
about 10 m to the previous kept point dropped, at most ``MAX_POINTS_PER_ROUTE`` left) and only
the newest ``MAX_ROUTES`` routes are read, so memory and page size stay bounded.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from itertools import compress, islice

import numpy as np
import pandas as pd

MAX_ROUTES = 20_000
MAX_POINTS_PER_ROUTE = 120
WORLD = 256.0
EARTH_CIRCUMFERENCE_M = 40_075_016.686
SIMPLIFY_M = 10.0
MAX_LATITUDE = 85.05112878
HEATMAP_CELLS = 160
HEATMAP_PLACES = 3


def decode_polylines(encoded: list[str]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Decode Google encoded polylines (precision 5) all at once.

    Returns (lat, lng, counts): the points of every polyline one after another and how many
    belong to each; a malformed polyline (bad character, cut-off value, odd number of values)
    gets 0 points.
    """
    count = len(encoded)
    lengths = np.fromiter(map(len, encoded), dtype=np.int64, count=count)
    joined = "".join(encoded)
    if not joined.isascii():
        encoded = [text if text.isascii() else "" for text in encoded]
        lengths = np.fromiter(map(len, encoded), dtype=np.int64, count=count)
        joined = "".join(encoded)
    empty = (np.zeros(0), np.zeros(0), np.zeros(count, dtype=np.int64))
    if not joined:
        return empty
    # One byte per character (63 subtracted, wrapping below '?'): a value's 5-bit chunks, the
    # 0x20 bit saying another chunk follows; uint8 and per-value arrays, not int64 per character.
    raw = np.frombuffer(joined.encode("ascii"), dtype=np.uint8) - np.uint8(63)
    bounds = np.cumsum(lengths)
    valid = np.ones(count, dtype=bool)
    bad_char = raw > 63
    if bad_char.any():
        valid[np.searchsorted(bounds, np.flatnonzero(bad_char), side="right")] = False
        raw = np.where(bad_char, np.uint8(0), raw)

    nonempty = np.flatnonzero(lengths > 0)
    last_char = bounds[nonempty] - 1
    ends = (raw & 0x20) == 0
    valid[nonempty[~ends[last_char]]] = False
    ends[last_char] = True
    value_end = np.flatnonzero(ends)
    value_start = np.concatenate(([0], value_end[:-1] + 1))
    value_length = value_end - value_start + 1
    # Value ends before each polyline's end (sorted positions: no running count per character)
    per_polyline = np.diff(np.searchsorted(value_end, bounds), prepend=0)
    value_owner = np.repeat(np.arange(count), per_polyline)
    valid[value_owner[value_length > 11]] = False
    chunks = raw & 0x1F
    values = chunks[value_start].astype(np.int64)
    if len(raw) > 1:  # most values have two chunks: the second one added densely
        second = chunks[np.minimum(value_start + 1, len(raw) - 1)].astype(np.int64) << 5
        values += np.where(value_length > 1, second, 0)
    longer = np.flatnonzero(value_length > 2)
    for shift in range(2, min(int(value_length.max()), 11)):
        if shift > 2:  # the values longer still: a shrinking subset, not every value again
            longer = longer[value_length[longer] > shift]
        values[longer] |= chunks[value_start[longer] + shift].astype(np.int64) << (5 * shift)
    values = (values >> 1) ^ -(values & 1)  # zigzag: ~(v >> 1) for odd v, v >> 1 for even

    valid &= per_polyline % 2 == 0
    keep = valid[value_owner]
    values, value_owner = values[keep], value_owner[keep]
    lat_delta, lng_delta = values[0::2], values[1::2]
    point_owner = value_owner[0::2]
    counts = np.bincount(point_owner, minlength=count)
    first = np.concatenate(([0], np.cumsum(counts)[:-1]))
    lat = _cumsum_by_group(lat_delta, counts, first) / 1e5
    lng = _cumsum_by_group(lng_delta, counts, first) / 1e5
    return lat, lng, counts


def _cumsum_by_group(deltas: np.ndarray, counts: np.ndarray, first: np.ndarray) -> np.ndarray:
    total = np.cumsum(deltas)
    if len(total) == 0:
        return total.astype(float)
    nonempty = counts > 0
    before = total[first[nonempty]] - deltas[first[nonempty]]
    return (total - np.repeat(before, counts[nonempty])).astype(float)


def to_world(lat: np.ndarray, lng: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Web Mercator world coordinates: x east, y south, 0..256 (XYZ zoom-0 pixels)."""
    clipped = np.radians(np.clip(lat, -MAX_LATITUDE, MAX_LATITUDE))
    x = (np.asarray(lng) + 180.0) / 360.0 * WORLD
    y = (1.0 - np.log(np.tan(clipped) + 1.0 / np.cos(clipped)) / math.pi) / 2.0 * WORLD
    return x, y


def metres_per_world_unit(y: float) -> float:
    """Ground metres per world unit at world row ``y`` (Mercator stretches toward the poles)."""
    latitude = math.atan(math.sinh(math.pi * (1 - 2 * y / WORLD)))
    return EARTH_CIRCUMFERENCE_M / WORLD * math.cos(latitude)


def _simplify(x: np.ndarray, y: np.ndarray, counts: np.ndarray
              ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Drop points within ~SIMPLIFY_M of the previous one, then thin to MAX_POINTS_PER_ROUTE."""
    if len(x) == 0:
        return x, y, counts
    owner = np.repeat(np.arange(len(counts)), counts)
    first = np.concatenate(([0], np.cumsum(counts)[:-1]))
    is_first = np.zeros(len(x), dtype=bool)
    is_first[first[counts > 0]] = True
    is_last = np.zeros(len(x), dtype=bool)
    is_last[(first + counts - 1)[counts > 0]] = True
    tolerance = SIMPLIFY_M / metres_per_world_unit(float(np.median(y)))
    cell_x, cell_y = np.floor(x / tolerance), np.floor(y / tolerance)
    moved = np.ones(len(x), dtype=bool)
    moved[1:] = (cell_x[1:] != cell_x[:-1]) | (cell_y[1:] != cell_y[:-1])
    keep = moved | is_first | is_last
    kept_counts = np.bincount(owner[keep], minlength=len(counts))
    stride = np.maximum(1, np.ceil(kept_counts / MAX_POINTS_PER_ROUTE)).astype(np.int64)
    kept_owner = owner[keep]
    kept_first = np.concatenate(([0], np.cumsum(kept_counts)[:-1]))
    rank = np.arange(len(kept_owner)) - kept_first[kept_owner]
    thin = (rank % stride[kept_owner] == 0) | is_last[keep]
    x, y = x[keep][thin], y[keep][thin]
    return x, y, np.bincount(kept_owner[thin], minlength=len(counts))


def place_name(zone: object, country: object) -> str:
    """A readable place for a route: the city of its IANA zone, else its country."""
    if isinstance(zone, str) and zone:
        return zone.rsplit("/", 1)[-1].replace("_", " ")
    if isinstance(country, str) and country:
        return country
    return "Unknown place"


@dataclass
class RouteSet:
    """Decoded, projected, simplified routes (newest first) and where each one's points are."""

    ids: np.ndarray
    start_local: pd.DatetimeIndex  # one Timestamp per route (not a list of 20,000 objects)
    places: list[str]
    this_week: np.ndarray
    counts: np.ndarray
    x: np.ndarray
    y: np.ndarray
    capped: bool = False

    @property
    def first(self) -> np.ndarray:
        """Index of each route's first point."""
        return np.concatenate(([0], np.cumsum(self.counts)[:-1])).astype(np.int64)

    def __len__(self) -> int:
        return len(self.ids)

    def bounds(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Each route's west, east, north and south (world units; every route has points)."""
        if len(self.x) == 0:
            empty = np.zeros(len(self), dtype=np.float64)
            return empty, empty, empty, empty
        first = self.first
        return (np.minimum.reduceat(self.x, first).astype(float),
                np.maximum.reduceat(self.x, first).astype(float),
                np.minimum.reduceat(self.y, first).astype(float),
                np.maximum.reduceat(self.y, first).astype(float))

    def points(self, index: int) -> tuple[np.ndarray, np.ndarray]:
        """World x and y of one route."""
        start = int(self.first[index])
        return (self.x[start:start + int(self.counts[index])],
                self.y[start:start + int(self.counts[index])])

    def place_order(self) -> list[str]:
        """Places by number of routes, most first."""
        counted = pd.Series(self.places, dtype=object).value_counts()
        return sorted(counted.index, key=lambda name: (-int(counted[name]), name))


ROUTE_COLUMNS: tuple[str, ...] = ("id", "start_date_local", "timezone", "location_country",
                                  "summary_polyline")


def build_routes(rows: Iterable[tuple], week_start: date, max_routes: int = MAX_ROUTES,
                 batch: int = 2_000) -> RouteSet:
    """Decode route rows (id, start_date_local, timezone, country, polyline), batch by batch.

    Routes that fail to decode or have fewer than two points are left out.
    """
    taken = list(islice(rows, max_routes + 1))
    frame = pd.DataFrame.from_records(taken, columns=list(ROUTE_COLUMNS))
    return build_route_frame(frame, week_start, max_routes, batch)


def _texts(values: pd.Series) -> list[str]:
    """A column's values as Python strings, anything else ('', NULL) as ''."""
    return [value if isinstance(value, str) else "" for value in values.tolist()]


def _batch_points(part: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """One batch's routes decoded, projected and simplified: (which routes have two points or
    more, their x, their y, their counts)."""
    lat, lng, point_counts = decode_polylines(_texts(part["summary_polyline"]))
    good = point_counts >= 2
    point_mask = np.repeat(good, point_counts)
    x, y = to_world(lat[point_mask], lng[point_mask])
    x, y, kept = _simplify(x, y, point_counts[good])
    return good, x.astype(np.float32), y.astype(np.float32), kept


def build_route_frame(frame: pd.DataFrame, week_start: date, max_routes: int = MAX_ROUTES,
                      batch: int = 2_000) -> RouteSet:
    """:func:`build_routes` over a frame of ``ROUTE_COLUMNS`` (newest first), one column at a
    time per batch rather than one Python tuple per route (issue 23)."""
    week_end = week_start + timedelta(days=7)
    capped = len(frame) > max_routes
    frame = frame.iloc[:max_routes]
    ids: list[np.ndarray] = []
    starts: list[pd.DatetimeIndex] = []
    places: list[str] = []
    counts: list[np.ndarray] = []
    xs: list[np.ndarray] = []
    ys: list[np.ndarray] = []
    named: dict[tuple[object, object], str] = {}  # (zone, country) -> place: a few, named once
    for begin in range(0, len(frame), batch):
        part = frame.iloc[begin:begin + batch]
        good, x, y, kept = _batch_points(part)
        xs.append(x)
        ys.append(y)
        counts.append(kept)
        ids.append(part["id"].to_numpy(dtype=np.int64)[good])
        starts.append(pd.DatetimeIndex(pd.to_datetime(part["start_date_local"]))[good])
        places.extend(named[pair] if pair in named else named.setdefault(pair, place_name(*pair))
                      for pair in compress(zip(part["timezone"].tolist(),
                                               part["location_country"].tolist(), strict=True),
                                           good))
    started = starts[0].append(starts[1:]) if starts else pd.DatetimeIndex([])
    this_week = np.asarray((started >= pd.Timestamp(week_start))
                           & (started < pd.Timestamp(week_end)), dtype=bool)
    return RouteSet(
        ids=np.concatenate(ids) if ids else np.zeros(0, dtype=np.int64),
        start_local=started, places=places, this_week=this_week,
        counts=np.concatenate(counts) if counts else np.zeros(0, dtype=np.int64),
        x=np.concatenate(xs) if xs else np.zeros(0, dtype=np.float32),
        y=np.concatenate(ys) if ys else np.zeros(0, dtype=np.float32),
        capped=capped)


@dataclass
class View:
    """A rectangle of the world map (world units), e.g. the frame of one place's routes."""

    name: str
    west: float
    east: float
    north: float
    south: float

    def padded(self, fraction: float = 0.06, minimum: float = 0.0005) -> View:
        """The view grown by ``fraction`` of its size on every side."""
        pad_x = max(minimum, (self.east - self.west) * fraction)
        pad_y = max(minimum, (self.south - self.north) * fraction)
        return View(self.name, self.west - pad_x, self.east + pad_x, self.north - pad_y,
                    self.south + pad_y)


def frame_points(name: str, x: np.ndarray, y: np.ndarray, robust: bool = True) -> View:
    """The view holding the points (the middle 99% of them when ``robust``)."""
    if robust and len(x) > 200:
        west, east = np.quantile(x, [0.005, 0.995])
        north, south = np.quantile(y, [0.005, 0.995])
    else:
        west, east, north, south = x.min(), x.max(), y.min(), y.max()
    return View(name, float(west), float(east), float(north), float(south)).padded()


def place_views(routes: RouteSet, limit: int = HEATMAP_PLACES) -> list[View]:
    """The frame of each place's routes, most-used places first."""
    order = routes.place_order()[:limit]
    codes = {place: code for code, place in enumerate(order)}
    route_code = np.array([codes.get(place, -1) for place in routes.places], dtype=np.int16)
    point_code = np.repeat(route_code, routes.counts)
    views = []
    for place, code in codes.items():
        mask = point_code == code
        views.append(frame_points(place, routes.x[mask], routes.y[mask]))
    return views


@dataclass
class Heat:
    """How many times routes pass through each cell of a grid over one place."""

    view: View
    cell: float
    counts: np.ndarray

    @property
    def x_centres(self) -> np.ndarray:
        """World x of each column's centre."""
        return self.view.west + (np.arange(self.counts.shape[1]) + 0.5) * self.cell

    @property
    def y_centres(self) -> np.ndarray:
        """World y of each row's centre."""
        return self.view.north + (np.arange(self.counts.shape[0]) + 0.5) * self.cell


def route_heat(routes: RouteSet, view: View, cells: int = HEATMAP_CELLS,
               chunk: int = 1_000,
               bounds: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray] | None = None
               ) -> Heat:
    """Passes per cell: segments sampled every cell width, a route counted once per visit.

    Routes are binned ``chunk`` at a time so the temporary arrays stay small. Only routes
    whose bounds reach within a cell of the view are binned (issue 23: the three places'
    views each hold a part of the routes); a route beyond has no segment that
    :func:`_bin_segments` counts, so the counts are the same.
    """
    cell = max(view.east - view.west, view.south - view.north) / cells
    columns = max(1, math.ceil((view.east - view.west) / cell))
    rows = max(1, math.ceil((view.south - view.north) / cell))
    grid = np.zeros(rows * columns, dtype=np.int64)
    west, east, north, south = bounds if bounds is not None else routes.bounds()
    chosen = np.flatnonzero((east >= view.west - cell) & (west <= view.east + cell)
                            & (south >= view.north - cell) & (north <= view.south + cell)
                            & (routes.counts > 0))
    first = routes.first
    for start in range(0, len(chosen), chunk):
        part = chosen[start:start + chunk]
        counts = routes.counts[part]
        before = np.cumsum(counts) - counts
        points = np.arange(int(counts.sum())) + np.repeat(first[part] - before, counts)
        owner = np.repeat(part, counts)
        grid += _bin_segments(routes.x[points].astype(float), routes.y[points].astype(float),
                              owner, view, cell, rows, columns)
    return Heat(view, cell, grid.reshape(rows, columns))


def _bin_segments(x: np.ndarray, y: np.ndarray, owner: np.ndarray, view: View, cell: float,
                  rows: int, columns: int) -> np.ndarray:
    """Visits per cell of one chunk of routes (points ``x``, ``y`` of routes ``owner``)."""
    if len(x) < 2:
        return np.zeros(rows * columns, dtype=np.int64)
    near = ((x >= view.west - cell) & (x <= view.east + cell)
            & (y >= view.north - cell) & (y <= view.south + cell))
    same = (owner[1:] == owner[:-1]) & (near[1:] | near[:-1])
    x0, y0 = x[:-1][same], y[:-1][same]
    dx, dy = (x[1:] - x[:-1])[same], (y[1:] - y[:-1])[same]
    seg_owner = owner[:-1][same]
    steps = np.clip(np.ceil(np.hypot(dx, dy) / cell).astype(np.int64), 1, 10_000)
    seg = np.repeat(np.arange(len(steps)), steps)
    offsets = np.concatenate(([0], np.cumsum(steps)[:-1]))
    t = (np.arange(len(seg)) - offsets[seg]) / steps[seg]
    column = np.floor((x0[seg] + t * dx[seg] - view.west) / cell).astype(np.int64)
    row = np.floor((y0[seg] + t * dy[seg] - view.north) / cell).astype(np.int64)
    inside = (column >= 0) & (column < columns) & (row >= 0) & (row < rows)
    index = np.where(inside, row * columns + column, -1)
    sample_owner = seg_owner[seg]
    new_visit = np.ones(len(index), dtype=bool)
    new_visit[1:] = (index[1:] != index[:-1]) | (sample_owner[1:] != sample_owner[:-1])
    return np.bincount(index[new_visit & inside], minlength=rows * columns)
