"""Requests that send only the headers they were given (no ``~/.netrc``).

Without an ``auth``, requests reads ``~/.netrc`` before every request, and a matching entry
adds Basic credentials meant for something else: it replaced the Strava client's bearer token
(every request a 401) and would send them to Strava's subscription API or a Slack webhook.
"""

from __future__ import annotations

import requests
import requests.auth


class _HeadersAsGiven(requests.auth.AuthBase):
    """An ``auth`` that changes nothing."""

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        return request


HEADERS_AS_GIVEN = _HeadersAsGiven()
