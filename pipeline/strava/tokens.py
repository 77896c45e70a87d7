"""The token store: the newest Strava tokens, kept atomically in a 0600 JSON file.

Strava may rotate the refresh token on any refresh and the old one then stops working, so every
answer is saved before it is used; the stored refresh token wins over the environment's.
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path


@dataclass(frozen=True)
class Tokens:
    """What Strava's token endpoint answered (access token may be empty before a refresh)."""

    refresh_token: str
    access_token: str = ""
    expires_at: int = 0

    def __repr__(self) -> str:  # tokens never reach a log by accident
        return f"Tokens(expires_at={self.expires_at})"


class TokenStore:
    """A JSON file of Tokens; written with temp file + rename so it is never half-written."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def load(self) -> Tokens | None:
        """The stored tokens, or None when nothing was stored yet."""
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return None
        except (ValueError, OSError) as error:
            raise ValueError(
                f"the token store {self.path} is unreadable ({type(error).__name__}): "
                "delete it and set STRAVA_REFRESH_TOKEN, or re-authorize"
            ) from None
        return Tokens(
            refresh_token=str(data["refresh_token"]),
            access_token=str(data.get("access_token", "")),
            expires_at=int(data.get("expires_at", 0)),
        )

    def save(self, tokens: Tokens) -> None:
        """Replace the stored tokens atomically; the file is readable by its owner only."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        descriptor, temporary = tempfile.mkstemp(
            prefix=".strava_tokens-", suffix=".tmp", dir=self.path.parent
        )
        try:
            os.fchmod(descriptor, 0o600)
            with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
                json.dump(asdict(tokens), handle)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(temporary, self.path)
        except BaseException:
            if os.path.exists(temporary):
                os.unlink(temporary)
            raise
