"""One place turns a URL into a backend: tasks never ask which one they run on.

lake:      file://  | s3://
state:     sqlite:// | mysql://
warehouse: duckdb:// | postgresql:// | redshift://
"""

from __future__ import annotations

from collections.abc import Callable

from pipeline.backends.lake import Lake, LocalLake
from pipeline.backends.state import SqliteStateStore, StateStore
from pipeline.backends.urls import local_path, mask_url, remember_secrets, scheme_of
from pipeline.backends.warehouse import Warehouse
from pipeline.settings import ConfigurationError, load_settings


def _local_lake(url: str) -> Lake:
    return LocalLake(url, local_path(url))


def _sqlite_state(url: str, migrate: bool = True) -> StateStore:
    return SqliteStateStore(url, local_path(url), migrate=migrate)


# Each backend's driver (duckdb, boto3, pymysql, psycopg2) is imported when a URL asks for it:
# a configuration pays the start-up time of the drivers it uses only.
def _duckdb_warehouse(url: str) -> Warehouse:
    from pipeline.backends.duckdb_warehouse import DuckDBWarehouse

    # Several Luigi workers take turns at DuckDB's one writer, each waiting up to
    # WAREHOUSE_LOCK_WAIT for the file (docs/many-machines.md).
    return DuckDBWarehouse(url, local_path(url),
                           lock_wait_seconds=load_settings().warehouse_lock_wait_seconds)


def _s3_lake(url: str) -> Lake:
    from pipeline.backends.s3_lake import S3Lake

    return S3Lake(url, endpoint_url=load_settings().s3_endpoint_url)


def _mysql_state(url: str, migrate: bool = True) -> StateStore:
    from pipeline.backends.mysql_state import MySQLStateStore

    return MySQLStateStore(url, migrate=migrate)


def _postgres_warehouse(url: str) -> Warehouse:
    from pipeline.backends.postgres_warehouse import PostgresWarehouse

    return PostgresWarehouse(url)


def _redshift_warehouse(url: str) -> Warehouse:
    from pipeline.backends.redshift_warehouse import RedshiftWarehouse

    settings = load_settings()
    return RedshiftWarehouse(url, iam_role=settings.redshift_iam_role,
                             lake_url=settings.lake_url, copy_region=settings.redshift_copy_region)


LAKES: dict[str, Callable[[str], Lake]] = {"file": _local_lake, "s3": _s3_lake}
STATE_STORES: dict[str, Callable[..., StateStore]] = {
    "sqlite": _sqlite_state, "mysql": _mysql_state,
}
WAREHOUSES: dict[str, Callable[[str], Warehouse]] = {
    "duckdb": _duckdb_warehouse,
    "postgresql": _postgres_warehouse,
    "postgres": _postgres_warehouse,
    "redshift": _redshift_warehouse,
}


def _open(kind: str, setting: str, url: str, registry: dict[str, Callable],
          **options: object) -> object:
    remember_secrets(url)  # masked in every message of this process from now on
    scheme = scheme_of(url)
    factory = registry.get(scheme)
    if factory is None:
        known = ", ".join(f"{name}://" for name in registry)
        raise ConfigurationError(
            f"{setting}={mask_url(url)!r}: no {kind} backend for '{scheme}://'; use one of {known}"
        )
    return factory(url, **options)


def open_lake(url: str) -> Lake:
    """The lake adapter for a ``LAKE_URL``."""
    return _open("lake", "LAKE_URL", url, LAKES)  # type: ignore[return-value]


def open_state(url: str, migrate: bool = True) -> StateStore:
    """The state-store adapter for a ``STATE_URL`` (its pending migrations applied, unless
    ``migrate`` is False)."""
    return _open("state", "STATE_URL", url, STATE_STORES,  # type: ignore[return-value]
                 migrate=migrate)


def open_warehouse(url: str) -> Warehouse:
    """The warehouse adapter for a ``WAREHOUSE_URL``."""
    return _open("warehouse", "WAREHOUSE_URL", url, WAREHOUSES)  # type: ignore[return-value]


__all__ = ["Lake", "StateStore", "Warehouse", "open_lake", "open_state", "open_warehouse",
           "mask_url"]
