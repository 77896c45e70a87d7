"""Parse backend URLs and mask the passwords in them before they reach a log or an error."""

from __future__ import annotations

import os
import re
from pathlib import Path
from urllib.parse import parse_qsl, unquote, unquote_plus, urlsplit

from pipeline.settings import ConfigurationError

# user:password@ up to the LAST '@' of the non-blank run (an unencoded '@' in the password).
_PASSWORD_IN_URL = re.compile(r"(?P<head>[a-z][a-z0-9+.-]*://[^:/@\s]*:)(?P<secret>\S*)@", re.I)
# The same with blanks in the password (up to the first '@' on the line, no '/' before it).
_SPACED_PASSWORD_IN_URL = re.compile(
    r"(?P<head>[a-z][a-z0-9+.-]*://[^:/@\s]*:)(?P<secret>[^@/\n]*?)@", re.I)
# ?password=... (libpq style) and the like, up to the next '&', '#', quote or blank.
_SECRET_PARAMETERS = ("password", "passwd", "pwd", "sslpassword", "secret", "token",
                      "access_token", "api_key", "apikey", "key")
_SECRET_IN_QUERY = re.compile(
    r"(?P<head>[?&;](?:" + "|".join(_SECRET_PARAMETERS) + r")=)(?P<secret>[^&#\s'\"]*)", re.I)
# The settings whose values are URLs: their secrets are masked wherever they show, whatever
# the form (a space or an '&' in a password defeats any pattern).
URL_VARIABLES = ("WAREHOUSE_URL", "STATE_URL", "LAKE_URL")
_SHORTEST_SECRET = 4  # shorter ones would mask ordinary words; the patterns still catch them
_remembered: set[str] = set()


def url_secrets(url: str) -> set[str]:
    """The secrets a URL carries: its password and secret query values, as written and
    decoded."""
    found: set[str] = set()
    try:
        parts = urlsplit(url.strip())
        password = parts.password
        query = parse_qsl(parts.query, keep_blank_values=True)
    except ValueError:
        return found
    if password:
        found |= {password, unquote(password)}
    for name, value in query:
        if name.lower() in _SECRET_PARAMETERS and value:
            found |= {value, unquote_plus(value)}
    raw_query = parts.query
    for match in _SECRET_IN_QUERY.finditer("?" + raw_query):
        if match.group("secret"):
            found.add(match.group("secret"))
    return {secret for secret in found if len(secret) >= _SHORTEST_SECRET}


def remember_secrets(url: str) -> None:
    """Mask this URL's secrets in everything ``mask_url`` sees from now on (this process)."""
    _remembered.update(url_secrets(url))


def _known_secrets(text: str) -> set[str]:
    known = set(_remembered)
    for name in URL_VARIABLES:
        known |= url_secrets(os.environ.get(name, ""))
    if "://" in text and not any(blank in text.strip() for blank in "\n\t"):
        known |= url_secrets(text)  # the text is one URL (perhaps with a space in it)
    return known


def mask_url(text: str) -> str:
    """``text`` with every secret of every URL in it replaced by '***': the password of
    ``user:password@`` (an unencoded '@' or a space in it too), ``?password=`` and the like,
    and the secrets of the configured URLs (URL_VARIABLES, ``remember_secrets``) wherever they
    show."""
    masked = _PASSWORD_IN_URL.sub(lambda m: f"{m.group('head')}***@", text)
    masked = _SPACED_PASSWORD_IN_URL.sub(lambda m: f"{m.group('head')}***@", masked)
    masked = _SECRET_IN_QUERY.sub(lambda m: f"{m.group('head')}***", masked)
    for secret in sorted(_known_secrets(text), key=len, reverse=True):
        masked = masked.replace(secret, "***")
    return masked


def redact(text: str, url: str) -> str:
    """``text`` with URL passwords masked and ``url``'s own secrets replaced wherever they show.

    For driver errors that quote a DSN or a password outside of any URL.
    """
    masked = mask_url(text)
    for secret in sorted(url_secrets(url), key=len, reverse=True):
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
    """Host, port, user, password (``user:password@`` or ``?password=``) and database name of a
    server URL (for DB drivers)."""
    parts = urlsplit(url)
    query_password = dict(parse_qsl(parts.query)).get("password")  # libpq's ?password=
    return {
        "host": parts.hostname or "127.0.0.1",
        "port": parts.port,
        "user": unquote(parts.username) if parts.username else None,
        "password": unquote(parts.password) if parts.password else query_password or None,
        "database": unquote(parts.path.lstrip("/")) or None,
    }


LOCAL_SCHEMES = frozenset({"file", "sqlite", "duckdb"})


def missing_locally(url: str) -> bool:
    """Whether an embedded backend's file or folder does not exist yet (nothing stored there).

    Always False for server backends (S3, MySQL, PostgreSQL, Redshift).
    """
    return scheme_of(url) in LOCAL_SCHEMES and not local_path(url).exists()
