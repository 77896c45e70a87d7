"""``strava-pipeline status`` on an install of several athletes: one block per athlete (issue 26).

Each block names the athlete by id and name and gives its last run (the newest run date whose
watermark it recorded), that watermark, and its last reconciliation. A single-athlete install
prints none of this: its status reads as it always did.
"""

from __future__ import annotations

from typing import Any

from pipeline.reconcile import reconciliation_line
from pipeline.settings import Settings


def athletes_of(settings: Settings) -> list[Any]:
    """The athletes with a token entry (id, name), sorted by id; [] without the athletes' store."""
    try:
        from pipeline.strava.athlete_store import stored_athletes
    except ImportError:
        return []
    return stored_athletes(settings)


def athlete_block(state: Any, athlete: Any) -> list[str]:
    """One athlete's lines: who, its last run and watermark, its last reconciliation."""
    history = state.history(athlete_id=int(athlete.id)) if state is not None else []
    lines = [f"Athlete {athlete.id}" + (f" ({athlete.name})" if athlete.name else "") + ":"]
    if not history:
        lines.append("  last run: none yet (no watermark recorded)")
    else:
        run_date, watermark, recorded_at = history[-1]
        mark = (f"{watermark:%Y-%m-%d %H:%M:%S}" if watermark is not None
                else "recorded (no activities)")
        lines.append(f"  last run: {run_date.isoformat()} (recorded {recorded_at:%Y-%m-%d %H:%M} "
                     f"UTC), watermark {mark}")
    last = state.last_reconciliation(athlete_id=int(athlete.id)) if state is not None else None
    lines.append("  " + reconciliation_line(last))
    return lines


def athletes_status_lines(settings: Settings, state: Any) -> list[str]:
    """Every athlete's block on an install of several athletes; [] for one athlete."""
    athletes = athletes_of(settings)
    if len(athletes) <= 1:
        return []
    lines: list[str] = []
    for athlete in athletes:
        lines.extend(athlete_block(state, athlete))
    return lines
