"""``strava-pipeline``: one command for every way to use the pipeline, from any directory.

    strava-pipeline run [--date D] [--demo]        the weekly run (what ./run_weekly.sh runs)
    strava-pipeline backfill --start D [--stop D]  every week of a range, oldest first
    strava-pipeline status [--date D] [--demo]     what finished, per run date (changes nothing)
    strava-pipeline authorize                      first-time Strava authorization
    strava-pipeline athletes list|remove ID        the athletes who authorized (docs/athletes.md)
    strava-pipeline sandbox                        serve the local fake Strava
    strava-pipeline dashboard [--date D] [--demo]  where a run date's dashboard is
    strava-pipeline validate L R OP SEV [--date D] one validation check, ad hoc
    strava-pipeline migrate [--status]             apply (or list) the schema migrations
    strava-pipeline run-date [--demo] [D]          print the run date a run would take
    strava-pipeline rebuild-from-lake [--date D]   production's rows again from the raw JSON
    strava-pipeline reconcile [--date D]           the whole history listed, production in line
    strava-pipeline forget [--yes] [--revoke]      delete every trace of the athlete
    strava-pipeline import-archive PATH            the athlete's Strava archive (ZIP or folder)

It works from any directory because importing ``pipeline`` loads the project's luigi.cfg
(pipeline/project.py). Every problem found before scheduling is one line on stderr and exit 2;
a Luigi run exits with Luigi's code (``[retcode]`` in luigi.cfg).
"""

from __future__ import annotations

import argparse
import importlib
import json
import logging
import os
import signal
import sys
import threading
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from datetime import date, datetime, timedelta, timezone
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pipeline import preflight
from pipeline.athlete_scope import authorized_ids
from pipeline.athlete_zone import default_run_date
from pipeline.backends.urls import mask_url, missing_locally
from pipeline.backends.warehouse import WarehouseConnectionError
from pipeline.errors import OneLineParser
from pipeline.failures import RESUME, known_error, post_refusal
from pipeline.preflight import PreflightError, date_argument, fail
from pipeline.project import project_file
from pipeline.run_output import (
    Output,
    end_progress,
    failure_lines,
    forget_failures,
    output_for,
    print_failures,
    run_summary_lines,
)
from pipeline.run_output import add_arguments as add_output_arguments
from pipeline.sandbox import sandbox_environment, sandbox_settings
from pipeline.settings import ConfigurationError, Settings, load_settings

if TYPE_CHECKING:
    from pipeline.backends import Warehouse

# Issue 23: a command imports what it uses when it runs. The modules that only other commands
# use (status, forget, athletes, the webhook, the archive, ...) are imported by their command,
# and the parser of one command is built without them (``build_parser(command)``).

PROG = "strava-pipeline"
EXIT_CODES = {
    0: "succeeded",
    10: "FAILED: another run of these tasks is already running (exit code 10)",
    20: "FAILED: input data is missing (exit code 20)",
    25: "FAILED: the scheduler did not let this run start a task, another run holds it "
        "(exit code 25)",
    30: "FAILED: a task failed (exit code 30); the cause is on the last lines",
    35: "FAILED: the tasks could not be scheduled (exit code 35); the cause is on the last lines",
    40: "FAILED: an unhandled error (exit code 40); the cause is on the last lines",
}
def describe_exit_code(code: int) -> str:
    """'succeeded', or what Luigi's exit code means."""
    return EXIT_CODES.get(code, f"FAILED (exit code {code})")


# -- what a run tells the user afterwards ---------------------------------------------------------


def command_hint(*args: str) -> str:
    """How to run a ``strava-pipeline`` command without activating the environment: the
    console script beside this interpreter, by its absolute path (a hint must work from any
    directory, e.g. after ./run_weekly.sh was started from another one)."""
    script = Path(sys.executable).parent / PROG
    if not script.exists():
        return " ".join((PROG, *args))
    return " ".join((str(script.absolute()), *args))


def _dashboard_line(label: str, run_date: date, dashboard: Path) -> str:
    """'<label>: <path>', or that the run date's page is not built (and where it would be)."""
    if dashboard.exists():
        return f"{label}: {dashboard}"
    return f"{label}: not built for {run_date} (it would be {dashboard})"


def summary_lines(settings: Settings, run_date: date, demo: bool = False) -> list[str]:
    """What a finished run tells the user: where the warehouse and the dashboard are."""
    from pipeline.tasks.dashboard import athlete_dashboard_path, dashboard_path, reports_dir

    lines = [f"Warehouse: {mask_url(settings.warehouse_url)}"]
    ids = authorized_ids(settings)
    if len(ids) > 1:  # each athlete's pages in reports/<id>/, the operator's index above them
        for athlete_id in ids:
            lines.append(_dashboard_line(f"Dashboard of athlete {athlete_id}", run_date,
                                         athlete_dashboard_path(settings.data_dir, run_date,
                                                                athlete_id)))
        index = reports_dir(settings.data_dir) / "index.html"
        lines.append(f"Athletes:  {index}" if index.exists()
                     else f"Athletes:  no index built yet (it would be {index})")
    else:
        lines.append(_dashboard_line("Dashboard", run_date,
                                     dashboard_path(settings.data_dir, run_date)))
    lines.append("Status:    " + command_hint("status", *(["--demo"] if demo else [])))
    return lines


def _zone_sandbox(demo: bool) -> AbstractContextManager[None]:
    """For a demo, the sandbox's settings, its athlete's zone found over HTTP before its first
    load (``sandbox_cli.sandbox_for_zone``); else nothing."""
    if not demo:
        return nullcontext()
    from pipeline.sandbox_cli import sandbox_for_zone

    return sandbox_for_zone()


def _default_date(demo: bool) -> date:
    """The default run date of a run (a demo's: in the sandbox's DATA_DIR)."""
    with _zone_sandbox(demo):
        return default_run_date()


def _demo(demo: bool, last_day: date) -> object:
    """The sandbox served for a --demo run, or nothing."""
    if not demo:
        return nullcontext()
    from pipeline.sandbox_cli import demo_sandbox

    return demo_sandbox(last_day)


# -- Luigi ----------------------------------------------------------------------------------------


def choose_scheduler(choice: str, demo: bool) -> list[str]:
    """Luigi's scheduler arguments, and one line saying which scheduler the run uses.

    ``auto``: the central scheduler when it answers at the address Luigi will use, else the
    local one; a demo stays local unless ``central`` is asked for (luigid knows tasks by name
    and run date, not by DATA_DIR).
    """
    if choice == "local" or (choice == "auto" and demo):
        reason = "sandbox runs stay out of the central scheduler" if demo else "as asked"
        print(f"Scheduler: local (--local-scheduler); {reason}.")
        return ["--local-scheduler"]
    from pipeline.scheduler import VISUALISER_PATH, scheduler_answers, scheduler_url

    url = scheduler_url()
    if scheduler_answers(url):
        print(f"Scheduler: central scheduler at {url} (visualiser: {url}{VISUALISER_PATH})")
        return []
    if choice == "central":
        raise PreflightError(
            f"no central scheduler (luigid) answers at {url}: start it (docs/operations.md "
            "'The central scheduler and its visualiser') or use --scheduler local")
    print(f"Scheduler: no central scheduler answers at {url}; using --local-scheduler.")
    return ["--local-scheduler"]


def run_with_retcodes(argv: list[str]) -> None:
    """Luigi's own ``luigi.retcodes.run_with_retcodes`` (Luigi 3.8.1, pinned) with Luigi's
    command line parsed once, not three times: each parse builds Luigi's argparse parser of
    every registered parameter three times over (issue 23: 0.04 s of CPU a parse). Exits with
    the ``[retcode]`` code, as Luigi's does."""
    import luigi.interface
    from luigi import execution_summary
    from luigi.cmdline_parser import CmdlineParser
    from luigi.retcodes import retcode
    from luigi.setup_logging import InterfaceLogging

    logger = logging.getLogger("luigi-interface")
    with CmdlineParser.global_instance(argv) as command_line:
        retcodes = retcode()
        try:
            worker = luigi.interface._schedule_and_run([command_line.get_task_obj()]).worker
        except luigi.interface.PidLockAlreadyTakenExit:
            sys.exit(retcodes.already_running)
        except Exception:
            # Some errors occur before logging is set up, Luigi sets it up now
            InterfaceLogging.setup(luigi.interface.core())
            logger.exception("Uncaught exception in luigi")
            sys.exit(retcodes.unhandled_exception)
        task_sets = execution_summary._summary_dict(worker)
        root_task = execution_summary._root_task(worker)
    found = {status for status, tasks in task_sets.items() if tasks}
    codes_and_conditions = (
        (retcodes.missing_data, "still_pending_ext" in found),
        (retcodes.task_failed, "failed" in found),
        (retcodes.already_running, "run_by_other_worker" in found),
        (retcodes.scheduling_error, "scheduling_error" in found),
        (retcodes.not_run, "not_run" in found),
    )
    expected = max(code if condition else 0 for code, condition in codes_and_conditions)
    if expected == 0 and root_task not in task_sets["completed"] \
            and root_task not in task_sets["already_done"]:
        sys.exit(retcodes.not_run)
    sys.exit(expected)


def run_luigi(task_args: list[str], scheduler_args: list[str],
              output: Output | None = None) -> int:
    """``luigi --module pipeline.tasks TASK_ARGS`` in this process; Luigi's exit code.

    With ``output`` the log goes where it says (quiet terminal, full log file); without it,
    config/logging.ini's one line per message on stderr."""
    argv = ["--module", "pipeline.tasks", *task_args, *scheduler_args]
    logging_conf = project_file("config/logging.ini")
    if output is not None:
        output.configure_logging()
    elif logging_conf:
        argv += ["--logging-conf-file", str(logging_conf)]
    try:
        run_with_retcodes(argv)
    except SystemExit as done:
        if _STOP_REQUESTED.is_set():
            raise Stopped() from None
        if done.code is None or isinstance(done.code, int):
            return done.code or 0
        print(done.code, file=sys.stderr)  # Luigi's own message, e.g. "No task specified"
        return 1
    if _STOP_REQUESTED.is_set():
        raise Stopped()
    return 0


# -- commands -------------------------------------------------------------------------------------



def athlete_arguments(task: str, athlete_ids: list[int]) -> list[str]:
    """Luigi's parameters for ``--athlete-id`` (repeatable, issue 26): WeeklyPipeline's list
    ``--athlete-ids``, a stage's single ``--athlete-id``."""
    if not athlete_ids:
        return []
    if task == "WeeklyPipeline":
        return ["--athlete-ids", json.dumps(sorted(set(athlete_ids)))]
    if len(set(athlete_ids)) > 1:
        raise SystemExit(f"{PROG} run --task {task}: one --athlete-id at a time")
    return ["--athlete-id", str(athlete_ids[0])]

def cmd_run(args: argparse.Namespace) -> int:
    """The weekly run of one date."""
    from pipeline.archive.options import archive_only

    if not args.demo and preflight.strava_setup(load_settings()) == "none" \
            and not archive_only():
        print("No Strava credentials are configured (no STRAVA_CLIENT_ID, STRAVA_REFRESH_TOKEN "
              "or token store);")
        print("running the demo instead. For Strava see docs/authorization.md.")
        args.demo = True
    run_date = args.date or _default_date(args.demo)
    started = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M:%S")
    print(f"== Weekly Strava pipeline for {run_date} (started {started} UTC)", flush=True)
    with _demo(args.demo, run_date - timedelta(days=1)):
        task = args.task or "WeeklyPipeline"
        settings = preflight.check([run_date], extracting=_extracting([run_date]),
                                   create=args.create)
        scheduler_args = choose_scheduler(args.scheduler, args.demo)
        output = output_for(args, settings, run_date.isoformat())
        sys.stdout.flush()
        code = run_luigi([task, "--run-date", run_date.isoformat(),
                          *athlete_arguments(task, args.athlete_id or [])],
                         scheduler_args, output)
        end_progress()
        what = "Weekly run" if task == "WeeklyPipeline" else task
        print(f"== {what} for {run_date} {describe_exit_code(code)}")
        settings = load_settings()
        for line in [*run_summary_lines(settings, [run_date]),
                     *summary_lines(settings, run_date, args.demo)]:
            print(line)
        print(f"Log:       {output.log_file}")
        if code == 0 and task == "WeeklyPipeline":
            forget_failures(settings, [run_date])
        ending = failure_lines(code, output, settings)
    if args.demo:
        print("This was a DEMO against the local Strava sandbox, not Strava.")
    print_failures(ending)
    return code


def cmd_backfill(args: argparse.Namespace) -> int:
    """Every week of a range, oldest first."""
    from pipeline.tasks.backfill import SUNDAY, week_run_dates

    weekday = SUNDAY if args.weekday is None else args.weekday
    if not 0 <= weekday <= 6:
        raise PreflightError(f"--weekday {weekday}: use 0 (Monday) to 6 (Sunday)")
    latest = _default_date(args.demo)
    with sandbox_settings() if args.demo else nullcontext():
        stop = args.stop or latest
        if args.start > stop:
            raise PreflightError(f"--start {args.start} is after --stop {stop}: swap them")
        run_dates = week_run_dates(args.start, stop, weekday, latest=latest)
    print(f"== Backfill of {len(run_dates)} weeks from {args.start} to {stop}", flush=True)
    with _demo(args.demo, latest - timedelta(days=1)):
        preflight.check(run_dates, extracting=_extracting(run_dates), create=args.create)
        scheduler_args = choose_scheduler(args.scheduler, args.demo)
        sys.stdout.flush()
        task_args = ["Backfill", "--start", args.start.isoformat(), "--stop", stop.isoformat(),
                     "--weekday", str(weekday)]
        output = output_for(
            args, load_settings(), f"backfill-{args.start.isoformat()}-{stop.isoformat()}")
        code = run_luigi(task_args, scheduler_args, output)
        end_progress()
        print(f"== Backfill of {len(run_dates)} weeks {describe_exit_code(code)}")
        settings = load_settings()
        for line in [*run_summary_lines(settings, run_dates),
                     *summary_lines(settings, run_dates[-1] if run_dates else stop, args.demo)]:
            print(line)
        print(f"Log:       {output.log_file}")
        if code == 0:
            forget_failures(settings, run_dates)
        ending = failure_lines(code, output, settings)
    print_failures(ending)
    return code


def _extracting(run_dates: list[date]) -> bool:
    """Whether some of the run dates still has to be extracted from Strava."""
    from pipeline.tasks.extract import extracts_missing

    return extracts_missing(run_dates)


def cmd_status(args: argparse.Namespace) -> int:
    """The status table; changes nothing."""
    from pipeline import status

    return status.run(args)


def cmd_authorize(options: list[str]) -> int:
    """First-time authorization; its own options (``--paste``, ``--code``, ...) follow."""
    from pipeline.strava import authorize

    return authorize.main(options)


def cmd_sandbox(args: argparse.Namespace) -> int:
    """Serve the sandbox until Ctrl-C."""
    from pipeline import sandbox_cli

    return sandbox_cli.run(args)


def _apply_demo(demo: bool) -> None:
    if demo:
        os.environ.update(sandbox_environment())


def cmd_dashboard(args: argparse.Namespace) -> int:
    """Print (or open) the path of a run date's dashboard: the newest one by default."""
    from pipeline.tasks.dashboard import dashboard_path

    _apply_demo(args.demo)
    settings = load_settings()
    demo = " --demo" if args.demo else ""
    if args.date:
        path = dashboard_path(settings.data_dir, args.date)
    else:
        built = sorted(settings.reports_dir.glob("*/dashboard.html"))
        if not built:
            raise PreflightError(f"no dashboard in {settings.reports_dir} yet: run "
                                 f"`{command_hint('run')}{demo}` first")
        path = built[-1]
    if not path.exists():
        raise PreflightError(f"no dashboard for {args.date} yet ({path}): run "
                             f"`{command_hint('run', '--date', str(args.date))}{demo}`")
    print(path)
    if args.open:
        import webbrowser

        webbrowser.open(path.as_uri())
    return 0


def _loaded(warehouse: Warehouse | None, run_date: date) -> bool:
    from pipeline.tasks.base import stage_marker_id

    return warehouse is not None and warehouse.table_exists("table_updates") and \
        warehouse.marker_exists(stage_marker_id("LoadProduction", run_date))


def _not_staged(warehouse: Warehouse | None, run_date: date, settings: Settings,
                demo: bool) -> str:
    """Why ``validate`` has nothing to check for a date, and advice that works for it."""
    flag = ["--demo"] if demo else []
    if not _loaded(warehouse, run_date):
        stage = command_hint("run", "--date", run_date.isoformat(), "--task", "CopyToStaging",
                             *flag)
        return f"no staging table for {run_date} yet: stage it with `{stage}`"
    newest = default_run_date(settings)
    stage = command_hint("run", "--date", newest.isoformat(), "--task", "CopyToStaging", *flag)
    other = (f"; to try a check, stage a date that is not loaded yet, e.g. `{stage}`"
             if newest != run_date and not _loaded(warehouse, newest) else "")
    return (f"{run_date} is already loaded into production and its staging table was dropped: "
            f"its checks' latest results are in "
            f"`{command_hint('status', '--date', run_date.isoformat(), *flag)}`{other}")


def cmd_validate(args: argparse.Namespace) -> int:
    """One validation check on a staged run date."""
    from pipeline import validator
    from pipeline.backends import open_warehouse
    from pipeline.sql_files import staging_table_name

    _apply_demo(args.demo)
    settings = load_settings()
    run_date = args.date or default_run_date(settings)
    staging = staging_table_name(run_date.strftime("%Y%m%d"))
    warehouse = None if missing_locally(settings.warehouse_url) else open_warehouse(
        settings.warehouse_url)
    if warehouse is None or not warehouse.table_exists(staging):
        raise PreflightError(_not_staged(warehouse, run_date, settings, args.demo))
    argv = [args.left, args.right, args.operator, args.severity,
            "--run-date", run_date.isoformat(), *(["--slack"] if args.slack else [])]
    return validator.main(argv)


def cmd_migrate(args: argparse.Namespace) -> int:
    """Apply (or, with --status, list) the migrations of the warehouse and the state store."""
    from pipeline.backends import open_state, open_warehouse
    from pipeline.backends.migrations import (
        STATE_MIGRATIONS,
        WAREHOUSE_MIGRATIONS,
        MigrationError,
        apply_migrations,
        status_lines,
    )

    settings = load_settings()
    try:
        warehouse = open_warehouse(settings.warehouse_url)
        state = open_state(settings.state_url, migrate=False)
        if args.status:
            print("\n".join([*status_lines(warehouse, WAREHOUSE_MIGRATIONS, "warehouse"),
                             *status_lines(state, STATE_MIGRATIONS, "state store")]))
            return 0
        applied_now = [*apply_migrations(warehouse, WAREHOUSE_MIGRATIONS),
                       *apply_migrations(state, STATE_MIGRATIONS)]
    except MigrationError as error:
        raise PreflightError(str(error)) from None
    for migration in applied_now:
        print(f"applied {migration.label}")
    if not applied_now:
        print("nothing to apply: every migration is applied (see --status)")
    return 0


def cmd_run_date(args: argparse.Namespace) -> int:
    """Print the run date a run would take (for scripts such as ./run_weekly.sh)."""
    settings = load_settings()
    with _zone_sandbox(preflight.runs_demo(settings, args.demo)):
        print(preflight.resolve_run_date(settings, args.date, args.demo))
    return 0


# -- the parser -----------------------------------------------------------------------------------

STAGES = ("WeeklyPipeline", "ExtractActivities", "UploadToLake", "CopyToStaging",
          "ValidateStaging", "LoadProduction", "RecordWatermark", "BuildDashboard")


def _scheduler_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--scheduler", choices=("auto", "central", "local"), default="auto",
        help="auto (default): the central scheduler (luigid) when it answers at the address "
             "Luigi will use, else the local one; a demo stays local unless 'central'")


def package_version() -> str:
    """The installed package's version."""
    try:
        return metadata.version("strava-luigi-pipeline")
    except metadata.PackageNotFoundError:  # run from a checkout that is not installed
        return "unknown (not installed)"


def settings_checked_first(handler: Callable[[argparse.Namespace], int]
                           ) -> Callable[[argparse.Namespace], int]:
    """The handler, after the settings given were checked (backends, folders, checks file):
    also when no credentials make ``run`` switch to the demo, whose settings replace them."""

    def checked(args: argparse.Namespace) -> int:
        if not args.demo:
            preflight.check_settings(load_settings(), create=args.create)
        return handler(args)

    return checked


def _add_run(commands: Any) -> None:
    """The ``run`` command."""
    run = commands.add_parser(
        "run", help="the weekly run of one date (what ./run_weekly.sh runs)",
        description="Run WeeklyPipeline for one run date. Without Strava credentials (or "
                    "with --demo) it runs against the local sandbox in its own DATA_DIR.")
    run.add_argument("--date", type=date_argument, metavar="YYYY-MM-DD",
                     help="the run date (default: the run-date rule's, see docs/how-it-works.md)")
    run.add_argument("--demo", action="store_true",
                     help="run against the local Strava sandbox (synthetic data), not Strava")
    run.add_argument("--task", choices=STAGES, metavar="TASK",
                     help="run only this stage and what it needs, e.g. CopyToStaging to stage "
                          f"a date for `validate` ({', '.join(STAGES)})")
    run.add_argument("--athlete-id", type=int, action="append", metavar="ID",
                     help="only this athlete (repeat for several; default: every authorized "
                          "athlete, see docs/athletes.md)")
    _scheduler_option(run)
    add_output_arguments(run)
    run.set_defaults(handler=settings_checked_first(cmd_run))


def _add_backfill(commands: Any) -> None:
    """The ``backfill`` command."""
    backfill = commands.add_parser(
        "backfill", help="every week of a date range, oldest first",
        description="WeeklyPipeline for every week (Sunday run dates) of a range, oldest first; "
                    "finished weeks are skipped, so it is also the catch-up and the resume.")
    backfill.add_argument("--start", type=date_argument, required=True, metavar="YYYY-MM-DD",
                          help="first day of the range (required)")
    backfill.add_argument("--stop", type=date_argument, metavar="YYYY-MM-DD",
                          help="last day of the range, included (default: the default run date)")
    backfill.add_argument("--weekday", type=int, metavar="0-6",
                          help="weekday of the run dates: 0 Monday ... 6 Sunday (default)")
    backfill.add_argument("--demo", action="store_true", help="against the local sandbox")
    _scheduler_option(backfill)
    add_output_arguments(backfill)
    backfill.set_defaults(handler=cmd_backfill)


def _add_status(commands: Any) -> None:
    """The ``status`` command."""
    from pipeline import status

    status_parser = commands.add_parser(
        "status", help="per run date: stages finished, watermark, validation (changes nothing)",
        description="Per run date: which stages finished, the watermark and the latest "
                    "validation results. Reads only; creates nothing.")
    status.add_arguments(status_parser)
    status_parser.set_defaults(handler=cmd_status)


def _add_authorize(commands: Any) -> None:
    """The ``authorize`` command."""
    authorize = commands.add_parser(
        "authorize", help="first-time Strava authorization (stores the token)", add_help=False,
        description="First-time Strava authorization; its options follow (--help).")
    authorize.add_argument("options", nargs="*", help="see strava-pipeline authorize --help")


def _add_sandbox(commands: Any) -> None:
    """The ``sandbox`` command."""
    from pipeline import sandbox_cli

    sandbox_parser = commands.add_parser(
        "sandbox", help="serve the local fake Strava and print its settings",
        description="Serve a local fake Strava API with a synthetic athlete; prints export "
                    "lines (its own DATA_DIR included) that point the pipeline at it.")
    sandbox_cli.add_arguments(sandbox_parser)
    sandbox_parser.set_defaults(handler=cmd_sandbox)


def _add_dashboard(commands: Any) -> None:
    """The ``dashboard`` command."""
    dashboard = commands.add_parser(
        "dashboard", help="print (or --open) where a run date's dashboard is",
        description="Print the path of a run date's dashboard (default: the newest built).")
    dashboard.add_argument("--date", type=date_argument, metavar="YYYY-MM-DD",
                           help="the run date (default: the newest dashboard built)")
    dashboard.add_argument("--demo", action="store_true", help="the sandbox's dashboards")
    dashboard.add_argument("--open", action="store_true", help="open it in a browser")
    dashboard.set_defaults(handler=cmd_dashboard)


def _add_validate(commands: Any) -> None:
    """The ``validate`` command."""
    validate = commands.add_parser(
        "validate", help="run one validation check on a staged run date",
        description="Compare two SQL results (or numbers) on the run date's staging table. "
                    "Staging exists between CopyToStaging and LoadProduction: stage a date "
                    "with `run --task CopyToStaging` first. Exit 0 pass/skipped/warn, 1 a "
                    "halt check failed, 2 a usage error.")
    validate.add_argument("left", help="SQL file (a path, or a name in sql/validation/) or number")
    validate.add_argument("right", help="SQL file or number")
    validate.add_argument("operator", help="equals, not_equals, greater, greater_equals, less, "
                                           "less_equals")
    validate.add_argument("severity", help="warn or halt")
    validate.add_argument("--date", type=date_argument, metavar="YYYY-MM-DD",
                          help="the staged run date (default: the default run date)")
    validate.add_argument("--demo", action="store_true", help="the sandbox's warehouse")
    validate.add_argument("--slack", action="store_true", help="also post the result to Slack")
    validate.set_defaults(handler=cmd_validate)


def _add_migrate(commands: Any) -> None:
    """The ``migrate`` command."""
    migrate = commands.add_parser(
        "migrate", help="apply the pending schema migrations (the pipeline also does on start)",
        description="Apply the pending schema migrations of the configured warehouse and state "
                    "store; --status lists applied and pending ones and changes nothing.")
    migrate.add_argument("--status", action="store_true",
                         help="only list applied and pending migrations; change nothing")
    migrate.set_defaults(handler=cmd_migrate)


def _add_run_date(commands: Any) -> None:
    """The ``run-date`` command."""
    run_date = commands.add_parser(
        "run-date", help="print the run date a run would take (for scripts)",
        description="Print the given run date when it is over in the athlete's time zone, else "
                    "the most recent such day; exit 2 with one line when it is not over yet.")
    run_date.add_argument("date", nargs="?", default="", metavar="YYYY-MM-DD")
    run_date.add_argument("--demo", action="store_true",
                          help="the run uses the sandbox (and its DATA_DIR)")
    run_date.set_defaults(handler=cmd_run_date)



# The commands in the order ``--help`` lists them: those defined here, then those whose module
# adds them (``add_command(commands)``), imported only when their parser is built.
_OWN_COMMANDS: dict[str, Callable[[Any], None]] = {
    "run": _add_run,
    "backfill": _add_backfill,
    "status": _add_status,
    "authorize": _add_authorize,
    "sandbox": _add_sandbox,
    "dashboard": _add_dashboard,
    "validate": _add_validate,
    "migrate": _add_migrate,
    "run-date": _add_run_date,
}
_MODULE_COMMANDS: tuple[tuple[tuple[str, ...], str], ...] = (
    (("init",), "pipeline.init_command"),
    (("debug",), "pipeline.debug_command"),
    (("rebuild-from-lake",), "pipeline.rebuild_lake"),
    (("reconcile",), "pipeline.reconcile_cli"),
    (("apply-events", "webhook"), "pipeline.webhook.cli"),
    (("forget",), "pipeline.forget"),
    (("athletes",), "pipeline.athletes_cli"),
    (("import-archive",), "pipeline.archive.command"),
)
COMMAND_NAMES = (*_OWN_COMMANDS, *(name for names, _ in _MODULE_COMMANDS for name in names))


class _VersionAction(argparse.Action):
    """``--version``: the installed package's version, read only when asked for."""

    def __init__(self, option_strings: list[str], dest: str = argparse.SUPPRESS,
                 default: str = argparse.SUPPRESS, help: str | None = None) -> None:
        super().__init__(option_strings=option_strings, dest=dest, default=default, nargs=0,
                         help=help)

    def __call__(self, parser: argparse.ArgumentParser, namespace: argparse.Namespace,
                 values: object, option_string: str | None = None) -> None:
        print(f"{PROG} {package_version()}")  # on stdout, as argparse's version action
        parser.exit()


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The ``strava-pipeline`` command line: every command, or only ``command``'s (what
    ``main`` parses a known command with, so a run imports no other command's module)."""
    parser = OneLineParser(
        prog=PROG,
        description="The weekly Strava pipeline (Luigi): run it, backfill, see its status, "
                    "authorize Strava, serve the sandbox, find the dashboard, run a check. "
                    "Works from any directory; every failure exits non-zero.",
    )
    parser.add_argument("--version", action=_VersionAction, help="print the version and exit")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND",
                                     parser_class=OneLineParser)
    for name, add in _OWN_COMMANDS.items():
        if command in (None, name):
            add(commands)
    for names, module in _MODULE_COMMANDS:
        if command is None or command in names:
            importlib.import_module(module).add_command(commands)
    return parser


def refused(argv: list[str], error: Exception) -> int:
    """A command stopped before Luigi: one line on stderr and, for a run or a backfill, one
    Slack post when a webhook is set; the exit status."""
    code = fail(error)
    if argv[:1] in (["run"], ["backfill"]):
        post_refusal(f"`strava-pipeline {argv[0]}` FAILED before any task ran: {error}")
    return code


class Stopped(KeyboardInterrupt):
    """Ctrl-C or SIGTERM on a run or a backfill (Luigi lets a KeyboardInterrupt through)."""

    def __init__(self) -> None:
        super().__init__()
        self.signal_number = _STOPPED_BY[-1] if _STOPPED_BY else signal.SIGINT


_STOP_REQUESTED = threading.Event()
_STOPPED_BY: list[int] = []


def _stop_on_signal(signum: int, _frame: object) -> None:
    """Inside Luigi's worker, ask it to stop as its SIGUSR1 does (the running task finishes,
    nothing new starts; ``run_luigi`` then raises Stopped); before it, stop at once."""
    _STOP_REQUESTED.set()
    _STOPPED_BY.append(signum)
    usr1 = getattr(signal, "SIGUSR1", None)
    if usr1 is not None and signal.getsignal(usr1) not in (signal.SIG_DFL, signal.SIG_IGN, None):
        os.kill(os.getpid(), usr1)
        return
    raise Stopped()


def main(argv: list[str] | None = None) -> int:
    """The console script ``strava-pipeline``; returns the exit status. A run or a backfill
    stops on Ctrl-C or SIGTERM once the running task is done, saying how to resume."""
    argv = sys.argv[1:] if argv is None else list(argv)
    on_main_thread = threading.current_thread() is threading.main_thread()
    if argv[:1] not in (["run"], ["backfill"]) or not on_main_thread:
        return _main(argv)
    previous = {number: signal.signal(number, _stop_on_signal)
                for number in (signal.SIGINT, signal.SIGTERM)}
    try:
        return _main(argv)
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)


def _main(argv: list[str]) -> int:
    try:
        if argv[:1] == ["authorize"]:  # its options are its own, --help included
            return cmd_authorize(argv[1:])
        command = argv[0] if argv and argv[0] in COMMAND_NAMES else None
        args = build_parser(command).parse_args(argv)
        return int(args.handler(args) or 0)
    except (PreflightError, ConfigurationError, WarehouseConnectionError) as error:
        sys.stdout.flush()
        return refused(argv, error)
    except Exception as error:
        if not known_error(error):
            raise
        sys.stdout.flush()  # a pipeline error raised before Luigi: its message says what to do
        return refused(argv, error)
    except KeyboardInterrupt as stop:
        sys.stdout.flush()
        print(f"{PROG}: stopped; {RESUME}", file=sys.stderr)
        return 128 + int(stop.signal_number if isinstance(stop, Stopped) else signal.SIGINT)
    except BrokenPipeError:  # `strava-pipeline status | head`
        sys.stderr.close()
        return 0


if __name__ == "__main__":
    sys.exit(main())
