"""``python -m pipeline.status``: per run date, which stages finished, the watermark, validation.

Stages are the tasks of ``WeeklyPipeline(run_date)``; a stage counts as finished when its Luigi
target exists: the marker row in ``table_updates`` for warehouse stages, the file or lake object
for the extract and the upload, the state-store row for the watermark.

Nothing is changed, ever: an embedded state store or warehouse that does not exist yet is read
as empty, never opened (opening would create the file).
"""

from __future__ import annotations

import argparse
import os
import re
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from functools import cached_property
from typing import Any

import luigi
from luigi.task import flatten

from pipeline.archive.report import status_lines as archive_status_lines
from pipeline.athlete_scope import shown_parameters
from pipeline.backends import Lake, StateStore, Warehouse, open_lake, open_state, open_warehouse
from pipeline.backends.urls import mask_url, missing_locally
from pipeline.backends.warehouse import WarehouseMarkerTarget
from pipeline.failures import FAILURES_FOLDER, Failure, last_failure
from pipeline.preflight import parse_date
from pipeline.reconcile import status_lines as reconcile_status_lines
from pipeline.sandbox import sandbox_environment
from pipeline.settings import ConfigurationError, Settings, load_settings
from pipeline.status_athletes import athletes_status_lines
from pipeline.tasks import RecordWatermark, WeeklyPipeline
from pipeline.tasks.watermark import StateWatermarkTarget

_RUN_DATE_IN_MARKER = re.compile(r"\((\d{4}-\d{2}-\d{2})[,)]")
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


@dataclass(frozen=True)
class Stage:
    """One task of a run date and whether its target exists."""

    name: str
    done: bool
    detail: str = ""
    superseded: bool = False  # a report left to a newer run date (Backfill builds them once)


@dataclass(frozen=True)
class CheckResult:
    """The latest outcome of one validation check."""

    check_name: str
    status: str
    severity: str | None
    left_value: float | None
    operator: str | None
    right_value: float | None
    message: str | None
    checked_at: datetime | None


@dataclass
class RunStatus:
    """Everything the status command knows about one run date."""

    run_date: date
    stages: list[Stage] = field(default_factory=list)
    has_watermark: bool = False
    watermark: datetime | None = None
    recorded_at: datetime | None = None
    checks: list[CheckResult] = field(default_factory=list)
    failure: Failure | None = None  # the last failure, while the date is unfinished

    @property
    def finished(self) -> int:
        """How many stages are done (or left to a newer run date's reports)."""
        return sum(stage.done or stage.superseded for stage in self.stages)

    @property
    def next_stage(self) -> str | None:
        """The first stage (in dependency order) that is not done."""
        return next((stage.name for stage in self.stages
                     if not (stage.done or stage.superseded)), None)


def graph_tasks(root: luigi.Task) -> Iterator[luigi.Task]:
    """Every task ``root`` depends on, dependencies before dependents, each once, root excluded."""
    seen: set[str] = set()

    def visit(task: luigi.Task) -> Iterator[luigi.Task]:
        for dependency in flatten(task.requires()):
            if dependency.task_id in seen:
                continue
            seen.add(dependency.task_id)
            yield from visit(dependency)
            yield dependency

    yield from visit(root)


class StatusReader:
    """Reads markers, watermarks, files and validation results once and answers per run date."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.warehouse: Warehouse | None = None
        if not missing_locally(settings.warehouse_url):
            self.warehouse = open_warehouse(settings.warehouse_url)
        self.lake: Lake = open_lake(settings.lake_url)
        self.markers: dict[str, Any] = {}
        if self.warehouse and self.warehouse.table_exists("table_updates"):
            for update_id, _table, inserted in self.warehouse.query_file("status/markers.sql"):
                self.markers[str(update_id)] = inserted
        self.has_validation = bool(self.warehouse
                                   and self.warehouse.table_exists("validation_results"))
        self.watermarks: dict[date, tuple[datetime | None, datetime]] = {}
        if not missing_locally(settings.state_url):
            state: StateStore = open_state(settings.state_url)
            self.watermarks = {row[0]: (row[1], row[2]) for row in state.history()}

    def run_dates(self) -> list[date]:
        """Every run date anything is known about, newest first."""
        dates: set[date] = set(self.watermarks)
        for update_id in self.markers:
            match = _RUN_DATE_IN_MARKER.search(update_id)
            if match:
                dates.add(date.fromisoformat(match.group(1)))
        if self.settings.extract_dir.is_dir():
            dates.update(
                date.fromisoformat(entry.name)
                for entry in self.settings.extract_dir.iterdir()
                if entry.is_dir() and _ISO_DATE.match(entry.name) and any(entry.iterdir())
            )
        failed = self.settings.data_dir / FAILURES_FOLDER
        if failed.is_dir():
            dates.update(date.fromisoformat(entry.stem) for entry in failed.glob("*.json")
                         if _ISO_DATE.match(entry.stem))
        if self.warehouse and self.has_validation:
            dates.update(_as_date(row[0]) for row in
                         self.warehouse.query_file("status/validation_dates.sql"))
        return sorted(dates, reverse=True)

    def stage(self, task: luigi.Task) -> Stage:
        """Whether a task's targets exist, with where they are."""
        name = stage_name(task)
        targets = flatten(task.output())
        if targets and all(isinstance(t, StateWatermarkTarget) for t in targets):
            return Stage(name, task.run_date in self.watermarks)
        if targets and all(isinstance(t, WarehouseMarkerTarget) for t in targets):
            times = [self.markers.get(t.update_id) for t in targets]
            done = all(t.update_id in self.markers for t in targets)
            when = max((t for t in times if t is not None), default=None)
            return Stage(name, done, f"marked {_when(when)}" if done else "")
        done = bool(targets) and all(t.exists() for t in targets)
        where = ", ".join(_where(t) for t in targets)
        return Stage(name, done, where if done else "")

    def _stages(self, run_date: date) -> tuple[list[Stage], list[bool]]:
        """The run date's stages, and for each whether it is a report (model, kudos model,
        dashboard) rather than part of the date's own load chain."""
        load_chain = {t.task_id for t in graph_tasks(RecordWatermark(run_date=run_date))}
        load_chain.add(RecordWatermark(run_date=run_date).task_id)
        tasks = [t for t in graph_tasks(WeeklyPipeline(run_date=run_date))
                 if not isinstance(t, luigi.WrapperTask)]
        return [self.stage(task) for task in tasks], [t.task_id not in load_chain for t in tasks]

    @cached_property
    def newest_reports(self) -> date | None:
        """The newest run date whose reports are all built (a backfill builds only that one)."""
        for run_date in self.run_dates():
            stages, reports = self._stages(run_date)
            if all(s.done for s, report in zip(stages, reports, strict=True) if report):
                return run_date
        return None

    def status(self, run_date: date) -> RunStatus:
        """The stages, watermark and latest validation results of one run date.

        A date whose load chain is done but whose reports are not, while a newer date has its
        reports, was loaded by a backfill: its reports count as left to that newer date.
        """
        result = RunStatus(run_date)
        stages, reports = self._stages(run_date)
        newer = self.newest_reports
        loaded = all(s.done for s, report in zip(stages, reports, strict=True) if not report)
        if loaded and newer is not None and newer > run_date:
            note = (f"left to {newer.isoformat()}'s reports (build this date's on demand: "
                    f"strava-pipeline run --date {run_date.isoformat()})")
            stages = [replace(s, superseded=True, detail=note) if report and not s.done else s
                      for s, report in zip(stages, reports, strict=True)]
        result.stages = stages
        if result.next_stage is not None:
            result.failure = last_failure(self.settings.data_dir, run_date)
        if run_date in self.watermarks:
            result.has_watermark = True
            result.watermark, result.recorded_at = self.watermarks[run_date]
        if self.warehouse and self.has_validation:
            rows = self.warehouse.query_file("status/latest_validation.sql",
                                             {"run_date": run_date})
            result.checks = [CheckResult(*row) for row in rows]
        return result


def stage_name(task: luigi.Task) -> str:
    """The task family, with its parameters other than the run date: 'BuildModel(stg_weeks)'."""
    values = shown_parameters(task)
    return f"{task.task_family}({', '.join(values)})" if values else task.task_family


def _as_date(value: object) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])


def _when(moment: datetime | None) -> str:
    return moment.strftime("%Y-%m-%d %H:%M:%S UTC") if moment else "(time unknown)"


def _where(target: luigi.Target) -> str:
    path = getattr(target, "path", None)
    return mask_url(str(path)) if path else ""


def _number(value: float | None) -> str:
    if value is None:
        return "NULL"
    return str(int(value)) if float(value).is_integer() else f"{value:.4g}"


def validation_summary(checks: list[CheckResult]) -> str:
    """'12 pass, 1 warn' (statuses in a fixed order), or 'none'."""
    if not checks:
        return "none"
    order = ["fail", "error", "warn", "pass", "skipped"]
    counts: dict[str, int] = {}
    for check in checks:
        counts[check.status] = counts.get(check.status, 0) + 1
    names = sorted(counts, key=lambda s: (order.index(s) if s in order else len(order), s))
    return ", ".join(f"{counts[name]} {name}" for name in names)


def _shorten(text: str, limit: int = 70) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def watermark_text(status: RunStatus) -> str:
    """The watermark column: the newest start in production when the run recorded it."""
    if not status.has_watermark:
        return "not recorded"
    if status.watermark is None:
        return "recorded (no activities)"
    return status.watermark.strftime("%Y-%m-%d %H:%M:%S")


def format_table(statuses: list[RunStatus]) -> list[str]:
    """One line per run date: stages done, the next stage, the watermark, validation counts."""
    lines = [f"{'run date':<10}  {'stages':<7}  {'watermark':<24}  {'validation':<28}  next stage"]
    for status in statuses:
        stages = f"{status.finished}/{len(status.stages)}"
        next_stage = status.next_stage or "(all done)"
        if status.failure is not None:
            next_stage += f" (last run FAILED: {_shorten(status.failure.cause)})"
        lines.append(
            f"{status.run_date.isoformat():<10}  {stages:<7}  {watermark_text(status):<24}  "
            f"{validation_summary(status.checks):<28}  {next_stage}"
        )
    return lines


def format_detail(status: RunStatus) -> list[str]:
    """Every stage of one run date, its watermark and each check's latest outcome."""
    lines = [f"{status.run_date.isoformat()}: {status.finished} of {len(status.stages)} stages "
             "finished"]
    for stage in status.stages:
        mark = "done   " if stage.done else "newer  " if stage.superseded else "MISSING"
        lines.append(f"  {mark}  {stage.name:<28} {stage.detail}".rstrip())
    if status.failure is not None:
        lines.append(f"  last failure ({status.failure.failed_at}): {status.failure.line()}")
    recorded = f" (recorded {_when(status.recorded_at)})" if status.recorded_at else ""
    lines.append(f"  watermark: {watermark_text(status)}{recorded}")
    if not status.checks:
        lines.append("  validation: no results")
        return lines
    lines.append(f"  validation (latest per check): {validation_summary(status.checks)}")
    attention = {"fail": 0, "error": 0, "warn": 1}  # the checks that failed or warned first
    for check in sorted(status.checks, key=lambda c: attention.get(c.status, 2)):
        comparison = ""
        if check.operator:
            comparison = (f"{_number(check.left_value)} {check.operator} "
                          f"{_number(check.right_value)}")
        text = check.message or comparison
        lines.append(f"    {check.status:<7} {check.check_name:<32} {text}".rstrip())
    return lines


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The status command's options (shared by ``strava-pipeline status``)."""
    parser.add_argument("--date", help="show this run date (YYYY-MM-DD) in detail")
    parser.add_argument("--limit", type=int, default=10,
                        help="how many run dates the table lists, newest first (default 10)")
    parser.add_argument("--demo", action="store_true",
                        help="the sandbox's data (strava-pipeline run --demo), not real data")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="strava-pipeline status",
        description="Per run date: which stages finished, the watermark and the latest "
                    "validation results. Changes nothing.",
    )
    add_arguments(parser)
    return parser


def run(args: argparse.Namespace) -> int:
    """Print the status table and the detail of one run date (the newest by default)."""
    try:
        if args.demo:
            os.environ.update(sandbox_environment())
        detail_date = parse_date(args.date) if args.date else None
    except ConfigurationError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    try:
        settings = load_settings()
        reader = StatusReader(settings)
        print(f"Warehouse: {mask_url(settings.warehouse_url)}")
        print(f"State:     {mask_url(settings.state_url)}")
        print(f"Lake:      {mask_url(settings.lake_url)}")
        for line in archive_status_lines(settings):  # issue 21: the archive imports
            print(line)
        dates = reader.run_dates()
        if not dates and detail_date is None:
            demo = " --demo" if args.demo else ""
            print(f"\nNo runs yet: run ./run_weekly.sh{demo} (or strava-pipeline run{demo}).")
            return 0
        statuses = [reader.status(run_date) for run_date in dates[: max(0, args.limit)]]
        print()
        for line in format_table(statuses):
            print(line)
        if len(dates) > len(statuses):
            print(f"... and {len(dates) - len(statuses)} older run dates (--limit)")
        detail = detail_date or dates[0]
        print()
        for line in format_detail(reader.status(detail)):
            print(line)
        if not missing_locally(settings.state_url):  # issue 20
            state = open_state(settings.state_url)
            blocks = athletes_status_lines(settings, state)  # issue 26: several athletes
            print()
            for line in [*blocks, *reconcile_status_lines(state, per_athlete=bool(blocks))]:
                print(line)
    except ConfigurationError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    return 0


def main(argv: list[str] | None = None) -> int:
    """``python -m pipeline.status``."""
    return run(_parser().parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
