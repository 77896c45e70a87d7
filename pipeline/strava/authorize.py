"""``python -m pipeline.strava.authorize``: first-time authorization, ending in the token store.

1. Prints Strava's authorization address for your application with the ``activity:read_all``
   scope (``read,activity:read_all``).
2. You open it, log in and press Authorize. Strava sends the browser back to
   ``http://localhost:PORT/exchange_token?code=...&scope=...``; a one-shot listener on this
   machine catches that (default), or you paste the address (``--paste``), or pass the code
   (``--code``).
3. The code is exchanged for tokens, one activity is read to prove the scope, and the tokens are
   written to the athlete's own entry, ``$DATA_DIR/strava_tokens/<athlete_id>.json`` (mode
   0600). Another athlete who authorizes is added beside; the same athlete again replaces their
   tokens (docs/athletes.md). Tokens are never printed.

The authorization page is found next to the token endpoint: STRAVA_AUTH_URL with its final
``/token`` replaced by ``/authorize`` (https://www.strava.com/oauth/authorize by default; the
sandbox's own page when STRAVA_AUTH_URL points at the sandbox).
"""

from __future__ import annotations

import argparse
import html
import re
import secrets
import sys
import time
import webbrowser
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit, urlunsplit

from pipeline.settings import ConfigurationError, Settings, load_settings
from pipeline.strava.athlete_store import (
    Athlete,
    athlete_name,
    entry_path,
    now_iso,
    save_entry,
    single_store_client,
    stored_athletes,
    upgrade_single_store,
)
from pipeline.strava.client import SCOPE_MESSAGE, CodeGrant, is_local_url
from pipeline.strava.errors import MissingScopeError, StravaAuthError, StravaError

REQUIRED_SCOPE = "activity:read_all"
REQUESTED_SCOPE = "read,activity:read_all"
CALLBACK_PATH = "/exchange_token"
DEFAULT_PORT = 8721
PASTE_REDIRECT_URI = "http://localhost" + CALLBACK_PATH
_BARE_CODE = re.compile(r"^[A-Za-z0-9_-]{6,200}$")


class AuthorizationError(Exception):
    """The authorization did not give a usable code; the message says why and what to do."""


@dataclass(frozen=True)
class Answer:
    """What Strava's redirect carried (None: not present, e.g. a bare pasted code)."""

    code: str | None
    scope: str | None = None
    state: str | None = None
    error: str | None = None

    def __repr__(self) -> str:  # the code is a credential until it is used
        return f"Answer(scope={self.scope!r}, error={self.error!r})"


def authorize_page_url(auth_url: str) -> str:
    """The authorization page next to the token endpoint: ``.../token`` -> ``.../authorize``."""
    parts = urlsplit(auth_url)
    path = parts.path.rstrip("/")
    if not parts.scheme or not path.endswith("/token"):
        raise ConfigurationError(
            f"STRAVA_AUTH_URL={auth_url!r} does not end in /oauth/token, so the authorization "
            "page cannot be found next to it: set it to https://www.strava.com/oauth/token"
        )
    return urlunsplit((parts.scheme, parts.netloc, path[: -len("token")] + "authorize", "", ""))


def build_authorize_url(settings: Settings, redirect_uri: str, state: str) -> str:
    """The address to open in a browser: your application, the scope, where to come back."""
    query = urlencode({
        "client_id": settings.strava_client_id,
        "response_type": "code",
        "redirect_uri": redirect_uri,
        "approval_prompt": "force",
        "scope": REQUESTED_SCOPE,
        "state": state,
    })
    return f"{authorize_page_url(settings.strava_auth_url)}?{query}"


def _first(query: dict[str, list[str]], name: str) -> str | None:
    values = query.get(name)
    return values[0] if values else None


def answer_from_query(query_string: str) -> Answer:
    """The code, scope, state and error of a redirect's query string."""
    query = parse_qs(query_string, keep_blank_values=True)
    return Answer(_first(query, "code"), _first(query, "scope"), _first(query, "state"),
                  _first(query, "error"))


def parse_pasted(text: str) -> Answer:
    """A pasted redirect address (``...?state=...&code=...&scope=...``) or a bare code."""
    text = text.strip().strip("'\"")
    if not text:
        raise AuthorizationError("nothing was pasted: paste the address your browser shows "
                                 "after you pressed Authorize")
    if "?" in text:
        return answer_from_query(urlsplit(text).query)
    if "=" in text:
        return answer_from_query(text)
    if not _BARE_CODE.match(text):
        raise AuthorizationError(
            "that is neither the address Strava sent you to nor a code: copy the whole "
            "address from the browser's address bar (it contains code=...)"
        )
    return Answer(code=text)


def code_of(answer: Answer, expected_state: str | None) -> str:
    """The answer's code after checking it is for this attempt and grants activity:read_all."""
    if answer.error == "access_denied":
        raise AuthorizationError(
            "Strava says access was denied (Cancel was pressed): run the command again and "
            "press Authorize"
        )
    if answer.error:
        raise AuthorizationError(f"Strava answered error={answer.error!r}: run the command again")
    if expected_state and answer.state is not None and answer.state != expected_state:
        raise AuthorizationError(
            "that answer belongs to another authorization attempt (its state differs): use the "
            "address printed by this run"
        )
    if answer.scope is not None and REQUIRED_SCOPE not in answer.scope.split(","):
        raise MissingScopeError(
            f"Strava granted only '{answer.scope}', without {REQUIRED_SCOPE}: run the command "
            "again and leave 'View data about your private activities' ticked"
        )
    if not answer.code:
        raise AuthorizationError(
            "the answer holds no code: copy the whole address from the browser's address bar"
        )
    return answer.code


_PAGE = (
    "<!DOCTYPE html><html><head><meta charset='utf-8'><title>{title}</title></head>"
    "<body style='font-family:sans-serif;margin:3em'><h1>{title}</h1><p>{text}</p></body></html>"
)


class OneShotListener:
    """A localhost HTTP server that waits for Strava's redirect once, then stops."""

    def __init__(self, port: int, state: str) -> None:
        self.state = state
        self.answer: Answer | None = None
        listener = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
                parts = urlsplit(self.path)
                if parts.path != CALLBACK_PATH:
                    self._page(404, "Not here", "This address only takes Strava's answer.")
                    return
                answer = answer_from_query(parts.query)
                if answer.state != listener.state:
                    self._page(400, "Not this attempt",
                               "This answer belongs to another authorization attempt.")
                    return
                listener.answer = answer
                if answer.code and not answer.error:
                    self._page(200, "Strava answered",
                               "You can close this tab and go back to the terminal.")
                else:
                    self._page(200, "Not authorized",
                               "Strava did not authorize the pipeline; see the terminal.")

            def _page(self, status: int, title: str, text: str) -> None:
                body = _PAGE.format(title=html.escape(title), text=html.escape(text)).encode()
                self.send_response(status)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
                return  # the query holds the code: never log it

        try:
            self.server = HTTPServer(("127.0.0.1", port), Handler)
        except OSError as error:
            raise AuthorizationError(
                f"cannot listen on localhost port {port} ({error.strerror or error}): "
                "choose another with --port, or use --paste"
            ) from None
        self.server.timeout = 0.5
        self.port = int(self.server.server_address[1])

    @property
    def redirect_uri(self) -> str:
        """Where Strava should send the browser back to."""
        return f"http://localhost:{self.port}{CALLBACK_PATH}"

    def wait(self, timeout: float) -> Answer:
        """Serve until Strava's answer arrives; AuthorizationError after ``timeout`` seconds."""
        deadline = time.monotonic() + timeout
        try:
            while self.answer is None:
                if time.monotonic() >= deadline:
                    raise AuthorizationError(
                        f"no answer from Strava within {timeout:.0f} s: open the address above, "
                        "press Authorize, and check that the browser runs on this machine "
                        "(otherwise use --paste)"
                    )
                self.server.handle_request()
        finally:
            self.server.server_close()
        return self.answer


def keep_single_athlete(settings: Settings) -> str | None:
    """Before a new athlete is added, a single-athlete install's tokens become the first
    athlete's entry (else adding a second athlete would hide the first). A refused old token
    does not stop the authorization: the warning it gives, or None."""
    try:
        upgrade_single_store(settings)
    except StravaAuthError:
        return (f"Warning: the token in {settings.token_store_path} (or STRAVA_REFRESH_TOKEN) "
                "is refused by Strava; it was not kept as an athlete (the file stays as it was)")
    return None


def exchange_and_store(settings: Settings, code: str) -> tuple[CodeGrant, bool]:
    """Exchange the code, prove the scope with one activity read, then store the tokens in the
    athlete's entry (added, or replaced for an athlete who authorized before).

    Returns the grant and whether the scope could be checked (False when Strava failed to
    answer the check; the tokens are stored anyway, the next run will tell).
    """
    client = single_store_client(settings)  # nothing is stored through it: the code is new
    grant = client.exchange_code(code)
    checked = True
    try:
        client.verify_activity_scope()
    except MissingScopeError:
        raise MissingScopeError(SCOPE_MESSAGE) from None
    except StravaError:
        checked = False
    athlete_id = grant.athlete.get("id")
    if isinstance(athlete_id, bool) or not isinstance(athlete_id, int):
        raise StravaError("Strava's answer to the code exchange did not say which athlete "
                          "authorized (no athlete id): nothing was stored; authorize again")
    save_entry(settings, Athlete(athlete_id, athlete_name(grant.athlete), now_iso()),
               grant.tokens)
    return grant, checked


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="strava-pipeline authorize",
        description="Authorize the pipeline for your Strava account (scope activity:read_all) "
                    "and store its tokens in $DATA_DIR/strava_tokens/<athlete_id>.json "
                    "(another athlete is added; the same athlete again is replaced).",
    )
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--paste", action="store_true",
                      help="paste the address Strava redirects to, instead of listening for it "
                           "(when the browser runs on another machine)")
    mode.add_argument("--code", help="exchange this authorization code")
    parser.add_argument("--port", type=int, default=DEFAULT_PORT,
                        help=f"localhost port of the listener (default {DEFAULT_PORT}; 0: any)")
    parser.add_argument("--timeout", type=float, default=300.0,
                        help="seconds to wait for Strava's answer (default 300)")
    parser.add_argument("--open", action="store_true", help="open the address in a browser")
    return parser


def _obtain_code(args: argparse.Namespace, settings: Settings) -> str:
    if args.code:
        return code_of(parse_pasted(args.code), None)
    state = secrets.token_urlsafe(16)
    listener = None if args.paste else OneShotListener(args.port, state)
    redirect_uri = PASTE_REDIRECT_URI if listener is None else listener.redirect_uri
    url = build_authorize_url(settings, redirect_uri, state)
    print("Open this address in a browser, log in to Strava and press Authorize")
    print("(keep 'View data about your private activities' ticked):")
    print()
    print(url)
    print(flush=True)
    if args.open:
        webbrowser.open(url)
    if listener is None:
        print("Strava then sends the browser to http://localhost/exchange_token?...; the page will "
              "not load, that is expected.")
        print("Copy the whole address from the address bar and paste it here:", flush=True)
        return code_of(parse_pasted(sys.stdin.readline()), state)
    print(f"Waiting for Strava to send the browser back to {listener.redirect_uri} ...",
          flush=True)
    return code_of(listener.wait(args.timeout), state)


def main(argv: list[str] | None = None) -> int:
    """Run the authorization; 0 when the token store is written, 1 with a message otherwise."""
    args = _parser().parse_args(argv)
    try:
        settings = load_settings()
        if not settings.strava_client_id or not settings.strava_client_secret:
            raise ConfigurationError(
                "set STRAVA_CLIENT_ID and STRAVA_CLIENT_SECRET (from "
                "https://www.strava.com/settings/api) in the environment, then run this again"
            )
        source = ("the local Strava SANDBOX (not Strava)"
                  if is_local_url(settings.strava_auth_url) else "Strava")
        print(f"Authorizing application {settings.strava_client_id} with {source}.")
        kept = keep_single_athlete(settings)
        if kept:
            print(kept)
        code = _obtain_code(args, settings)
        grant, checked = exchange_and_store(settings, code)
    except KeyboardInterrupt:
        print("\ninterrupted: nothing was stored", file=sys.stderr)
        return 130
    except (AuthorizationError, StravaError, ConfigurationError, ValueError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    athlete = grant.athlete
    name = athlete_name(athlete)
    who = f"{name} (athlete {athlete['id']})" if name else f"athlete {athlete['id']}"
    print(f"Authorized for {who} with {source}.")
    if not checked:
        print("Warning: Strava did not answer the scope check; the next run will tell whether "
              "activities can be read.")
    print(f"Tokens saved to {entry_path(settings, athlete['id'])} (readable by you only); "
          f"{len(stored_athletes(settings))} athlete(s) authorized "
          "(`strava-pipeline athletes list`).")
    print("The pipeline reads and rotates them from there; STRAVA_REFRESH_TOKEN is not needed. "
          "Next: ./run_weekly.sh")
    return 0


if __name__ == "__main__":
    sys.exit(main())
