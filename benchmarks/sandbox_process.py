"""The sandbox in a process of its own, so the pipeline's time and memory are measured alone.

The parent talks to it over a pipe: request counts, the sandbox's own serving time, an access
token for baselines that skip OAuth, and the activities' count and id sum for the row check.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import time
from datetime import datetime
from multiprocessing.connection import Connection
from types import TracebackType
from typing import Any

# Generous limits: the benchmark measures the pipeline, not rate-limit waits.
LIMIT = 10_000_000


def _serve(seed: int, n_activities: int, end: str, connection: Connection) -> None:
    from pipeline.sandbox import SandboxServer, SyntheticAthlete

    started = time.perf_counter()
    athlete = SyntheticAthlete(seed, n_activities, datetime.fromisoformat(end))
    generated = time.perf_counter()
    athlete.serving_index()
    indexed = time.perf_counter()
    server = SandboxServer(athlete, read_limit_15min=LIMIT, read_limit_daily=LIMIT,
                           overall_limit_15min=LIMIT, overall_limit_daily=LIMIT)
    server.start()
    ids = [act["id"] for act in athlete.activities]
    connection.send({
        "env": server.env(), "api_url": server.api_url, "activities": len(ids),
        "id_sum": sum(ids), "first_start": athlete.activities[0]["start_date"] if ids else None,
        "generate_seconds": generated - started, "index_seconds": indexed - generated,
    })
    try:
        while True:
            command, argument = connection.recv()
            if command == "stop":
                break
            if command == "count":
                answer: Any = server.count(argument)
            elif command == "reset":
                server.reset_log()
                server.app.listing_seconds = 0.0
                answer = None
            elif command == "listing_seconds":
                answer = server.app.listing_seconds
            elif command == "access_token":
                answer = server.issue_access_token()
            else:
                answer = ValueError(f"unknown sandbox command {command!r}")
            connection.send(answer)
    finally:
        server.stop()


class SandboxProcess:
    """``with SandboxProcess(seed, n, end) as sandbox:`` a running sandbox in a child process."""

    def __init__(self, seed: int, n_activities: int, end: datetime) -> None:
        context = multiprocessing.get_context("spawn")
        self._connection, child = context.Pipe()
        self._process = context.Process(
            target=_serve, args=(seed, n_activities, end.isoformat(), child), daemon=True,
            name="strava-sandbox",
        )
        self.info: dict[str, Any] = {}

    def __enter__(self) -> SandboxProcess:
        self._process.start()
        if not self._connection.poll(1800):
            raise RuntimeError("the sandbox process did not start within 30 minutes")
        self.info = self._connection.recv()
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        if self._process.is_alive():
            with contextlib.suppress(OSError):
                self._connection.send(("stop", None))
            self._process.join(timeout=10)
        if self._process.is_alive():
            self._process.terminate()
            self._process.join(timeout=5)

    def _ask(self, command: str, argument: Any = None) -> Any:
        self._connection.send((command, argument))
        answer = self._connection.recv()
        if isinstance(answer, Exception):
            raise answer
        return answer

    @property
    def env(self) -> dict[str, str]:
        """STRAVA_* variables pointing a pipeline at this sandbox."""
        return dict(self.info["env"])

    @property
    def activities(self) -> int:
        """How many activities the sandbox serves."""
        return int(self.info["activities"])

    def count(self, path_suffix: str) -> int:
        """Requests served whose path ends with ``path_suffix``."""
        return int(self._ask("count", path_suffix))

    def reset(self) -> None:
        """Forget the request log and the serving time."""
        self._ask("reset")

    def listing_seconds(self) -> float:
        """The sandbox's own time spent answering activity lists since the last reset."""
        return float(self._ask("listing_seconds"))

    def access_token(self) -> str:
        """A valid access token (for baselines that do not do OAuth)."""
        return str(self._ask("access_token"))
