"""WeeklyPipeline: the root of the graph; complete when every stage of the run date is, for
every authorized athlete (issue 26), each athlete's stages separate targets."""

from __future__ import annotations

import logging

import luigi

from pipeline.athlete_scope import authorized_ids
from pipeline.tasks.base import RunDateTask
from pipeline.tasks.dashboard import BuildDashboard
from pipeline.tasks.streams import FetchStreams, streams_from_api
from pipeline.tasks.watermark import RecordWatermark

logger = logging.getLogger(__name__)


class UnknownAthlete(ValueError):
    """--athlete-id names an athlete who has not authorized the application."""


class WeeklyPipeline(RunDateTask, luigi.WrapperTask):
    """Extract, lake, staging, production, watermark, models and dashboard for one run date.

    One chain per authorized athlete (``athlete_ids`` narrows them: ``--athlete-id 42``,
    repeatable), so one athlete's failure never blocks another's. An install without the
    athletes' token store has one chain, athlete 0. A run date not over yet in the athlete's
    time zone is refused by ExtractActivities, the first stage, so nothing of it is ever marked
    done (``pipeline/run_dates.py``).
    """

    athlete_ids = luigi.ListParameter(
        default=(), description="Only these athletes (repeat --athlete-id ID); default: every "
        "authorized athlete.")

    def athletes(self) -> list[int]:
        """The athlete ids of this run (0 alone for an install of one athlete); the install's
        single-athlete rows taken over first (pipeline/athlete_upgrade.py). Once per task."""
        if not hasattr(self, "_athletes"):
            self._athletes = self._find_athletes()
        return self._athletes

    def _find_athletes(self) -> list[int]:
        from pipeline.athlete_upgrade import ensure_upgraded

        authorized = authorized_ids(self.settings)
        if authorized:
            ensure_upgraded(self.state, self.warehouse, authorized)
        wanted = [int(athlete) for athlete in self.athlete_ids]
        if self.athlete_id:
            wanted.append(int(self.athlete_id))
        unknown = [athlete for athlete in wanted if authorized and athlete not in authorized]
        if unknown:
            raise UnknownAthlete(
                f"athlete {unknown[0]} has not authorized this application: run "
                "`strava-pipeline athletes list` for the ids, or `strava-pipeline authorize`")
        if wanted:
            return list(dict.fromkeys(wanted))
        return authorized or [0]

    def requires(self) -> list[luigi.Task]:
        tasks: list[luigi.Task] = []
        for athlete in self.athletes():
            # The dashboard requires the marts and the kudos model; the watermark is the only
            # stage it does not imply.
            tasks += [RecordWatermark(run_date=self.run_date, athlete_id=athlete),
                      BuildDashboard(run_date=self.run_date, athlete_id=athlete)]
            if streams_from_api():  # issue 21: the new activities' streams, after the list
                tasks.append(FetchStreams(run_date=self.run_date, athlete_id=athlete))
        return tasks
