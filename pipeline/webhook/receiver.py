"""The webhook receiver as a WSGI application, served by waitress (``webhook serve``).

GET: Strava's subscription validation, ``hub.challenge`` echoed only for the right
``hub.verify_token`` (else 403). POST: one event, checked, stored in the state store, then 200.
A body over 64 KB is a 413, malformed JSON or a missing field a 400, an unknown subscription a
403; each a log line without the body or any token. Only the state store is touched, so the
answer comes within the 2 seconds Strava allows even while the warehouse is busy or down.
"""

from __future__ import annotations

import hmac
import json
import logging
import threading
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

from pipeline.backends.state import StateStore
from pipeline.webhook.subscription import known_subscription

logger = logging.getLogger(__name__)

MAX_BODY = 64 * 1024
OBJECT_TYPES = ("activity", "athlete")
ASPECTS = ("create", "update", "delete")

Start = Callable[[str, list[tuple[str, str]]], Any]


class BadEvent(ValueError):
    """An event body the receiver refuses; the message is safe to log."""


def parse_event(body: bytes) -> dict[str, Any]:
    """The event's fields, checked; BadEvent otherwise."""
    try:
        data = json.loads(body)
    except ValueError:
        raise BadEvent("the body is not JSON") from None
    if not isinstance(data, dict):
        raise BadEvent("the body is not a JSON object")
    try:
        event = {"subscription_id": int(data["subscription_id"]),
                 "object_type": str(data["object_type"]), "object_id": int(data["object_id"]),
                 "aspect_type": str(data["aspect_type"]), "event_time": int(data["event_time"]),
                 "owner_id": int(data["owner_id"])}
    except (KeyError, TypeError, ValueError) as error:
        raise BadEvent(f"a field is missing or not a number: {type(error).__name__}") from None
    if event["object_type"] not in OBJECT_TYPES or event["aspect_type"] not in ASPECTS:
        raise BadEvent(f"unknown object_type/aspect_type {event['object_type'][:20]!r}/"
                       f"{event['aspect_type'][:20]!r}")
    updates = data.get("updates")
    event["updates"] = json.dumps(updates, ensure_ascii=False)[:4000] if updates else None
    return event


class Receiver:
    """The WSGI application: ``Receiver(state, verify_token, data_dir)``."""

    def __init__(self, state: StateStore, verify_token: str, data_dir: Path) -> None:
        self.state = state
        self.verify_token = verify_token
        self.data_dir = data_dir
        # One writer at a time from this process: threads queue here in order instead of in
        # SQLite's busy handler, whose growing sleeps made the slowest answers seconds long.
        self._store_lock = threading.Lock()

    def __call__(self, environ: dict[str, Any], start_response: Start) -> Iterable[bytes]:
        method = environ.get("REQUEST_METHOD", "GET")
        if method == "GET":
            return self._validate(environ, start_response)
        if method == "POST":
            return self._event(environ, start_response)
        return _answer(start_response, "405 Method Not Allowed", {"error": "GET or POST"})

    def _validate(self, environ: dict[str, Any], start_response: Start) -> Iterable[bytes]:
        query = {k: v[-1] for k, v in parse_qs(environ.get("QUERY_STRING", "")).items()}
        token = query.get("hub.verify_token", "")
        if not self.verify_token or not hmac.compare_digest(token.encode(),
                                                             self.verify_token.encode()):
            logger.warning("webhook validation refused: wrong hub.verify_token")
            return _answer(start_response, "403 Forbidden", {"error": "wrong verify token"})
        logger.info("webhook validation answered")
        return _answer(start_response, "200 OK", {"hub.challenge": query.get("hub.challenge", "")})

    def _event(self, environ: dict[str, Any], start_response: Start) -> Iterable[bytes]:
        try:
            length = int(environ.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = -1
        if length < 0 or length > MAX_BODY:
            logger.warning("webhook event refused: body of %s bytes (limit %d)", length, MAX_BODY)
            return _answer(start_response, "413 Payload Too Large", {"error": "body too large"})
        try:
            event = parse_event(environ["wsgi.input"].read(length))
        except BadEvent as error:
            logger.warning("webhook event refused: %s", error)
            return _answer(start_response, "400 Bad Request", {"error": str(error)})
        known = known_subscription(self.data_dir)
        if known is None or event["subscription_id"] != known:
            logger.warning("webhook event refused: unknown subscription %d",
                           event["subscription_id"])
            return _answer(start_response, "403 Forbidden", {"error": "unknown subscription"})
        with self._store_lock:
            new = self.state.store_event(event)
        logger.info("webhook event %s %s %d stored%s", event["object_type"],
                    event["aspect_type"], event["object_id"], "" if new else " (a retry)")
        return _answer(start_response, "200 OK", {"stored": True})


def _answer(start_response: Start, status: str, payload: dict[str, Any]) -> list[bytes]:
    body = json.dumps(payload).encode("utf-8")
    start_response(status, [("Content-Type", "application/json"),
                            ("Content-Length", str(len(body)))])
    return [body]


def serve(receiver: Receiver, host: str, port: int, threads: int = 4) -> None:
    """Serve the receiver with waitress until interrupted (body limit enforced there too)."""
    import waitress

    waitress.serve(receiver, host=host, port=port, threads=threads,
                   max_request_body_size=MAX_BODY, channel_timeout=30, ident="strava-pipeline")
