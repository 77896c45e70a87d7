"""Activity names: Strava's defaults, the athlete's own titles and hostile ones for loaders."""

from __future__ import annotations

import random

HOSTILE_NAMES: list[str] = [
    "Morning Run | 10k | easy",
    "Line one\nline two",
    "Windows line\r\nbreak",
    'She said "tempo" again',
    "Back\\slash C:\\runs\\",
    "Tab\tseparated\tvalues",
    "  padded with spaces  ",
    "🏃‍♀️🔥",
    "😀 Smiley run",
    "晨跑 東京 마라톤",
    "Café crème à Montréal, très bien",
    "Intervals, 6x800m, 400m jog",
    "NULL",
    "None",
    "nan",
    "\\N",
    "Parkrun at O'Connor's",
    "Robert'); DROP TABLE x;--",
]

_CUSTOM: dict[str, tuple[str, ...]] = {
    "easy": ("Easy miles", "Recovery jog", "Shakeout", "Easy 10k", "Sunrise run", "Base building"),
    "long": ("Long run", "Sunday long run", "LSD", "Long one with the crew", "Marathon build"),
    "workout": ("6x800m @ 5k pace", "Tempo 3x2k", "Hill repeats", "Fartlek Friday",
                "Track Tuesday: 12x400", "Threshold 2x15'"),
    "commute": ("Commute", "Ride to work", "Ride home", "Commute (headwind)"),
    "ride": ("Coffee ride", "Leslie Spit loop", "Group ride", "Hills of Caledon", "Solo TT"),
    "virtual_ride": ("Zwift - Tempus Fugit in Watopia", "Zwift - Group Ride: Tour of Watopia",
                     "Zwift - Alpe du Zwift", "TrainerRoad - Baxter"),
    "swim": ("Pool swim", "Masters swim", "Technique drills"),
    "other": ("Stretch and strength", "Core", "Gym", "Mobility"),
}


def default_name(hour: int, label: str) -> str:
    """Strava's automatic title from the local hour, e.g. ``"Morning Run"``."""
    if 5 <= hour < 11:
        part = "Morning"
    elif 11 <= hour < 14:
        part = "Lunch"
    elif 14 <= hour < 18:
        part = "Afternoon"
    elif 18 <= hour < 22:
        part = "Evening"
    else:
        part = "Night"
    return f"{part} {label}"


def custom_name(rng: random.Random, sport_type: str, intent: str, routes: tuple[str, ...]) -> str:
    """A title the athlete typed, chosen by sport, intent and place."""
    if sport_type == "VirtualRide":
        return rng.choice(_CUSTOM["virtual_ride"])
    if sport_type == "Swim":
        return rng.choice(_CUSTOM["swim"])
    if sport_type in ("WeightTraining", "Yoga"):
        return rng.choice(_CUSTOM["other"])
    if intent == "commute":
        return rng.choice(_CUSTOM["commute"])
    if routes and rng.random() < 0.4:
        return rng.choice(routes)
    if sport_type in ("Ride", "GravelRide"):
        return rng.choice(_CUSTOM["ride"])
    return rng.choice(_CUSTOM.get(intent, _CUSTOM["easy"]))
