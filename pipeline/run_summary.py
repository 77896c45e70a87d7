"""The counts a run ends with, like dbt's: tasks, activities, checks and Strava requests.

Importing this module registers Luigi event handlers (``pipeline.tasks`` imports it) that count
the tasks this process ran (SUCCESS) and found already done (DEPENDENCY_PRESENT), log one
progress line per finished task, and watch the Strava read budget the client observes. Loads
report their counts with :func:`loaded`; the checks come from the warehouse's validation
results. Wrapper tasks (WeeklyPipeline, Backfill) are not counted: they do no work.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date

import luigi
from luigi.task import flatten

from pipeline.athlete_scope import shown_parameters
from pipeline.backends import Warehouse
from pipeline.graph_walk import one_graph_walk
from pipeline.strava import ratelimit

logger = logging.getLogger("pipeline.progress")

CHECK_OUTCOMES = {"pass": "passed", "warn": "warned", "fail": "failed", "error": "failed",
                  "skipped": "skipped"}


@dataclass(frozen=True)
class LoadCounts:
    """What one LoadProduction did to production."""

    added: int
    changed: int
    removed: int


@dataclass
class Tally:
    """What this process's run did so far."""

    done: set[str] = field(default_factory=set)
    already_done: set[str] = field(default_factory=set)
    to_run: set[str] = field(default_factory=set)
    loads: dict[date, LoadCounts] = field(default_factory=dict)
    requests: int = 0
    budget: ratelimit.Budget | None = None

    def activities(self) -> LoadCounts:
        """Every load of the run added together."""
        loads = list(self.loads.values())
        return LoadCounts(sum(c.added for c in loads), sum(c.changed for c in loads),
                          sum(c.removed for c in loads))


TALLY = Tally()


def reset() -> None:
    """Start a new run's tally (tests and repeated in-process runs)."""
    global TALLY
    TALLY = Tally()


def loaded(run_date: date, added: int, changed: int, removed: int) -> None:
    """A LoadProduction's counts, for the summary and one progress line."""
    TALLY.loads[run_date] = LoadCounts(added, changed, removed)
    logger.info("loaded %s: %d activities added, %d changed, %d removed", run_date, added,
                changed, removed)


def check_counts(warehouse: Warehouse | None, run_dates: Iterable[date]) -> dict[str, int]:
    """The latest outcome of every check of the run dates: passed, warned, failed, skipped."""
    counts = dict.fromkeys(("passed", "warned", "failed", "skipped"), 0)
    if warehouse is None or not warehouse.table_exists("validation_results"):
        return counts
    for run_date in run_dates:
        for row in warehouse.query_file("status/latest_validation.sql", {"run_date": run_date}):
            outcome = CHECK_OUTCOMES.get(str(row[1]), "failed")
            counts[outcome] += 1
    return counts


def summary_lines(tally: Tally, checks: dict[str, int], failed: int) -> list[str]:
    """'Tasks: ...', 'Activities: ...', 'Checks: ...', 'Strava: ...' lines."""
    activities = tally.activities()
    lines = [
        f"Tasks:      {len(tally.done)} done, {len(tally.already_done)} already done, "
        f"{failed} failed",
        f"Activities: {activities.added} added, {activities.changed} changed, "
        f"{activities.removed} removed",
        f"Checks:     {checks['passed']} passed, {checks['warned']} warned, "
        f"{checks['failed']} failed" + (f", {checks['skipped']} skipped"
                                         if checks["skipped"] else ""),
    ]
    budget = tally.budget
    if budget is None:
        lines.append(f"Strava:     {tally.requests} requests")
    else:
        lines.append(f"Strava:     {tally.requests} requests; budget used "
                     f"{budget.usage_15min}/{budget.limit_15min} this 15 minutes, "
                     f"{budget.usage_daily}/{budget.limit_daily} today")
    return lines


def _counted(task: luigi.Task) -> bool:
    """A task of one run date that does work (not WeeklyPipeline, Backfill, BackfillWeek)."""
    return isinstance(getattr(task, "run_date", None), date) \
        and not isinstance(task, luigi.WrapperTask)


def _graph(task: luigi.Task) -> set[str]:
    """The counted tasks a task stands for: itself and everything it requires. Each task's
    ``requires()`` is asked once (a finished WeeklyPipeline's graph shares most of its tasks:
    walking every path asked BuildModel's about ten times as often, issue 23)."""
    found: set[str] = set()
    seen: set[str] = {task.task_id}
    stack = [task]
    with one_graph_walk():
        while stack:
            current = stack.pop()
            if _counted(current):
                found.add(current.task_id)
            for required in flatten(current.requires()):
                if required.task_id not in seen:
                    seen.add(required.task_id)
                    stack.append(required)
    return found


def _name(task: luigi.Task) -> str:
    run_date = getattr(task, "run_date", None)
    params = shown_parameters(task)
    name = task.task_family + (f"({', '.join(params)})" if params else "")
    return f"{name} for {run_date}" if run_date else name


@luigi.Task.event_handler(luigi.Event.PROCESSING_TIME)
def _on_done(task: luigi.Task, seconds: float) -> None:
    if _counted(task):
        TALLY.done.add(task.task_id)
        logger.info("done %s (%.1f s)", _name(task), seconds,
                    extra={"progress": (len(TALLY.done), len(TALLY.to_run | TALLY.done))})


@luigi.Task.event_handler(luigi.Event.DEPENDENCY_MISSING)
def _on_to_run(task: luigi.Task) -> None:
    if _counted(task):
        TALLY.to_run.add(task.task_id)


@luigi.Task.event_handler(luigi.Event.DEPENDENCY_PRESENT)
def _on_already_done(task: luigi.Task) -> None:
    """A complete task; a complete wrapper (a finished WeeklyPipeline) stands for its graph."""
    try:
        TALLY.already_done.update(_graph(task) if not _counted(task) else {task.task_id})
    except Exception as error:  # counting must never change the run
        logger.debug("already-done tasks not counted: %s", type(error).__name__)


def _on_budget(budget: ratelimit.Budget | None) -> None:
    TALLY.requests += 1
    if budget is not None:
        TALLY.budget = budget


ratelimit.RESPONSE_OBSERVERS.append(_on_budget)
