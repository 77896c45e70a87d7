"""The dashboard's settings, read from the environment: units and the map's tile layer.

``DASHBOARD_UNITS``            ``km`` (default) or ``mi``: distances, paces, speeds, climbing.
``DASHBOARD_TILE_URL``         an XYZ tile template such as
                               ``https://tile.openstreetmap.org/{z}/{x}/{y}.png``; unset means
                               the offline drawing (routes on a plain background).
``DASHBOARD_TILE_ATTRIBUTION`` the text the tile provider asks to show, e.g.
                               ``© OpenStreetMap contributors``.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

DASHBOARD_VARIABLES: tuple[str, ...] = (
    "DASHBOARD_UNITS", "DASHBOARD_TILE_URL", "DASHBOARD_TILE_ATTRIBUTION",
)
METRES_PER_MILE = 1609.344
FEET_PER_METRE = 3.280839895


@dataclass(frozen=True)
class Units:
    """How distances, paces, speeds and climbing are written (metric or imperial)."""

    name: str

    @property
    def metres_per_unit(self) -> float:
        """Metres in one km or one mile."""
        return 1000.0 if self.name == "km" else METRES_PER_MILE

    @property
    def distance(self) -> str:
        """'km' or 'mi'."""
        return self.name

    @property
    def climb(self) -> str:
        """'m' or 'ft'."""
        return "m" if self.name == "km" else "ft"

    @property
    def speed(self) -> str:
        """'km/h' or 'mph'."""
        return "km/h" if self.name == "km" else "mph"

    def from_metres(self, metres: float) -> float:
        """A distance in km or miles."""
        return metres / self.metres_per_unit

    def climb_from_metres(self, metres: float) -> float:
        """A climb in metres or feet."""
        return metres if self.name == "km" else metres * FEET_PER_METRE

    def pace_text(self, metres: float, seconds: float) -> str | None:
        """Pace as 'm:ss /km' (None without distance or time)."""
        if metres <= 0 or seconds <= 0:
            return None
        per_unit = round(seconds / self.from_metres(metres))
        return f"{per_unit // 60}:{per_unit % 60:02d} /{self.name}"

    def speed_value(self, metres: float, seconds: float) -> float | None:
        """Average speed in km/h or mph (None without distance or time)."""
        if metres <= 0 or seconds <= 0:
            return None
        return self.from_metres(metres) / (seconds / 3600.0)


@dataclass(frozen=True)
class DashboardOptions:
    """Units and the optional tile layer of the route maps."""

    units: Units = Units("km")
    tile_url: str | None = None
    tile_attribution: str = ""

    @classmethod
    def from_environment(cls, environ: Mapping[str, str] | None = None) -> DashboardOptions:
        """Read DASHBOARD_UNITS, DASHBOARD_TILE_URL and DASHBOARD_TILE_ATTRIBUTION."""
        env = os.environ if environ is None else environ
        units = (env.get("DASHBOARD_UNITS") or "km").strip().lower()
        if units not in ("km", "mi"):
            raise ValueError(f"DASHBOARD_UNITS must be km or mi, not {units!r}; set it to one "
                             "of them or unset it for km")
        tile_url = (env.get("DASHBOARD_TILE_URL") or "").strip() or None
        if tile_url is not None:
            missing = [part for part in ("{z}", "{x}", "{y}") if part not in tile_url]
            if missing or not tile_url.startswith(("http://", "https://")):
                raise ValueError(
                    f"DASHBOARD_TILE_URL must be an http(s) XYZ template with {{z}}, {{x}} and "
                    f"{{y}}, such as https://tile.openstreetmap.org/{{z}}/{{x}}/{{y}}.png "
                    f"(missing: {', '.join(missing) or 'http(s)://'})")
        attribution = (env.get("DASHBOARD_TILE_ATTRIBUTION") or "").strip()
        return cls(Units(units), tile_url, attribution)
