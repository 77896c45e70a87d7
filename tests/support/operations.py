"""Support for the operations tests: a luigid on a free port, CLI runs, a clean checkout copy."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections import Counter
from datetime import date
from pathlib import Path
from typing import Any

import duckdb
import requests

from tests.conftest import PROJECT_ROOT, PipelineWorld

# Columns that record when something was processed, not what was processed.
PROCESSING_TIME_COLUMNS = ("extracted_at", "inserted", "checked_at", "trained_at", "applied_at")


def free_port() -> int:
    """A TCP port nothing listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def luigid_path() -> str | None:
    """The luigid beside this interpreter (a virtual environment's), else the one on PATH."""
    return shutil.which("luigid", path=str(Path(sys.executable).parent)) or shutil.which("luigid")


class Luigid:
    """Luigi's central scheduler, started on a free port with its own state file and logs."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        """Base URL of the scheduler."""
        return f"http://127.0.0.1:{self.port}/"

    def start(self, timeout: float = 30.0) -> None:
        """Start luigid and wait until its health check (HEAD /) answers 204."""
        logs = self.folder / "logs"
        logs.mkdir(parents=True, exist_ok=True)
        luigid = luigid_path() or "luigid"
        self.process = subprocess.Popen(
            [luigid, "--port", str(self.port), "--address", "127.0.0.1",
             "--state-path", str(self.folder / "state.pickle"), "--logdir", str(logs)],
            cwd=PROJECT_ROOT,
            env={**os.environ, "LUIGI_CONFIG_PATH": str(PROJECT_ROOT / "luigi.cfg")},
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"luigid exited with {self.process.returncode}")
            try:
                if requests.head(self.url, timeout=1).status_code == 204:
                    return
            except requests.RequestException:
                pass
            time.sleep(0.1)
        raise RuntimeError(f"luigid did not answer on port {self.port} within {timeout} s")

    def stop(self) -> None:
        """SIGTERM (luigid saves its state), then wait."""
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=5)

    def api(self, method: str, data: dict[str, Any] | None = None) -> Any:
        """One call of the scheduler's JSON API (``/api/<method>?data=...``)."""
        response = requests.get(
            f"{self.url}api/{method}", params={"data": json.dumps(data or {})}, timeout=10
        )
        response.raise_for_status()
        return response.json()["response"]

    def tasks(self, status: str) -> dict[str, dict[str, Any]]:
        """The scheduler's tasks with one status (DONE, PENDING, RUNNING, FAILED...)."""
        return self.api("task_list", {"status": status, "upstream_status": "", "search": ""})


def luigi_command(*args: str) -> list[str]:
    """``python -m luigi --module pipeline.tasks ARGS`` with this interpreter."""
    return [sys.executable, "-m", "luigi", "--module", "pipeline.tasks", *args]


def run_env(world: PipelineWorld, **extra: str) -> dict[str, str]:
    """The process environment of a pipeline subprocess pointed at a world's sandbox."""
    return {**os.environ, **world.env, "LUIGI_CONFIG_PATH": str(PROJECT_ROOT / "luigi.cfg"),
            **extra}


def ran_tasks(output: str) -> Counter[str]:
    """How often each task was started, from Luigi's '... running   Task(...)' log lines."""
    counts: Counter[str] = Counter()
    for line in output.splitlines():
        marker = " running   "
        if marker in line:
            counts[line.split(marker, 1)[1].strip()] += 1
    return counts


def warehouse_dump(data_dir: Path) -> dict[str, list[tuple]]:
    """Every table of a DATA_DIR's DuckDB warehouse, ordered, without processing times."""
    dump: dict[str, list[tuple]] = {}
    with duckdb.connect(str(data_dir / "warehouse.duckdb"), read_only=True) as connection:
        tables = [row[0] for row in connection.execute(
            "SELECT table_name FROM information_schema.tables ORDER BY table_name").fetchall()]
        for table in tables:
            names = [row[0] for row in connection.execute(
                "SELECT column_name FROM information_schema.columns WHERE table_name = ? "
                "ORDER BY ordinal_position", [table]).fetchall()]
            keep = [f'"{name}"' for name in names if name not in PROCESSING_TIME_COLUMNS]
            columns = ", ".join(keep)
            dump[table] = connection.execute(
                f'SELECT {columns} FROM "{table}" ORDER BY {columns}').fetchall()
    return dump


def watermarks(data_dir: Path) -> list[tuple[date, Any]]:
    """(run date, watermark) of every run recorded in a DATA_DIR's state store."""
    from pipeline.backends.state import SqliteStateStore

    store = SqliteStateStore(f"sqlite:///{data_dir}/state.db", data_dir / "state.db")
    return [(run_date, watermark) for run_date, watermark, _ in store.history()]


def copy_checkout(destination: Path) -> Path:
    """A clean checkout: the project's files without .git, .venv, data, logs or caches."""
    ignore = shutil.ignore_patterns(".git", ".venv", "data", "sandbox-data", "logs", "__pycache__",
                                    ".pytest_cache", ".ruff_cache", "*.egg-info", ".benchmarks")
    shutil.copytree(PROJECT_ROOT, destination, ignore=ignore)
    return destination
