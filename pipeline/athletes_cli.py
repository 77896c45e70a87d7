"""``strava-pipeline athletes list|remove``: the athletes who authorized this application.

``list`` shows each athlete's id, name, when they authorized, their newest activity (warehouse),
last run and last reconciliation (state store), read through ``sql/athletes/`` and
``sql/state/athletes_*.sql``; what a store does not hold yet shows as "—".
``remove ID`` deletes that athlete's tokens, keeping a copy (as every deletion of the pipeline
but ``forget``) in ``strava_tokens/removed/``; ``--purge`` runs the forget command's code for
that athlete instead (their data, their tokens, no copy). Both ask first unless ``--yes``.
Adding an athlete is ``strava-pipeline authorize`` (docs/athletes.md).
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Callable
from contextlib import nullcontext
from datetime import datetime, timezone
from typing import Any

from pipeline.athletes import Athlete, authorized_athletes
from pipeline.backends import open_state, open_warehouse
from pipeline.backends.urls import missing_locally
from pipeline.forget import forget
from pipeline.preflight import PreflightError
from pipeline.sandbox import sandbox_settings
from pipeline.settings import Settings, load_settings
from pipeline.strava.athlete_store import REMOVED_FOLDER, entry_path, stored_athletes

logger = logging.getLogger(__name__)

ABSENT = "—"
COLUMNS = ("id", "name", "authorized", "newest activity", "last run", "last reconciliation")


def _text(value: Any) -> str:
    """A cell: dates and times as ISO text without microseconds, nothing as ABSENT."""
    if value is None or value == "":
        return ABSENT
    if isinstance(value, datetime):
        return value.replace(microsecond=0).isoformat(sep=" ")
    return str(value)


def _optional(read: Callable[[], list[tuple]]) -> list[tuple] | None:
    """Rows of a query that may not work yet: None when the store lacks the table or column
    (an athlete_id that a later migration adds, a store never written)."""
    try:
        return read()
    except Exception as error:  # noqa: BLE001 - any driver's "no such column": shows ABSENT
        logger.debug("athletes list: a column stays empty (%s)", type(error).__name__)
        return None


def _by_athlete(rows: list[tuple] | None, single: list[tuple] | None,
                athletes: list[Athlete]) -> dict[int, Any]:
    """athlete id -> the value of the rows' second column (per-athlete rows, or the un-keyed
    rows of a store without athlete_id when there is exactly one athlete)."""
    if rows is not None:
        found = {int(row[0]): row[1] for row in rows if row[0] is not None and int(row[0])}
        # athlete_id 0: rows of a single-athlete install no run has taken over yet (state
        # migration 0004, pipeline/athlete_upgrade.py): the sole athlete's.
        legacy = [row[1] for row in rows if row[0] is not None and not int(row[0])]
        if legacy and len(athletes) == 1 and athletes[0].id not in found:
            found[athletes[0].id] = legacy[0]
        return found
    if single and len(athletes) == 1:
        return {athletes[0].id: single[0][1]}
    return {}


def activity_columns(settings: Settings, athletes: list[Athlete]) -> list[dict[int, Any]]:
    """Newest activity, last run, last reconciliation: one dict per column, by athlete id."""
    newest: dict[int, Any] = {}
    runs: dict[int, Any] = {}
    reconciliations: dict[int, Any] = {}
    if not missing_locally(settings.warehouse_url):
        warehouse = open_warehouse(settings.warehouse_url)
        newest = _by_athlete(_optional(lambda: warehouse.query_file(
            "athletes/newest_activity.sql", production_table="strava_activity_data")),
            None, athletes)
    if not missing_locally(settings.state_url):
        state = open_state(settings.state_url, migrate=False)

        def rows(path: str) -> Callable[[], list[tuple]]:
            def read() -> list[tuple]:
                with state.transaction() as session:
                    session.run_file(path)
                    return session.fetchall()
            return read

        runs = _by_athlete(_optional(rows("state/athletes_last_run.sql")),
                           _optional(rows("state/athletes_last_run_any.sql")), athletes)
        reconciliations = _by_athlete(
            _optional(rows("state/athletes_last_reconciliation.sql")),
            _optional(rows("state/athletes_last_reconciliation_any.sql")), athletes)
    return [newest, runs, reconciliations]


def list_lines(settings: Settings) -> list[str]:
    """The table ``athletes list`` prints (a header, then one line per athlete)."""
    athletes = authorized_athletes(settings)
    if not athletes:
        return ["no athlete has authorized this application yet: run `strava-pipeline "
                "authorize` (docs/athletes.md)"]
    columns = activity_columns(settings, athletes)
    rows = [COLUMNS] + [
        (str(a.id), a.name or ABSENT, a.authorized_at or ABSENT,
         *(_text(column.get(a.id)) for column in columns)) for a in athletes]
    widths = [max(len(row[i]) for row in rows) for i in range(len(COLUMNS))]
    return ["  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
            for row in rows]


def remove_tokens(settings: Settings, athlete: Athlete) -> str:
    """Move the athlete's entry to ``strava_tokens/removed/<id>-<UTC time>.json`` (a rename:
    atomic, still 0600); the line that says so."""
    path = entry_path(settings, athlete.id)
    folder = path.parent / REMOVED_FOLDER
    folder.mkdir(mode=0o700, exist_ok=True)
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    copy = folder / f"{athlete.id}-{stamp}.json"
    os.replace(path, copy)
    return (f"removed {athlete.label}: their tokens were moved to {copy} (a copy, readable by "
            "you only; delete it when you like); their data stays (--purge deletes it)")


def _confirmed(args: argparse.Namespace, athlete: Athlete) -> bool:
    if args.yes:
        return True
    what = ("deletes their tokens and all their data, with no copy" if args.purge
            else "deletes their tokens (a copy is kept)")
    if not sys.stdin.isatty():
        raise PreflightError(f"removing {athlete.label} {what}: run it again with --yes to go "
                             "on (nothing was removed)")
    answer = input(f"Removing {athlete.label} {what}. Type the athlete id to go on: ")
    return answer.strip() == str(athlete.id)


def run_list(args: argparse.Namespace) -> int:
    """``athletes list``."""
    with sandbox_settings() if args.demo else nullcontext():
        for line in list_lines(load_settings()):
            print(line)
    return 0


def run_remove(args: argparse.Namespace) -> int:
    """``athletes remove ID [--yes] [--purge]``."""
    with sandbox_settings() if args.demo else nullcontext():
        settings = load_settings()
        athlete = next((a for a in authorized_athletes(settings) if a.id == args.athlete_id),
                       None)
        if athlete is None:
            known = ", ".join(str(a.id) for a in stored_athletes(settings)) or "none"
            print(f"athlete {args.athlete_id} has not authorized this application (authorized: "
                  f"{known}): nothing removed; `strava-pipeline athletes list` shows them",
                  file=sys.stderr)
            return 1
        if not _confirmed(args, athlete):
            print("nothing removed")
            return 1
        if not args.purge:
            print(remove_tokens(settings, athlete))
            return 0
        removed = forget(settings, athlete_id=athlete.id)
    print(f"removed {athlete.label} and forgot their data (no copy kept):")
    for line in removed:
        print(f"  {line}")
    return 0


def add_command(commands: argparse._SubParsersAction) -> None:
    """Register ``strava-pipeline athletes list`` and ``strava-pipeline athletes remove``."""
    parser = commands.add_parser(
        "athletes", help="list or remove the athletes who authorized this application",
        description="The athletes who authorized this Strava application (adding one: "
                    "`strava-pipeline authorize`). docs/athletes.md")
    actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION",
                                    parser_class=type(parser))
    listing = actions.add_parser(
        "list", help="id, name, when authorized, newest activity, last run, last reconciliation")
    listing.add_argument("--demo", action="store_true", help="the sandbox's DATA_DIR")
    listing.set_defaults(handler=run_list)
    remove = actions.add_parser(
        "remove", help="delete an athlete's tokens (a copy is kept); --purge: and their data")
    remove.add_argument("athlete_id", type=int, metavar="ID", help="the athlete's Strava id")
    remove.add_argument("--yes", action="store_true", help="do not ask (scripts)")
    remove.add_argument("--purge", action="store_true",
                        help="also delete everything of that athlete (the forget command's "
                             "code), keeping no copy")
    remove.add_argument("--demo", action="store_true", help="the sandbox's DATA_DIR")
    remove.set_defaults(handler=run_remove)
