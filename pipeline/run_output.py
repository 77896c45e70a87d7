"""What a run of ``strava-pipeline run`` / ``backfill`` shows and keeps: the options that choose
how much the terminal shows, the log file, and the lines that end a failed run."""

from __future__ import annotations

import argparse
import atexit
import logging
import sys
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from pipeline import failures, run_logging, run_summary
from pipeline.backends import open_warehouse
from pipeline.backends.urls import missing_locally
from pipeline.errors import one_line
from pipeline.settings import Settings

# Luigi's exit codes that come without a failed task, and what to do (luigi.cfg [retcode]).
NO_FAILED_TASK = {
    10: "another run of these tasks is already running (exit code 10): let it finish, then run "
        "again",
    20: "input data is missing (exit code 20)",
    25: "another run holds these tasks in the central scheduler (exit code 25): let it finish, "
        "then run again",
}


@dataclass(frozen=True)
class Output:
    """Where a run's log goes and how much of it the terminal shows."""

    log_file: Path
    verbose: bool = False
    debug: bool = False

    def configure_logging(self) -> None:
        """Every line to the log file; the terminal quiet unless --verbose / --debug."""
        run_logging.configure(self.log_file, self.verbose, self.debug)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """--verbose, --debug, --create and --log-file, shared by ``run`` and ``backfill``."""
    parser.add_argument("--verbose", action="store_true",
                        help="also show Luigi's scheduling lines on the terminal (default: only "
                             "the pipeline's progress lines and the summary; every line is in "
                             "the log file anyway)")
    parser.add_argument("--debug", action="store_true",
                        help="like --verbose, with tracebacks on the terminal (default: "
                             "tracebacks only in the log file)")
    parser.add_argument("--create", action="store_true",
                        help="create the folder of a DuckDB/SQLite URL that does not exist "
                             "(default: refuse it, a typo would make a new, empty warehouse)")
    parser.add_argument("--log-file", type=Path, metavar="PATH",
                        help="where the full log goes (default: $DATA_DIR/logs/RUN-DATE.log; "
                             "./run_weekly.sh uses logs/RUN-DATE.log)")
    parser.add_argument("--log-dir", type=Path, metavar="DIR",
                        help="write the log as DIR/RUN-DATE.log, the date resolved by this "
                             "command (./run_weekly.sh: logs/)")


def output_for(args: argparse.Namespace, settings: Settings, name: str) -> Output:
    """The run's Output: ``--log-file``, ``--log-dir``/NAME.log or ``$DATA_DIR/logs/NAME.log``,
    made absolute."""
    folder = getattr(args, "log_dir", None) or settings.data_dir / "logs"
    log_file = args.log_file or folder / f"{name}.log"
    return Output(Path(log_file).absolute(), args.verbose, args.debug)


def failure_lines(code: int, output: Output, settings: Settings) -> list[str]:
    """One line per failed task (the task, its run date, the cause, what to do), or one line
    saying why the run stopped when no task failed; nothing for a run that succeeded."""
    seen = failures.failures_seen()
    hint = str(output.log_file)
    lines = [failure.line().replace("the log file", hint) for failure in seen]
    if code and not lines:
        why = NO_FAILED_TASK.get(code, f"Luigi exited {code} without a failed task")
        lines.append(f"FAILED: {why}; see {hint}")
    if lines:
        lines.append(f"Then {failures.RESUME}.")
    return lines


def run_summary_lines(settings: Settings, run_dates: list[date]) -> list[str]:
    """The counts of this run (tasks, activities, checks of its run dates, Strava requests)."""
    failed = len(failures.failures_seen())
    try:
        warehouse = (None if missing_locally(settings.warehouse_url)
                     else open_warehouse(settings.warehouse_url))
        checks = run_summary.check_counts(warehouse, run_dates)
    except Exception as error:  # the summary must not hide the run's own outcome
        checks = dict.fromkeys(("passed", "warned", "failed", "skipped"), 0)
        logging.getLogger(__name__).warning("checks not counted: %s", one_line(error))
    return run_summary.summary_lines(run_summary.TALLY, checks, failed)


def forget_failures(settings: Settings, run_dates: Iterable[date]) -> None:
    """Clear the kept failure of every run date that is now complete."""
    for run_date in run_dates:
        failures.clear(settings.data_dir, run_date)


def end_progress() -> None:
    """End the terminal's progress bar before the summary is printed."""
    run_logging.finish_progress()


def print_failures(lines: list[str]) -> None:
    """The failure lines, last, on stdout after everything else is out."""
    sys.stderr.flush()
    sys.stdout.flush()
    for line in lines:
        print(line)


# -- luigi --module pipeline.tasks ... ----------------------------------------------------------


class KnownErrorTraceback(logging.Filter):
    """Drops the traceback of a pipeline error from Luigi's 'failed' line and from its 'Will
    not run ... error in complete() method' warning (keeping the error's own line): its message
    says what to do, and it is repeated on the last lines."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.exc_info and record.exc_info[1] is not None \
                and failures.known_error(record.exc_info[1]):
            record.exc_info, record.exc_text = None, None
        message = record.getMessage()
        if failures.complete_error(message) and "\n" in message:
            head, *rest = message.splitlines()
            last = next((line for line in reversed(rest) if line.strip()
                         and not line.startswith(" ")), "")
            if last.startswith("pipeline."):  # a known error: its last line says it all
                record.msg, record.args = f"{head}\n{last}", None
        return True


def end_luigi_command_line() -> None:
    """On Luigi's own command line: no traceback for a known error, and the run ends with one
    line per failed task on stderr (printed at exit, after Luigi's summary)."""
    logging.getLogger("luigi-interface").addFilter(KnownErrorTraceback())
    atexit.register(_print_luigi_failures)


def _print_luigi_failures() -> None:
    lines = [failure.line().replace("the log file", "the output above")
             for failure in failures.failures_seen()]
    if lines:
        lines.append(f"Then {failures.RESUME}.")
    sys.stdout.flush()
    for line in lines:
        print(f"luigi: {line}", file=sys.stderr)
