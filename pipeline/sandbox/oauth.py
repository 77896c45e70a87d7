"""The sandbox's OAuth state: client credentials, rotating refresh tokens, access tokens, codes.

Several athletes may authorize the one application (``strava-pipeline sandbox --athletes N``):
each has their own refresh token, and every access token and code belongs to one athlete (its
grant's ``athlete``: the athlete's position, 0 for the first), so the API answers as that athlete.
"""

from __future__ import annotations

import itertools
import secrets
import threading
from collections.abc import Callable
from dataclasses import dataclass

ACCESS_TOKEN_SECONDS = 21_600  # six hours, as Strava


@dataclass(frozen=True)
class Grant:
    """A token (access or refresh) or an authorization code, with its scope and expiry."""

    scope: str
    expires_at: float = float("inf")
    athlete: int = 0  # which athlete (position in the sandbox's list) the grant belongs to


def normalise_scope(scope: str | None) -> str:
    """Strava's granted-scope string: comma-separated, always including ``read``."""
    parts = [p for p in (scope or "").replace(" ", ",").split(",") if p]
    if "read" not in parts:
        parts.insert(0, "read")
    return ",".join(dict.fromkeys(parts))


class TokenStore:
    """Issues and checks tokens; only the newest refresh token is ever valid."""

    def __init__(
        self,
        clock: Callable[[], float],
        client_id: str,
        client_secret: str,
        refresh_token: str,
        scope: str,
        rotate_refresh_tokens: bool = True,
    ) -> None:
        self._clock = clock
        self.client_id = client_id
        self._client_secret = client_secret
        self.rotate = rotate_refresh_tokens
        self._lock = threading.Lock()
        self._serial = itertools.count(1)
        self._refresh: dict[int, tuple[str, Grant]] = {0: (refresh_token, Grant(scope))}
        self._access: dict[str, Grant] = {}
        self._codes: dict[str, Grant] = {}
        self.revocations = 0  # how many times the application's access was revoked

    @property
    def current_refresh_token(self) -> str:
        """The only refresh token of the first athlete that works right now."""
        return self.refresh_token_of(0)

    def refresh_token_of(self, athlete: int) -> str:
        """The only refresh token of athlete ``athlete`` (their position) that works now."""
        with self._lock:
            return self._refresh[athlete][0]

    def add_athlete(self, athlete: int, refresh_token: str, scope: str) -> None:
        """Another athlete who authorized the application, with their own refresh token."""
        with self._lock:
            self._refresh[athlete] = (refresh_token, Grant(scope, athlete=athlete))

    def client_ok(self, client_id: str | None, client_secret: str | None) -> bool:
        """Whether the application credentials are right."""
        return client_id == self.client_id and secrets.compare_digest(
            (client_secret or "").encode(), self._client_secret.encode()
        )

    def issue_access_token(self, scope: str, athlete: int = 0) -> tuple[str, int]:
        """A new access token of athlete ``athlete`` and its expiry (epoch seconds)."""
        token = secrets.token_hex(20)
        expires_at = int(self._clock()) + ACCESS_TOKEN_SECONDS
        with self._lock:
            self._access[token] = Grant(scope, expires_at, athlete)
        return token, expires_at

    def _answer(self, grant: Grant, refresh_token: str) -> dict[str, object]:
        scope = grant.scope
        access, expires_at = self.issue_access_token(scope, grant.athlete)
        return {
            "token_type": "Bearer",
            "expires_at": expires_at,
            "expires_in": ACCESS_TOKEN_SECONDS,
            "refresh_token": refresh_token,
            "access_token": access,
        }

    def _new_refresh_token(self) -> str:
        return f"sandbox-refresh-token-{next(self._serial)}-{secrets.token_hex(8)}"

    def refresh(self, refresh_token: str | None) -> dict[str, object] | None:
        """Token answer for a refresh grant; None unless ``refresh_token`` is an athlete's
        current one."""
        with self._lock:
            athlete = next((athlete for athlete, (current, _) in self._refresh.items()
                            if refresh_token and secrets.compare_digest(
                                refresh_token.encode(), current.encode())), None)
            if athlete is None:
                return None
            grant = self._refresh[athlete][1]
            if self.rotate:
                self._refresh[athlete] = (self._new_refresh_token(), grant)
            new_token = self._refresh[athlete][0]
        return self._answer(grant, new_token)

    def issue_code(self, scope: str = "read,activity:read_all", athlete: int = 0) -> str:
        """A single-use authorization code granting ``scope``, as athlete ``athlete``."""
        code = secrets.token_hex(20)
        with self._lock:
            self._codes[code] = Grant(normalise_scope(scope), athlete=athlete)
        return code

    def owner_of_code(self, code: str | None) -> int | None:
        """The athlete (position) an unused code belongs to; None for an unknown code."""
        with self._lock:
            grant = self._codes.get(code or "")
        return None if grant is None else grant.athlete

    def exchange_code(self, code: str | None) -> dict[str, object] | None:
        """Token answer for an authorization code (consumed), or None for an unknown code.

        The new refresh token replaces the athlete's previous one.
        """
        with self._lock:
            grant = self._codes.pop(code or "", None)
            if grant is None:
                return None
            self._refresh[grant.athlete] = (self._new_refresh_token(), grant)
            new_token = self._refresh[grant.athlete][0]
        return self._answer(grant, new_token)

    def revoke(self, access_token: str | None) -> bool:
        """Strava's deauthorize: a valid access token ends the application's access to its
        athlete (their access tokens and refresh token die). False for a token not valid."""
        grant = self.access(access_token) if access_token else None
        if grant is None:
            return False
        with self._lock:
            self._access = {token: other for token, other in self._access.items()
                            if other.athlete != grant.athlete}
            self._refresh[grant.athlete] = (f"revoked-{secrets.token_hex(8)}",
                                            self._refresh[grant.athlete][1])
            self.revocations += 1
        return True

    def access(self, token: str) -> Grant | None:
        """The grant behind a valid, unexpired access token, else None."""
        with self._lock:
            grant = self._access.get(token)
        if grant is None or self._clock() >= grant.expires_at:
            return None
        return grant
