"""Backfill and catch-up: every week of a date range from ONE paged read of Strava.

``luigi --module pipeline.tasks Backfill --start 2025-01-05 --stop 2026-11-29``

``ExtractRange`` asks Strava once for the whole range (ceil(N/200)+1 list requests for N
activities, whatever the number of weeks) and splits the rows into the weeks' dated extracts,
the same files ``ExtractActivities`` writes. So every week keeps its own targets: its lake
object, staging table, checks, production marker and watermark, and one week can be rerun
alone (``BackfillWeek --run-date D``; a missing extract is then read with the week's own
window). Each week is one Luigi task that runs its stages in-process (``run_chain``). The
models and the dashboard are built once, for the newest week, after every week is loaded (an
older week's dashboard on demand: ``WeeklyPipeline --run-date D``).

A read that started at the beginning of the athlete's history (nothing loaded before its first
week) and reached the newest week listed everything a reconciliation lists: once every week is
loaded it is recorded as that week's reconciliation (attempt 0 in the state store's
``reconciliations``; ``status`` names it the backfill's read), so the newest week's run does
not list the whole history a second time. A backfill of a range after loaded weeks, or older
than a later run date, does not count.

Luigi 3.8 has no RangeWeekly, and a range task gives no order among its weeks. Here every
week's run date is a Sunday, as the weekly run's (Monday morning, for the week that ended on
Sunday), and older weeks get a higher priority, so with one worker they load in date order.
Finished weeks are skipped without a request to Strava; a failed or interrupted backfill is
rerun with the same command. A run date that is not over yet in the athlete's time zone is
never included (see pipeline/run_dates.py), whatever ``--stop`` says.
"""

from __future__ import annotations

import json
import logging
import tempfile
from collections.abc import Iterator
from contextlib import ExitStack
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import luigi

from pipeline import run_dates
from pipeline.athlete_zone import ensure_run_date_over, latest_run_date
from pipeline.backends.lake import Lake, atomic_local_path
from pipeline.extract_stream import with_progress, write_extracts
from pipeline.page_spool import PageSpool, read_key, resumable_pages
from pipeline.raw_activities import RawJsonLines, WeekRouter
from pipeline.shared_budget import strava_resources
from pipeline.strava import wire
from pipeline.strava.budget import Priority
from pipeline.strava.client import PageProgress
from pipeline.tasks.base import (
    CompletedDayDefaults,
    ParamsOnce,
    RunDateParameter,
    RunDateTask,
    athlete_folder,
    strava_client_for,
)
from pipeline.tasks.extract import ExtractActivities, local_dates_through
from pipeline.tasks.production import loads_in_a_row
from pipeline.tasks.run_date_lock import run_date_lock_held
from pipeline.tasks.watermark import RecordWatermark
from pipeline.tasks.weekly import WeeklyPipeline
from pipeline.temporaries import temporary_folder

logger = logging.getLogger(__name__)

SUNDAY = 6
_FAR_FUTURE = date(9999, 12, 31)
# Weeks handed to the scheduler at a time (one task each since issue 23; 7 before): Luigi's
# scheduler sorts every pending task for each task it hands out, so its work grows with the
# square of the pending tasks; and each step re-checks the weeks of the steps before. 522
# weeks of 7 tasks at once cost 95 s against 67 s in batches of 8
# (python -m benchmarks.backfill, docs/operations.md#backfill-and-catch-up).
WEEKS_PER_BATCH = 32


def week_run_dates(start: date, stop: date, weekday: int = SUNDAY,
                   latest: date | None = None) -> list[date]:
    """Every ``weekday`` (Monday 0 ... Sunday 6) from start to stop, both included, up to the
    latest completed day (default: the most recent day over in the athlete's time zone).

    Days not over are left out: a week run before its run date ended would be marked done
    while activities of that date were still to come, and never run again.
    """
    if not 0 <= weekday <= 6:
        raise ValueError(f"weekday={weekday} must be 0 (Monday) to 6 (Sunday)")
    last = min(stop, latest) if latest else latest_run_date(stop)
    first = start + timedelta(days=(weekday - start.weekday()) % 7)
    weeks = []
    while first <= last:
        weeks.append(first)
        first += timedelta(days=7)
    return weeks


def range_window(weeks: list[date]) -> tuple[int, int]:
    """(after, before) in epoch seconds of one Strava read covering every week of ``weeks``.

    From the first week's own window start (the watermark before it minus the lookback, or
    the beginning when nothing was loaded before it) to the last week's end in every zone.
    """
    after, _ = ExtractActivities(run_date=weeks[0]).window()
    before = run_dates.extract_before(weeks[-1]).replace(tzinfo=timezone.utc)
    return after, int(before.timestamp())


def share_backends(task: luigi.Task, shared: dict[str, Any]) -> luigi.Task:
    """``task`` with the settings and backends in ``shared`` (taken from the first task that
    has them): a walk of 157 weeks' stages loads the settings and opens the backends once,
    not once per stage. Returns ``task``."""
    for name in _SHARED:
        if hasattr(type(task), name):
            if name in shared:  # cached_property: the instance's own value, if it has one
                task.__dict__.setdefault(name, shared[name])
            else:
                shared[name] = getattr(task, name)
    return task


def would_run(root: luigi.Task, kind: type[luigi.Task],
              shared: dict[str, Any] | None = None) -> bool:
    """Whether building ``root`` would run a task of type ``kind``: Luigi's own walk, which
    stops at complete tasks (with ``shared``, every task of it shares those backends:
    ``share_backends``)."""
    seen: set[str] = set()
    stack = [root]
    while stack:
        task = stack.pop()
        if task.task_id in seen:
            continue
        seen.add(task.task_id)
        if shared is not None:
            share_backends(task, shared)
        if task.complete():
            continue
        if isinstance(task, kind):
            return True
        # First requirement first: the extract is usually behind the first one of each task.
        stack.extend(reversed(luigi.task.flatten(task.requires())))
    return False


class ExtractRange(ParamsOnce, luigi.Task):
    """The dated extracts of every week from ``first`` to ``last`` (7 days apart) still to be
    extracted, from one paged read of Strava; complete when no week needs its extract."""

    first = luigi.DateParameter(description="The first week's run date.")
    last = luigi.DateParameter(description="The last week's run date.")
    athlete_id = luigi.IntParameter(
        default=0, description="Whose weeks (0: the install's single athlete; issue 26).")

    @property
    def priority(self) -> int:  # type: ignore[override]
        return _FAR_FUTURE.toordinal()

    @property
    def resources(self) -> dict[str, int]:  # type: ignore[override]
        return strava_resources()  # [resources] strava_api: docs/many-machines.md

    def weeks(self) -> list[date]:
        """Every run date of the range."""
        count = (self.last - self.first).days // 7 + 1
        return [self.first + timedelta(days=7 * index) for index in range(max(0, count))]

    def weeks_to_extract(self) -> list[date]:
        """The weeks whose run would still extract (not loaded, no extract file yet)."""
        shared: dict[str, Any] = {}
        return [week for week in self.weeks()
                if not share_backends(ExtractActivities(run_date=week,
                                                        athlete_id=self.athlete_id),
                                      shared).complete()
                and would_run(BackfillWeek(run_date=week, athlete_id=self.athlete_id).chain(),
                              ExtractActivities, shared)]

    def complete(self) -> bool:
        # Once true, true for this run: Luigi asks again each time the backfill resumes. The
        # weeks found are the ones run() reads (no second walk of every week's stages). Every
        # ask before that walks again: with several workers run() happens in another process,
        # so an answer kept here would still say "not done" after it ran.
        if not getattr(self, "_extracted", False):
            self._to_extract = self.weeks_to_extract()
            self._extracted = not self._to_extract
        return self._extracted

    def run(self) -> None:
        weeks = getattr(self, "_to_extract", None)
        if weeks is None:
            weeks = self.weeks_to_extract()
        if not weeks:
            return
        ensure_run_date_over(weeks[-1])
        settings = ExtractActivities(run_date=weeks[-1]).settings
        after, before = range_window(weeks)
        client = strava_client_for(settings, self.athlete_id, Priority.BACKFILL)
        spool = PageSpool(extracts_lake(weeks[-1]),
                          read_key(after, before, self.athlete_id or None))
        source = "the local Strava SANDBOX (not Strava)" if client.is_sandbox else "Strava"
        logger.info("extracting %d weeks (%s to %s) from %s in one read: %s to %s UTC",
                    len(weeks), weeks[0], weeks[-1], source, _utc(after), _utc(before))

        def report(progress: PageProgress) -> None:
            self.set_status_message(
                f"{source}: page {progress.pages}, {progress.activities} activities so far")

        unparseable: list[dict[str, Any]] = []
        extracts = [ExtractActivities(run_date=week, athlete_id=self.athlete_id)
                    for week in weeks]
        extracted_at = datetime.now(timezone.utc)
        with ExitStack() as files:
            folder = files.enter_context(temporary_folder(extracts[-1].extract_path.parent,
                                                          "raw"))
            raws = [files.enter_context(RawJsonLines(folder / f"{week}.jsonl.gz", extracted_at))
                    for week in weeks]
            client.page_decoder = wire.decode_page  # the bytes kept, decoded once in C
            pages = with_progress(resumable_pages(client, spool, after, before),
                                  on_page=report)
            paths = [Path(files.enter_context(atomic_local_path(extract.output())))
                     for extract in extracts]
            filters = [local_dates_through(week, previous)
                       for previous, week in zip([None, *weeks], weeks, strict=False)]
            rows = write_extracts(pages, list(zip(paths, filters, strict=True)),
                                  extracted_at=extracted_at, unparseable=unparseable,
                                  plausible=run_dates.plausible_starts(weeks[-1]),
                                  raw=WeekRouter(weeks, raws))
            # The read's unparseable activities go with its newest week, before any extract
            # counts as done; the other weeks record that they had none. Each week keeps the
            # raw JSON of its activities.
            for extract, raw in zip(extracts, raws, strict=True):
                extract.keep_raw(raw)
                extract.keep_unparseable(unparseable if extract is extracts[-1] else [])
        if after == 0 and weeks[-1] == self.last:
            keep_history_read(extracts[-1], weeks, sum(rows) + len(unparseable), sum(rows))
        spool.clear()  # the extracts are written: the next read starts afresh
        logger.info("wrote %d activities into %d weekly extracts (%d list requests)",
                    sum(rows), len(weeks), client.list_requests)
        self.set_status_message(
            f"{sum(rows)} activities from {source} in {len(weeks)} weekly extracts")


def history_read_key(task: RunDateTask) -> str:
    """Where a backfill's read of the whole history through ``task``'s run date is noted."""
    return (f"strava/backfill/{athlete_folder(task.athlete_tag)}{task.run_date.isoformat()}"
            "/history-read.json")


def keep_history_read(newest: ExtractActivities, weeks: list[date], listed: int,
                      loaded: int) -> None:
    """Note in the lake that the read of ``weeks`` started at the beginning of the athlete's
    history and reached its newest week: once every week is loaded, the backfill counts it as
    that week's reconciliation (``record_history_read``)."""
    note = {"first_week": weeks[0].isoformat(), "last_week": weeks[-1].isoformat(),
            "after": 0, "listed": listed, "loaded": loaded}
    with tempfile.TemporaryDirectory(prefix="history-read-") as folder:
        path = Path(folder) / "history-read.json"
        path.write_text(json.dumps(note), encoding="ascii")
        newest.lake.put_file(path, history_read_key(newest))


def record_history_read(newest: date, athlete_id: int = 0) -> bool:
    """Count the backfill's read of the whole history through ``newest`` (every week of it
    loaded) as ``newest``'s reconciliation in the state store, as a reconciliation is recorded;
    return whether it counts. Only a read from the beginning of the history (the lake's note,
    ``keep_history_read``) through the athlete's newest run date does: a backfill of a range
    after loaded weeks, or of weeks older than a later run, lists less than a reconciliation."""
    task = RecordWatermark(run_date=newest, athlete_id=athlete_id)
    state, athlete = task.state, task.athlete
    if state.history_read_of(newest, athlete):
        return True
    if not task.lake.exists(history_read_key(task)):
        return False
    if any(day > newest for day, _, _ in state.history(athlete)):
        return False  # a later run date: the read did not reach the newest week
    last = state.last_reconciliation(athlete_id=athlete)
    if last is not None and last["run_date"] >= newest:
        return False  # reconciled since
    with task.lake.open_binary(history_read_key(task)) as handle:
        note = json.load(handle)
    state.record_history_read(newest, int(note["listed"]), int(note["loaded"]), athlete)
    logger.info("the backfill's read of the whole history through %s counts as its "
                "reconciliation (%d listed)", newest, int(note["listed"]))
    return True


def extracts_lake(week: date) -> Lake:
    """The lake the pages of a read are kept in (the one its extracts go to)."""
    return ExtractActivities(run_date=week).lake


def _utc(epoch: int) -> str:
    return datetime.fromtimestamp(epoch, timezone.utc).strftime("%Y-%m-%d %H:%M")


class BackfillWeek(ParamsOnce, luigi.Task):
    """One week of a backfill: its extract in the lake, staged, checked, loaded, watermarked.

    Every stage keeps its own target (lake object, staging table, checks, production marker,
    watermark) and runs under the run date's lock as in the weekly run, but the week is ONE
    task for Luigi: its stages run in this task, in the order their requirements give
    (``run_chain``), sharing one settings, warehouse, state store and lake, so the scheduler
    and its completeness checks handle 157 tasks for 157 weeks, not 1,100 (issue 23). No
    models and no dashboard: the backfill builds those once, for its newest week.
    """

    run_date = luigi.DateParameter(description="The week's run date.")
    athlete_id = luigi.IntParameter(
        default=0, description="Whose week (0: the install's single athlete; issue 26).")

    @property
    def priority(self) -> int:  # type: ignore[override]
        # The scheduler passes a task's priority on to everything it requires; the highest
        # priority runnable task runs first, so older weeks go first.
        return (_FAR_FUTURE - self.run_date).days

    def chain(self) -> RecordWatermark:
        """The week's last stage; it requires the others."""
        return RecordWatermark(run_date=self.run_date, athlete_id=self.athlete_id)

    def complete(self) -> bool:
        return bool(self.chain().complete())

    def run(self) -> None:
        chain = self.chain()
        with loads_in_a_row(), run_date_lock_held(chain):
            ran = run_chain(chain, self)
        self.set_status_message(", ".join(ran) if ran else "nothing to do")


def run_chain(root: luigi.Task, host: luigi.Task) -> list[str]:
    """Run ``root`` and what it requires, in this process and in dependency order, as Luigi's
    worker would: a complete task (and what it requires) is skipped, each task's ``run`` is its
    own (under its run date's lock), a failure stops the chain. The tasks share ``root``'s
    settings and backends, and report their status through ``host``. Returns the families that
    ran."""
    shared = {name: getattr(root, name) for name in _SHARED}
    seen: set[str] = set()
    ran: list[str] = []

    def visit(task: luigi.Task) -> None:
        if task.task_id in seen:
            return
        seen.add(task.task_id)
        for name, value in shared.items():  # cached_property: the instance's own value
            if hasattr(type(task), name):
                task.__dict__.setdefault(name, value)
        if task.complete():
            return
        for needed in luigi.task.flatten(task.requires()):
            visit(needed)
        task.set_status_message = host.set_status_message
        task.set_progress_percentage = host.set_progress_percentage
        task.set_tracking_url = host.set_tracking_url
        logger.info("%s: running %s", host, task)
        task.run()
        ran.append(task.task_family)

    visit(root)
    return ran


_SHARED = ("settings", "lake", "warehouse", "state")


class Backfill(CompletedDayDefaults, luigi.Task):
    """Every week (Sunday run dates) from ``start`` to ``stop``: one Strava read for the weeks
    still to extract, each week loaded and checked (oldest first), then the models and the
    dashboard of the newest week."""

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

    def athletes(self) -> list[int]:
        """Every authorized athlete (issue 26), or 0 alone for an install of one athlete."""
        return WeeklyPipeline(run_date=self.stop).athletes()

    def complete(self) -> bool:
        weeks = self.run_dates()
        return not weeks or (
            WeeklyPipeline(run_date=weeks[-1]).complete()
            and all(BackfillWeek(run_date=week, athlete_id=athlete).complete()
                    for athlete in self.athletes() for week in weeks)
        )

    def run(self) -> Iterator[luigi.Task | list[luigi.Task]]:
        # Dynamic dependencies, in steps: the weeks' chains are scheduled only once their
        # extracts exist (a batch of weeks at a time, oldest first), and the newest week's
        # models and dashboard once every week is loaded.
        weeks = self.run_dates()
        if not weeks:
            return
        athletes = self.athletes()  # each athlete's weeks from its own read (issue 26)
        yield [ExtractRange(first=weeks[0], last=weeks[-1], athlete_id=athlete)
               for athlete in athletes]
        for batch in range(0, len(weeks), WEEKS_PER_BATCH):
            yield [BackfillWeek(run_date=week, athlete_id=athlete) for athlete in athletes
                   for week in weeks[batch:batch + WEEKS_PER_BATCH]]
        for athlete in athletes:  # before the newest week's run asks whether one is due
            record_history_read(weeks[-1], athlete)
        # The weeks' loads kept the warehouse open (loads_in_a_row): the models start clean.
        RecordWatermark(run_date=weeks[-1]).warehouse.release_memory()
        yield WeeklyPipeline(run_date=weeks[-1])
