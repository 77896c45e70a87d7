"""SandboxServer: the fake Strava served over real HTTP on localhost, with knobs for tests."""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Callable, Sequence
from http.server import ThreadingHTTPServer
from types import TracebackType
from typing import Any

from pipeline.sandbox.app import RequestRecord, SandboxApp
from pipeline.sandbox.athlete import SyntheticAthlete
from pipeline.sandbox.handler import SandboxHandler
from pipeline.sandbox.oauth import TokenStore, normalise_scope
from pipeline.sandbox.ratelimit import RateLimiter


class _HTTPServer(ThreadingHTTPServer):
    """ThreadingHTTPServer that is quiet about client disconnects and can drop live connections."""

    daemon_threads = True

    def __init__(self, address: tuple[str, int], app: SandboxApp, verbose: bool) -> None:
        self.app = app
        self.verbose = verbose
        self._connections: set[socket.socket] = set()
        self._connections_lock = threading.Lock()
        super().__init__(address, SandboxHandler)

    def process_request(self, request: Any, client_address: Any) -> None:
        with self._connections_lock:
            self._connections.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request: Any) -> None:
        with self._connections_lock:
            self._connections.discard(request)
        super().shutdown_request(request)

    def drop_connections(self) -> None:
        """Close every open client connection (keep-alive ones included)."""
        with self._connections_lock:
            connections = list(self._connections)
        for connection in connections:
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)

    def handle_error(self, request: Any, client_address: Any) -> None:
        if self.verbose:
            super().handle_error(request, client_address)


class SandboxServer:
    """A local fake Strava API (OAuth, activity listing, rate limits, faults) for tests and demos.

    Every answer carries ``X-Strava-Sandbox: true``. Use as a context manager or call
    ``start()``/``stop()``.
    """

    def __init__(
        self,
        athlete: SyntheticAthlete,
        host: str = "127.0.0.1",
        port: int = 0,
        clock: Callable[[], float] = time.time,
        read_limit_15min: int = 100,
        read_limit_daily: int = 1000,
        overall_limit_15min: int = 200,
        overall_limit_daily: int = 2000,
        client_id: str = "12345",
        client_secret: str = "sandbox-client-secret",
        refresh_token: str = "sandbox-refresh-token-0",
        scope: str = "read,activity:read_all",
        rotate_refresh_tokens: bool = True,
        verbose: bool = False,
        more_athletes: Sequence[SyntheticAthlete] = (),
    ) -> None:
        self.athlete = athlete
        self.host = host
        self.port = port
        self.client_id = client_id
        self.client_secret = client_secret
        self.verbose = verbose
        self.limiter = RateLimiter(
            clock, read_limit_15min, read_limit_daily, overall_limit_15min, overall_limit_daily
        )
        self.tokens = TokenStore(
            clock, client_id, client_secret, refresh_token, normalise_scope(scope),
            rotate_refresh_tokens,
        )
        for position in range(1, len(more_athletes) + 1):  # --athletes N: their own tokens
            self.tokens.add_athlete(position, f"{refresh_token}-athlete{position + 1}",
                                    normalise_scope(scope))
        self.app = SandboxApp(athlete, self.tokens, self.limiter, clock=clock,
                              more_athletes=more_athletes)
        self._httpd: _HTTPServer | None = None
        self._thread: threading.Thread | None = None

    # lifecycle -----------------------------------------------------------------------------

    def start(self) -> None:
        """Bind and serve in a daemon thread (port 0 picks a free port)."""
        if self._httpd is not None:
            return
        self._httpd = _HTTPServer((self.host, self.port), self.app, self.verbose)
        self.port = self._httpd.server_address[1]
        # stop() waits for the serving loop to see the request: half this interval on average
        # (a rerun's demo waited 0.05 s for it at 0.1 s, issue 23)
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.02},
            name=f"strava-sandbox-{self.port}", daemon=True,
        )
        self._thread.start()

    def stop(self) -> None:
        """Stop serving and close the listening socket and open connections."""
        httpd, self._httpd = self._httpd, None
        if httpd is None:
            return
        httpd.shutdown()
        httpd.drop_connections()
        httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> SandboxServer:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # addresses -----------------------------------------------------------------------------

    @property
    def base_url(self) -> str:
        """``http://HOST:PORT`` of the running server."""
        if self._httpd is None:
            raise RuntimeError("the sandbox is not started; call start() first")
        return f"http://{self.host}:{self.port}"

    @property
    def api_url(self) -> str:
        """Base of the API, like ``https://www.strava.com/api/v3``."""
        return self.base_url + "/api/v3"

    @property
    def auth_url(self) -> str:
        """The token endpoint, like ``https://www.strava.com/oauth/token``."""
        return self.base_url + "/oauth/token"

    @property
    def authorize_url(self) -> str:
        """The (auto-approving) authorization page."""
        return self.base_url + "/oauth/authorize"

    def env(self) -> dict[str, str]:
        """Environment variables pointing the pipeline at this sandbox."""
        return {
            "STRAVA_API_URL": self.api_url,
            "STRAVA_AUTH_URL": self.auth_url,
            "STRAVA_CLIENT_ID": self.client_id,
            "STRAVA_CLIENT_SECRET": self.client_secret,
            "STRAVA_REFRESH_TOKEN": self.current_refresh_token,
        }

    # OAuth ---------------------------------------------------------------------------------

    @property
    def current_refresh_token(self) -> str:
        """The only refresh token accepted right now (it rotates on every refresh)."""
        return self.tokens.current_refresh_token

    def issue_code(self, scope: str = "read,activity:read_all", athlete: int = 0) -> str:
        """A single-use authorization code, as if athlete ``athlete`` (their position: 0 for
        the first) approved ``scope``."""
        return self.tokens.issue_code(scope, athlete)

    def issue_access_token(self, scope: str = "read,activity:read_all", athlete: int = 0) -> str:
        """A valid access token (of athlete ``athlete``) for tests that skip the token
        endpoint."""
        return self.tokens.issue_access_token(normalise_scope(scope), athlete)[0]

    @property
    def athletes(self) -> list[SyntheticAthlete]:
        """Every athlete served, the first first (one unless ``more_athletes`` were given)."""
        return self.app.athletes

    def refresh_token_of(self, athlete: int) -> str:
        """The refresh token accepted right now for athlete ``athlete`` (their position)."""
        return self.tokens.refresh_token_of(athlete)

    def profile(self, athlete: int = 0) -> dict[str, Any]:
        """The profile Strava would give for athlete ``athlete`` (their position)."""
        return self.app.profile(athlete)

    # test knobs ----------------------------------------------------------------------------

    def set_usage(
        self,
        read_15min: int,
        read_daily: int,
        overall_15min: int | None = None,
        overall_daily: int | None = None,
    ) -> None:
        """Pretend requests were already spent in the current windows (overall defaults to read)."""
        self.limiter.set_usage(read_15min, read_daily, overall_15min, overall_daily)

    def set_inactive(self, inactive: bool = True) -> None:
        """Make every call answer 403 Application Status Inactive (or undo it)."""
        self.app.inactive = inactive

    def set_repeating_pages(self, repeating: bool = True) -> None:
        """Make every page of the activity list answer page 1's activities (or undo it)."""
        self.app.repeat_pages = repeating

    def inject(self, *faults: str) -> None:
        """Queue faults for the next ``/api/v3`` requests, one per request.

        ``500``/``502``/``503`` (``:json`` or ``:text`` to choose the body), ``html`` (200 with an
        HTML page), ``html502``, ``slow:<seconds>``, ``reset`` and ``short`` (half a page).
        """
        self.app.api_faults.push(*faults)

    def inject_token(self, *faults: str) -> None:
        """Queue faults for the next ``/oauth/token`` requests, one per request."""
        self.app.token_faults.push(*faults)

    def clear_faults(self) -> None:
        """Forget faults not yet consumed."""
        self.app.api_faults.clear()
        self.app.token_faults.clear()

    # observability -------------------------------------------------------------------------

    @property
    def requests_log(self) -> list[RequestRecord]:
        """Every request served: (method, path, query, authorization present, status)."""
        return self.app.log

    def count(self, path_suffix: str = "") -> int:
        """How many logged requests have a path ending with ``path_suffix``."""
        return sum(1 for record in list(self.app.log) if record.path.endswith(path_suffix))

    def reset_log(self) -> None:
        """Empty the request log."""
        self.app.log.clear()

    def usage(self) -> tuple[int, int, int, int]:
        """(read 15-min, read daily, overall 15-min, overall daily) right now."""
        return self.limiter.usage()
