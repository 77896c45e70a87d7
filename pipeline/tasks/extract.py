"""ExtractActivities: the run's activities from Strava, as a dated local CSV."""

from __future__ import annotations

import contextlib
import json
import logging
from collections.abc import Iterable, Iterator
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any

import luigi

from pipeline import run_dates
from pipeline.athlete_zone import ensure_run_date_over
from pipeline.backends import Lake
from pipeline.backends.lake import atomic_local_path
from pipeline.extract_stream import with_progress, write_extract
from pipeline.local_dates import LocalDates
from pipeline.raw_activities import RAW_FILE_NAME, RawJsonLines
from pipeline.shared_budget import strava_resources
from pipeline.strava import wire
from pipeline.strava.budget import Priority
from pipeline.strava.client import PageProgress
from pipeline.tasks.base import RunDateTask, unparseable_lake_key
from pipeline.temporaries import temporary_folder

__all__ = ["ExtractActivities", "LocalDates", "extracts_missing", "put_keeping_earlier",
           "unparseable_lake_key"]

logger = logging.getLogger(__name__)


def put_keeping_earlier(lake: Lake, path: Path, key: str) -> None:
    """Store ``path`` under ``key``; an object already there (an earlier extract's) is kept
    beside it as ``superseded-<UTC time>.<its extension>``."""
    if lake.exists(key):
        folder, _, name = key.rpartition("/")
        stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S%f")
        lake.move(key, f"{folder}/superseded-{stamp}.{name.partition('.')[2]}")
    lake.put_file(path, key)


def extracts_missing(run_dates: Iterable[date]) -> bool:
    """Whether some run date still has to be extracted from Strava (its extract is missing)."""
    return any(not ExtractActivities(run_date=run_date).complete() for run_date in run_dates)


def _epoch(moment: datetime) -> int:
    return int(moment.replace(tzinfo=timezone.utc).timestamp())


def local_dates_through(run_date: date, after: date | None = None) -> LocalDates:
    """A filter of a typed chunk: the rows whose local start date is after ``after`` (every
    earlier one, and those without a local start, when None) and on or before ``run_date``
    (``LocalDates``)."""
    return LocalDates(run_date, after)


class ExtractActivities(RunDateTask):
    """The activities whose local start date is on or before the run date, from the lookback on.

    Strava filters by UTC instants, so the window runs from (watermark - lookback - the spread
    of time zones) to the end of the run date at UTC-12, and the rows are then kept by their
    local start date (``run_dates``). The watermark is the newest one recorded for a date
    before this run date, so rerunning an old date asks Strava for the same window. Re-reading
    the lookback window catches late uploads and changed kudos or names; the load upserts them
    by id. A run date that is not over in the athlete's time zone is refused.
    """

    # Its requests' place in the shared read budget (pipeline/strava/budget.py); luigid's
    # [resources] strava_api caps how many Strava readers run at once (docs/many-machines.md).
    budget_priority = Priority.WEEKLY

    @property
    def resources(self) -> dict[str, int]:  # type: ignore[override]
        return strava_resources()

    def output(self) -> luigi.LocalTarget:
        return luigi.LocalTarget(str(self.extract_path), format=luigi.format.Nop)

    def window(self) -> tuple[int, int]:
        """(after, before) in epoch seconds for Strava's activity list."""
        watermark = self.state.watermark_before(self.run_date, self.athlete)
        before = _epoch(run_dates.extract_before(self.run_date))
        if watermark is None:
            return 0, before
        after = _epoch(run_dates.extract_after(watermark, self.settings.lookback_days))
        return max(0, min(after, before)), before

    def run(self) -> None:
        try:
            self._extract()
        except BaseException:
            for folder in (self.extract_path.parent, self.settings.extract_dir):
                with contextlib.suppress(OSError):  # a failed run leaves no empty folder
                    folder.rmdir()
            raise

    def _extract(self) -> None:
        ensure_run_date_over(self.run_date, self.settings)
        after, before = self.window()
        client = self.strava_client(self.budget_priority)
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
            try:
                newest = _epoch(datetime.fromisoformat(str(progress.newest_start).rstrip("Z")))
            except ValueError:  # no start, or one the parser will set aside
                return
            if progress.newest_start:
                share = (newest - after) / max(1, before - after)
                self.set_progress_percentage(round(100 * min(1.0, max(0.0, share))))

        unparseable: list[dict[str, Any]] = []
        extracted_at = datetime.now(timezone.utc)
        with temporary_folder(self.extract_path.parent, "raw") as folder, \
                RawJsonLines(folder / RAW_FILE_NAME, extracted_at) as raw:
            client.page_decoder = wire.decode_page  # the bytes kept, decoded once in C
            pages = with_progress(self.pages(client, after, before), on_page=report)
            with atomic_local_path(self.output()) as temporary:
                rows = write_extract(pages, Path(temporary), extracted_at=extracted_at,
                                     keep=local_dates_through(self.run_date),
                                     unparseable=unparseable, raw=raw,
                                     plausible=run_dates.plausible_starts(self.run_date))
                # Both before the extract counts as done:
                self.keep_raw(raw)
                self.keep_unparseable(unparseable)
        self.pages_done(after, before)
        if client.invalid_utf8:
            logger.warning("%d invalid UTF-8 sequence(s) from %s were replaced by U+FFFD",
                           client.invalid_utf8, source)
        logger.info(
            "wrote %d activities (%d list requests, %d token refreshes) to %s",
            rows,
            client.list_requests,
            client.token_refreshes,
            self.output().path,
        )
        self.set_status_message(f"{rows} activities extracted from {source}")
        self.set_progress_percentage(100)

    def pages(self, client: Any, after: int, before: int) -> Iterator[list[dict[str, Any]]]:
        """Strava's pages of the window (a reconciliation's resume where its read stopped)."""
        return client.iter_pages(after, before)

    def pages_done(self, after: int, before: int) -> None:
        """The extract is written (a reconciliation forgets the pages it kept)."""

    def keep_raw(self, raw: RawJsonLines) -> None:
        """Close the raw JSON of the activities read and store it in the lake beside the
        extract (pipeline/raw_activities.py); an earlier extract's is kept beside it."""
        raw.close()
        key = self.raw_key
        put_keeping_earlier(self.lake, raw.path, key)
        logger.info("kept the raw JSON of the %d activities read in %s", raw.activities,
                    self.lake.uri(key))

    def keep_unparseable(self, unparseable: list[dict[str, Any]]) -> None:
        """Store the unparseable activities (reason and raw JSON) in the lake, an empty list
        when there are none, so the check no_unparseable_activities sees this extract's count."""
        key = self.unparseable_key
        for item in unparseable:
            logger.warning("activity set aside, it cannot be parsed: %s", item["reason"])
        with temporary_folder(self.extract_path.parent, "unparseable") as folder:
            path = folder / "activities.json"
            path.write_text(json.dumps(unparseable, indent=1), encoding="ascii")
            # An earlier extract's list is kept, under another name.
            put_keeping_earlier(self.lake, path, key)
        if unparseable:
            logger.warning("%d unparseable activities kept with their raw JSON in %s",
                           len(unparseable), self.lake.uri(key))
