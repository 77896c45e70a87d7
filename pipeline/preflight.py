"""Pre-flight: settings, backends, credentials and run dates checked once, before scheduling.

Every entry point (``strava-pipeline run/backfill``, ``./run_weekly.sh`` and ``luigi --module
pipeline.tasks ...``) calls :func:`check` before Luigi schedules a task, so a problem is one line
that names the setting and what to do, a non-zero exit and no traceback, instead of one
traceback per scheduled week.

``luigi --module pipeline.tasks`` has no hook before scheduling, so importing ``pipeline.tasks``
from Luigi's command line runs :func:`check_luigi_command_line`: it parses the command line
with Luigi's own parser, checks the root task's parameters and the settings, and checks that
the central scheduler answers unless ``--local-scheduler`` is given. A problem exits 2 (35 for
an unreachable scheduler) with one line on stderr.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable
from datetime import date
from pathlib import Path

from pipeline.settings import ConfigurationError, Settings, load_settings

EXIT_USAGE = 2


class PreflightError(ConfigurationError):
    """A problem found before scheduling; its message is the one line the user sees."""


# -- run dates: the one call site of the run-date rules -----------------------------------------


def _zone_without_opening(settings: Settings) -> object | None:
    """The athlete's zone when the rule needs no warehouse (ATHLETE_TIMEZONE unset and nothing
    loaded yet: this machine's zone), else None. Asking a missing warehouse would create it."""
    from pipeline import run_dates
    from pipeline.backends.urls import missing_locally

    if not settings.athlete_timezone and missing_locally(settings.warehouse_url):
        return run_dates.athlete_zone("", None)
    return None


def default_run_date(settings: Settings | None = None) -> date:
    """The run date when none is given: the most recent day that is over in the athlete's time
    zone (pipeline/run_dates.py)."""
    from pipeline import run_dates
    from pipeline.tasks.base import default_run_date as rule_default

    settings = settings or load_settings()
    zone = _zone_without_opening(settings)
    if zone is not None:
        return run_dates.latest_completed_day(zone)
    return rule_default(settings)


def check_run_date(run_date: date, settings: Settings | None = None) -> None:
    """Refuse a run date the rules do not allow (a PreflightError saying why)."""
    from pipeline import run_dates
    from pipeline.tasks.base import ensure_run_date_over

    settings = settings or load_settings()
    try:
        zone = _zone_without_opening(settings)
        if zone is not None:
            run_dates.ensure_over(run_date, zone)
        else:
            ensure_run_date_over(run_date, settings)
    except (ValueError, ConfigurationError) as error:
        raise PreflightError(str(error)) from None


def parse_date(text: str, option: str = "--date") -> date:
    """A YYYY-MM-DD date, or a PreflightError naming the option."""
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise PreflightError(
            f"{option} {text!r} is not a date: write it as YYYY-MM-DD, e.g. 2026-11-29"
        ) from None


# -- settings, backends, credentials -------------------------------------------------------------


def check_backends(settings: Settings) -> None:
    """Every backend URL names a known backend (nothing is connected)."""
    from pipeline.backends import LAKES, STATE_STORES, WAREHOUSES
    from pipeline.backends.urls import local_path, mask_url, scheme_of

    for setting, url, registry in (("LAKE_URL", settings.lake_url, LAKES),
                                   ("STATE_URL", settings.state_url, STATE_STORES),
                                   ("WAREHOUSE_URL", settings.warehouse_url, WAREHOUSES)):
        try:
            scheme = scheme_of(url)
            if scheme in ("file", "sqlite", "duckdb"):
                local_path(url)
        except ConfigurationError as error:
            raise PreflightError(f"{setting}: {error}") from None
        if scheme not in registry:
            known = ", ".join(f"{name}://" for name in registry)
            raise PreflightError(
                f"{setting}={mask_url(url)!r}: no backend for '{scheme}://'; use one of {known}"
            )


def has_token(settings: Settings) -> bool:
    """A refresh token in the environment/luigi.cfg, or a token store."""
    return bool(settings.strava_refresh_token) or settings.token_store_path.exists()


def check_credentials(settings: Settings) -> None:
    """What a run needs to reach Strava: the application's id and secret, and a token."""
    client_id, secret = settings.strava_client_id, settings.strava_client_secret
    if not client_id and not secret and not has_token(settings):
        raise PreflightError(
            "no Strava credentials (STRAVA_CLIENT_ID, STRAVA_CLIENT_SECRET): set them and run "
            "`strava-pipeline authorize` (docs/authorization.md), or add --demo "
            "to run against the local sandbox"
        )
    for name, value, other in (("STRAVA_CLIENT_ID", client_id, "STRAVA_CLIENT_SECRET"),
                               ("STRAVA_CLIENT_SECRET", secret, "STRAVA_CLIENT_ID")):
        if not value:
            raise PreflightError(
                f"{name} is not set ({other} is needed with it): copy it from "
                "https://www.strava.com/settings/api into the environment or luigi.cfg [strava]"
            )
    if not has_token(settings):
        raise PreflightError(
            f"no Strava token yet (no STRAVA_REFRESH_TOKEN, no token store at "
            f"{settings.token_store_path}): run `strava-pipeline authorize` with this DATA_DIR"
        )


def check_validation_checks(settings: Settings) -> None:
    """The validation checks list parses."""
    from pipeline.validator import checks_file, load_checks

    try:
        load_checks(checks_file(settings))
    except ConfigurationError as error:
        raise PreflightError(f"VALIDATION_CHECKS_FILE: {error}") from None


def extract_needed(run_dates: Iterable[date]) -> bool:
    """Whether some run date still has to be extracted from Strava (its extract is missing)."""
    from pipeline.tasks import ExtractActivities

    return any(not ExtractActivities(run_date=run_date).complete() for run_date in run_dates)


def check(run_dates: Iterable[date], settings: Settings | None = None) -> Settings:
    """Everything a run of these dates needs, checked once; the settings, or a PreflightError.

    Credentials are needed only when some date still has to be extracted, so a rerun of a
    finished date, or a model rebuilt from a stored extract, needs none.
    """
    dates = list(run_dates)
    try:
        settings = settings or load_settings()
    except ConfigurationError as error:
        raise PreflightError(str(error)) from None
    check_backends(settings)
    if dates:  # the newest: the rule passes every earlier date once it passes this one
        check_run_date(max(dates), settings)
    check_validation_checks(settings)
    if extract_needed(dates):
        check_credentials(settings)
    return settings


def fail(error: Exception, prog: str = "strava-pipeline") -> int:
    """Print a pre-flight problem as one line on stderr; the exit status."""
    print(f"{prog}: error: {error}", file=sys.stderr)
    return EXIT_USAGE


# -- luigi --module pipeline.tasks ----------------------------------------------------------------


def invoked_by_luigi_command() -> bool:
    """Whether this process is Luigi's command line (``luigi`` or ``python -m luigi``)."""
    program = Path(sys.argv[0]) if sys.argv and sys.argv[0] else Path()
    return program.name == "luigi" or (program.name == "__main__.py"
                                       and program.parent.name == "luigi")


def _option(param_name: str) -> str:
    return "--" + param_name.replace("_", "-")


def root_task_run_dates(task: object) -> list[date]:
    """The run dates a root task covers: a Backfill's weeks, or a dated task's run date."""
    from pipeline.tasks import Backfill

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
    from luigi.cmdline_parser import CmdlineParser
    from luigi.task_register import TaskClassException

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
            check(root_task_run_dates(task))
        except (PreflightError, ConfigurationError) as error:
            raise SystemExit(fail(error, "luigi")) from None
        _check_scheduler()


def _check_scheduler() -> None:
    """Unless --local-scheduler: the central scheduler must answer, else one line and exit 35."""
    from luigi.interface import core
    from luigi.retcodes import retcode

    from pipeline.operations import scheduler_answers, scheduler_url

    if core().local_scheduler:
        return
    url = scheduler_url()
    if not scheduler_answers(url):
        print(f"luigi: error: no central scheduler (luigid) answers at {url}: start it "
              "(docs/operations.md 'The central scheduler and its visualiser') "
              "or pass --local-scheduler", file=sys.stderr)
        raise SystemExit(retcode().scheduling_error)
