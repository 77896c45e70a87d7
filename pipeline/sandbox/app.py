"""Strava's API behaviour without the HTTP plumbing: routing, OAuth, limits, faults, paging."""

from __future__ import annotations

import json
import threading
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple
from urllib.parse import urlencode

import pipeline.sandbox.changes as changes
import pipeline.sandbox.faults as faults
from pipeline.sandbox.athlete import SyntheticAthlete, sandbox_name
from pipeline.sandbox.index import json_array
from pipeline.sandbox.oauth import TokenStore, normalise_scope
from pipeline.sandbox.push import PushSubscriptions, events_of
from pipeline.sandbox.ratelimit import RateLimiter
from pipeline.sandbox.sports import SPORTS

JSON = "application/json; charset=utf-8"
DEFAULT_PER_PAGE = 30
MAX_PER_PAGE = 200
SECRET_PARAMS = frozenset({"access_token", "refresh_token", "client_secret", "code"})


def _error(message: str, resource: str, field_name: str, code: str) -> dict[str, Any]:
    error = {"resource": resource, "field": field_name, "code": code}
    return {"message": message, "errors": [error]}


INVALID_TOKEN = _error("Authorization Error", "Athlete", "access_token", "invalid")
MISSING_READ_ALL = _error(
    "Authorization Error", "AccessToken", "activity:read_permission", "missing"
)
RATE_LIMITED = _error("Rate Limit Exceeded", "Application", "rate limit", "exceeded")
INACTIVE = _error("Forbidden", "Application", "Status", "Inactive")
BAD_CLIENT = _error("Bad Request", "Application", "client_id", "invalid")
BAD_REFRESH = _error("Bad Request", "RefreshToken", "refresh_token", "invalid")
BAD_CODE = _error("Bad Request", "AuthorizationCode", "code", "invalid")
NOT_FOUND = _error("Record Not Found", "resource", "path", "invalid")


@dataclass(frozen=True)
class Request:
    """An HTTP request as the app sees it (query and form already decoded)."""

    method: str
    path: str
    query: dict[str, str]
    form: dict[str, str] = field(default_factory=dict)
    authorization: str | None = None
    body: bytes = b""


@dataclass
class Response:
    """What to answer; ``drop`` closes the connection without answering."""

    status: int
    body: bytes = b""
    content_type: str = JSON
    headers: dict[str, str] = field(default_factory=dict)
    drop: bool = False


class RequestRecord(NamedTuple):
    """One served request, for tests; secrets in the query are redacted, tokens never kept."""

    method: str
    path: str
    query: dict[str, str]
    authorization: bool
    status: int  # 0 when the connection was dropped


def json_response(status: int, payload: Any, headers: dict[str, str] | None = None) -> Response:
    """A JSON answer, UTF-8 with characters unescaped as Strava sends them."""
    body = json.dumps(payload, ensure_ascii=False).encode("utf-8")
    return Response(status, body, JSON, dict(headers or {}))


def _number(query: dict[str, str], name: str) -> float | None:
    raw = query.get(name)
    if raw is None or raw == "":
        return None
    try:
        return float(raw)
    except ValueError:
        raise ValueError(name) from None


class SandboxApp:
    """The fake Strava: answers Requests with Responses, keeps a log, obeys test knobs."""

    def __init__(
        self,
        athlete: SyntheticAthlete,
        tokens: TokenStore,
        limiter: RateLimiter,
        sleep: Any = time.sleep,
        clock: Any = time.time,
        more_athletes: Sequence[SyntheticAthlete] = (),
    ) -> None:
        self.athlete = athlete  # the first athlete (the only one unless --athletes N)
        self.athletes: list[SyntheticAthlete] = [athlete, *more_athletes]
        self.clock = clock  # what "now" is for kudos still arriving
        self.tokens = tokens
        self.limiter = limiter
        self.api_faults = faults.FaultQueue()
        self.token_faults = faults.FaultQueue()
        self.inactive = False
        self.repeat_pages = False  # every page answers page 1's activities (paging never ends)
        self.log: list[RequestRecord] = []
        self.push = PushSubscriptions()
        self.listing_seconds = 0.0  # time spent answering activity lists (the benchmark reports it)
        self._log_lock = threading.Lock()
        self._sleep = sleep

    def handle(self, request: Request) -> Response:
        """Answer one request and record it."""
        response = self._route(request)
        response.headers["X-Strava-Sandbox"] = "true"
        query = {k: ("<redacted>" if k in SECRET_PARAMS else v) for k, v in request.query.items()}
        record = RequestRecord(
            request.method,
            request.path,
            query,
            request.authorization is not None,
            0 if response.drop else response.status,
        )
        with self._log_lock:
            self.log.append(record)
        return response

    def _route(self, request: Request) -> Response:
        path = request.path.rstrip("/") or "/"
        if path == "/oauth/token" and request.method == "POST":
            return self._token(request)
        if path == "/oauth/authorize" and request.method == "GET":
            return self._authorize(request)
        if path == "/admin/changes" and request.method == "POST":
            return self._changes(request)
        if path == "/admin/deauthorize" and request.method == "POST":
            athlete = self._athlete_asked(request)
            if athlete is None:
                return json_response(404, NOT_FOUND)
            status = self.push.post("athlete", athlete.athlete_id, "update",
                                    athlete.athlete_id, {"authorized": "false"})
            return json_response(200, {"delivered": status})
        if path.startswith("/api/v3/push_subscriptions"):
            return self._push_subscriptions(request, path)
        if path == "/oauth/deauthorize" and request.method == "POST":
            return self._deauthorize(request)
        if path == "/api/v3" or path.startswith("/api/v3/"):
            response = self._api(request, path)
            if not response.drop:
                response.headers.update(self.limiter.headers())
            return response
        return json_response(404, NOT_FOUND)

    def _fault(self, queue: faults.FaultQueue) -> tuple[str | None, Response | None]:
        fault = queue.pop()
        seconds = faults.slow_seconds(fault)
        if seconds:
            self._sleep(seconds)
        replacement = faults.answer(fault)
        if replacement is None:
            return fault, None
        response = Response(
            replacement.status, replacement.body, replacement.content_type,
            headers=dict(replacement.headers), drop=replacement.drop
        )
        return fault, response

    def _api(self, request: Request, path: str) -> Response:
        if self.inactive:
            return json_response(403, INACTIVE)
        fault, replacement = self._fault(self.api_faults)
        if replacement is not None:
            return replacement
        scheme, _, token = (request.authorization or "").partition(" ")
        grant = self.tokens.access(token.strip()) if scheme.lower() == "bearer" else None
        if grant is None:
            return json_response(401, INVALID_TOKEN)
        if not self.limiter.hit():
            return json_response(429, RATE_LIMITED)
        athlete = self.athletes[grant.athlete]  # the token's athlete: the API answers as them
        if request.method == "GET" and path == "/api/v3/athlete/activities":
            if "activity:read_all" not in grant.scope.split(","):
                return json_response(401, MISSING_READ_ALL)
            started = time.perf_counter()
            try:
                return self._activities(athlete, request.query, short=fault == "short")
            finally:
                self.listing_seconds += time.perf_counter() - started
        if request.method == "GET" and path.startswith("/api/v3/activities/") \
                and path.endswith("/streams"):  # issue 21: STREAMS_FROM_API
            return self._streams(athlete, path.split("/")[4])
        if request.method == "GET" and path.startswith("/api/v3/activities/"):
            return self._activity(athlete, path.rsplit("/", 1)[1])
        if request.method == "GET" and path == "/api/v3/athlete":
            return json_response(200, self.profile(grant.athlete))
        if request.method == "GET" and path == f"/api/v3/athletes/{athlete.athlete_id}/stats":
            return json_response(200, self._stats(athlete))
        return json_response(404, NOT_FOUND)

    def profile(self, position: int) -> dict[str, Any]:
        """The profile of the athlete at ``position``: the first is "Sandbox Athlete", the
        next ones "Sandbox Athlete 2", "Sandbox Athlete 3", ..."""
        profile = self.athletes[position].profile()
        profile["lastname"] = sandbox_name(position).removeprefix(f"{profile['firstname']} ")
        return profile

    def _athlete_asked(self, request: Request) -> SyntheticAthlete | None:
        """The athlete an admin request names (``?athlete_id=ID``; the first one by default),
        None for an id the sandbox does not serve."""
        asked = request.query.get("athlete_id")
        if not asked:
            return self.athlete
        return next((athlete for athlete in self.athletes
                     if str(athlete.athlete_id) == asked.strip()), None)

    def position_of(self, athlete_id: int) -> int:
        """The position of the athlete with this id; ValueError when there is none."""
        for position, athlete in enumerate(self.athletes):
            if athlete.athlete_id == athlete_id:
                return position
        raise ValueError(f"the sandbox serves no athlete {athlete_id}")

    def _stats(self, athlete: SyntheticAthlete) -> dict[str, Any]:
        """Strava's ActivityStats, counts only: every ride, run and swim the athlete has."""
        families = Counter(
            "swim" if "Swim" in str(activity.get("sport_type")) else
            SPORTS[activity["sport_type"]].family if activity.get("sport_type") in SPORTS
            else "other"
            for activity in athlete.activities)
        return {f"all_{family}_totals": {"count": families[family]}
                for family in ("ride", "run", "swim")}

    def _streams(self, athlete: SyntheticAthlete, identifier: str) -> Response:
        """An activity's streams (key_by_type), from the samples of its file in the export."""
        try:
            act = athlete.get(int(identifier))
        except (KeyError, ValueError):
            return json_response(404, NOT_FOUND)
        from pipeline.sandbox.activity_files import api_streams  # garmin_fit_sdk: on use

        return json_response(200, api_streams(act))

    def _activities(self, athlete: SyntheticAthlete, query: dict[str, str],
                    short: bool) -> Response:
        try:
            before, after = _number(query, "before"), _number(query, "after")
            page = int(_number(query, "page") or 1)
            per_page = int(_number(query, "per_page") or DEFAULT_PER_PAGE)
        except ValueError as error:
            return json_response(400, _error("Bad Request", "Application", str(error), "invalid"))
        page = 1 if self.repeat_pages else max(page, 1)
        per_page = DEFAULT_PER_PAGE if per_page < 1 else min(per_page, MAX_PER_PAGE)
        chunk = athlete.serving_index(self.clock()).page(after, before, page, per_page)
        if short:
            chunk = chunk[: len(chunk) // 2]
        return Response(200, json_array(chunk), JSON)

    def _activity(self, athlete: SyntheticAthlete, raw_id: str) -> Response:
        """GET /activities/{id}: the activity as served now; 404 when there is none."""
        try:
            return json_response(200, athlete.get(int(raw_id), self.clock()))
        except (KeyError, ValueError):
            return json_response(404, NOT_FOUND)

    def _changes(self, request: Request) -> Response:
        """The admin endpoint: apply a change list (pipeline/sandbox/changes.py) to the first
        athlete, or to the one ``?athlete_id=ID`` names."""
        athlete = self._athlete_asked(request)
        if athlete is None:
            return json_response(404, _error("no such athlete", "Changes", "athlete_id",
                                             "invalid"))
        try:
            items = changes.check_changes(json.loads(request.body or b"null"))
            done = changes.apply_changes(athlete, items)
        except (ValueError, changes.ChangeError) as error:
            return json_response(400, _error(str(error), "Changes", "body", "invalid"))
        for change, item in zip(done, items, strict=True):
            for object_type, aspect, updates in events_of(change, item):
                change["delivered"] = self.push.post(object_type, change["id"], aspect,
                                                     athlete.athlete_id, updates)
        return json_response(200, done)

    def _push_subscriptions(self, request: Request, path: str) -> Response:
        """Strava's push subscription endpoints (client id and secret, no bearer token)."""
        params = {**request.query, **request.form}
        if not self.tokens.client_ok(params.get("client_id"), params.get("client_secret")):
            return json_response(401, BAD_CLIENT)
        rest = path.removeprefix("/api/v3/push_subscriptions").strip("/")
        if request.method == "POST" and not rest:
            status, answer = self.push.subscribe(params.get("callback_url", ""),
                                                 params.get("verify_token", ""))
            return json_response(status, answer)
        if request.method == "GET" and not rest:
            return json_response(200, self.push.listing())
        if request.method == "DELETE" and rest.isdigit() and self.push.unsubscribe(int(rest)):
            return Response(204, b"", JSON)
        return json_response(404, NOT_FOUND)

    def _token(self, request: Request) -> Response:
        if self.inactive:
            return json_response(403, INACTIVE)
        _, replacement = self._fault(self.token_faults)
        if replacement is not None:
            return replacement
        params = {**request.query, **request.form}
        if not self.tokens.client_ok(params.get("client_id"), params.get("client_secret")):
            return json_response(401, BAD_CLIENT)
        grant_type = params.get("grant_type")
        if grant_type == "refresh_token":
            answer = self.tokens.refresh(params.get("refresh_token"))
            return json_response(400, BAD_REFRESH) if answer is None else json_response(200, answer)
        if grant_type == "authorization_code":
            code = params.get("code")
            owner = self.tokens.owner_of_code(code)
            answer = self.tokens.exchange_code(code)
            if answer is None or owner is None:
                return json_response(400, BAD_CODE)
            answer["athlete"] = self.profile(owner)
            return json_response(200, answer)
        return json_response(400, _error("Bad Request", "Application", "grant_type", "invalid"))

    def _deauthorize(self, request: Request) -> Response:
        """Strava's POST /oauth/deauthorize: the access token (a parameter or the Bearer header)
        revokes the application's access; its answer names the token."""
        if self.inactive:
            return json_response(403, INACTIVE)
        scheme, _, bearer = (request.authorization or "").partition(" ")
        token = {**request.query, **request.form}.get("access_token") or (
            bearer.strip() if scheme.lower() == "bearer" else "")
        if not self.tokens.revoke(token):
            return json_response(401, INVALID_TOKEN)
        return json_response(200, {"access_token": token})

    def _authorize(self, request: Request) -> Response:
        if self.inactive:
            return json_response(403, INACTIVE)
        query = request.query
        if query.get("client_id") != self.tokens.client_id:
            return json_response(400, BAD_CLIENT)
        redirect_uri = query.get("redirect_uri")
        if not redirect_uri:
            return json_response(
                400, _error("Bad Request", "Application", "redirect_uri", "invalid")
            )
        if query.get("response_type") != "code":
            return json_response(
                400, _error("Bad Request", "Application", "response_type", "invalid")
            )
        scope = normalise_scope(query.get("scope"))
        athlete = self._athlete_asked(request)  # the sandbox's ?athlete_id=: who approves
        if athlete is None:
            return json_response(400, _error("Bad Request", "Athlete", "athlete_id", "invalid"))
        code = self.tokens.issue_code(scope, self.athletes.index(athlete))
        separator = "&" if "?" in redirect_uri else "?"
        location = redirect_uri + separator + urlencode(
            {"state": query.get("state", ""), "code": code, "scope": scope}
        )
        return Response(302, b"", "text/plain; charset=utf-8", {"Location": location})
