"""The `strava-pipeline` command and `luigi --module` as a user runs them: from another directory,
without activating the environment, with bad settings, and with the sandbox beside real data."""

from __future__ import annotations

import sys
from datetime import date, timedelta
from pathlib import Path

import pytest

from pipeline.sandbox import SyntheticAthlete, athlete_end
from tests.conftest import require_server

CONSOLE_SCRIPT = Path(sys.executable).parent / "strava-pipeline"


LUIGI_SCRIPT = Path(sys.executable).parent / "luigi"


@pytest.fixture(autouse=True)
def _console_script_installed() -> None:
    require_server(CONSOLE_SCRIPT.exists() and LUIGI_SCRIPT.exists(),
                   f"{CONSOLE_SCRIPT} is not installed (pip install -e .)")


def test_the_sandbox_history_ends_on_its_end_date_and_is_deterministic() -> None:
    last_day = date(2026, 11, 25)
    athlete = SyntheticAthlete(seed=3, n_activities=300, end=athlete_end(last_day))
    newest = max(a["start_date_local"][:10] for a in athlete.activities)
    assert last_day - timedelta(days=7) < date.fromisoformat(newest) <= last_day
    again = SyntheticAthlete(seed=3, n_activities=300, end=athlete_end(last_day))
    assert again.activities == athlete.activities


def test_the_sandbox_history_ends_the_day_before_the_run_date_by_default() -> None:
    from pipeline.athlete_zone import default_run_date
    from pipeline.sandbox_cli import default_last_day

    assert default_last_day() == default_run_date() - timedelta(days=1)
