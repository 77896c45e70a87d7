"""The pipeline's Backfill narrowed to some athletes, for the multi-worker test: two
``luigi --workers 2`` invocations against one luigid, each the backfill of its own athletes
(``luigi --module tests.support.athlete_backfill AthletesBackfill --athlete-ids [..] ...``).

Backfill's own steps (every athlete's ExtractRange, the weeks' chains, the newest week's
WeeklyPipeline), only the last narrowed to these athletes, so one invocation never waits for
the other's athletes."""

from __future__ import annotations

import sys
from collections.abc import Iterator

import luigi

# The pipeline's pre-flight (pipeline/tasks/command_line.py) runs when pipeline.tasks is first
# imported from Luigi's command line and cannot know a task not defined yet: it is for the
# pipeline's own tasks, so this module imports them as a library.
_program, sys.argv[0] = sys.argv[0], __name__
try:
    from pipeline.tasks.backfill import Backfill, BackfillWeek
    from pipeline.tasks.weekly import WeeklyPipeline
finally:
    sys.argv[0] = _program


class AthletesBackfill(Backfill):
    """Backfill of ``athlete_ids`` only."""

    athlete_ids = luigi.ListParameter(description="The athletes of this backfill.")

    def athletes(self) -> list[int]:
        return [int(athlete) for athlete in self.athlete_ids]

    def newest(self, run_date: object) -> WeeklyPipeline:
        """The newest week's WeeklyPipeline of these athletes."""
        return WeeklyPipeline(run_date=run_date, athlete_ids=tuple(self.athletes()))

    def complete(self) -> bool:
        weeks = self.run_dates()
        return not weeks or (
            self.newest(weeks[-1]).complete()
            and all(BackfillWeek(run_date=week, athlete_id=athlete).complete()
                    for athlete in self.athletes() for week in weeks))

    def run(self) -> Iterator[luigi.Task | list[luigi.Task]]:
        for step in super().run():
            yield self.newest(step.run_date) if isinstance(step, WeeklyPipeline) else step
