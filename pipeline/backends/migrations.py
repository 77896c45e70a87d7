"""Schema migrations: numbered SQL files applied in order, each once, when the pipeline starts.

    sql/migrations/NNNN_description.sql            the warehouse (DuckDB, PostgreSQL, Redshift)
    sql/migrations/NNNN_description.<dialect>.sql  that migration where a dialect's SQL differs
    sql/migrations/state/NNNN_description.<dialect>.sql   the state store (sqlite, mysql)

Each migration runs in its own transaction together with its row in ``schema_migrations``, under
a lock that only one process holds at a time (PostgreSQL advisory lock, Redshift table lock,
MySQL ``GET_LOCK``, SQLite ``BEGIN IMMEDIATE``, DuckDB's file lock), so two processes starting at
once apply each migration once. A failing migration is rolled back and stops the start with a
one-line error naming its file. MySQL commits DDL implicitly: its migrations are written to be
rerun safely (``IF NOT EXISTS``). ``strava-pipeline migrate`` applies the pending migrations
of the configured warehouse and state store; ``--status`` lists applied and pending ones.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Protocol

from pipeline.backends.urls import mask_url
from pipeline.errors import one_line
from pipeline.sql_files import DIALECT_SUFFIX, SQL_DIR, render, split_statements

WAREHOUSE_MIGRATIONS = SQL_DIR / "migrations"
STATE_MIGRATIONS = SQL_DIR / "migrations" / "state"

_FILE = re.compile(r"^(\d{4})_([a-z0-9_]+?)(?:\.(duckdb|postgres|redshift|sqlite|mysql))?\.sql$")
_TABLE_EXISTS = {
    "sqlite": "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table'"
              " AND name = 'schema_migrations'",
    "mysql": "SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = DATABASE()"
             " AND table_name = 'schema_migrations'",
}
_TABLE_EXISTS_DEFAULT = ("SELECT COUNT(*) FROM information_schema.tables"
                         " WHERE table_schema = current_schema()"
                         " AND table_name = 'schema_migrations'")


class MigrationError(RuntimeError):
    """A migration failed (and was rolled back), or the migration files are inconsistent."""


class Migratable(Protocol):
    """A database the runner can migrate: a warehouse or a state store."""

    url: str
    dialect: str

    def transaction(self) -> AbstractContextManager[Any]:
        """A transaction whose session runs ``:name``-parameter statements."""

    def lock_migrations(self, session: Any) -> None:
        """Take the lock that serializes migrations, held until the transaction ends."""


@dataclass(frozen=True)
class Migration:
    """One numbered migration and the file that applies it on one dialect."""

    version: str
    name: str
    path: Path

    @property
    def label(self) -> str:
        """The file as the docs name it, e.g. sql/migrations/0001_previous_release.sql."""
        try:
            return str(self.path.relative_to(SQL_DIR.parent))
        except ValueError:
            return str(self.path)

    def statements(self) -> list[str]:
        """The file's statements, table names filled in."""
        return split_statements(render(self.path.read_text(encoding="utf-8")))


def variant_of(target: Migratable) -> str:
    """The dialect suffix of a target's migration files: duckdb, postgres, redshift, sqlite..."""
    return DIALECT_SUFFIX.get(target.dialect, target.dialect)


def discover(folder: Path, dialect: str) -> list[Migration]:
    """The migrations of ``folder`` for ``dialect`` in version order (its variant, else the
    shared file); a MigrationError when two names share a number or a dialect has no file."""
    found: dict[str, dict[str | None, Path]] = {}
    names: dict[str, str] = {}
    for path in sorted(folder.glob("*.sql")):
        match = _FILE.match(path.name)
        if not match:
            continue
        version, name, variant = match.groups()
        if names.setdefault(version, name) != name:
            raise MigrationError(f"two migrations are numbered {version} in {folder}: "
                                 f"{names[version]} and {name}; renumber one of them")
        found.setdefault(version, {})[variant] = path
    plan = []
    for version in sorted(found):
        files = found[version]
        path = files.get(dialect) or files.get(None)
        if path is None:
            raise MigrationError(f"migration {version}_{names[version]} has no file for "
                                 f"{dialect}: add {version}_{names[version]}.{dialect}.sql")
        plan.append(Migration(version, names[version], path))
    return plan


def schema_migrations_ddl(dialect: str) -> list[str]:
    """The CREATE TABLE IF NOT EXISTS of ``schema_migrations`` for a dialect."""
    special = WAREHOUSE_MIGRATIONS / f"schema_migrations.{dialect}.sql"
    path = special if special.is_file() else WAREHOUSE_MIGRATIONS / "schema_migrations.sql"
    return split_statements(path.read_text(encoding="utf-8"))


def applied(target: Migratable) -> dict[str, datetime]:
    """version -> applied_at of every migration recorded in the target (read only)."""
    with target.transaction() as session:
        exists = session.execute(_TABLE_EXISTS.get(target.dialect, _TABLE_EXISTS_DEFAULT))
        if not int(exists.fetchone()[0]):
            return {}
        rows = session.execute("SELECT version, applied_at FROM schema_migrations").fetchall()
    return {str(version): applied_at for version, applied_at in rows}


def unknown_migrations(target: Migratable, folder: Path) -> list[tuple[str, str]]:
    """(version, name) of every migration recorded in the target that ``folder`` does not
    hold: a newer release migrated it (read only)."""
    known = {migration.version for migration in discover(folder, variant_of(target))}
    if not set(applied(target)) - known:
        return []
    with target.transaction() as session:
        rows = session.execute("SELECT version, name FROM schema_migrations").fetchall()
    return sorted((str(version), str(name)) for version, name in rows
                  if str(version) not in known)


def refuse_unknown(target: Migratable, folder: Path, what: str) -> None:
    """A one-line MigrationError naming the first migration this release does not know."""
    unknown = unknown_migrations(target, folder)
    if unknown:
        version, name = unknown[0]
        more = f" (and {len(unknown) - 1} more)" if len(unknown) > 1 else ""
        raise MigrationError(
            f"the {what} {mask_url(target.url)} has migration {version}_{name}{more}, which this "
            "release does not know: a newer release migrated it, and this one would misread "
            "its tables; run the newer release (or restore the backup from before it)"
        )


def apply_migrations(target: Migratable, folder: Path) -> list[Migration]:
    """Apply the pending migrations of ``folder`` in order; return those this call applied.

    A target migrated by a newer release (a migration ``folder`` does not hold) is refused
    before anything runs."""
    plan = discover(folder, variant_of(target))
    done = applied(target)  # a current schema costs this one read (issue 23)
    if set(done) - {migration.version for migration in plan}:
        refuse_unknown(target, folder,
                       "state store" if folder == STATE_MIGRATIONS else "warehouse")
    if all(migration.version in done for migration in plan):
        return []
    with target.transaction() as session:
        target.lock_migrations(session)
        for statement in schema_migrations_ddl(variant_of(target)):
            session.execute(statement)
    newly: list[Migration] = []
    for migration in plan:
        try:
            with target.transaction() as session:
                target.lock_migrations(session)
                found = session.execute(
                    "SELECT 1 FROM schema_migrations WHERE version = :version",
                    {"version": migration.version},
                ).fetchone()
                if found:
                    continue  # another process applied it while this one waited for the lock
                for statement in migration.statements():
                    session.execute(statement)
                session.execute(
                    "INSERT INTO schema_migrations (version, name, applied_at)"
                    " VALUES (:version, :name, :applied_at)",
                    {"version": migration.version, "name": migration.name,
                     "applied_at": datetime.now(timezone.utc).replace(tzinfo=None,
                                                                      microsecond=0)},
                )
        except Exception as error:
            raise MigrationError(
                f"migration {migration.label} failed and was rolled back: "
                f"{one_line(error)}; fix the migration or the database, then start again "
                "(the migrations before it stay applied)"
            ) from None
        newly.append(migration)
    return newly


def status_lines(target: Migratable, folder: Path, title: str) -> Iterator[str]:
    """One line per migration of a target: applied (when) or pending."""
    done = applied(target)
    yield f"{title} ({variant_of(target)}):"
    for migration in discover(folder, variant_of(target)):
        when = done.get(migration.version)
        state = f"applied {when}" if when else "pending"
        yield f"  {migration.version} {migration.name:<40} {state}  ({migration.label})"
    for version, name in unknown_migrations(target, folder):
        yield (f"  {version} {name:<40} applied {done[version]}  (UNKNOWN to this release: "
               "a newer release migrated this database)")


_MIGRATED: set[tuple[str, str]] = set()
_FAILED: dict[tuple[str, str], MigrationError] = {}


def ensure_migrated(target: Migratable, folder: Path) -> None:
    """Apply ``folder``'s pending migrations to ``target`` once per process and database.

    Completeness checks ask for it often; a failure is remembered and raised again as the same
    one line, without trying again in this process.
    """
    key = (str(folder), target.url)
    if key in _MIGRATED:
        return
    if key in _FAILED:
        raise _FAILED[key]
    try:
        apply_migrations(target, folder)
    except MigrationError as error:
        _FAILED[key] = error
        raise
    _MIGRATED.add(key)
