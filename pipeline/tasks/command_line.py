"""Pre-flight for Luigi's own command line: ``luigi --module pipeline.tasks TASK ...``.

Luigi has no hook before scheduling, so importing ``pipeline.tasks`` from Luigi's command line
runs :func:`check_luigi_command_line`: it parses the command line with Luigi's own parser, checks
the root task's parameters, settings, credentials and run dates (``pipeline.preflight``), and
that the central scheduler answers unless ``--local-scheduler`` is given. A problem exits 2 (35
for an unreachable scheduler) with one line on stderr.
"""

from __future__ import annotations

import sys
from datetime import date
from pathlib import Path

from luigi.cmdline_parser import CmdlineParser
from luigi.interface import core
from luigi.retcodes import retcode
from luigi.task_register import TaskClassException

from pipeline.failures import post_refusal
from pipeline.preflight import PreflightError, check, fail, for_luigi_command_line
from pipeline.run_output import end_luigi_command_line
from pipeline.scheduler import scheduler_answers, scheduler_url
from pipeline.settings import ConfigurationError
from pipeline.tasks.backfill import Backfill
from pipeline.tasks.extract import extracts_missing


def invoked_by_luigi_command() -> bool:
    """Whether this process is Luigi's command line (``luigi`` or ``python -m luigi``)."""
    program = Path(sys.argv[0]) if sys.argv and sys.argv[0] else Path()
    return program.name == "luigi" or (program.name == "__main__.py"
                                       and program.parent.name == "luigi")


def _option(param_name: str) -> str:
    return "--" + param_name.replace("_", "-")


def root_task_run_dates(task: object) -> list[date]:
    """The run dates a root task covers: a Backfill's weeks, or a dated task's run date."""
    if isinstance(task, Backfill):
        try:
            return task.run_dates()
        except ValueError as error:
            raise PreflightError(str(error)) from None
    run_date = getattr(task, "run_date", None)
    return [run_date] if isinstance(run_date, date) else []


def check_luigi_command_line(argv: list[str] | None = None) -> None:
    """Pre-flight for ``luigi --module pipeline.tasks TASK ...``; exits with one line on a
    problem. Does nothing outside Luigi's command line, for ``--help`` and for other tasks."""
    if argv is None:
        if not invoked_by_luigi_command():
            return
        argv = sys.argv[1:]
    if any(arg in ("--help", "--help-all", "-h") for arg in argv):
        return
    if CmdlineParser.get_instance() is not None:
        return
    with CmdlineParser.global_instance(argv) as parser:
        try:
            task_cls = parser._get_task_cls()
        except TaskClassException:
            return  # Luigi says which tasks exist
        if not task_cls.__module__.startswith("pipeline."):
            return
        try:
            for name, param in task_cls.get_params():
                value = getattr(parser.known_args, name, None)
                if value:
                    try:
                        param.parse(value)
                    except ValueError:
                        raise PreflightError(
                            f"{_option(name)} {value!r} is not valid for {task_cls.__name__}"
                            + (": write it as YYYY-MM-DD, e.g. 2026-11-29"
                               if "date" in name or name in ("start", "stop") else "")
                        ) from None
            task = parser.get_task_obj()
            dates = root_task_run_dates(task)
            check(dates, extracting=extracts_missing(dates))
        except (PreflightError, ConfigurationError) as error:
            message = for_luigi_command_line(str(error))
            code = fail(PreflightError(message), "luigi")
            post_refusal(f"`luigi --module pipeline.tasks {task_cls.__name__}` FAILED before "
                         f"any task ran: {message}")
            raise SystemExit(code) from None
        _check_scheduler()
        end_luigi_command_line()


def _check_scheduler() -> None:
    """Unless --local-scheduler: the central scheduler must answer, else one line and exit 35."""
    if core().local_scheduler:
        return
    url = scheduler_url()
    if not scheduler_answers(url):
        print(f"luigi: error: no central scheduler (luigid) answers at {url}: start it "
              "(docs/operations.md 'The central scheduler and its visualiser') "
              "or pass --local-scheduler", file=sys.stderr)
        raise SystemExit(retcode().scheduling_error)
