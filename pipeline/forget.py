"""``strava-pipeline forget [--yes] [--revoke]``: delete every trace of the athlete from every
store, on every backend, and print what was removed (Strava's terms: deletion on request and on
revocation).

The pipeline holds one athlete's data (the athlete who authorized it), so forgetting the athlete
empties every store of the pipeline's data; the schema (migrations) stays, and the next run
starts from scratch. Unlike every other deletion in the pipeline it keeps no copy: that is its
purpose. It asks first (``--yes`` answers for scripts).

The stores are one explicit list, ``STORES``, and each store's contents are explicit lists
below (``WAREHOUSE_ROW_TABLES``, ``WAREHOUSE_DROPPED``, ``LAKE_PREFIXES``, ``STATE_TABLES``,
``LOCAL_PATHS``): a feature that keeps the athlete's data somewhere new adds its table, prefix
or folder there (tests/e2e/test_forget.py then proves it is emptied).
"""

from __future__ import annotations

import argparse
import re
import shutil
import sys
from collections.abc import Callable, Sequence
from contextlib import nullcontext
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

from pipeline.backends import Lake, StateStore, Warehouse, open_lake, open_state, open_warehouse
from pipeline.backends.session import Session
from pipeline.backends.urls import mask_url, missing_locally
from pipeline.model_registry import CANDIDATE_SUFFIX, load_models
from pipeline.preflight import PreflightError
from pipeline.sandbox import sandbox_settings
from pipeline.settings import Settings, load_settings
from pipeline.sql_files import check_identifier
from pipeline.strava.athlete_store import token_files, tokens_folder
from pipeline.strava.client import is_local_url
from pipeline.strava.errors import StravaError
from pipeline.strava.tokens import rescued_token_files

COMMAND = "forget"
CONFIRMATION = "forget"

# Warehouse tables created by migrations: every row goes, the table stays. table_updates last
# (the markers), so that every stage runs again.
WAREHOUSE_ROW_TABLES: tuple[str, ...] = (
    "strava_activity_data", "validation_results", "kudos_model_runs", "kudos_predictions",
    "kudos_feature_importance", "webhook_events_applied", "archive_activities",
    "activity_streams", "table_updates",
)
# Tables a run makes per date (staging, quarantined staging, rebuilds, model candidates): dropped.
WAREHOUSE_DROPPED: tuple[re.Pattern[str], ...] = (
    re.compile(r"^staging_strava_activity_data_\d{8}$"),
    re.compile(r"^staging_reconcile_\d{8}(_\d+)?$"),
    re.compile(r"^staging_events_[a-z0-9_]+$"),
    re.compile(r"^staging_strava_archive_[a-z0-9_]+$"),
    re.compile(r"^quarantine_strava_activity_data_[a-z0-9_]+$"),
    re.compile(r"^rebuild_strava_activity_data_\d{8}$"),
    re.compile(rf"^[a-z][a-z0-9_]*{CANDIDATE_SUFFIX}_\d{{8}}$"),
)
# Lake folders: the extracts, raw JSON, deleted rows, webhook batches, archive imports,
# streams and a backfill's kept pages (strava/; strava/pages/athlete-<id>/ is the athlete's,
# pipeline/page_spool.py), the kudos model files (models/), the
# quarantined extracts (quarantine/), the published dashboards (reports/).
LAKE_PREFIXES: tuple[str, ...] = ("strava/", "models/", "quarantine/", "reports/")
# State-store tables: the watermarks, the reconciliations and the stored webhook events.
STATE_TABLES: tuple[str, ...] = ("last_extracted", "reconciliations", "webhook_events")
# DATA_DIR's folders and files of the athlete's data (the token store is a store of its own).
LOCAL_PATHS: tuple[str, ...] = ("extract", "reports", "quarantine")


@dataclass
class Forgetting:
    """One forget: the settings and the adapters of the stores, opened when first used."""

    settings: Settings
    removed: list[str] = field(default_factory=list)
    athlete_id: int | None = None  # one athlete (`athletes remove --purge`); None: all

    @cached_property
    def warehouse(self) -> Warehouse:
        return open_warehouse(self.settings.warehouse_url)

    @cached_property
    def lake(self) -> Lake:
        return open_lake(self.settings.lake_url)

    @cached_property
    def state(self) -> StateStore:
        return open_state(self.settings.state_url)


@dataclass(frozen=True)
class Store:
    """A place that may hold the athlete's data: its name, where it is for a configuration, and
    how to empty it (one line per thing that went)."""

    name: str
    location: Callable[[Settings], str]
    forget: Callable[[Forgetting], list[str]]
    per_athlete: bool = False  # its forget keeps to ``run.athlete_id`` when one is given


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def _empty(session: Session, tables: Sequence[str]) -> list[str]:
    """Delete every row of these tables in the caller's transaction; how many went, per table
    that held any."""
    lines = []
    for table in tables:
        count = session.execute(f"SELECT COUNT(*) FROM {check_identifier(table)}").fetchone()[0]
        session.execute(f"DELETE FROM {table}")
        if count:
            lines.append(f"{_plural(int(count), 'row')} of {table}")
    return lines


def forget_warehouse(run: Forgetting) -> list[str]:
    """Every row of the fixed tables and of the model tables, every per-date table; one
    transaction (all or nothing). One athlete's only with ``run.athlete_id``."""
    url = run.settings.warehouse_url
    if missing_locally(url):
        return []
    if run.athlete_id is not None:
        from pipeline.forget_athlete import forget_warehouse_rows

        return forget_warehouse_rows(run.warehouse, run.state, run.athlete_id)
    warehouse = run.warehouse
    warehouse.ensure_schema()
    listed = dict(warehouse.query_file("forget/warehouse_tables.sql"))
    tables = {name for name, kind in listed.items() if str(kind).upper() == "BASE TABLE"}
    models = sorted(name for name in load_models() if name in tables)
    emptied = [name for name in (*WAREHOUSE_ROW_TABLES[:-1], *models, WAREHOUSE_ROW_TABLES[-1])
               if name in tables]
    dropped = sorted(name for name in tables
                     if any(pattern.match(name) for pattern in WAREHOUSE_DROPPED))
    with warehouse.transaction() as session:
        lines = _empty(session, emptied)
        for table in dropped:
            session.execute(f"DROP TABLE IF EXISTS {check_identifier(table)}")
            lines.append(f"table {table}")
    return lines


def forget_lake(run: Forgetting) -> list[str]:
    """Every object under the lake's LAKE_PREFIXES."""
    url = run.settings.lake_url
    if missing_locally(url):
        return []
    if run.athlete_id is not None:
        from pipeline.forget_athlete import forget_lake_objects

        return forget_lake_objects(run.lake, run.state, LAKE_PREFIXES, run.athlete_id)
    lines = []
    for prefix in LAKE_PREFIXES:
        keys = run.lake.keys(prefix)
        for key in keys:
            run.lake.delete(key)
        if keys:
            lines.append(f"{_plural(len(keys), 'object')} under {prefix}")
    return lines


def forget_state(run: Forgetting) -> list[str]:
    """Every row of STATE_TABLES (the watermarks); one transaction."""
    url = run.settings.state_url
    if missing_locally(url):
        return []
    run.state.ensure_schema()
    if run.athlete_id is not None:
        from pipeline.forget_athlete import forget_state_rows

        return forget_state_rows(run.state, run.athlete_id)
    with run.state.transaction() as session:
        return _empty(session, STATE_TABLES)


def _files_in(path: Path) -> int:
    return sum(1 for item in path.rglob("*") if not item.is_dir()) if path.is_dir() else 1


def forget_local_files(run: Forgetting) -> list[str]:
    """DATA_DIR's LOCAL_PATHS: the extracts, the dashboards (reports), quarantined extracts."""
    if run.athlete_id is not None:
        from pipeline.forget_athlete import forget_local_paths

        return forget_local_paths(run.settings.data_dir, run.state, LOCAL_PATHS,
                                  run.athlete_id)
    lines = []
    for name in LOCAL_PATHS:
        path = run.settings.data_dir / name
        if not path.exists():
            continue
        count, folder = _files_in(path), path.is_dir()
        if folder:
            shutil.rmtree(path)
        else:
            path.unlink()
        lines.append(f"{name}{'/' if folder else ''}: {_plural(count, 'file')}")
    return lines


def forget_token_store(run: Forgetting) -> list[str]:
    """The token store and any rescued copy of it (after a revocation, which needs a token):
    every athlete's entry and removed copy, or only those of ``run.athlete_id``."""
    lines = []
    for path in token_files(run.settings, run.athlete_id):
        path.unlink()
        lines.append("deleted" if path == run.settings.token_store_path else str(path))
    for path in rescued_token_files() if run.athlete_id is None else []:
        if path.exists():
            path.unlink()
            lines.append(f"rescued copy {path}")
    if run.athlete_id is None:  # an empty store: the next authorization starts afresh
        shutil.rmtree(tokens_folder(run.settings), ignore_errors=True)
    return lines


STORES: list[Store] = [
    Store("warehouse", lambda s: mask_url(s.warehouse_url), forget_warehouse, per_athlete=True),
    Store("lake", lambda s: mask_url(s.lake_url), forget_lake, per_athlete=True),
    Store("state store", lambda s: mask_url(s.state_url), forget_state, per_athlete=True),
    Store("local files", lambda s: str(s.data_dir), forget_local_files, per_athlete=True),
    Store("token store", lambda s: str(s.token_store_path), forget_token_store,
          per_athlete=True),
]


def revoke(settings: Settings, athlete_id: int | None = None) -> str:
    """Revoke the application's access at Strava (one athlete's, or every athlete's); the line
    that says so."""
    from pipeline.athletes import client_for_athlete  # requests: only when asked
    from pipeline.strava import client_from_settings
    from pipeline.strava.athlete_store import stored_athletes

    if athlete_id is not None:
        clients = [client_for_athlete(settings, athlete_id)]
    else:  # no upgrade of a single-athlete store on the way out
        athletes = stored_athletes(settings)
        clients = ([client_for_athlete(settings, a.id) for a in athletes] if len(athletes) > 1
                   else [client_from_settings(settings)])
    for client in clients:
        client.deauthorize()
    where = "the local sandbox" if clients[0].is_sandbox else "Strava"
    whom = "the athlete" if athlete_id is None and len(clients) == 1 else (
        f"athlete {athlete_id}" if athlete_id is not None else f"{len(clients)} athletes")
    return f"{where}: the application's access to {whom} revoked"


def forget(settings: Settings, revoke_access: bool = False,
           athlete_id: int | None = None) -> list[str]:
    """Revoke (when asked), then empty every store in STORES; what was removed: a line per
    store that held something, followed by its items, indented.

    ``athlete_id``: only that athlete's data (``strava-pipeline athletes remove ID --purge``);
    None: everything. A failed revocation stops before anything is deleted.
    """
    run = Forgetting(settings, athlete_id=athlete_id)
    if revoke_access:
        run.removed.append(revoke(settings, athlete_id))
    for store in STORES:
        if athlete_id is not None and not store.per_athlete:
            # Never empty every athlete's data to forget one (issue 26 filters them by athlete).
            run.removed.append(f"{store.name} {store.location(settings)}: kept (this store "
                               "cannot yet forget one athlete alone)")
            continue
        items = store.forget(run)
        if items:
            run.removed.append(f"{store.name} {store.location(settings)}:")
            run.removed.extend(f"  {item}" for item in items)
    return run.removed


def _confirmed(args: argparse.Namespace, settings: Settings) -> bool:
    if args.yes:
        return True
    if not sys.stdin.isatty():
        raise PreflightError(
            "forget deletes every trace of the athlete from every store and keeps no copy: "
            "run it again with --yes to go on (nothing was deleted)")
    print(f"This deletes every trace of the athlete, with no copy, from the warehouse "
          f"{mask_url(settings.warehouse_url)}, the lake {mask_url(settings.lake_url)}, the "
          f"state store {mask_url(settings.state_url)} and {settings.data_dir}"
          + (", and revokes the application's access at Strava" if args.revoke else "") + ".")
    answer = input(f"Type {CONFIRMATION} to go on: ")
    return answer.strip() == CONFIRMATION


def run(args: argparse.Namespace) -> int:
    """The command: confirm, forget, print what went."""
    with sandbox_settings() if args.demo else nullcontext():
        settings = load_settings()
        if not _confirmed(args, settings):
            print("nothing deleted")
            return 1
        revoke_access = args.revoke
        if revoke_access and args.demo and not is_local_url(settings.strava_api_url):
            revoke_access = False  # a demo's data never came from Strava
        try:
            removed = forget(settings, revoke_access)
        except StravaError as error:
            print(f"{error}; nothing was deleted: run it again, or without --revoke",
                  file=sys.stderr)
            return 1
    print("forgot the athlete: " + ("removed" if removed else "nothing was stored"))
    for line in removed:
        print(f"  {line}")
    return 0


def add_command(commands: argparse._SubParsersAction) -> None:
    """Register ``strava-pipeline forget``."""
    parser = commands.add_parser(
        COMMAND, help="delete every trace of the athlete from every store (no copy kept)",
        description="Delete the athlete's data from every store: the warehouse (production, "
                    "staging, marts, kudos tables, validation rows, markers), the lake "
                    "(extracts, raw JSON, model files, quarantine), the state store "
                    "(watermarks), DATA_DIR's extracts and reports, and the token store. "
                    "Prints what it removed. Keeps no copy.")
    parser.add_argument("--yes", action="store_true",
                        help="do not ask for confirmation (scripts)")
    parser.add_argument("--revoke", action="store_true",
                        help="first revoke the application's access at Strava (deauthorize)")
    parser.add_argument("--demo", action="store_true",
                        help="the sandbox's data (sandbox-data/), not real data")
    parser.set_defaults(handler=run)
