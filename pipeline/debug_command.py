"""``strava-pipeline debug``, like ``dbt debug``: the effective configuration and whether each
part the pipeline needs answers.

It prints every setting with where its value came from (environment, luigi.cfg or default),
secrets masked, then one line per check: the warehouse and the state store (connect, write
permission for a file, migrations applied), the lake, the token store (readable, writable,
0600, which API), Strava (one cheap authenticated call: one activity, and the read budget its
answer reported) and luigid. It exits 1 when a check failed. It creates nothing: an embedded
file not created yet is reported, not opened. Calling Strava may rotate the stored token, as
any run does.
"""

from __future__ import annotations

import argparse
import json
import os
import stat
from collections.abc import Callable
from pathlib import Path

from pipeline import preflight
from pipeline.athletes import client_for_athlete
from pipeline.backends import open_lake, open_state, open_warehouse
from pipeline.backends.migrations import (
    STATE_MIGRATIONS,
    WAREHOUSE_MIGRATIONS,
    Migratable,
    applied,
    discover,
    variant_of,
)
from pipeline.backends.urls import local_path, mask_url, missing_locally, scheme_of
from pipeline.errors import one_line
from pipeline.failures import cause_of
from pipeline.scheduler import scheduler_answers, scheduler_url
from pipeline.settings import SECRET_SETTINGS, Settings, load_settings, setting_sources
from pipeline.strava import client_from_settings
from pipeline.strava.athlete_store import entry_path, stored_athletes, tokens_folder
from pipeline.strava.errors import StravaError

COMMAND = "debug"


class CheckFailed(Exception):
    """A check found something wrong; its message is the line printed."""


def configuration_lines() -> list[str]:
    """Every setting, its value (secrets masked, URL passwords hidden) and its source."""
    lines = ["Configuration (value, and where it came from):"]
    for name, value, source in setting_sources():
        if name in SECRET_SETTINGS:
            shown = "*** (set)" if value else "(not set)"
        else:
            shown = mask_url(value) if value else "(not set)"
        lines.append(f"  {name:<30} {shown:<52} {source}")
    return lines


def _migrations(target: Migratable, folder: Path) -> str:
    plan = discover(folder, variant_of(target))
    done = applied(target)
    pending = [m.label for m in plan if m.version not in done]
    if pending:
        raise CheckFailed(f"{len(pending)} migration(s) pending ({pending[0]} first): run "
                          "`strava-pipeline migrate`")
    return f"{len(plan)} of {len(plan)} migrations applied"


def _writable_file(url: str) -> str:
    if scheme_of(url) not in ("sqlite", "duckdb"):
        return "connected"
    path = local_path(url)
    if not os.access(path, os.W_OK) or not os.access(path.parent, os.W_OK):
        raise CheckFailed(f"{path} is not writable by this user: make {path.parent} and the "
                          "file writable, or point DATA_DIR elsewhere")
    return "writable"


def check_warehouse(settings: Settings) -> str:
    """Connect, write permission, migrations."""
    url = settings.warehouse_url
    if missing_locally(url):
        return f"{mask_url(url)}: not created yet (a first run or `strava-pipeline init` does)"
    warehouse = open_warehouse(url)
    return f"{mask_url(url)}: {_writable_file(url)}, " \
           f"{_migrations(warehouse, WAREHOUSE_MIGRATIONS)}"


def check_state(settings: Settings) -> str:
    """Connect, write permission, migrations."""
    url = settings.state_url
    if missing_locally(url):
        return f"{mask_url(url)}: not created yet (a first run or `strava-pipeline init` does)"
    state = open_state(url, migrate=False)
    return f"{mask_url(url)}: {_writable_file(url)}, {_migrations(state, STATE_MIGRATIONS)}"


def check_lake(settings: Settings) -> str:
    """A local folder is writable; an S3 bucket answers."""
    url = settings.lake_url
    if scheme_of(url) == "file":
        root = local_path(url)
        if not root.exists():
            return f"{mask_url(url)}: not created yet (a first run or `strava-pipeline init` does)"
        if not os.access(root, os.W_OK):
            raise CheckFailed(f"{root} is not writable by this user")
        return f"{mask_url(url)}: writable"
    open_lake(url).exists("strava/activities/debug-probe")
    return f"{mask_url(url)}: answers"


def _check_private(path: Path) -> None:
    mode = stat.S_IMODE(path.stat().st_mode)
    if mode & 0o077:
        raise CheckFailed(f"{path} has mode {mode:04o}, readable by others: chmod 600 {path}")
    if not os.access(path, os.R_OK | os.W_OK):
        raise CheckFailed(f"{path} is not readable and writable by this user: fix its owner")


def check_athlete_entries(settings: Settings) -> str | None:
    """The athletes' entries (``strava_tokens/<id>.json``), when there are any."""
    athletes = stored_athletes(settings)
    if not athletes:
        return None
    apis = set()
    for athlete in athletes:
        path = entry_path(settings, athlete.id)
        _check_private(path)
        apis.add(json.loads(path.read_text(encoding="utf-8")).get("api_url") or "(not recorded)")
    return (f"{tokens_folder(settings)}: {len(athletes)} athlete(s) "
            f"({', '.join(str(a.id) for a in athletes)}), each mode 0600, readable and "
            f"writable, tokens of {', '.join(sorted(apis))}")


def check_token_store(settings: Settings) -> str:
    """Readable, writable, 0600, and which API its tokens belong to."""
    try:
        entries = check_athlete_entries(settings)
    except (OSError, ValueError, AttributeError, StravaError) as error:
        raise CheckFailed(f"an athlete's token entry is unreadable ({one_line(error)}): "
                          "authorize that athlete again") from None
    if entries:
        return entries
    path = settings.token_store_path
    if not path.exists():
        if settings.strava_refresh_token:
            return f"{path}: none yet (STRAVA_REFRESH_TOKEN is set; the first run stores one)"
        return f"{path}: none (run `strava-pipeline authorize` to use Strava; runs use the demo)"
    mode = stat.S_IMODE(path.stat().st_mode)
    if mode & 0o077:
        raise CheckFailed(f"{path} has mode {mode:04o}, readable by others: chmod 600 {path}")
    if not os.access(path, os.R_OK | os.W_OK):
        raise CheckFailed(f"{path} is not readable and writable by this user: fix its owner")
    try:
        api = json.loads(path.read_text(encoding="utf-8")).get("api_url") or "(not recorded)"
    except (OSError, ValueError, AttributeError) as error:
        raise CheckFailed(f"{path} is unreadable ({type(error).__name__}): delete it and run "
                          "`strava-pipeline authorize`") from None
    return f"{path}: mode 0600, readable and writable, tokens of {api}"


def check_strava(settings: Settings) -> str:
    """One authenticated request for one activity; the read budget it reported."""
    setup = preflight.strava_setup(settings)
    if setup == "none":
        return "not configured: runs use the local sandbox (docs/authorization.md)"
    preflight.check_credentials(settings)
    athletes = stored_athletes(settings)
    clients = ([client_for_athlete(settings, a.id) for a in athletes] if len(athletes) > 1
               else [client_from_settings(settings)])
    for client in clients:  # one request per athlete
        client.verify_activity_scope()
    where = "the local SANDBOX" if client.is_sandbox else "Strava"
    budget = client.rate_limiter.budget
    used = (f"read budget used {budget.usage_15min}/{budget.limit_15min} this 15 minutes, "
            f"{budget.usage_daily}/{budget.limit_daily} today" if budget else
            "no rate-limit headers in the answer")
    asked = ("one authenticated request" if len(clients) == 1 else
             f"{len(clients)} authenticated requests, one per athlete")
    return f"{where} at {settings.strava_api_url} answered {asked}; {used}"


def check_luigid(_settings: Settings) -> str:
    """Whether the central scheduler answers (not needed: runs fall back to a local one)."""
    url = scheduler_url()
    if scheduler_answers(url):
        return f"answers at {url}"
    return f"not answering at {url} (runs use --local-scheduler; optional)"


CHECKS: tuple[tuple[str, Callable[[Settings], str]], ...] = (
    ("warehouse", check_warehouse),
    ("state store", check_state),
    ("lake", check_lake),
    ("token store", check_token_store),
    ("Strava", check_strava),
    ("luigid", check_luigid),
)


def run(_args: argparse.Namespace) -> int:
    """Print the configuration and one line per check; 1 when a check failed."""
    for line in configuration_lines():
        print(line)
    settings = load_settings()
    preflight.check_backends(settings)
    preflight.check_local_folders(settings)
    print("Checks:")
    failed = 0
    for name, check in CHECKS:
        try:
            print(f"  OK      {name:<12} {check(settings)}", flush=True)
        except Exception as error:  # every problem is one line, the run goes on
            failed += 1
            reason = cause_of(error) if not isinstance(error, CheckFailed) else str(error)
            print(f"  FAILED  {name:<12} {mask_url(one_line(reason))}", flush=True)
    print("All checks passed." if not failed else f"{failed} check(s) FAILED.")
    return 1 if failed else 0


def add_command(commands: argparse._SubParsersAction) -> None:
    """Register ``strava-pipeline debug``."""
    parser = commands.add_parser(
        COMMAND, help="show the configuration and check every backend, the token store, "
                      "Strava and luigid",
        description="Print every setting with where it came from (secrets masked), then check "
                    "the warehouse, the state store, the lake, the token store, Strava (one "
                    "cheap authenticated call) and luigid, one line each. Exit 1 when a check "
                    "failed. Creates nothing.")
    parser.set_defaults(handler=run)
