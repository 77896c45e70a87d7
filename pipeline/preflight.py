"""Pre-flight: settings, backends, credentials and run dates checked once, before scheduling.

Every entry point (``strava-pipeline run/backfill``, ``./run_weekly.sh`` and ``luigi --module
pipeline.tasks ...``, see ``pipeline/tasks/command_line.py``) calls :func:`check` before Luigi
schedules a task, so a problem is one line that names the setting and what to do, a non-zero
exit and no traceback, instead of one traceback per scheduled week.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterable
from datetime import date
from pathlib import Path

from pipeline.archive.options import archive_only
from pipeline.athlete_zone import default_run_date, ensure_run_date_over
from pipeline.backends import LAKES, STATE_STORES, WAREHOUSES, open_state, open_warehouse
from pipeline.backends.duckdb_warehouse import open_files, release_all
from pipeline.backends.migrations import (
    STATE_MIGRATIONS,
    WAREHOUSE_MIGRATIONS,
    MigrationError,
    refuse_unknown,
)
from pipeline.backends.urls import local_path, mask_url, missing_locally, scheme_of
from pipeline.run_dates import RunDateNotOver
from pipeline.sandbox import sandbox_settings
from pipeline.settings import ConfigurationError, Settings, explicit_location, load_settings
from pipeline.validator import checks_file, load_checks

EXIT_USAGE = 2
DEMO_HINT = "or add --demo to run against the local sandbox"
CREATE_HINT = "create it on purpose with --create (or `strava-pipeline init`)"
# Luigi's command line has no --demo nor --create: what works there instead.
LUIGI_CREATE_HINT = "create it on purpose with `strava-pipeline init` (or mkdir -p)"
LUIGI_DEMO_HINT = ("or run the demo with `strava-pipeline run --demo` (Luigi's command line has "
                   "no --demo; export the settings `strava-pipeline sandbox` prints to run "
                   "`luigi --module pipeline.tasks` against a sandbox)")


class PreflightError(ConfigurationError):
    """A problem found before scheduling; its message is the one line the user sees."""


# -- dates ----------------------------------------------------------------------------------------


def parse_date(text: str, option: str = "--date") -> date:
    """A YYYY-MM-DD date, or a PreflightError naming the option."""
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise PreflightError(
            f"{option} {text!r} is not a date: write it as YYYY-MM-DD, e.g. 2026-11-29"
        ) from None


def date_argument(text: str) -> date:
    """``parse_date`` as an argparse ``type=`` (its error becomes argparse's one line)."""
    try:
        return parse_date(text)
    except PreflightError:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a date: write it as YYYY-MM-DD, e.g. 2026-11-29") from None


def check_run_date(run_date: date, settings: Settings | None = None) -> None:
    """Refuse a run date the rules do not allow (a PreflightError saying why). A date a run
    already finished is allowed again: its stages are complete, so the rerun reads nothing (a
    first run takes the machine's zone, and the athlete's zone it then learns may put that date
    a few hours back in the future)."""
    settings = settings or load_settings()
    try:
        ensure_run_date_over(run_date, settings)
    except RunDateNotOver as error:
        if not _already_run(run_date, settings):
            raise PreflightError(str(error)) from None
    except (ValueError, ConfigurationError) as error:
        raise PreflightError(str(error)) from None


def _already_run(run_date: date, settings: Settings) -> bool:
    """Whether a run of ``run_date`` finished (its watermark is recorded, for any athlete)."""
    if missing_locally(settings.state_url):
        return False
    return any(day == run_date for day, _, _ in open_state(settings.state_url).history())


def runs_demo(settings: Settings, demo: bool = False) -> bool:
    """Whether a run is a demo: asked for, or no Strava credentials (outside archive-only
    mode)."""
    return demo or (strava_setup(settings) == "none" and not archive_only())


def resolve_run_date(settings: Settings, text: str = "", demo: bool = False) -> date:
    """The run date of a run: ``text`` if given, else the latest completed day; a date not over
    yet in the athlete's time zone raises PreflightError.

    A demo run (``runs_demo``) reads the sandbox's warehouse for the athlete's zone, as the run
    will (the sandbox itself, served by the caller, before its first load).
    """
    if runs_demo(settings, demo):
        with sandbox_settings():
            return _checked_run_date(load_settings(), text)
    return _checked_run_date(settings, text)


def _checked_run_date(settings: Settings, text: str) -> date:
    if not text:
        return default_run_date(settings)
    run_date = parse_date(text)
    check_run_date(run_date, settings)
    return run_date


# -- settings, backends, credentials -------------------------------------------------------------


def check_backends(settings: Settings) -> None:
    """Every backend URL names a known backend (nothing is connected)."""
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


def check_local_folders(settings: Settings, create: bool = False) -> list[Path]:
    """A DuckDB or SQLite URL set to a folder outside DATA_DIR that does not exist is a typo
    until said otherwise: refused, or (``create``) its folder made. The folders made are
    returned."""
    made = []
    for field, setting, url in (("state_url", "STATE_URL", settings.state_url),
                                ("warehouse_url", "WAREHOUSE_URL", settings.warehouse_url)):
        if scheme_of(url) not in ("sqlite", "duckdb") or not explicit_location(field):
            continue
        folder = local_path(url).parent
        if folder.is_dir() or folder.absolute().is_relative_to(settings.data_dir):
            continue  # DATA_DIR and what is under it are made by a run
        if not create:
            raise PreflightError(
                f"{setting}={mask_url(url)!r}: the folder {folder} does not exist: correct the "
                f"path, or {CREATE_HINT}")
        folder.mkdir(parents=True, exist_ok=True)
        made.append(folder)
    return made


def check_settings(settings: Settings, create: bool = False) -> None:
    """Every setting that can be checked without a connection: backends, local folders (made
    when ``create``) and the checks file (a demo run checks the user's settings too before it
    replaces them)."""
    check_backends(settings)
    check_local_folders(settings, create)
    check_validation_checks(settings)


def has_strava_credentials(settings: Settings) -> bool:
    """Whether a run can reach Strava: a refresh token in the environment/luigi.cfg or stored."""
    athletes = settings.data_dir / "strava_tokens"  # one <athlete_id>.json per athlete
    return bool(settings.strava_refresh_token) or settings.token_store_path.exists() \
        or (athletes.is_dir() and any(athletes.glob("[0-9]*.json")))


def strava_setup(settings: Settings) -> str:
    """'strava' (credentials present), 'incomplete' (an application but no token yet: the run
    fails and says how to authorize) or 'none' (nothing Strava-related: the demo runs)."""
    if has_strava_credentials(settings):
        return "strava"
    return "incomplete" if settings.strava_client_id else "none"


def check_credentials(settings: Settings) -> None:
    """What a run needs to reach Strava: the application's id and secret, and a token."""
    client_id, secret = settings.strava_client_id, settings.strava_client_secret
    if not client_id and not secret and not has_strava_credentials(settings):
        raise PreflightError(
            "no Strava credentials (STRAVA_CLIENT_ID, STRAVA_CLIENT_SECRET): set them and run "
            f"`strava-pipeline authorize` (docs/authorization.md), {DEMO_HINT}"
        )
    for name, value, other in (("STRAVA_CLIENT_ID", client_id, "STRAVA_CLIENT_SECRET"),
                               ("STRAVA_CLIENT_SECRET", secret, "STRAVA_CLIENT_ID")):
        if not value:
            raise PreflightError(
                f"{name} is not set ({other} is needed with it): copy it from "
                "https://www.strava.com/settings/api into the environment or luigi.cfg [strava]"
            )
    if not has_strava_credentials(settings):
        raise PreflightError(
            f"no Strava token yet (no STRAVA_REFRESH_TOKEN, no token store at "
            f"{settings.token_store_path}): run `strava-pipeline authorize` with this DATA_DIR"
        )


def check_validation_checks(settings: Settings) -> None:
    """The validation checks list parses."""
    try:
        load_checks(checks_file(settings))
    except ConfigurationError as error:
        raise PreflightError(f"VALIDATION_CHECKS_FILE: {error}") from None


def check_schema_versions(settings: Settings) -> None:
    """Neither the warehouse nor the state store was migrated by a newer release (issue 25):
    refused here, before any task, with one line naming the migration. A database that does
    not exist yet or cannot be reached is left to the run, which says so itself. A DuckDB file
    this check opened is closed after it; one this process had open already stays open (a
    rerun reads it again at once: one open of the file less, issue 23)."""
    already_open = open_files()
    for what, url, folder in (("warehouse", settings.warehouse_url, WAREHOUSE_MIGRATIONS),
                              ("state store", settings.state_url, STATE_MIGRATIONS)):
        if missing_locally(url):
            continue
        try:
            target = (open_warehouse(url) if what == "warehouse"
                      else open_state(url, migrate=False))
            refuse_unknown(target, folder, what)
        except MigrationError as error:
            raise PreflightError(str(error)) from None
        except Exception:  # noqa: BLE001 - unreachable or unreadable: the run reports it
            continue
        finally:
            release_all(keep=already_open)  # the file stays free for the run's processes


def check(run_dates: Iterable[date], settings: Settings | None = None,
          extracting: bool = True, create: bool = False) -> Settings:
    """Everything a run of these dates needs, checked once; the settings, or a PreflightError.

    Credentials are needed only when some date still has to be extracted (``extracting``), so a
    rerun of a finished date, or a model rebuilt from a stored extract, needs none.
    """
    dates = list(run_dates)
    try:
        settings = settings or load_settings()
    except ConfigurationError as error:
        raise PreflightError(str(error)) from None
    check_backends(settings)
    check_local_folders(settings, create)
    if dates:  # the newest: the rule passes every earlier date once it passes this one
        check_run_date(max(dates), settings)
    check_validation_checks(settings)
    check_schema_versions(settings)
    if extracting and not archive_only():  # archive-only mode reads nothing from Strava
        check_credentials(settings)
    return settings


def for_luigi_command_line(message: str) -> str:
    """A pre-flight message with the console command's options replaced by what works on
    Luigi's own command line."""
    return message.replace(DEMO_HINT, LUIGI_DEMO_HINT).replace(CREATE_HINT, LUIGI_CREATE_HINT)


def fail(error: Exception, prog: str = "strava-pipeline") -> int:
    """Print a pre-flight problem as one line on stderr; the exit status."""
    print(f"{prog}: error: {error}", file=sys.stderr)
    return EXIT_USAGE
