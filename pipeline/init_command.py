"""``strava-pipeline init``: create, on purpose, what a first run would need on this machine.

A DuckDB or SQLite URL whose folder does not exist is refused by every run (a mistyped path
would otherwise become a new, empty warehouse); ``init`` (or ``run --create``) is how such a
folder is made on purpose. It makes DATA_DIR, the folders of the embedded backends' files and
a ``file://`` lake, then applies the schema migrations of the warehouse and the state store.
"""

from __future__ import annotations

import argparse
import os

from pipeline.backends import open_state, open_warehouse
from pipeline.backends.migrations import STATE_MIGRATIONS, WAREHOUSE_MIGRATIONS, apply_migrations
from pipeline.backends.urls import local_path, mask_url, scheme_of
from pipeline.preflight import check_backends, check_local_folders
from pipeline.sandbox import sandbox_environment
from pipeline.settings import load_settings

COMMAND = "init"


def run(args: argparse.Namespace) -> int:
    """Create the folders and apply the migrations; one line per thing done."""
    if args.demo:
        os.environ.update(sandbox_environment())
    settings = load_settings()
    check_backends(settings)
    made = [] if settings.data_dir.is_dir() else [settings.data_dir]
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    made += check_local_folders(settings, create=True)
    if scheme_of(settings.lake_url) == "file":
        lake = local_path(settings.lake_url)
        if not lake.is_dir():
            lake.mkdir(parents=True)
            made.append(lake)
    for folder in made:
        print(f"created {folder}")
    warehouse = open_warehouse(settings.warehouse_url)
    state = open_state(settings.state_url, migrate=False)
    applied = [*apply_migrations(warehouse, WAREHOUSE_MIGRATIONS),
               *apply_migrations(state, STATE_MIGRATIONS)]
    for migration in applied:
        print(f"applied {migration.label}")
    print(f"ready: warehouse {mask_url(settings.warehouse_url)}, state "
          f"{mask_url(settings.state_url)}, lake {mask_url(settings.lake_url)}")
    return 0


def add_command(commands: argparse._SubParsersAction) -> None:
    """Register ``strava-pipeline init``."""
    parser = commands.add_parser(
        COMMAND, help="create DATA_DIR, the backends' folders and schemas on purpose",
        description="Create DATA_DIR, the folders of DuckDB/SQLite files and of a file:// lake, "
                    "and apply the schema migrations. A run refuses a DuckDB or SQLite URL "
                    "whose folder does not exist (a typo would make a new, empty warehouse).")
    parser.add_argument("--demo", action="store_true",
                        help="the sandbox's data (sandbox-data/), not real data")
    parser.set_defaults(handler=run)
