"""Sport profiles of the synthetic athlete: believable distances, speeds and heart rates."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Sport:
    """How one Strava ``sport_type`` usually looks for this athlete (easy-day values)."""

    sport_type: str
    type: str
    label: str
    family: str  # "run", "ride" or "other"
    gps: bool
    trainer: bool
    km: tuple[float, float]  # distance range; (0, 0) for sports without distance
    speed: tuple[float, float]  # average moving speed, m/s
    hr: tuple[float, float]  # average heart rate range
    climb: tuple[float, float]  # elevation gain, metres per km
    cadence: tuple[float, float] | None = None
    minutes: tuple[int, int] = (0, 0)  # duration range for sports without distance
    gear: str | None = None  # "shoe", "bike" or None


SPORTS: dict[str, Sport] = {
    s.sport_type: s
    for s in (
        Sport("Run", "Run", "Run", "run", True, False, (5, 12), (2.8, 3.3), (135, 152),
              (4, 12), (80, 90), gear="shoe"),
        Sport("TrailRun", "Run", "Trail Run", "run", True, False, (8, 24), (2.2, 2.8),
              (140, 160), (20, 55), (76, 86), gear="shoe"),
        Sport("VirtualRun", "VirtualRun", "Virtual Run", "run", False, True, (5, 12),
              (2.8, 3.5), (138, 155), (0, 2), (82, 90), gear="shoe"),
        Sport("Ride", "Ride", "Ride", "ride", True, False, (25, 80), (7.0, 8.8), (122, 148),
              (4, 10), (78, 92), gear="bike"),
        Sport("GravelRide", "Ride", "Gravel Ride", "ride", True, False, (30, 90), (5.8, 7.4),
              (125, 150), (8, 15), (75, 88), gear="bike"),
        Sport("VirtualRide", "VirtualRide", "Virtual Ride", "ride", False, True, (20, 60),
              (8.0, 10.0), (128, 155), (5, 15), (82, 95), gear="bike"),
        Sport("Walk", "Walk", "Walk", "other", True, False, (2, 8), (1.2, 1.5), (88, 108),
              (2, 8)),
        Sport("Hike", "Hike", "Hike", "other", True, False, (6, 20), (0.9, 1.3), (108, 135),
              (40, 90), gear="shoe"),
        Sport("Swim", "Swim", "Swim", "other", False, False, (1.0, 3.5), (0.7, 0.9),
              (120, 145), (0, 0)),
        Sport("WeightTraining", "WeightTraining", "Weight Training", "other", False, False,
              (0, 0), (0, 0), (98, 125), (0, 0), minutes=(30, 70)),
        Sport("Yoga", "Yoga", "Yoga", "other", False, False, (0, 0), (0, 0), (78, 98),
              (0, 0), minutes=(30, 60)),
    )
}

HOME_WEIGHTS: dict[str, float] = {
    "Run": 47, "TrailRun": 6, "VirtualRun": 3, "Ride": 12, "GravelRide": 4, "VirtualRide": 6,
    "Walk": 7, "Hike": 3, "Swim": 5, "WeightTraining": 4, "Yoga": 3,
}
TRIP_WEIGHTS: dict[str, float] = {"Run": 60, "TrailRun": 8, "Walk": 15, "Hike": 12, "Swim": 5}

RACES: dict[float, tuple[tuple[float, float], tuple[str, ...]]] = {
    5000.0: ((3.9, 4.2), ("Parkrun", "Beaches Jazz 5K", "Turkey Trot 5K")),
    10000.0: ((3.75, 4.0), ("Sporting Life 10K", "Spring Run-Off 10K", "Harry's Spring Run-Off")),
    21097.5: ((3.6, 3.8), ("Toronto Half Marathon", "Chilly Half Marathon", "Niagara Falls Half")),
    42195.0: ((3.3, 3.55), ("Toronto Waterfront Marathon", "Mississauga Marathon",
                            "Ottawa Marathon")),
}
