"""Baseline (a): the original system's extraction strategy, re-implemented from its write-up.

It asked for one activity per request (``per_page=1``, ``page=1, 2, ...``, newest first) until
it reached an activity older than its watermark, and slept a fixed 15 minutes before every 75th
request. Here the requests are real (against the same sandbox) up to ``max_real_requests``; the
sleeps are counted, not slept, and the rest of a large history is counted from the same rule.
"""

from __future__ import annotations

import time
from typing import Any

import requests

PER_SLEEP = 75
SLEEP_SECONDS = 15 * 60


def requests_for(n_activities: int) -> int:
    """Requests the original makes for a full history: one per activity and one empty page."""
    return n_activities + 1


def sleeps_for(n_requests: int) -> int:
    """Fixed 15-minute sleeps before requests number 75, 150, ... (``activity_num % 75 == 0``)."""
    return n_requests // PER_SLEEP


def run_original(api_url: str, access_token: str, n_activities: int,
                 max_real_requests: int = 5_000) -> dict[str, Any]:
    """Page one activity at a time as the original did; count requests and simulated time."""
    session = requests.Session()
    headers = {"Authorization": f"Bearer {access_token}"}
    fetched = 0
    real = 0
    complete = False
    started = time.perf_counter()
    for page in range(1, max_real_requests + 1):
        answer = session.get(f"{api_url}/athlete/activities", headers=headers,
                             params={"per_page": 1, "page": page}, timeout=30)
        answer.raise_for_status()
        real += 1
        if not answer.json():
            complete = True
            break
        fetched += 1
    http_seconds = time.perf_counter() - started
    if complete and fetched != n_activities:
        raise RuntimeError(f"the original's strategy fetched {fetched} of {n_activities}")
    total = real if complete else requests_for(n_activities)
    per_request = http_seconds / max(real, 1)
    sleeps = sleeps_for(total)
    return {
        "requests": total,
        "real_requests": real,
        "sleeps": sleeps,
        "simulated_seconds": sleeps * SLEEP_SECONDS + per_request * total,
        "http_seconds_measured": http_seconds,
        "counted_beyond_real": not complete,
    }
