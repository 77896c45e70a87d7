"""ExtractActivities: the run's activities from Strava, as a dated local CSV."""

from __future__ import annotations

import json
import logging
import tempfile
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import luigi

from pipeline import activity_csv
from pipeline.backends.lake import atomic_local_path
from pipeline.strava import client_from_settings
from pipeline.strava.activities import parse_activities
from pipeline.strava.client import PageProgress
from pipeline.tasks.base import RunDateTask, run_window_end

logger = logging.getLogger(__name__)


def unparseable_lake_key(run_date: date) -> str:
    """Where a run date's unparseable activities (reason and raw JSON) are kept in the lake."""
    return f"strava/unparseable/{run_date.isoformat()}/activities.json"


def _epoch(moment: datetime) -> int:
    return int(moment.replace(tzinfo=timezone.utc).timestamp())


class ExtractActivities(RunDateTask):
    """Activities that started after (watermark - lookback) and before the end of the run date.

    The watermark is the newest one recorded for a date before this run date, so rerunning an
    old date asks Strava for the same window. Re-reading the lookback window catches late
    uploads and changed kudos or names; the load upserts them by id.
    """

    def output(self) -> luigi.LocalTarget:
        path = self.settings.extract_dir / self.run_date.isoformat() / "activities.csv"
        return luigi.LocalTarget(str(path), format=luigi.format.Nop)

    def window(self) -> tuple[int, int]:
        """(after, before) in epoch seconds for Strava's activity list."""
        watermark = self.state.watermark_before(self.run_date)
        before = _epoch(run_window_end(self.run_date))
        if watermark is None:
            return 0, before
        after = _epoch(watermark - timedelta(days=self.settings.lookback_days))
        return max(0, min(after, before)), before

    def run(self) -> None:
        after, before = self.window()
        client = client_from_settings(self.settings)
        source = "the local Strava SANDBOX (not Strava)" if client.is_sandbox else "Strava"
        logger.info(
            "extracting activities from %s between %s and %s UTC",
            source,
            datetime.fromtimestamp(after, timezone.utc).strftime("%Y-%m-%d %H:%M"),
            datetime.fromtimestamp(before, timezone.utc).strftime("%Y-%m-%d %H:%M"),
        )
        self.set_status_message(f"asking {source} for activities")

        def report(progress: PageProgress) -> None:
            self.set_status_message(
                f"{source}: page {progress.pages}, {progress.activities} activities so far"
            )
            if progress.newest_start:
                newest = _epoch(datetime.fromisoformat(progress.newest_start.rstrip("Z")))
                share = (newest - after) / max(1, before - after)
                self.set_progress_percentage(round(100 * min(1.0, max(0.0, share))))

        activities = client.list_activities(after, before, on_page=report)
        parsed = parse_activities(activities, extracted_at=datetime.now(timezone.utc))
        self._keep_unparseable(parsed.unparseable)
        if parsed.replaced_surrogates or client.invalid_utf8:
            logger.warning("%d lone surrogate(s) and %d invalid UTF-8 sequence(s) in texts from "
                           "%s were replaced by U+FFFD", parsed.replaced_surrogates,
                           client.invalid_utf8, source)
        frame = parsed.frame
        with atomic_local_path(self.output()) as temporary:
            activity_csv.write_activities_csv(frame, Path(temporary))
        logger.info(
            "wrote %d activities (%d list requests, %d token refreshes) to %s",
            len(frame),
            client.list_requests,
            client.token_refreshes,
            self.output().path,
        )
        self.set_status_message(f"{len(frame)} activities extracted from {source}")
        self.set_progress_percentage(100)

    def _keep_unparseable(self, unparseable: list[dict[str, Any]]) -> None:
        """Store the unparseable activities (reason and raw JSON) in the lake, an empty list
        when there are none, so the check unparseable_activities sees this extract's count."""
        key = unparseable_lake_key(self.run_date)
        for item in unparseable:
            logger.warning("activity set aside, it cannot be parsed: %s", item["reason"])
        if self.lake.exists(key):  # an earlier extract's list: kept, under another name
            stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S%f")
            self.lake.move(key, key.replace("activities.json", f"superseded-{stamp}.json"))
        with tempfile.TemporaryDirectory(prefix="unparseable-") as folder:
            path = Path(folder) / "activities.json"
            path.write_text(json.dumps(unparseable, indent=1), encoding="ascii")
            self.lake.put_file(path, key)
        if unparseable:
            logger.warning("%d unparseable activities kept with their raw JSON in %s",
                           len(unparseable), self.lake.uri(key))
