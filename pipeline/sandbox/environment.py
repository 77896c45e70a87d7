"""The sandbox's own data folder and settings: a sandbox run never writes into real data."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path

from pipeline.project import base_dir
from pipeline.settings import ConfigurationError, load_settings

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


@contextlib.contextmanager
def environment_variables(values: dict[str, str]) -> Iterator[None]:
    """Within it, the process environment holds ``values``; the old values come back after."""
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


def sandbox_settings() -> contextlib.AbstractContextManager[None]:
    """Within it, this process uses the sandbox's DATA_DIR and embedded backends."""
    return environment_variables(sandbox_environment())
