"""Why a run failed, in one line per failed task, kept for ``status`` and sent to Slack.

Importing this module registers Luigi event handlers (``pipeline.tasks`` imports it):

- FAILURE: a task's ``run()`` raised;
- BROKEN_TASK: a task's ``complete()`` (or ``requires()``) raised while Luigi scheduled the run,
  e.g. an unreachable state store or lake: Luigi then exits 35 without starting any task.

Each failure becomes a :class:`Failure` (the task, its run date, the cause in one sentence and
what to do), is remembered for the end of the run (:func:`failures_seen`), written to
``$DATA_DIR/failures/YYYY-MM-DD.json`` for ``status`` and, for a BROKEN_TASK (a FAILURE is
posted by ``pipeline.notify``), posted to Slack when a webhook is set. A pipeline error's
message already says what to do; any other error is "unexpected" and points at the traceback
in the log file. Nothing here may change the run's outcome: every problem is swallowed.
"""

from __future__ import annotations

import contextlib
import json
import logging
import re
from dataclasses import asdict, dataclass
from datetime import date, datetime, timezone
from pathlib import Path

import luigi

from pipeline import notify
from pipeline.athlete_scope import shown_parameters
from pipeline.errors import one_line
from pipeline.settings import Settings, load_settings

logger = logging.getLogger(__name__)

FAILURES_FOLDER = "failures"
RESUME = "rerun the same command to resume (finished stages are kept)"
_SEEN: list[Failure] = []


def known_error(error: BaseException) -> bool:
    """Whether the pipeline raised this error on purpose (its message says what to do)."""
    return type(error).__module__.startswith("pipeline.")


def cause_of(error: BaseException | str, log_hint: str = "the log file") -> str:
    """The cause in one sentence and what to do, without the exception's type for a known
    error; an unexpected one names its type and where its traceback is."""
    if isinstance(error, str):
        return one_line(error)
    message = one_line(str(error)) or type(error).__name__
    if known_error(error):
        return message
    return (f"unexpected {one_line(error)} (the traceback is in {log_hint}, or rerun with "
            "--debug)")


@dataclass(frozen=True)
class Failure:
    """One failed task of a run."""

    task: str
    run_date: str | None
    cause: str
    failed_at: str
    kept_for: str | None = None  # the run date status shows it under, when not ``run_date``

    def line(self) -> str:
        """'FAILED ExtractActivities for 2026-11-29: <cause>'."""
        when = f" for {self.run_date}" if self.run_date else ""
        return f"FAILED {self.task}{when}: {self.cause}"


def failure_of(task: luigi.Task, error: BaseException | str, log_hint: str = "the log file",
               settings: Settings | None = None) -> Failure:
    """The failure of ``task`` (its family and significant parameters other than the date)."""
    run_date = getattr(task, "run_date", None)
    params = shown_parameters(task)
    name = task.task_family + (f"({', '.join(params)})" if params else "")
    cause = notify.redact(cause_of(error, log_hint), settings)
    last = getattr(task, "last", None)  # a range's task (ExtractRange): its last run date
    return Failure(name, run_date.isoformat() if isinstance(run_date, date) else None, cause,
                   datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC"),
                   last.isoformat() if isinstance(last, date) else None)


def failures_seen() -> list[Failure]:
    """Every failure of this process's run, in order, each task once."""
    return list(_SEEN)


def forget_failures() -> None:
    """Start a new run's list (tests and repeated in-process runs)."""
    _SEEN.clear()


def post_refusal(text: str) -> None:
    """One Slack post for a run refused before Luigi scheduled anything (when a webhook is set
    and the settings load); never raises."""
    try:
        settings = load_settings()
        if settings.slack_webhook_url:
            notify.post_to_slack(settings, notify.failure_line_payload(settings, text))
    except Exception:  # a bad setting is the error itself; Slack needs good settings
        logger.debug("refusal not posted to Slack")


# -- kept for status ------------------------------------------------------------------------------


def failure_file(data_dir: Path, run_date: date | str) -> Path:
    """Where a run date's last failure is kept."""
    text = run_date.isoformat() if isinstance(run_date, date) else run_date
    return data_dir / FAILURES_FOLDER / f"{text}.json"


def keep(failure: Failure, data_dir: Path) -> None:
    """Write the run date's last failure (best effort: a read-only DATA_DIR keeps nothing)."""
    kept_for = failure.run_date or failure.kept_for
    if not kept_for:
        return
    path = failure_file(data_dir, kept_for)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(asdict(failure)) + "\n", encoding="utf-8")
    except OSError as error:
        logger.warning("could not keep the failure for status in %s: %s", path, error)


def last_failure(data_dir: Path, run_date: date) -> Failure | None:
    """The run date's last kept failure, if any."""
    path = failure_file(data_dir, run_date)
    try:
        return Failure(**json.loads(path.read_text(encoding="utf-8")))
    except (OSError, ValueError, TypeError):
        return None


def clear(data_dir: Path, run_date: date) -> None:
    """Forget a run date's failure once the date's run succeeded."""
    path = failure_file(data_dir, run_date)
    path.unlink(missing_ok=True)
    with contextlib.suppress(OSError):
        path.parent.rmdir()  # only when empty


# -- Luigi's events -------------------------------------------------------------------------------


def remember(failure: Failure, settings: Settings, post: bool) -> bool:
    """Remember and keep a failure, post it to Slack when ``post``; False when already seen."""
    if any(seen.task == failure.task and seen.run_date == failure.run_date for seen in _SEEN):
        return False
    _SEEN.append(failure)
    keep(failure, settings.data_dir)
    if post and settings.slack_webhook_url:
        notify.post_to_slack(settings, notify.failure_line_payload(settings, failure.line()))
    return True


def record(task: luigi.Task, error: BaseException | str, post: bool) -> Failure | None:
    """Remember, keep and (``post``) send one failure; never raises."""
    try:
        settings = load_settings()
        failure = failure_of(task, error, settings=settings)
        return failure if remember(failure, settings, post) else None
    except Exception as problem:  # a report must never change the run's outcome
        logger.warning("failure not recorded: %s", type(problem).__name__)
        return None


@luigi.Task.event_handler(luigi.Event.FAILURE)
def _on_failure(task: luigi.Task, exception: BaseException) -> None:
    record(task, exception, post=False)  # pipeline.notify posts FAILURE to Slack


_COMPLETE_ERROR = re.compile(
    r"^Will not run (?P<task>(?P<family>\w+)\((?P<params>.*?)\)) or any dependencies due to "
    r"error in complete\(\) method")
_RUN_DATE = re.compile(r"run_date=(\d{4}-\d{2}-\d{2})")
_ERROR_LINE = re.compile(r"^(?P<module>[\w.]+)\.(?P<type>\w+): (?P<message>.+)$")


def complete_error(message: str) -> tuple[str, str | None, str] | None:
    """(task, run date, cause) of Luigi's 'Will not run TASK ... error in complete() method:'
    message and its traceback, or None for any other message."""
    match = _COMPLETE_ERROR.match(message)
    if not match:
        return None
    run_date = _RUN_DATE.search(match["params"])
    last = next((line for line in reversed(message.splitlines()) if line.strip()
                 and not line.startswith(" ")), "")
    error = _ERROR_LINE.match(last.strip())
    if error and error["module"].startswith("pipeline."):
        cause = error["message"]
    else:
        cause = f"unexpected {last.strip()} (the traceback is in the log file)"
    return match["family"], run_date[1] if run_date else None, cause


class CompleteErrorWatcher(logging.Handler):
    """Luigi reports an error in a task's ``complete()`` (an unreachable backend while it
    schedules) only as a log message, with no event that carries the error: this reads it."""

    def emit(self, record: logging.LogRecord) -> None:
        try:
            found = complete_error(record.getMessage())
            if found is None:
                return
            settings = load_settings()
            task, run_date, cause = found
            failure = Failure(task, run_date, notify.redact(cause, settings),
                              datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC"))
            remember(failure, settings, post=True)
        except Exception as problem:  # a report must never change the run's outcome
            logger.warning("failure not recorded: %s", type(problem).__name__)


logging.getLogger("luigi-interface").addHandler(CompleteErrorWatcher(logging.WARNING))
