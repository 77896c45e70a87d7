"""FetchStreams: with STREAMS_FROM_API=on, the streams of the run's new activities from Strava's
``/activities/{id}/streams``, after the list and within its rate budget (issue 21).

One request per activity, newest first, for the activities of the last four weeks without a
stream; it stops while more than a tenth of the 15-minute and daily read budgets is left, so
the activity list (the next run's) never waits for streams. What it leaves is asked for by the
next run. Off (the default): the task only marks itself done.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from pipeline import run_dates
from pipeline.archive.options import flag_setting
from pipeline.backends.warehouse import WarehouseMarkerTarget
from pipeline.strava.budget import Priority
from pipeline.streams.api import parse_api_streams
from pipeline.streams.parse import StreamError
from pipeline.streams.store import StreamWriter
from pipeline.tasks.base import RunDateTask
from pipeline.tasks.production import LoadProduction

logger = logging.getLogger(__name__)
LOOK_BACK = timedelta(weeks=4)


def streams_from_api() -> bool:
    """STREAMS_FROM_API=on (``[archive] streams_from_api``): fetch streams from Strava."""
    return flag_setting("STREAMS_FROM_API", "streams_from_api")


class FetchStreams(RunDateTask):
    """The run's activities' streams from the API into activity_streams and the lake."""

    def requires(self) -> LoadProduction:
        return self.same_athlete(LoadProduction)

    def output(self) -> WarehouseMarkerTarget:
        return WarehouseMarkerTarget(self.warehouse, self.update_id)

    def run(self) -> None:
        fetched = waiting = 0
        if streams_from_api():
            end = run_dates.run_week(self.run_date).end
            ids = [row[0] for row in self.warehouse.query_file(
                "streams/activities_without_streams.sql",
                {"run_date_end": end, "streams_since": end - LOOK_BACK,
                 "athlete_id": self.athlete})]
            client = self.strava_client(Priority.RECONCILE)
            tag = f"-{self.athlete_tag}" if self.athlete_tag else ""
            writer = StreamWriter(self.lake, self.warehouse,
                                  f"api-{self.run_date.isoformat()}{tag}",
                                  athlete_id=self.athlete or None)
            for number, activity_id in enumerate(ids):
                if not client.budget_left_for_streams():
                    waiting = len(ids) - number
                    break
                answer = client.get_streams(activity_id)
                if answer is None:
                    continue
                try:
                    writer.add(parse_api_streams(activity_id, answer))
                    fetched += 1
                except StreamError as error:
                    logger.warning("activity %s: %s", activity_id, error)
            writer.close()
            if waiting:
                logger.warning("the read budget is short: the streams of %d activities wait "
                               "for the next run", waiting)
        with self.warehouse.transaction() as session:
            self.warehouse.write_marker(session, self.update_id, "activity_streams")
        self.set_status_message(f"streams of {fetched} activities from the API, {waiting} wait")
