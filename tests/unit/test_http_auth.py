"""Requests made with HEADERS_AS_GIVEN send no credentials from ~/.netrc (pipeline/http_auth.py)."""

from __future__ import annotations

from pathlib import Path

import pytest
import requests

from pipeline.http_auth import HEADERS_AS_GIVEN


def test_a_netrc_entry_for_the_host_adds_nothing(tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    netrc = tmp_path / "netrc"
    netrc.write_text("machine www.strava.com login someone password not-for-strava\n")
    netrc.chmod(0o600)
    monkeypatch.setenv("NETRC", str(netrc))
    url = "https://www.strava.com/api/v3/push_subscriptions"
    with requests.Session() as session:
        plain = session.prepare_request(requests.Request("POST", url))
        given = session.prepare_request(requests.Request(
            "POST", url, headers={"Authorization": "Bearer abc"}, auth=HEADERS_AS_GIVEN))
    assert plain.headers["Authorization"].startswith("Basic ")  # what requests does alone
    assert given.headers["Authorization"] == "Bearer abc"
