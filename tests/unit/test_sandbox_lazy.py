"""The demo's sandbox athlete is built on first use (issue 23: a rerun sends no request)."""

from __future__ import annotations

from datetime import datetime, timezone

from pipeline.sandbox import SyntheticAthlete
from pipeline.sandbox.lazy import LazyAthlete

END = datetime(2026, 11, 22, tzinfo=timezone.utc)


def test_nothing_is_generated_until_an_attribute_is_used_then_the_same_athlete() -> None:
    lazy = LazyAthlete(42, 60, END)
    assert not lazy.is_built
    eager = SyntheticAthlete(42, 60, END)
    assert lazy.activities == eager.activities and lazy.athlete_id == eager.athlete_id
    assert lazy.is_built
    first = lazy.built()
    assert lazy.built() is first  # built once


def test_writes_reach_the_built_athlete() -> None:
    lazy = LazyAthlete(42, 60, END)
    lazy.activities = lazy.activities[:10]
    assert len(lazy.built().activities) == 10
