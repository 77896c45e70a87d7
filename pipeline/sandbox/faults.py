"""Injected failures: the HTTP errors, HTML pages, stalls and resets Strava clients meet."""

from __future__ import annotations

import json
import threading
import zlib
from collections import deque
from dataclasses import dataclass, field
from functools import lru_cache

HTML_PAGE = (
    "<!DOCTYPE html>\n<html>\n<head><title>Strava | We'll be right back</title></head>\n"
    "<body><h1>Strava is temporarily unavailable</h1>"
    "<p>Our engineers have been notified. Please try again in a few minutes.</p></body>\n"
    "</html>\n"
)
HTML_502 = (
    "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n"
    "<center><h1>502 Bad Gateway</h1></center>\r\n</body>\r\n</html>\r\n"
)
_STATUS_FAULTS = {
    "500": (500, "json", "Internal Server Error"),
    "502": (502, "text", "Bad Gateway"),
    "503": (503, "json", "Service Unavailable"),
}
SIZED_FAULTS = ("gzipbomb", "large")  # <kind>:<MiB>, a body too big for any page
MIB = 1024 * 1024
SIMPLE_FAULTS = frozenset(
    {*_STATUS_FAULTS, *(f"{s}:{b}" for s in _STATUS_FAULTS for b in ("json", "text")),
     "html", "html502", "reset", "short"}
)


@dataclass
class FaultAnswer:
    """What to send instead of the normal answer (``drop``: close without answering)."""

    status: int = 0
    body: bytes = b""
    content_type: str = "text/plain; charset=utf-8"
    drop: bool = False
    headers: dict[str, str] = field(default_factory=dict)


def validate(fault: str) -> str:
    """The fault itself if it is known, else ValueError.

    Known: ``500``, ``502``, ``503`` (optionally ``:json`` or ``:text``), ``html``, ``html502``,
    ``reset``, ``short`` (the next activities page comes back half empty), ``slow:<seconds>``,
    ``gzipbomb:<MiB>`` and ``large:<MiB>`` (a body too big for any page).
    """
    if fault in SIMPLE_FAULTS:
        return fault
    if fault.startswith("slow:"):
        try:
            seconds = float(fault[5:])
        except ValueError:
            seconds = -1.0
        if seconds >= 0:
            return fault
    kind, _, size = fault.partition(":")
    if kind in SIZED_FAULTS and size.isdigit() and int(size) > 0:
        return fault
    raise ValueError(f"unknown fault {fault!r}; known: {sorted(SIMPLE_FAULTS)}, slow:<seconds>, "
                     "gzipbomb:<MiB> and large:<MiB>")


def slow_seconds(fault: str | None) -> float:
    """How long a ``slow:<seconds>`` fault stalls (0 for anything else)."""
    return float(fault[5:]) if fault and fault.startswith("slow:") else 0.0


@lru_cache(maxsize=4)
def sized_answer(fault: str) -> FaultAnswer:
    """``gzipbomb:<MiB>``: a 200 whose gzip body expands to that many MiB of a JSON list (the
    plain text is never held whole); ``large:<MiB>``: a plain 200 JSON list of that many MiB.
    Cached: a test may build it before it measures memory."""
    kind, _, size = fault.partition(":")
    if kind == "gzipbomb":
        packer = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
        block = b" " * MIB
        parts = [packer.compress(b"[")]
        parts += [packer.compress(block) for _ in range(int(size))]
        parts += [packer.compress(b"]"), packer.flush()]
        return FaultAnswer(200, b"".join(parts), "application/json",
                           headers={"Content-Encoding": "gzip"})
    return FaultAnswer(200, b"[" + b" " * (int(size) * MIB - 2) + b"]", "application/json")


def answer(fault: str | None) -> FaultAnswer | None:
    """The replacement answer for a fault, or None when the request proceeds normally."""
    if fault is None or fault.startswith("slow:") or fault == "short":
        return None
    if fault.partition(":")[0] in SIZED_FAULTS:
        return sized_answer(fault)
    if fault == "reset":
        return FaultAnswer(drop=True)
    if fault == "html":
        return FaultAnswer(200, HTML_PAGE.encode(), "text/html; charset=utf-8")
    if fault == "html502":
        return FaultAnswer(502, HTML_502.encode(), "text/html")
    code, _, style = fault.partition(":")
    status, default_style, message = _STATUS_FAULTS[code]
    if (style or default_style) == "json":
        body = json.dumps({"message": message, "errors": []}).encode()
        return FaultAnswer(status, body, "application/json; charset=utf-8")
    return FaultAnswer(status, f"{message}\n".encode())


class FaultQueue:
    """Faults waiting for the next requests, consumed one per request."""

    def __init__(self) -> None:
        self._queue: deque[str] = deque()
        self._lock = threading.Lock()

    def push(self, *faults: str) -> None:
        """Queue faults (validated) for the next requests, in order."""
        checked = [validate(f) for f in faults]
        with self._lock:
            self._queue.extend(checked)

    def pop(self) -> str | None:
        """The fault for this request, or None."""
        with self._lock:
            return self._queue.popleft() if self._queue else None

    def clear(self) -> None:
        """Forget all queued faults."""
        with self._lock:
            self._queue.clear()

    def __len__(self) -> int:
        with self._lock:
            return len(self._queue)
