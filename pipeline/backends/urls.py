"""Parse backend URLs and mask the passwords in them before they reach a log or an error."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import unquote, urlsplit

from pipeline.settings import ConfigurationError

_PASSWORD_IN_URL = re.compile(r"(?P<head>[a-z][a-z0-9+.-]*://[^:/@\s]*:)(?P<secret>[^@\s]*)@", re.I)


def mask_url(text: str) -> str:
    """Replace the password of every URL inside ``text`` with '***'."""
    return _PASSWORD_IN_URL.sub(lambda m: f"{m.group('head')}***@", text)


def redact(text: str, url: str) -> str:
    """``text`` with URL passwords masked and ``url``'s own password replaced wherever it shows.

    For driver errors that quote a DSN or a password outside of any URL.
    """
    password = urlsplit(url).password
    masked = mask_url(text)
    for secret in {password, unquote(password or "")} - {None, ""}:
        masked = masked.replace(secret, "***")
    return masked


def scheme_of(url: str) -> str:
    """The URL's scheme in lower case, or a clear error for a string that is not a URL."""
    scheme = urlsplit(url).scheme.lower()
    if not scheme:
        raise ConfigurationError(
            f"{mask_url(url)!r} is not a URL: write it as scheme://..., "
            "for example file:///srv/lake or duckdb:///srv/warehouse.duckdb"
        )
    return scheme


def local_path(url: str) -> Path:
    """The filesystem path of a ``file://``, ``sqlite://`` or ``duckdb://`` URL.

    ``scheme:///abs/path`` is absolute; ``scheme://rel/path`` is taken relative to the working
    directory, because that is what people write by hand.
    """
    parts = urlsplit(url)
    path = unquote(parts.netloc + parts.path)
    if not path:
        raise ConfigurationError(f"{mask_url(url)!r} names no file: add a path after '://'")
    return Path(path).expanduser().absolute()


def server_parts(url: str) -> dict[str, object]:
    """Host, port, user, password and database name of a server URL (for DB drivers)."""
    parts = urlsplit(url)
    return {
        "host": parts.hostname or "127.0.0.1",
        "port": parts.port,
        "user": unquote(parts.username) if parts.username else None,
        "password": unquote(parts.password) if parts.password else None,
        "database": unquote(parts.path.lstrip("/")) or None,
    }


LOCAL_SCHEMES = frozenset({"file", "sqlite", "duckdb"})


def missing_locally(url: str) -> bool:
    """Whether an embedded backend's file or folder does not exist yet (nothing stored there).

    Always False for server backends (S3, MySQL, PostgreSQL, Redshift).
    """
    return scheme_of(url) in LOCAL_SCHEMES and not local_path(url).exists()
