"""Errors of the Strava client. Each message's first line says what happened and what to do."""

from __future__ import annotations

REAUTHORIZE = "re-authorize with `strava-pipeline authorize` (see docs/authorization.md)"


class StravaError(Exception):
    """Base class: Strava (or the sandbox) could not give us the activities."""


class MissingCredentialsError(StravaError):
    """No refresh token anywhere: neither in the token store nor in the environment."""


class StravaAuthError(StravaError):
    """Strava refused our credentials (refresh token, client id/secret or access token)."""


class MissingScopeError(StravaAuthError):
    """The token was granted without ``activity:read_all``."""


class ApplicationInactiveError(StravaError):
    """Strava answered 403 'Application Status Inactive'."""


class RateLimitWaitTooLong(StravaError):
    """The rate-limit budget resets later than the configured maximum wait."""


class PagingError(StravaError):
    """Strava's activity list does not end: a page repeats earlier ones, or it brings more
    activities than the athlete can have."""


class StravaUnavailable(StravaError):
    """Strava kept failing (5xx, HTML pages, timeouts) after every retry."""


class TransientStravaError(StravaError):
    """A failure worth retrying (raised and caught inside the client)."""
