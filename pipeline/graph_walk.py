"""One walk of a task graph reads the state store once per run date (issue 23).

A finished WeeklyPipeline's graph is walked to count its tasks (pipeline/run_summary.py), and
every BuildModel's ``requires()`` asks the state store whether a reconciliation is due and
whether webhook events wait: the same answer for every model of a run date.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

_T = TypeVar("_T")
_ONE_WALK: dict[tuple[Any, ...], Any] | None = None


@contextmanager
def one_graph_walk() -> Iterator[None]:
    """Within it, what ``requires()`` reads of the state store for a run date (is a
    reconciliation due, do webhook events wait) is read once, not once per model: the walk of a
    finished run's graph asked it for every BuildModel (issue 23). Luigi's own scheduling is
    not inside one, so a run still sees the store as it changes."""
    global _ONE_WALK
    outer = _ONE_WALK
    _ONE_WALK = {} if outer is None else outer
    try:
        yield
    finally:
        _ONE_WALK = outer


def read_once(key: tuple[Any, ...], read: Callable[[], _T]) -> _T:
    """``read()``, or inside :func:`one_graph_walk` the value it gave for ``key`` before."""
    if _ONE_WALK is None:
        return read()
    if key not in _ONE_WALK:
        _ONE_WALK[key] = read()
    return _ONE_WALK[key]
