"""Routes for the map: summary polylines decoded with ``polyline`` and grouped by place."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date, timedelta

import pandas as pd
import polyline

MAX_POINTS_PER_ROUTE = 80


@dataclass
class Route:
    """One decoded activity route."""

    activity_id: int
    name: str
    sport_type: str
    start_date_local: object
    kudos_count: int | None
    distance_km: float
    place: str
    this_week: bool
    points: list[tuple[float, float]]


@dataclass
class Place:
    """Where routes cluster (one time zone), with the box that frames them."""

    name: str
    routes: list[Route] = field(default_factory=list)

    @property
    def bounds(self) -> tuple[float, float, float, float]:
        """(min lat, max lat, min lng, max lng) of every point."""
        lats = [lat for route in self.routes for lat, _ in route.points]
        lngs = [lng for route in self.routes for _, lng in route.points]
        return min(lats), max(lats), min(lngs), max(lngs)

    @property
    def lng_per_lat(self) -> float:
        """How many pixels a degree of latitude takes per pixel of a degree of longitude."""
        low, high, _, _ = self.bounds
        return 1.0 / max(0.05, math.cos(math.radians((low + high) / 2)))


def _thin(points: list[tuple[float, float]]) -> list[tuple[float, float]]:
    if len(points) <= MAX_POINTS_PER_ROUTE:
        return points
    step = math.ceil(len(points) / MAX_POINTS_PER_ROUTE)
    thinned = points[::step]
    if thinned[-1] != points[-1]:
        thinned.append(points[-1])
    return thinned


def place_name(zone: object, country: object) -> str:
    """A readable place for a route: the city of its IANA zone, else its country."""
    if isinstance(zone, str) and zone:
        return zone.rsplit("/", 1)[-1].replace("_", " ")
    if isinstance(country, str) and country:
        return country
    return "Unknown place"


def decode_routes(routes: pd.DataFrame, week_start: date) -> list[Route]:
    """Decode every summary polyline (routes that fail to decode or are empty are skipped)."""
    decoded = []
    for row in routes.sort_values("start_date_local").itertuples(index=False):
        try:
            points = polyline.decode(row.summary_polyline)
        except (ValueError, IndexError, TypeError):
            continue
        if len(points) < 2:
            continue
        started = pd.Timestamp(row.start_date_local)
        decoded.append(Route(
            activity_id=int(row.id),
            name=str(row.name) if row.name is not None else "",
            sport_type=str(row.sport_type),
            start_date_local=started,
            kudos_count=None if pd.isna(row.kudos_count) else int(row.kudos_count),
            distance_km=float(row.distance_km),
            place=place_name(row.timezone, row.location_country),
            this_week=week_start <= started.date() < week_start + timedelta(days=7),
            points=_thin([(round(lat, 5), round(lng, 5)) for lat, lng in points]),
        ))
    return decoded


def group_by_place(routes: list[Route]) -> list[Place]:
    """Places by number of routes, most first."""
    places: dict[str, Place] = {}
    for route in routes:
        places.setdefault(route.place, Place(route.place)).routes.append(route)
    return sorted(places.values(), key=lambda place: (-len(place.routes), place.name))
