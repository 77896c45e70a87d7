"""A synthetic athlete built on first use: ``LazyAthlete``.

The demo run serves the sandbox in its own process; a rerun of a finished date sends no request,
so building the athlete's history when the sandbox starts (about a second for 1,200
activities) was start-up time spent for nothing (issue 23). The athlete is built, once, when
the first request needs it.
"""

from __future__ import annotations

import threading
from datetime import datetime
from typing import Any

from pipeline.sandbox.athlete import SyntheticAthlete

_OWN = ("_lazy_arguments", "_lazy_athlete", "_lazy_lock")


class LazyAthlete:
    """Stands for ``SyntheticAthlete(seed, n_activities, end)``, built on the first attribute
    read or write (from any thread, once)."""

    def __init__(self, seed: int, n_activities: int, end: datetime) -> None:
        object.__setattr__(self, "_lazy_arguments", (seed, n_activities, end))
        object.__setattr__(self, "_lazy_athlete", None)
        object.__setattr__(self, "_lazy_lock", threading.Lock())

    @property
    def is_built(self) -> bool:
        """Whether the history was generated (tests: a rerun must not)."""
        return self._lazy_athlete is not None

    def built(self) -> SyntheticAthlete:
        """The athlete, generated now if it was not yet."""
        with self._lazy_lock:
            if self._lazy_athlete is None:
                object.__setattr__(self, "_lazy_athlete", SyntheticAthlete(*self._lazy_arguments))
            return self._lazy_athlete

    def __getattr__(self, name: str) -> Any:  # only for names this object does not have
        if name in _OWN:
            raise AttributeError(name)
        return getattr(self.built(), name)

    def __setattr__(self, name: str, value: Any) -> None:
        setattr(self.built(), name, value)
