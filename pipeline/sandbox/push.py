"""The sandbox's push subscription: Strava's /push_subscriptions endpoints, the validation GET to
the callback, and the events POSTed to it when the sandbox's athlete changes."""

from __future__ import annotations

import threading
import time
from typing import Any

import requests

EVENT_TIMEOUT = 5.0


class PushSubscriptions:
    """At most one subscription per application, as on Strava."""

    def __init__(self, subscription_id: int = 120475) -> None:
        self._next_id = subscription_id
        self._lock = threading.Lock()
        self.current: dict[str, Any] | None = None
        self.delivered: list[tuple[dict[str, Any], int]] = []  # (event, status; 0: no answer)

    def subscribe(self, callback_url: str, verify_token: str) -> tuple[int, dict[str, Any]]:
        """(status, answer) of POST /push_subscriptions: the callback must echo the challenge."""
        with self._lock:
            if self.current is not None:
                return 400, {"message": "Bad Request", "errors": [
                    {"resource": "PushSubscription", "field": "", "code": "already exists"}]}
        challenge = f"sandbox-challenge-{time.time_ns()}"
        try:
            answer = requests.get(callback_url, timeout=2, params={
                "hub.mode": "subscribe", "hub.challenge": challenge,
                "hub.verify_token": verify_token})
            echoed = answer.status_code == 200 and answer.json().get("hub.challenge") == challenge
        except (requests.RequestException, ValueError):
            echoed = False
        if not echoed:
            return 400, {"message": "Bad Request", "errors": [
                {"resource": "PushSubscription", "field": "callback url",
                 "code": "GET to callback URL does not return 200"}]}
        with self._lock:
            self._next_id += 1
            self.current = {"id": self._next_id, "resource_state": 2, "application_id": 0,
                            "callback_url": callback_url}
            return 201, {"id": self._next_id}

    def listing(self) -> list[dict[str, Any]]:
        """GET /push_subscriptions."""
        with self._lock:
            return [dict(self.current)] if self.current else []

    def unsubscribe(self, subscription_id: int) -> bool:
        """DELETE /push_subscriptions/{id}; whether it existed."""
        with self._lock:
            if self.current is None or self.current["id"] != subscription_id:
                return False
            self.current = None
            return True

    def post(self, object_type: str, object_id: int, aspect_type: str, owner_id: int,
             updates: dict[str, Any] | None = None) -> int:
        """POST one event to the callback (nothing without a subscription); its status."""
        with self._lock:
            current = dict(self.current) if self.current else None
        if current is None:
            return 0
        event = {"aspect_type": aspect_type, "event_time": int(time.time()),
                 "object_id": object_id, "object_type": object_type, "owner_id": owner_id,
                 "subscription_id": current["id"], "updates": updates or {}}
        try:
            status = requests.post(current["callback_url"], json=event,
                                   timeout=EVENT_TIMEOUT).status_code
        except requests.RequestException:
            status = 0
        self.delivered.append((event, status))
        return status


def events_of(change: dict[str, Any], item: dict[str, Any]) -> list[tuple[str, str, dict]]:
    """(object type, aspect, updates) Strava sends for an applied change; kudos send none."""
    action = change["action"]
    if action == "upload":
        return [("activity", "create", {})]
    if action == "delete":
        return [("activity", "delete", {})]
    if action == "rename":
        return [("activity", "update", {"title": item.get("name")})]
    if action == "retype":
        return [("activity", "update", {"type": item.get("sport_type")})]
    return []
