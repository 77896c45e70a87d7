"""Where the synthetic athlete trains (home and trip cities) and how Strava writes the times."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo


@dataclass(frozen=True)
class Place:
    """A city the athlete trains in: IANA zone, centre coordinates, state or province (Strava's
    ``location_state``) and a few local route names."""

    city: str
    tz: str
    lat: float
    lng: float
    country: str
    elevation: float
    southern: bool = False
    route_names: tuple[str, ...] = ()
    region: str = ""


HOME = Place(
    "Toronto",
    "America/Toronto",
    43.6532,
    -79.3832,
    "Canada",
    76.0,
    route_names=("Martin Goodman Trail", "Don Valley loop", "High Park hills", "Humber River"),
    region="Ontario",
)

TRIPS: tuple[Place, ...] = (
    Place(
        "Berlin",
        "Europe/Berlin",
        52.5200,
        13.4050,
        "Germany",
        34.0,
        route_names=("Tiergarten loop", "Tempelhofer Feld", "Spree shakeout"),
        region="Berlin",
    ),
    Place(
        "Vancouver",
        "America/Vancouver",
        49.2827,
        -123.1207,
        "Canada",
        5.0,
        route_names=("Stanley Park seawall", "Grouse Grind", "Kits beach"),
        region="British Columbia",
    ),
    Place(
        "Sydney",
        "Australia/Sydney",
        -33.8688,
        151.2093,
        "Australia",
        10.0,
        southern=True,
        route_names=("Bondi to Coogee", "Harbour Bridge run", "Centennial Park laps"),
        region="New South Wales",
    ),
    Place(
        "Mumbai",
        "Asia/Kolkata",
        19.0760,
        72.8777,
        "India",
        8.0,
        route_names=("Marine Drive", "Bandra promenade"),
        region="Maharashtra",
    ),
)


def to_utc(place: Place, local: datetime) -> datetime:
    """The UTC instant of a naive local wall-clock time at a place."""
    return local.replace(tzinfo=ZoneInfo(place.tz)).astimezone(timezone.utc)


def _format_offset(offset: timedelta) -> str:
    minutes = int(offset.total_seconds() // 60)
    sign = "+" if minutes >= 0 else "-"
    hours, mins = divmod(abs(minutes), 60)
    return f"{sign}{hours:02d}:{mins:02d}"


def strava_times(place: Place, start_utc: datetime) -> dict[str, object]:
    """Strava's time fields for an activity starting at ``start_utc`` (aware) at ``place``.

    ``start_date_local`` is local wall-clock time with a (misleading) trailing Z, ``timezone``
    carries the standard offset, and ``utc_offset`` is the DST-aware offset in seconds.
    """
    local = start_utc.astimezone(ZoneInfo(place.tz))
    offset = local.utcoffset() or timedelta(0)
    standard = offset - (local.dst() or timedelta(0))
    return {
        "start_date": start_utc.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "start_date_local": local.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "timezone": f"(GMT{_format_offset(standard)}) {place.tz}",
        "utc_offset": float(offset.total_seconds()),
    }
