"""The token store: the newest Strava tokens, kept atomically in a 0600 JSON file.

Strava may rotate the refresh token on any refresh and the old one then stops working, so every
answer is saved before it is used; the stored refresh token wins over the environment's. The
store records the API it belongs to (``api_url``), so a sandbox token never meets real Strava
and the other way round. Before a refresh the client checks that the store can be written; if
a save still fails, the new tokens go to a rescue file instead of being lost.
"""

from __future__ import annotations

import json
import logging
import os
import stat
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pipeline.strava.errors import StravaError

logger = logging.getLogger(__name__)


class TokenStoreError(StravaError):
    """The token store is unreadable, of the wrong shape, of another API, or not writable."""


@dataclass(frozen=True)
class Tokens:
    """What Strava's token endpoint answered (access token may be empty before a refresh)."""

    refresh_token: str
    access_token: str = ""
    expires_at: int = 0

    def __repr__(self) -> str:  # tokens never reach a log by accident
        return f"Tokens(expires_at={self.expires_at})"


def _parse(data: Any, path: Path) -> tuple[Tokens, str | None]:
    """Tokens and the recorded API of a decoded store; TokenStoreError when the shape is wrong."""
    wrong = (f"the token store {path} is not a token store (expected a JSON object with a "
             "string refresh_token): delete it and re-authorize with "
             "`strava-pipeline authorize`, or set STRAVA_REFRESH_TOKEN")
    if not isinstance(data, dict) or not isinstance(data.get("refresh_token"), str) \
            or not data["refresh_token"]:
        raise TokenStoreError(wrong)
    access, expires, api = data.get("access_token", ""), data.get("expires_at", 0), \
        data.get("api_url")
    if not isinstance(access, str) or isinstance(expires, bool) \
            or not isinstance(expires, int | float) or not isinstance(api, str | None):
        raise TokenStoreError(wrong)
    return Tokens(data["refresh_token"], access, int(expires)), api


class TokenStore:
    """A JSON file of Tokens; written with temp file + rename so it is never half-written."""

    def __init__(self, path: Path, api_url: str | None = None) -> None:
        self.path = path
        self.api_url = api_url.rstrip("/") if api_url else None

    def load(self) -> Tokens | None:
        """The stored tokens, or None when nothing was stored yet.

        A store readable by group or others is made 0600 (with a warning); a store of another
        API than ``api_url`` is refused.
        """
        try:
            text = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return None
        except (OSError, UnicodeDecodeError) as error:
            raise TokenStoreError(
                f"the token store {self.path} is unreadable ({type(error).__name__}): fix its "
                "permissions, or delete it and re-authorize with "
                "`strava-pipeline authorize`"
            ) from None
        try:
            data = json.loads(text)
        except ValueError:
            data = None
        tokens, api = _parse(data, self.path)
        self._make_private()
        if self.api_url and api and api.rstrip("/") != self.api_url:
            raise TokenStoreError(
                f"the token store {self.path} belongs to {api}, not to STRAVA_API_URL="
                f"{self.api_url}: give each API its own DATA_DIR (the sandbox prints its own), "
                "or move that file away and authorize against this API"
            )
        return tokens

    def _make_private(self) -> None:
        mode = stat.S_IMODE(self.path.stat().st_mode)
        if mode & 0o077:
            try:
                os.chmod(self.path, 0o600)
            except OSError as error:
                logger.warning("the token store %s has mode %o and could not be made 0600 (%s):"
                               " run chmod 600 %s", self.path, mode, error.strerror, self.path)
                return
            logger.warning("the token store %s had mode %o (readable by others): made it 0600",
                           self.path, mode)

    def check_writable(self) -> None:
        """Raise TokenStoreError (one line) unless a new token could be saved right now.

        Called before a refresh: Strava rotates the refresh token, so a refresh whose answer
        cannot be saved would lose the only working token.
        """
        folder = self.path.parent
        try:
            folder.mkdir(parents=True, exist_ok=True)
            descriptor, probe = tempfile.mkstemp(prefix=".strava_tokens-probe-", dir=folder)
            os.close(descriptor)
            os.unlink(probe)
        except OSError as error:
            raise TokenStoreError(
                f"the token store folder {folder} is not writable ({error.strerror}); the Strava"
                " token was not refreshed, so nothing is lost: make the folder writable "
                f"(chmod u+w {folder}) or point DATA_DIR elsewhere, then run again"
            ) from None

    def _document(self, tokens: Tokens) -> dict[str, Any]:
        document: dict[str, Any] = {"refresh_token": tokens.refresh_token,
                                    "access_token": tokens.access_token,
                                    "expires_at": tokens.expires_at}
        if self.api_url:
            document["api_url"] = self.api_url
        return document

    def save(self, tokens: Tokens) -> None:
        """Replace the stored tokens atomically; the file is readable by its owner only."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        _write_private(self.path, self._document(tokens))

    def save_or_rescue(self, tokens: Tokens) -> None:
        """Save; when that fails, write the tokens to a rescue file and raise one line that
        says how to put them back (no re-authorization needed). Never shows a token."""
        try:
            self.save(tokens)
            return
        except OSError as error:
            reason = error.strerror or type(error).__name__
        for folder in _rescue_folders():
            rescue = folder / f"strava_tokens.rescue-{os.getpid()}.json"
            try:
                folder.mkdir(parents=True, exist_ok=True)
                _write_private(rescue, self._document(tokens))
            except OSError:
                continue
            raise TokenStoreError(
                f"the new Strava tokens could not be saved to {self.path} ({reason}) and were "
                f"saved to {rescue} instead: once the folder is writable, run "
                f"`mv {rescue} {self.path}` and run again (no re-authorization needed)"
            )
        raise TokenStoreError(
            f"the new Strava tokens could not be saved to {self.path} ({reason}) nor to a rescue "
            "file: Strava rotated the refresh token, so re-authorize with "
            "`strava-pipeline authorize` once the folder is writable"
        )


def rescued_token_files() -> list[Path]:
    """Every rescue file ``save_or_rescue`` may have left (strava-pipeline forget deletes them)."""
    return sorted(path for folder in _rescue_folders()
                  for path in folder.glob("strava_tokens.rescue-*.json"))


def _rescue_folders() -> list[Path]:
    """Where rescued tokens may go: the user's state folder, home, then the temp folder."""
    state_home = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return [Path(state_home) / "strava-pipeline", Path.home(), Path(tempfile.gettempdir())]


def _write_private(path: Path, document: dict[str, Any]) -> None:
    descriptor, temporary = tempfile.mkstemp(prefix=".strava_tokens-", suffix=".tmp",
                                             dir=path.parent)
    try:
        os.fchmod(descriptor, 0o600)
        with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
            json.dump(document, handle)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
    except BaseException:
        if os.path.exists(temporary):
            os.unlink(temporary)
        raise
