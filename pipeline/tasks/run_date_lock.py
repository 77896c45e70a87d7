"""Every task of a run date runs under the date's lock, and looks again once it holds it.

Two runs of one date (two terminals, cron plus a person, two luigid workers) schedule the same
tasks. Whichever takes the lock first does a task; the other, once it holds the lock, finds the
task complete and returns, or finds that a task it needs is no longer complete (the first run
quarantined the date) and stops with one line, deleting nothing.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import threading
from collections.abc import Callable, Iterator
from typing import Any

import luigi
from luigi.task import flatten

from pipeline.backends.lake import remove_stale_temporaries

logger = logging.getLogger(__name__)
_HELD = threading.local()  # run dates whose lock this thread holds (a run() calling another)


class RunDateChanged(RuntimeError):
    """While this run waited, another run of the date undid a stage this task needs."""


def holding_run_date_lock(run: Callable[[Any], None]) -> Callable[[Any], None]:
    """Wrap a RunDateTask's ``run`` so it runs under its run date's lock, only when still due."""

    @functools.wraps(run)
    def locked_run(task: Any) -> None:
        held: set = _HELD.__dict__.setdefault("dates", set())
        if task.run_date in held:
            run(task)
            return
        chained: set = _HELD.__dict__.setdefault("chains", set())
        with (contextlib.nullcontext() if task.run_date in chained else
              task.state.lock_run_date(task.run_date, task.settings.run_lock_wait_seconds)):
            held.add(task.run_date)
            try:
                _run_if_still_due(task, run)
            finally:
                held.discard(task.run_date)

    return locked_run


@contextlib.contextmanager
def run_date_lock_held(task: Any) -> Iterator[None]:
    """Hold ``task``'s run date's lock over a block that runs several of the date's stages
    (a backfill week, pipeline/tasks/backfill.py): each stage's run looks again, under it,
    whether it is still due, as it does when it takes the lock itself, and the lock is taken
    once for the week instead of once per stage."""
    held: set = _HELD.__dict__.setdefault("dates", set())
    chained: set = _HELD.__dict__.setdefault("chains", set())
    if task.run_date in held or task.run_date in chained:
        yield
        return
    with task.state.lock_run_date(task.run_date, task.settings.run_lock_wait_seconds):
        chained.add(task.run_date)
        try:
            yield
        finally:
            chained.discard(task.run_date)


def _run_if_still_due(task: Any, run: Callable[[Any], None]) -> None:
    """Under the lock: skip a task another run finished; refuse one whose input was undone."""
    if task.complete():
        logger.info("%s was completed by another run meanwhile; nothing to do", task)
        task.set_status_message("done by another run of the date")
        return
    missing = [needed for needed in flatten(task.requires())
               if isinstance(needed, luigi.Task) and not needed.complete()]
    if missing:
        raise RunDateChanged(
            f"{missing[0]} is no longer complete: another run of run date "
            f"{task.run_date} changed it while this one waited; run the date again"
        )
    for target in flatten(task.output()):
        if isinstance(target, luigi.LocalTarget):
            remove_stale_temporaries(target.path)  # what a killed try of this task left
    run(task)
