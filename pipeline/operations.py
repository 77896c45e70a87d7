"""Helpers ./run_weekly.sh calls for what needs Python: settings, credentials, the scheduler.

``python -m pipeline.operations check-date 2026-11-29``  exit 0 for a valid date, else 2
``python -m pipeline.operations run-date [--demo] [D]``   prints D (default: the most recent day
                                                         over in the athlete's zone); exit 2 with
                                                         one line when D is not over or no date
``python -m pipeline.operations credentials``           prints 'strava', 'incomplete' or 'none'
``python -m pipeline.operations scheduler``             prints the scheduler URL; exit 0 when it
                                                         answers, 1 when it does not
``python -m pipeline.operations sandbox-env``           export lines for the sandbox's DATA_DIR
``python -m pipeline.operations summary --date D``      where the warehouse and dashboard are
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shlex
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path

import requests
from luigi.interface import core

from pipeline.backends.postgres_warehouse import WarehouseConnectionError
from pipeline.backends.urls import mask_url
from pipeline.project import base_dir
from pipeline.settings import ConfigurationError, Settings, load_settings

VISUALISER_PATH = "static/visualiser/index.html"
SANDBOX_DATA_DIR_NAME = "sandbox-data"


def sandbox_data_dir() -> Path:
    """The sandbox's own DATA_DIR: ``sandbox-data/`` beside (never inside) the real ``data/``.

    A ConfigurationError when the configured DATA_DIR contains it, so a sandbox run can never
    write into real data.
    """
    folder = (base_dir() / SANDBOX_DATA_DIR_NAME).absolute()
    real = load_settings().data_dir
    if real != folder and real in folder.parents:
        raise ConfigurationError(
            f"DATA_DIR={real} contains the sandbox's folder {folder}: point DATA_DIR at a "
            "folder of its own (e.g. data/) so sandbox data never mixes with real data"
        )
    return folder


def sandbox_environment() -> dict[str, str]:
    """Settings that keep a sandbox run's data apart from real data (its own DATA_DIR, embedded).

    Every location is set, so a LAKE_URL or WAREHOUSE_URL meant for real data is never used,
    and Slack stays quiet.
    """
    data_dir = sandbox_data_dir()
    return {
        "DATA_DIR": str(data_dir),
        "LAKE_URL": f"file://{data_dir}/lake",
        "STATE_URL": f"sqlite://{data_dir}/state.db",
        "WAREHOUSE_URL": f"duckdb://{data_dir}/warehouse.duckdb",
        "SLACK_WEBHOOK_URL": "",
    }


def parse_run_date(text: str) -> date:
    """A YYYY-MM-DD run date, or ValueError with a message that says what to write."""
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise ValueError(
            f"--date {text!r} is not a date: write it as YYYY-MM-DD, e.g. 2026-11-29"
        ) from None


def resolve_run_date(settings: Settings, text: str = "", demo: bool = False) -> date:
    """The run date ./run_weekly.sh runs: ``text`` if given, else the latest completed day; a
    date not over yet in the athlete's time zone raises RunDateNotOver (a ValueError).

    A demo run (asked for, or no Strava credentials) reads the sandbox's warehouse for the
    athlete's zone, as the run will.
    """
    if demo or strava_setup(settings) == "none":
        with _environment(sandbox_environment()):
            return _checked_run_date(load_settings(), text)
    return _checked_run_date(settings, text)


def _checked_run_date(settings: Settings, text: str) -> date:
    from pipeline.tasks.base import default_run_date, ensure_run_date_over

    if not text:
        return default_run_date(settings)
    run_date = parse_run_date(text)
    ensure_run_date_over(run_date, settings)
    return run_date


def sandbox_settings() -> contextlib.AbstractContextManager[None]:
    """Within it, this process uses the sandbox's DATA_DIR and embedded backends."""
    return _environment(sandbox_environment())


@contextmanager
def _environment(values: dict[str, str]) -> Iterator[None]:
    saved = {name: os.environ.get(name) for name in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def has_strava_credentials(settings: Settings) -> bool:
    """Whether a run can reach Strava: a refresh token in the environment/luigi.cfg or stored."""
    return bool(settings.strava_refresh_token) or settings.token_store_path.exists()


def strava_setup(settings: Settings) -> str:
    """'strava' (credentials present), 'incomplete' (an application but no token yet: the run
    fails and says how to authorize) or 'none' (nothing Strava-related: ./run_weekly.sh runs
    the demo instead)."""
    if has_strava_credentials(settings):
        return "strava"
    return "incomplete" if settings.strava_client_id else "none"


def scheduler_url() -> str:
    """The central scheduler's URL from luigi.cfg ([core] default_scheduler_host/port/url)."""
    config = core()
    if config.scheduler_url:
        return config.scheduler_url.rstrip("/") + "/"
    return f"http://{config.scheduler_host}:{config.scheduler_port}/"


def scheduler_answers(url: str, timeout: float = 2.0) -> bool:
    """Whether luigid answers at ``url`` (its health check: HEAD / gives 204)."""
    try:
        response = requests.head(url, timeout=timeout, allow_redirects=False)
    except requests.RequestException:
        return False
    return response.status_code == 204


def command_hint(*args: str) -> str:
    """How to run a ``strava-pipeline`` command without activating the environment: the console
    script beside this interpreter, relative to the working directory when inside it."""
    script = Path(sys.executable).parent / "strava-pipeline"
    if not script.exists():
        return " ".join(("strava-pipeline", *args))
    try:
        shown = str(script.relative_to(Path.cwd()))
    except ValueError:
        shown = str(script)
    return " ".join((shown, *args))


def dashboard_path(settings: Settings, run_date: date) -> Path:
    """Where BuildDashboard writes the run date's dashboard."""
    return settings.reports_dir / run_date.isoformat() / "dashboard.html"


def summary_lines(settings: Settings, run_date: date, demo: bool = False) -> list[str]:
    """What a finished run tells the user: where the warehouse and the dashboard are."""
    lines = [f"Warehouse: {mask_url(settings.warehouse_url)}"]
    dashboard = dashboard_path(settings, run_date)
    if dashboard.exists():
        lines.append(f"Dashboard: {dashboard}")
    else:
        lines.append(f"Dashboard: not built for {run_date} (it would be {dashboard})")
    lines.append("Status:    " + command_hint("status", *(["--demo"] if demo else [])))
    return lines


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m pipeline.operations",
        description="Helpers for ./run_weekly.sh (settings, credentials, scheduler, summary).",
    )
    commands = parser.add_subparsers(dest="command", required=True)
    check = commands.add_parser("check-date", help="exit 0 when the argument is a YYYY-MM-DD date")
    check.add_argument("date")
    resolve = commands.add_parser(
        "run-date", help="print the run date (default: the latest completed day); exit 2 when "
        "it is not a date or not over yet in the athlete's time zone")
    resolve.add_argument("date", nargs="?", default="")
    resolve.add_argument("--demo", action="store_true",
                         help="the run uses the sandbox (and its DATA_DIR)")
    commands.add_parser("credentials", help="print 'strava', 'incomplete' or 'none'")
    commands.add_parser("scheduler", help="print the scheduler URL; exit 0 when it answers")
    commands.add_parser("sandbox-env", help="print export lines for a sandbox run's settings")
    summary = commands.add_parser("summary", help="print where the warehouse and dashboard are")
    summary.add_argument("--date", required=True)
    summary.add_argument("--demo", action="store_true", help="the run used the sandbox")
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run one helper command; errors are one line on stderr."""
    args = _parser().parse_args(argv)
    try:
        if args.command == "check-date":
            parse_run_date(args.date)
            return 0
        if args.command == "scheduler":
            url = scheduler_url()
            print(url)
            return 0 if scheduler_answers(url) else 1
        if args.command == "sandbox-env":
            for name, value in sandbox_environment().items():
                print(f"export {name}={shlex.quote(value)}")
            return 0
        settings = load_settings()
        if args.command == "run-date":
            print(resolve_run_date(settings, args.date, args.demo))
            return 0
        if args.command == "credentials":
            print(strava_setup(settings))
            return 0
        for line in summary_lines(settings, parse_run_date(args.date), args.demo):
            print(line)
        return 0
    except (ValueError, ConfigurationError, WarehouseConnectionError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
