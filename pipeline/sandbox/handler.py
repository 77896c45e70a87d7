"""The HTTP side of the sandbox: decode requests for the app, write its answers, stay quiet."""

from __future__ import annotations

import contextlib
import json
import re
import socket
import struct
import sys
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import parse_qs, urlsplit

from pipeline.sandbox.app import Request, SandboxApp

_SECRET_PARAM = re.compile(r"(access_token|refresh_token|client_secret|code)=[^&\s'\"]*")
_BEARER = re.compile(r"Bearer \S+")


def _redact(text: str) -> str:
    text = _SECRET_PARAM.sub(r"\1=<redacted>", text)
    return _BEARER.sub("Bearer <redacted>", text)


def _flat(query: str) -> dict[str, str]:
    return {k: v[-1] for k, v in parse_qs(query, keep_blank_values=True).items()}


class SandboxHandler(BaseHTTPRequestHandler):
    """Hands each request to ``server.app``; never writes tokens or query strings to a log."""

    server_version = "StravaSandbox/1.0"
    protocol_version = "HTTP/1.1"
    timeout = 60  # idle keep-alive connections are closed after this

    def _app(self) -> SandboxApp:
        return self.server.app  # type: ignore[attr-defined,no-any-return]

    def _body(self) -> bytes:
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length > 0 else b""

    def _form(self, raw: bytes) -> dict[str, str]:
        if not raw:
            return {}
        if "json" in (self.headers.get("Content-Type") or ""):
            try:
                data = json.loads(raw)
            except ValueError:
                return {}
            return {str(k): str(v) for k, v in data.items()} if isinstance(data, dict) else {}
        return _flat(raw.decode("utf-8", "replace"))

    def _serve(self) -> None:
        parts = urlsplit(self.path)
        body = self._body() if self.command == "POST" else b""
        request = Request(
            method=self.command,
            path=parts.path,
            query=_flat(parts.query),
            form=self._form(body),
            body=body,
            authorization=self.headers.get("Authorization"),
        )
        response = self._app().handle(request)
        if response.drop:
            self._reset()
            return
        try:
            self.send_response(response.status)
            self.send_header("Content-Type", response.content_type)
            self.send_header("Content-Length", str(len(response.body)))
            for name, value in response.headers.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(response.body)
        except OSError:  # the client gave up (e.g. read timeout during a slow fault)
            self.close_connection = True

    def _reset(self) -> None:
        """Close abruptly (RST) without answering."""
        with contextlib.suppress(OSError):
            self.connection.setsockopt(
                socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0)
            )
        self.close_connection = True

    do_GET = _serve
    do_POST = _serve
    do_PUT = _serve
    do_DELETE = _serve

    def log_request(self, code: Any = "-", size: Any = "-") -> None:
        """One line per request when verbose: method, path without query, status."""
        if getattr(self.server, "verbose", False):
            path = urlsplit(self.path).path
            sys.stderr.write(f"sandbox: {self.command} {path} {code}\n")

    def log_message(self, format: str, *args: Any) -> None:
        """Silent unless verbose (the default prints request lines, tokens and all)."""
        if getattr(self.server, "verbose", False):
            sys.stderr.write("sandbox: " + _redact(format % args) + "\n")
