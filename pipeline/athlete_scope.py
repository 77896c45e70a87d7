"""Which athletes a run covers, and how each athlete's targets are named (issue 26).

Every dated task has an ``athlete_id`` parameter. 0 means "the install's single athlete" (a
task named on the command line without ``--athlete-id``, or an install without the athletes'
token store): it stands for the athlete recorded by the upgrade (pipeline/athlete_upgrade.py)
once there is one. Target names:

* The install's first athlete (the one who took over a single-athlete install's rows, or the
  sole athlete when the graph was first built) keeps the names it always had:
  ``LoadProduction(2026-11-29)``, ``strava/activities/2026-11-29/...``,
  ``staging_strava_activity_data_20261129``. So an upgrade redoes no finished stage.
* Every other athlete's names carry its id: ``LoadProduction(2026-11-29,a42)``,
  ``strava/activities/42/2026-11-29/...``, ``staging_strava_activity_data_20261129_a42``,
  ``$DATA_DIR/extract/42/2026-11-29/``; its state rows carry athlete_id 42.
"""

from __future__ import annotations

import logging
import time
from typing import Any

logger = logging.getLogger(__name__)

_UPGRADED: dict[str, int] = {}  # state url -> the install's first athlete (once recorded)
_NONE_UNTIL: dict[str, float] = {}  # state url -> until when "no first athlete" is believed
# "No first athlete yet" is asked again after this many seconds (a task's names read it often;
# another process may record one meanwhile, which at worst makes a stage run once more).
NONE_FOR_SECONDS = 60.0


def authorized_ids(settings: Any) -> list[int]:
    """The ids of the athletes with a token entry, sorted; [] for an install whose token store
    is still the single athlete's of before issue 26 (then the graph is that athlete's, with
    athlete_id 0, as before). No request to Strava: the single store becomes the first athlete's
    entry when ``pipeline.athletes.authorized_athletes`` is first asked (``athletes list``,
    ``authorize``), and the next run takes the install over for it
    (pipeline/athlete_upgrade.py), with the same names."""
    try:
        from pipeline.strava.athlete_store import stored_athletes
    except ImportError:
        return []
    return [int(athlete.id) for athlete in stored_athletes(settings)]


def first_athlete(state: Any) -> int:
    """The install's first athlete's id (0 when none is recorded yet)."""
    url = str(getattr(state, "url", ""))
    if url not in _UPGRADED:
        if _NONE_UNTIL.get(url, 0.0) > time.monotonic():
            return 0
        found = state.upgraded_athlete()
        if found is None:
            _NONE_UNTIL[url] = time.monotonic() + NONE_FOR_SECONDS
            return 0
        _UPGRADED[url] = found[0]
    return _UPGRADED[url]


def forget_cached(state: Any) -> None:
    """Drop the cached first athlete of a store (after an upgrade or in tests)."""
    _UPGRADED.pop(str(getattr(state, "url", "")), None)
    _NONE_UNTIL.pop(str(getattr(state, "url", "")), None)


def effective_athlete(state: Any, athlete_id: int) -> int:
    """The athlete a task's rows belong to: its own id, or for 0 the install's first one."""
    return int(athlete_id) or first_athlete(state)


def target_tag(state: Any, athlete_id: int) -> str:
    """'' for the install's first athlete (its names stay as they were), 'a<id>' otherwise.
    Athlete 0 stands for the first athlete: its names need no store."""
    if not athlete_id or int(athlete_id) == first_athlete(state):
        return ""
    return f"a{int(athlete_id)}"


def shown_parameters(task: Any) -> list[str]:
    """A task's significant parameters as lines and status show them, without the run date:
    'athlete 42' for another athlete's task, nothing for athlete 0 (the install's single
    athlete) or for WeeklyPipeline's empty athlete list."""
    shown = []
    for name, value in task.to_str_params(only_significant=True).items():
        if name == "run_date" or (name in ("athlete_id", "athlete_ids")
                                  and value in ("0", "[]", "()")):
            continue
        shown.append(f"athlete {value}" if name == "athlete_id" else value)
    return shown
