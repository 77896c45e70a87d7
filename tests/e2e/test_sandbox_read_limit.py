"""``strava-pipeline sandbox --read-limit N/15min --request-log PATH`` (issue 26): 429 past the
limit with Strava's usage headers, on the simulated clock of STRAVA_SIMULATED_CLOCK, and a
request log (time, token fingerprint, path, status) that tests read."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import requests

from pipeline.strava.clock import simulated_clock_setting

TIMEOUT = 10
SIMULATED = 1_800_000_000.0 + 30  # 2027-01-15 08:00:30 UTC, 30 s into a quarter hour


def test_read_limit_answers_429_past_it_and_logs_every_request(tmp_path: Path) -> None:
    env_file, log = tmp_path / "sandbox.env", tmp_path / "requests.jsonl"
    setting = simulated_clock_setting(time.time(), SIMULATED, 1.0)
    process = subprocess.Popen(
        [sys.executable, "-m", "pipeline.sandbox", "--port", "0", "--activities", "30",
         "--read-limit", "2/15min", "--request-log", str(log),
         "--print-env-file", str(env_file)],
        env={**os.environ, "STRAVA_SIMULATED_CLOCK": setting},
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 8
        while not env_file.exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        exports = dict(re.fullmatch(r"export (\w+)=(\S+)", line).groups()  # type: ignore[union-attr]
                       for line in env_file.read_text().splitlines())
        token = requests.post(exports["STRAVA_AUTH_URL"], data={
            "client_id": exports["STRAVA_CLIENT_ID"],
            "client_secret": exports["STRAVA_CLIENT_SECRET"],
            "grant_type": "refresh_token", "refresh_token": exports["STRAVA_REFRESH_TOKEN"],
        }, timeout=TIMEOUT).json()["access_token"]
        answers = [requests.get(exports["STRAVA_API_URL"] + "/athlete/activities",
                                params={"page": page},
                                headers={"Authorization": f"Bearer {token}"}, timeout=TIMEOUT)
                   for page in (1, 2, 3)]
    finally:
        process.send_signal(signal.SIGTERM)
        out, err = process.communicate(timeout=10)
    assert process.returncode == 0, err
    assert "Limits:   2 reads per 15 minutes, 1000 per day" in out
    assert [answer.status_code for answer in answers] == [200, 200, 429]
    assert answers[2].headers["X-ReadRateLimit-Limit"] == "2,1000"
    assert answers[2].headers["X-ReadRateLimit-Usage"] == "3,3"

    records = [json.loads(line) for line in log.read_text().splitlines()]
    api = [record for record in records if record["path"].startswith("/api/v3/")]
    assert [(r["query"].get("page"), r["status"]) for r in api] == [
        ("1", 200), ("2", 200), ("3", 429)]
    assert all(SIMULATED <= r["time"] < SIMULATED + 60 for r in api)  # the simulated clock
    assert len({r["token_id"] for r in api}) == 1 and api[0]["token_id"]
    assert token not in log.read_text()
    assert records[0]["path"] == "/oauth/token"
