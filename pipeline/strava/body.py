"""Read an HTTP answer's body with a byte cap, before and after decompression.

A page of 200 activities is a few MB at most. A server that sends more (a gzip that expands to
a gigabyte, an endless body) is stopped at ``limit`` bytes read from the wire AND at ``limit``
bytes once decompressed, without ever holding more than about ``limit`` bytes: the body is
streamed and decompressed here in bounded steps (requests' own decoding has no limit).
"""

from __future__ import annotations

import zlib
from typing import Any

import requests
import urllib3

from pipeline.strava.errors import StravaError

MAX_BODY_BYTES = 64 * 1024 * 1024  # per answer, on the wire and decompressed
ACCEPT_ENCODING = "gzip, deflate"  # what read_capped can decompress (no br, no zstd)
_CHUNK = 64 * 1024


class ResponseTooLarge(StravaError):
    """An answer larger than the cap (on the wire or decompressed); nothing was kept."""


def _too_large(where: str, limit: int, how: str) -> ResponseTooLarge:
    return ResponseTooLarge(
        f"Strava's answer to {where} is larger than {limit:,} bytes {how}, far more than any "
        "page of activities: it was not read further and nothing was saved; try again later"
    )


def _decompressor(encoding: str, where: str) -> Any:
    if encoding in ("", "identity"):
        return None
    if encoding in ("gzip", "x-gzip"):
        return zlib.decompressobj(16 + zlib.MAX_WBITS)
    if encoding == "deflate":
        return zlib.decompressobj(zlib.MAX_WBITS)
    raise StravaError(f"Strava's answer to {where} is encoded as {encoding!r}, which this "
                      "client did not ask for: try again later")


def read_capped(response: requests.Response, where: str, limit: int | None = None) -> bytes:
    """The decompressed body of a streamed response (``stream=True``), at most ``limit`` bytes
    on the wire and once decompressed; ResponseTooLarge (one line) beyond, connection closed."""
    limit = MAX_BODY_BYTES if limit is None else limit
    try:
        declared = int(response.headers.get("Content-Length", "") or -1)
    except ValueError:
        declared = -1
    if declared > limit:
        response.close()
        raise _too_large(where, limit, f"(it announced {declared:,})")
    encoding = response.headers.get("Content-Encoding", "").strip().lower()
    decompressor = _decompressor(encoding, where)
    wire = 0
    parts: list[bytes] = []
    size = 0
    try:
        for chunk in response.raw.stream(_CHUNK, decode_content=False):
            wire += len(chunk)
            if wire > limit:
                raise _too_large(where, limit, "on the wire")
            pending = chunk
            while pending:
                if decompressor is None:
                    piece, pending = pending, b""
                else:
                    piece = decompressor.decompress(pending, limit - size + 1)
                    pending = decompressor.unconsumed_tail
                size += len(piece)
                if size > limit:
                    raise _too_large(where, limit, "once decompressed")
                parts.append(piece)
        if decompressor is not None:
            tail = decompressor.flush()
            size += len(tail)
            if size > limit:
                raise _too_large(where, limit, "once decompressed")
            parts.append(tail)
    except urllib3.exceptions.ReadTimeoutError as error:  # as requests itself would raise
        raise requests.exceptions.ReadTimeout(str(error)) from None
    except (urllib3.exceptions.ProtocolError, urllib3.exceptions.SSLError) as error:
        raise requests.exceptions.ChunkedEncodingError(str(error)) from None
    finally:
        response.close()
    return b"".join(parts)
