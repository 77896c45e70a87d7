"""The Strava API client: OAuth refresh, paging, rate limits and retries.

Tokens travel in the Authorization header only, every call has connect and read timeouts, and TLS
is verified. Transient failures (5xx, HTML error pages, connection resets, read timeouts) are
retried with exponential backoff by tenacity; everything else becomes a one-line error.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import requests
from tenacity import (
    RetryCallState,
    Retrying,
    retry_if_exception_type,
    stop_after_attempt,
    wait_exponential,
)

from pipeline.errors import one_line
from pipeline.http_auth import HEADERS_AS_GIVEN
from pipeline.strava.body import ACCEPT_ENCODING, read_capped
from pipeline.strava.clock import SYSTEM_CLOCK, Clock
from pipeline.strava.errors import (
    REAUTHORIZE,
    ApplicationInactiveError,
    MissingCredentialsError,
    MissingScopeError,
    PagingError,
    StravaAuthError,
    StravaError,
    StravaUnavailable,
    TransientStravaError,
)
from pipeline.strava.ratelimit import RateLimiter
from pipeline.strava.tokens import Tokens, TokenStore

logger = logging.getLogger(__name__)

PER_PAGE = 200
# Paging guards (iter_pages): the athlete's count is asked once a listing passes this many.
UNCHECKED_ACTIVITIES = 10_000
CAP_FACTOR = 2
CAP_SLACK = 10_000
FALLBACK_CAP = 1_000_000
REFRESH_MARGIN_SECONDS = 5 * 60
SANDBOX_HEADER = "X-Strava-Sandbox"
INACTIVE_MESSAGE = (
    "Strava answered 403 'Application Inactive': Strava deactivates Standard-tier applications "
    "whose owner has no Strava subscription, and every call is refused until it is reactivated; "
    "subscribe (or use a subscribed owner's application) and check "
    "https://www.strava.com/settings/api"
)
SCOPE_MESSAGE = (
    "the Strava token lacks the activity:read_all scope: " + REAUTHORIZE + " and approve "
    "'View data about your private activities'"
)


@dataclass(frozen=True)
class Credentials:
    """The application's id and secret, and the refresh token to seed the store with."""

    client_id: str
    client_secret: str
    refresh_token: str = ""

    def __repr__(self) -> str:
        return f"Credentials(client_id={self.client_id!r}, ...)"


@dataclass(frozen=True)
class CodeGrant:
    """What an authorization-code exchange gave: the tokens and the athlete's profile."""

    tokens: Tokens
    athlete: dict[str, Any]

    def __repr__(self) -> str:
        return f"CodeGrant(athlete_id={self.athlete.get('id')!r}, ...)"


@dataclass(frozen=True)
class PageProgress:
    """What a finished page tells a progress reporter."""

    pages: int
    activities: int
    newest_start: str | None


def _errors(response: requests.Response) -> list[dict[str, Any]]:
    try:
        body = response.json()
    except ValueError:
        return []
    errors = body.get("errors") if isinstance(body, dict) else None
    return [error for error in errors or [] if isinstance(error, dict)]


def _has_error(response: requests.Response, **wanted: str) -> bool:
    return any(
        all(str(error.get(key, "")).lower() == value.lower() for key, value in wanted.items())
        for error in _errors(response)
    )


def _looks_like_html(response: requests.Response) -> bool:
    content_type = response.headers.get("Content-Type", "")
    return "html" in content_type.lower() or response.text.lstrip()[:1] == "<"


def is_local_url(url: str) -> bool:
    """Whether a URL points at this machine (the sandbox, not Strava)."""
    host = (urlsplit(url).hostname or "").lower()
    return host in {"localhost", "::1"} or host.startswith("127.")


class StravaClient:
    """Lists an athlete's activities; one instance per pipeline run."""

    def __init__(
        self,
        api_url: str,
        auth_url: str,
        credentials: Credentials,
        token_store: TokenStore,
        *,
        clock: Clock = SYSTEM_CLOCK,
        max_rate_limit_wait: float = 960.0,
        connect_timeout: float = 10.0,
        read_timeout: float = 60.0,
        max_attempts: int = 5,
        session: requests.Session | None = None,
    ) -> None:
        self.api_url = api_url.rstrip("/")
        self.auth_url = auth_url
        self.credentials = credentials
        self.token_store = token_store
        self.clock = clock
        self.timeout = (connect_timeout, read_timeout)
        self.max_attempts = max_attempts
        self.session = session or requests.Session()
        self.rate_limiter = RateLimiter(clock, max_rate_limit_wait)
        self.list_requests = 0
        self.token_refreshes = 0
        self.invalid_utf8 = 0
        self.is_sandbox = is_local_url(self.api_url)
        self.page_decoder: Callable[[Callable[[bytes], Any], bytes], Any] | None = None
        self._tokens: Tokens | None = None

    # -- tokens --------------------------------------------------------------------------------

    def _current_tokens(self) -> Tokens:
        if self._tokens is None:
            self._tokens = self.token_store.load()
        if self._tokens is None:
            if not self.credentials.refresh_token:
                raise MissingCredentialsError(
                    "no Strava token yet: set STRAVA_CLIENT_ID and STRAVA_CLIENT_SECRET and run "
                    "`strava-pipeline authorize` (docs/authorization.md), "
                    "or run ./run_weekly.sh --demo to use the local sandbox"
                )
            self._tokens = Tokens(refresh_token=self.credentials.refresh_token)
        return self._tokens

    def access_token(self, force_refresh: bool = False) -> str:
        """A valid access token, refreshed only when it expires within five minutes."""
        tokens = self._current_tokens()
        if force_refresh or tokens.expires_at - self.clock.now() <= REFRESH_MARGIN_SECONDS:
            tokens = self._refresh(tokens)
        return tokens.access_token

    def _token_request(self, grant: dict[str, str], purpose: str, rejected: str) -> Any:
        """POST to the token endpoint; the JSON answer, or a one-line error saying what to do.

        ``purpose`` completes "... are needed to <purpose>"; ``rejected`` is the message for a
        400/401 about the grant itself (refresh token or authorization code).
        """
        if not self.credentials.client_id or not self.credentials.client_secret:
            raise MissingCredentialsError(
                f"STRAVA_CLIENT_ID and STRAVA_CLIENT_SECRET are needed to {purpose}: copy them "
                "from https://www.strava.com/settings/api"
            )
        response = self._send(
            "POST",
            self.auth_url,
            data={
                "client_id": self.credentials.client_id,
                "client_secret": self.credentials.client_secret,
                **grant,
            },
            retry_on_read_timeout=False,
        )
        if response.status_code == 403 and _has_error(response, code="Inactive"):
            raise ApplicationInactiveError(INACTIVE_MESSAGE)
        if _has_error(response, field="client_id") or _has_error(response, field="client_secret"):
            raise StravaAuthError(
                "Strava rejected STRAVA_CLIENT_ID/STRAVA_CLIENT_SECRET: copy them again from "
                "https://www.strava.com/settings/api"
            )
        if response.status_code in (400, 401):
            raise StravaAuthError(rejected)
        if response.status_code != 200:
            raise StravaError(
                f"Strava's token endpoint answered HTTP {response.status_code}: try again later"
            )
        body = self._json(response)
        if not isinstance(body, dict) or not body.get("access_token"):
            raise StravaError("Strava's token endpoint answered without an access token")
        return body

    def _rejected_advice(self) -> str:
        """What to do about a refused token: the sandbox's tokens die with the sandbox."""
        if self.is_sandbox:
            return (f"the local Strava SANDBOX at {self.api_url} rejected the token (a sandbox "
                    "issues new tokens each time it starts and rotates them on refresh): use "
                    "the exports that a running `strava-pipeline sandbox` prints (its own "
                    f"DATA_DIR and token), or delete {self.token_store.path}; real Strava needs "
                    "no re-authorization")
        return REAUTHORIZE

    def _refresh(self, tokens: Tokens) -> Tokens:
        # Strava rotates the refresh token: never refresh what could not be saved afterwards.
        self.token_store.check_writable()
        body = self._token_request(
            {"grant_type": "refresh_token", "refresh_token": tokens.refresh_token},
            "refresh the Strava token",
            self._rejected_advice() if self.is_sandbox else
            "Strava rejected the refresh token (revoked, or already used and rotated): "
            + REAUTHORIZE,
        )
        try:
            fresh = Tokens(
                refresh_token=str(body.get("refresh_token") or tokens.refresh_token),
                access_token=str(body["access_token"]),
                expires_at=int(body["expires_at"]),
            )
        except (KeyError, TypeError, ValueError):
            raise StravaError("Strava's token endpoint answered without a valid expires_at: "
                              "try again later") from None
        # Persist before use: the old refresh token may already be dead.
        self.token_store.save_or_rescue(fresh)
        self._tokens = fresh
        self.token_refreshes += 1
        logger.info("Strava access token refreshed; new tokens stored in %s", self.token_store.path)
        return fresh

    def exchange_code(self, code: str) -> CodeGrant:
        """Trade a one-time authorization code for tokens (first-time authorization).

        The tokens are kept for this client's requests but not stored: the caller decides.
        """
        body = self._token_request(
            {"grant_type": "authorization_code", "code": code},
            "authorize",
            "Strava rejected the authorization code (mistyped, already used, or expired): "
            "a code works once and only for minutes; authorize again and use the new code",
        )
        if not body.get("refresh_token"):
            raise StravaError("Strava's answer to the code exchange held no refresh token")
        tokens = Tokens(
            refresh_token=str(body["refresh_token"]),
            access_token=str(body["access_token"]),
            expires_at=int(body.get("expires_at", 0)),
        )
        self._tokens = tokens
        athlete = body.get("athlete") if isinstance(body.get("athlete"), dict) else {}
        return CodeGrant(tokens, athlete)

    def deauthorize(self) -> None:
        """Revoke this application's access to the athlete at Strava (POST /oauth/deauthorize,
        beside the token endpoint); every token it holds stops working."""
        url = self.auth_url.rsplit("/", 1)[0] + "/deauthorize"
        token = self.access_token()
        response = self._send("POST", url, data={"access_token": token},
                              retry_on_read_timeout=False)
        if response.status_code != 200:
            raise StravaAuthError(
                f"Strava refused to revoke the access (HTTP {response.status_code}): revoke it "
                "by hand at https://www.strava.com/settings/apps")

    def newest_activity(self, before: int) -> dict[str, Any] | None:
        """The athlete's newest activity starting before ``before`` (epoch seconds), or None:
        one list request of one activity (newest first, as Strava lists without ``after``)."""
        page = self._get_page({"before": before, "page": 1, "per_page": 1})
        return page[0] if page and isinstance(page[0], dict) else None

    def verify_activity_scope(self) -> None:
        """Ask for one activity; MissingScopeError when the token lacks activity:read_all."""
        self._get_page({"page": 1, "per_page": 1})

    # -- HTTP ----------------------------------------------------------------------------------

    def _send(
        self, method: str, url: str, *, retry_on_read_timeout: bool = True, **kwargs: Any
    ) -> requests.Response:
        """One request with bounded retries for transient failures."""
        retryable: tuple[type[BaseException], ...] = (
            TransientStravaError,
            requests.ConnectionError,
            requests.exceptions.ChunkedEncodingError,
        )
        if retry_on_read_timeout:
            retryable += (requests.Timeout,)
        else:
            retryable += (requests.ConnectTimeout,)

        headers = {"Accept-Encoding": ACCEPT_ENCODING, **kwargs.pop("headers", {})}

        def attempt() -> requests.Response:
            response = self.session.request(
                method, url, timeout=self.timeout, verify=True, allow_redirects=False,
                headers=headers, stream=True, auth=HEADERS_AS_GIVEN, **kwargs
            )
            self._notice_sandbox(response)
            if response.status_code >= 500:
                response.close()
                raise TransientStravaError(f"HTTP {response.status_code}")
            # The body, capped on the wire and decompressed (pipeline/strava/body.py).
            response._content = read_capped(response, urlsplit(url).path)
            response._content_consumed = True
            if response.status_code == 200 and _looks_like_html(response):
                raise TransientStravaError("an HTML error page instead of JSON")
            return response

        def log_retry(state: RetryCallState) -> None:
            error = state.outcome.exception() if state.outcome else None
            logger.warning(
                "Strava request failed (%s); retry %d of %d in %.1f s",
                _describe(error),
                state.attempt_number,
                self.max_attempts - 1,
                state.next_action.sleep if state.next_action else 0.0,
            )

        retrying = Retrying(
            retry=retry_if_exception_type(retryable),
            stop=stop_after_attempt(self.max_attempts),
            wait=wait_exponential(multiplier=1, min=1, max=60),
            sleep=self.clock.sleep,
            before_sleep=log_retry,
            reraise=True,
        )
        try:
            return retrying(attempt)
        except retryable as error:
            where = urlsplit(url).path
            raise StravaUnavailable(
                f"Strava did not answer {where} after {self.max_attempts} tries "
                f"(last: {_describe(error)}): try again later"
            ) from None

    def _notice_sandbox(self, response: requests.Response) -> None:
        if response.headers.get(SANDBOX_HEADER) and not self.is_sandbox:
            self.is_sandbox = True
        if self.is_sandbox and not getattr(self, "_sandbox_announced", False):
            self._sandbox_announced = True
            logger.warning(
                "using the local Strava SANDBOX at %s (synthetic data), not Strava",
                self.api_url,
            )

    @staticmethod
    def _json(response: requests.Response) -> Any:
        try:
            return response.json()
        except ValueError:
            raise StravaError(
                f"Strava answered HTTP {response.status_code} with a body that is not JSON"
            ) from None

    def _page_json(self, response: requests.Response) -> Any:
        """The JSON of a page; invalid UTF-8 becomes U+FFFD, counted in ``invalid_utf8``."""
        return self.lenient_json(response.content)

    def lenient_json(self, content: bytes) -> Any:
        """``_page_json`` of a body: invalid UTF-8 becomes U+FFFD (counted), NaN is read."""
        try:
            text = content.decode("utf-8")
        except UnicodeDecodeError:
            text = content.decode("utf-8", errors="replace")
            invalid = text.count("\ufffd") - content.decode("utf-8", "ignore").count("\ufffd")
            self.invalid_utf8 += invalid
            logger.warning("Strava sent %d invalid UTF-8 sequence(s) in a page of activities: "
                           "each became U+FFFD", invalid)
        try:
            return json.loads(text)
        except ValueError:
            raise StravaError(
                "Strava answered HTTP 200 with a body that is not JSON"
            ) from None

    def _get_page(self, params: dict[str, int]) -> list[dict[str, Any]]:
        """One page of activities; waits out rate limits and retries the same page.

        ``page_decoder`` (issue 23, pipeline/strava/wire.py), when set, decodes the body: it
        gets ``lenient_json`` for what it cannot read itself."""
        decode = self.page_decoder
        page = self._get("/athlete/activities", params, "the activity list",
                         (lambda body: decode(self.lenient_json, body)) if decode else None)
        if not isinstance(page, list):
            raise StravaError("Strava's activity list was not a JSON list")
        return page

    def _get(self, path: str, params: dict[str, int], what: str,
             decode: Callable[[bytes], Any] | None = None) -> Any:
        """The JSON of one GET of the API (``decode`` reads the body when given); waits out rate
        limits and retries the same request."""
        refreshed_for_401 = False
        for _ in range(100):
            self.rate_limiter.before_request()
            token = self.access_token()
            self.list_requests += 1
            response = self._send(
                "GET",
                f"{self.api_url}{path}",
                params=params,
                headers={"Authorization": f"Bearer {token}"},
            )
            self.rate_limiter.observe(response.headers)
            if response.status_code == 200:
                return decode(response.content) if decode else self._page_json(response)
            if response.status_code == 429:
                self.rate_limiter.after_429(response.headers)
                continue
            if response.status_code == 403 and _has_error(response, code="Inactive"):
                raise ApplicationInactiveError(INACTIVE_MESSAGE)
            if _has_error(response, field="activity:read_permission"):
                raise MissingScopeError(SCOPE_MESSAGE)
            if response.status_code == 401 and not refreshed_for_401:
                refreshed_for_401 = True
                self.access_token(force_refresh=True)
                continue
            if response.status_code in (401, 403):
                raise StravaAuthError(
                    f"Strava refused {what} (HTTP {response.status_code}): "
                    + self._rejected_advice()
                )
            raise StravaError(
                f"Strava answered HTTP {response.status_code} to {what}: "
                "check STRAVA_API_URL"
            )
        raise StravaError("Strava kept refusing the same page: try again later")

    def get_json(self, path: str) -> Any | None:
        """GET one API resource (e.g. ``/activities/123``, ``/athlete``) within the rate
        limits; None for a 404 (a deleted activity). Issue 20's ApplyEvents uses it."""
        for _ in range(100):
            self.rate_limiter.before_request()
            response = self._send("GET", f"{self.api_url}{path}",
                                  headers={"Authorization": f"Bearer {self.access_token()}"})
            self.rate_limiter.observe(response.headers)
            if response.status_code == 429:
                self.rate_limiter.after_429(response.headers)
                continue
            if response.status_code == 404:
                return None
            if response.status_code != 200:
                raise StravaError(f"Strava answered HTTP {response.status_code} to GET {path}")
            return self._json(response)
        raise StravaError(f"Strava kept refusing GET {path}: try again later")

    # -- streams (issue 21, STREAMS_FROM_API) ----------------------------------------------------

    def budget_left_for_streams(self, reserve: float = 0.1) -> bool:
        """Whether more than ``reserve`` of the 15-minute and the daily read budgets is left,
        by the last reading (True before any): streams never spend the list's budget. A shared
        limiter (pipeline/shared_budget.py) is asked too: streams never wait for a window."""
        has_room = getattr(self.rate_limiter, "has_room", None)
        if has_room is not None and not has_room():
            return False
        budget = self.rate_limiter.budget
        if budget is None:
            return True
        return (budget.usage_15min < (1 - reserve) * budget.limit_15min
                and budget.usage_daily < (1 - reserve) * budget.limit_daily)

    def get_streams(self, activity_id: int) -> Any:
        """``GET /activities/{id}/streams`` keyed by type; None when Strava has none (404) or
        answers 429 (the streams wait for the next run). One request, no waiting."""
        self.rate_limiter.before_request()
        self.stream_requests = getattr(self, "stream_requests", 0) + 1
        response = self._send(
            "GET", f"{self.api_url}/activities/{int(activity_id)}/streams",
            params={"keys": "time,latlng,distance,altitude,heartrate,cadence,watts,temp,moving",
                    "key_by_type": "true"},
            headers={"Authorization": f"Bearer {self.access_token()}"})
        self.rate_limiter.observe(response.headers)
        if response.status_code == 200:
            return self._json(response)
        if response.status_code in (404, 429):
            return None
        raise StravaError(f"Strava answered HTTP {response.status_code} to the streams of "
                          f"activity {int(activity_id)}")

    # -- listing -------------------------------------------------------------------------------

    def iter_pages(self, after: int, before: int, first_page: int = 1,
                   seen: set[int] | None = None) -> Iterator[list[dict[str, Any]]]:
        """Pages of activities with ``after < start_date < before``, oldest first.

        ``first_page`` and ``seen`` (the ids of the pages before it) resume a read that stopped
        (pipeline/page_spool.py).

        Pages until an empty page: short pages happen on Strava and do not mean the end. Two
        guards end a listing that never ends (PagingError, one line): a page that brings only
        activities already read, and more activities than the athlete can have
        (``activity_cap``, asked once the listing passes UNCHECKED_ACTIVITIES).
        """
        with self.rate_limiter.paged_read():
            yield from self._pages(after, before, first_page, set(seen or ()))

    def _pages(self, after: int, before: int, first_page: int, seen: set[int]
               ) -> Iterator[list[dict[str, Any]]]:
        cap: int | None = None
        page_number = first_page
        while True:
            page = self._get_page(
                {"after": after, "before": before, "page": page_number, "per_page": PER_PAGE}
            )
            if not page:
                return
            ids = getattr(page, "ids", None) or {
                activity["id"] for activity in page if isinstance(activity, dict)
                and isinstance(activity.get("id"), int)}
            if ids and ids <= seen:
                raise PagingError(
                    f"Strava's page {page_number} of the activity list brought only activities "
                    f"already read (ids {min(ids)} to {max(ids)}): its paging repeats, so the "
                    "extract stops and saves nothing; run the date again later"
                )
            seen |= ids
            if page_number * PER_PAGE > UNCHECKED_ACTIVITIES:
                cap = self.activity_cap() if cap is None else cap
                if page_number * PER_PAGE > cap:
                    raise PagingError(
                        f"Strava's activity list reached page {page_number} ({len(seen)} "
                        f"activities), more than this athlete can have (at most {cap}, from the "
                        "athlete's activity count): its paging does not end, so the extract "
                        "stops and saves nothing; run the date again later"
                    )
            yield page
            page_number += 1

    def activity_cap(self) -> int:
        """The most activities a listing may bring: ``CAP_FACTOR`` times the athlete's count
        (``/athletes/{id}/stats``: rides, runs and swims) plus ``CAP_SLACK`` (other sports,
        private activities); ``FALLBACK_CAP`` when Strava does not say."""
        try:
            athlete = self._get("/athlete", {}, "the athlete profile")
            stats = self._get(f"/athletes/{int(athlete['id'])}/stats", {},
                              "the athlete's statistics")
            counted = sum(int(stats[f"all_{sport}_totals"]["count"])
                          for sport in ("ride", "run", "swim"))
        except (StravaError, KeyError, TypeError, ValueError) as error:
            logger.warning("could not read the athlete's activity count (%s): paging stops at "
                           "%d activities", one_line(error), FALLBACK_CAP)
            return FALLBACK_CAP
        return CAP_FACTOR * counted + CAP_SLACK


def _describe(error: BaseException | None) -> str:
    if error is None:
        return "unknown error"
    if isinstance(error, requests.Timeout):
        return "timed out"
    if isinstance(error, requests.ConnectionError):
        return "connection failed"
    return str(error) or type(error).__name__
