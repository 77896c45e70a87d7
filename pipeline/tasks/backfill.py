"""Backfill and catch-up: WeeklyPipeline for every week of a date range, oldest week first.

``luigi --module pipeline.tasks Backfill --start 2025-01-05 --stop 2026-11-29``

Luigi 3.8 has RangeDaily and RangeHourly but no RangeWeekly, and a range task gives no order
among its weeks (Luigi would start with the newest). Here every week's run date is a Sunday, as
the weekly cron run's (Monday morning, for the week that ended on Sunday), and older weeks get a
higher priority, so with one worker the weeks run in
date order: each extract starts from the previous week's watermark and asks Strava only for the
new weeks' activities. Finished weeks are complete and skipped; a failed or interrupted backfill
is rerun with the same command. A run date that is not over yet in the athlete's time zone is
never included (see pipeline/run_dates.py), whatever ``--stop`` says.
"""

from __future__ import annotations

from datetime import date, timedelta

import luigi

from pipeline.tasks.base import RunDateParameter, default_run_date
from pipeline.tasks.weekly import WeeklyPipeline

SUNDAY = 6
_FAR_FUTURE = date(9999, 12, 31)


def week_run_dates(start: date, stop: date, weekday: int = SUNDAY,
                   latest: date | None = None) -> list[date]:
    """Every ``weekday`` (Monday 0 ... Sunday 6) from start to stop, both included, up to the
    latest completed day (default: the most recent day over in the athlete's time zone).

    Days not over are left out: a week run before its run date ended would be marked done
    while activities of that date were still to come, and never run again.
    """
    if not 0 <= weekday <= 6:
        raise ValueError(f"weekday={weekday} must be 0 (Monday) to 6 (Sunday)")
    last = min(stop, latest or default_run_date())
    first = start + timedelta(days=(weekday - start.weekday()) % 7)
    weeks = []
    while first <= last:
        weeks.append(first)
        first += timedelta(days=7)
    return weeks


class BackfillWeek(luigi.WrapperTask):
    """One week of a backfill: WeeklyPipeline for the run date, scheduled before later weeks."""

    run_date = luigi.DateParameter(description="The week's run date.")

    @property
    def priority(self) -> int:  # type: ignore[override]
        # The scheduler passes a task's priority on to everything it requires; the highest
        # priority runnable task runs first, so older weeks go first.
        return (_FAR_FUTURE - self.run_date).days

    def requires(self) -> WeeklyPipeline:
        return WeeklyPipeline(run_date=self.run_date)


class Backfill(luigi.WrapperTask):
    """WeeklyPipeline for every week (Sunday run dates) from ``start`` to ``stop``, oldest first."""

    start = luigi.DateParameter(description="First day of the range (its first Sunday runs).")
    stop = RunDateParameter(
        description="Last day of the range, included; default (and at most) the most recent "
        "day that is over in the athlete's time zone."
    )
    weekday = luigi.IntParameter(
        default=SUNDAY, description="Weekday of the run dates: 0 Monday ... 6 Sunday."
    )

    def run_dates(self) -> list[date]:
        """The run dates this backfill covers."""
        if self.start > self.stop:
            raise ValueError(
                f"Backfill --start {self.start} is after --stop {self.stop}: swap them"
            )
        return week_run_dates(self.start, self.stop, self.weekday)

    def requires(self) -> list[BackfillWeek]:
        return [BackfillWeek(run_date=run_date) for run_date in self.run_dates()]
