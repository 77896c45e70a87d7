"""The per-athlete token store: a 0600 JSON file per athlete, ``$DATA_DIR/strava_tokens/<id>.json``.

Several athletes authorize the same application; each has their own refresh token, which Strava
rotates on its own schedule. One file per athlete means a refresh rewrites (temp file + rename)
that athlete's file only: two workers refreshing two athletes never overwrite each other's
answer, and removing an athlete is removing one file. Each entry records the athlete's id, name,
when they authorized and the API its tokens belong to (``api_url``), besides the tokens.

An install of the single-athlete era (``$DATA_DIR/strava_tokens.json``, or STRAVA_REFRESH_TOKEN
in the environment) keeps working with no action: ``upgrade_single_store`` makes it the first
athlete (one ``GET /athlete`` tells its id and name) and leaves the old file where it was, as a
copy the pipeline no longer reads. Tokens are never logged nor part of a message.
"""

from __future__ import annotations

import fcntl
import json
import logging
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from pipeline.archive.no_strava import NoStravaClient
from pipeline.archive.options import archive_only
from pipeline.settings import Settings
from pipeline.strava.client import Credentials, StravaClient
from pipeline.strava.clock import SYSTEM_CLOCK, Clock, resolve_clock
from pipeline.strava.errors import StravaAuthError, StravaError
from pipeline.strava.tokens import Tokens, TokenStore, TokenStoreError

logger = logging.getLogger(__name__)

FOLDER_NAME = "strava_tokens"
# Written with the first entry: from then on the folder is the store, and a single-athlete
# store (or STRAVA_REFRESH_TOKEN) is never upgraded again (a removed athlete stays removed).
MARKER_NAME = "README.txt"
MARKER_TEXT = ("Strava tokens, one <athlete_id>.json per athlete who authorized this application "
               "(mode 0600; never share them). strava-pipeline athletes list|remove, "
               "docs/athletes.md.\n")
_ENTRY = re.compile(r"^(\d{1,20})\.json$")
AUTHORIZE_COMMAND = "`strava-pipeline authorize`"


@dataclass(frozen=True)
class Athlete:
    """An athlete who authorized the application."""

    id: int
    name: str  # firstname + lastname as Strava gives, may be ""
    authorized_at: str  # ISO-8601 UTC of the authorization ("" if unknown: an upgraded install)

    @property
    def label(self) -> str:
        """``athlete 123 (Ada Lovelace)``: how messages name the athlete (never a token)."""
        return f"athlete {self.id}" + (f" ({self.name})" if self.name else "")


class AthleteNotAuthorized(StravaError):
    """No token entry for this athlete id (never authorized, or removed)."""


class AthleteAuthError(StravaAuthError):
    """Strava refused one athlete's tokens (revoked or expired): that athlete must re-authorize.

    ``athlete`` names them for the run's message and the Slack post."""

    def __init__(self, message: str, athlete: Athlete) -> None:
        super().__init__(message)
        self.athlete = athlete

    def __reduce__(self) -> tuple[Any, ...]:  # picklable (worker processes pass errors on)
        return (type(self), (str(self), self.athlete))


def tokens_folder(settings: Settings) -> Path:
    """``$DATA_DIR/strava_tokens/``: one ``<athlete_id>.json`` per athlete."""
    return settings.data_dir / FOLDER_NAME


def entry_path(settings: Settings, athlete_id: int) -> Path:
    """The token entry of one athlete."""
    return tokens_folder(settings) / f"{int(athlete_id)}.json"


def athlete_name(profile: dict[str, Any]) -> str:
    """``firstname lastname`` of a Strava athlete profile (either may be missing)."""
    return " ".join(str(profile[key]).strip() for key in ("firstname", "lastname")
                    if profile.get(key) and str(profile[key]).strip())


def now_iso() -> str:
    """The current time, ISO-8601 UTC to the second (``2026-12-06T21:52:57Z``)."""
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


class AthleteTokenStore(TokenStore):
    """One athlete's entry: a TokenStore whose document also keeps who the tokens belong to
    (a refresh rewrites the tokens and keeps the athlete's id, name and authorization time)."""

    def __init__(self, path: Path, athlete: Athlete, api_url: str | None = None) -> None:
        super().__init__(path, api_url)
        self.athlete = athlete

    def _document(self, tokens: Tokens) -> dict[str, Any]:
        return {"athlete_id": self.athlete.id, "athlete_name": self.athlete.name,
                "authorized_at": self.athlete.authorized_at, **super()._document(tokens)}


def _read_athlete(path: Path) -> Athlete | None:
    """The athlete an entry names; None when the file is not an entry of this store."""
    match = _ENTRY.match(path.name)
    if match is None:
        return None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError, UnicodeDecodeError):
        raise TokenStoreError(
            f"the athlete token entry {path} is unreadable: fix its permissions, or move it "
            f"away and authorize that athlete again with {AUTHORIZE_COMMAND}") from None
    if not isinstance(data, dict):
        raise TokenStoreError(
            f"the athlete token entry {path} is not a token entry: move it away and authorize "
            f"that athlete again with {AUTHORIZE_COMMAND}")
    name, authorized = data.get("athlete_name", ""), data.get("authorized_at", "")
    return Athlete(int(match.group(1)), name if isinstance(name, str) else "",
                   authorized if isinstance(authorized, str) else "")


def stored_athletes(settings: Settings) -> list[Athlete]:
    """The athletes with an entry, sorted by id; no request, no upgrade."""
    folder = tokens_folder(settings)
    if not folder.is_dir():
        return []
    found = (_read_athlete(path) for path in folder.iterdir() if path.is_file())
    return sorted((athlete for athlete in found if athlete is not None), key=lambda a: a.id)


def save_entry(settings: Settings, athlete: Athlete, tokens: Tokens) -> Path:
    """Write (or replace) an athlete's entry atomically, mode 0600; its path."""
    path = entry_path(settings, athlete.id)
    AthleteTokenStore(path, athlete, settings.strava_api_url).save(tokens)
    marker = tokens_folder(settings) / MARKER_NAME
    if not marker.exists():
        marker.write_text(MARKER_TEXT, encoding="utf-8")
    return path


def is_upgraded(settings: Settings) -> bool:
    """Whether the per-athlete store ever held an entry (then it alone is the store)."""
    return (tokens_folder(settings) / MARKER_NAME).exists()


class AthleteClient(StravaClient):
    """A StravaClient for one athlete: refusals name the athlete (id and name, never a token)
    and say to re-authorize them."""

    def __init__(self, athlete: Athlete, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.athlete = athlete

    def _reauthorize(self, what: str) -> str:
        advice = (f"{self.athlete.label}: {what}; re-authorize that athlete with "
                  f"{AUTHORIZE_COMMAND} (their other data stays)")
        if self.is_sandbox:
            advice += (" - with the local sandbox, use an authorization code its start "
                       "printed (`strava-pipeline authorize --code CODE`) or delete "
                       f"{self.token_store.path}")
        return advice

    def _rejected_advice(self) -> str:
        return self._reauthorize("the token was refused")

    def _token_request(self, grant: dict[str, str], purpose: str, rejected: str) -> Any:
        try:
            return super()._token_request(grant, purpose, rejected)
        except StravaAuthError as error:
            if grant.get("grant_type") != "refresh_token" or str(error) != rejected:
                raise
            raise AthleteAuthError(self._reauthorize(
                "Strava rejected the refresh token (revoked, or already used and rotated)"),
                self.athlete) from None

    def _get(self, path: str, params: dict[str, int], what: str,
             decode: Callable[[bytes], Any] | None = None) -> Any:
        try:
            return super()._get(path, params, what, decode)
        except StravaAuthError as error:
            if type(error) is StravaAuthError and self.athlete.label in str(error):
                raise AthleteAuthError(str(error), self.athlete) from None
            raise


def _client(settings: Settings, store: TokenStore, refresh_token: str, clock: Clock,
            athlete: Athlete | None) -> StravaClient:
    credentials = Credentials(settings.strava_client_id, settings.strava_client_secret,
                              refresh_token)
    options: dict[str, Any] = {
        "clock": resolve_clock(settings, clock),
        "max_rate_limit_wait": settings.max_rate_limit_wait_seconds,
        "connect_timeout": settings.connect_timeout, "read_timeout": settings.read_timeout,
        "max_attempts": settings.max_attempts}
    if athlete is None:
        return StravaClient(settings.strava_api_url, settings.strava_auth_url, credentials,
                            store, **options)
    return AthleteClient(athlete, settings.strava_api_url, settings.strava_auth_url,
                         credentials, store, **options)


def single_store_client(settings: Settings, clock: Clock = SYSTEM_CLOCK) -> StravaClient:
    """The client of the single-athlete era: ``strava_tokens.json``, seeded by
    STRAVA_REFRESH_TOKEN (also used to exchange an authorization code)."""
    return _client(settings, TokenStore(settings.token_store_path, settings.strava_api_url),
                   settings.strava_refresh_token, clock, None)


def has_single_store(settings: Settings) -> bool:
    """Whether a single-athlete install's tokens exist (the file, or STRAVA_REFRESH_TOKEN)."""
    return settings.token_store_path.exists() or bool(settings.strava_refresh_token)


@contextmanager
def _store_lock(settings: Settings) -> Iterator[None]:
    """An exclusive lock on the store (between processes) while the single store upgrades:
    two workers upgrading at once would both refresh, and the second's token would be dead."""
    folder = tokens_folder(settings)
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / ".lock", "a", encoding="utf-8") as handle:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


def upgrade_single_store(settings: Settings, clock: Clock = SYSTEM_CLOCK) -> Athlete | None:
    """Make a single-athlete install's tokens the first athlete's entry; the athlete, or None
    when there is nothing to upgrade (athletes already stored, or no single-athlete tokens).

    The id and name come from the file when it records them, else from one ``GET /athlete``
    (which refreshes the token into the old file first, as before, so nothing can be lost).
    The old file stays where it is, untouched after that: a copy the pipeline no longer reads.
    Once the folder held an entry (``is_upgraded``) this does nothing, even with no athlete
    left: an athlete removed stays removed.
    """
    if archive_only() or is_upgraded(settings) or not has_single_store(settings):
        return None
    with _store_lock(settings):
        if is_upgraded(settings):  # another process upgraded while this one waited
            return None
        client = single_store_client(settings, clock)
        recorded = _recorded_profile(settings.token_store_path)
        profile = recorded or client.get_json("/athlete")
        if not isinstance(profile, dict) or not isinstance(profile.get("id"), int):
            raise StravaError("Strava's /athlete answer held no athlete id, so the stored "
                              "token cannot become the first athlete: try again later")
        tokens = client._current_tokens()  # the newest: refreshed and saved by the call above
        athlete = Athlete(int(profile["id"]), athlete_name(profile),
                          str(profile.get("authorized_at") or ""))
        path = save_entry(settings, athlete, tokens)
    logger.info("the single-athlete token store became %s's entry %s (the old file stays as "
                "a copy)", athlete.label, path)
    return athlete


def _recorded_profile(path: Path) -> dict[str, Any] | None:
    """The athlete id and name an old store records, if it does (none of today's do)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError, UnicodeDecodeError):
        return None
    if isinstance(data, dict) and isinstance(data.get("athlete_id"), int):
        name = str(data.get("athlete_name") or "")
        first, _, last = name.partition(" ")
        return {"id": data["athlete_id"], "firstname": first, "lastname": last,
                "authorized_at": data.get("authorized_at", "")}
    return None


def athlete_client(settings: Settings, athlete_id: int,
                   clock: Clock = SYSTEM_CLOCK) -> StravaClient:
    """The client of one authorized athlete; AthleteNotAuthorized for an unknown id."""
    if archive_only():
        return NoStravaClient()  # type: ignore[return-value]
    upgrade_single_store(settings, clock)
    path = entry_path(settings, athlete_id)
    athlete = _read_athlete(path) if path.is_file() else None
    if athlete is None:
        known = ", ".join(str(a.id) for a in stored_athletes(settings)) or "none"
        raise AthleteNotAuthorized(
            f"athlete {int(athlete_id)} has not authorized this application (authorized: "
            f"{known}): have them run {AUTHORIZE_COMMAND}, or see `strava-pipeline athletes list`")
    store = AthleteTokenStore(path, athlete, settings.strava_api_url)
    return _client(settings, store, "", clock, athlete)


def default_client(settings: Settings, clock: Clock = SYSTEM_CLOCK) -> StravaClient:
    """``client_from_settings``: the only athlete's client. An install without entries keeps
    the single-athlete store exactly as before; several athletes need an athlete id."""
    if archive_only():
        return NoStravaClient()  # type: ignore[return-value]
    athletes = stored_athletes(settings)
    if not athletes and is_upgraded(settings):
        raise AthleteNotAuthorized(
            "no athlete is authorized any more (every one was removed): run "
            f"{AUTHORIZE_COMMAND}; `strava-pipeline athletes list` shows who is")
    if not athletes:
        return single_store_client(settings, clock)
    if len(athletes) == 1:
        return athlete_client(settings, athletes[0].id, clock)
    raise StravaError(
        f"{len(athletes)} athletes authorized this application "
        f"({', '.join(str(a.id) for a in athletes)}): this command reads one athlete, so name "
        "it (--athlete-id ID; `strava-pipeline athletes list` shows them)")


REMOVED_FOLDER = "removed"


def removed_copies(settings: Settings, athlete_id: int | None = None) -> list[Path]:
    """The copies ``strava-pipeline athletes remove`` kept (``strava_tokens/removed/``)."""
    folder = tokens_folder(settings) / REMOVED_FOLDER
    if not folder.is_dir():
        return []
    pattern = "*.json" if athlete_id is None else f"{int(athlete_id)}-*.json"
    return sorted(folder.glob(pattern))


def token_files(settings: Settings, athlete_id: int | None = None) -> list[Path]:
    """Every file of the token store holding tokens (of one athlete, or of all: the
    single-athlete file too) that exists: what ``forget`` deletes."""
    if athlete_id is not None:
        entry = entry_path(settings, athlete_id)
        return [*([entry] if entry.exists() else []), *removed_copies(settings, athlete_id)]
    folder = tokens_folder(settings)
    entries = sorted(path for path in folder.iterdir()
                     if _ENTRY.match(path.name)) if folder.is_dir() else []
    single = [settings.token_store_path] if settings.token_store_path.exists() else []
    return [*entries, *removed_copies(settings), *single]
