"""The raw JSON of every activity read from Strava, kept in the lake beside the run date's extract.

    strava/activities/YYYY-MM-DD/activities.csv        the extract (typed rows of this release)
    strava/activities/YYYY-MM-DD/activities.jsonl.gz   every activity read, one per line

One gzipped JSON-lines file per run date: each line is one activity object as Strava sent it
(keys in its order, the bytes as sent when they are ASCII on one line), in the order read,
duplicates from shifting pages included. A weekly run's
file holds its whole window (the lookback too); a backfill's one read is split by the weeks'
local dates, and what belongs to no week (an activity the parser sets aside, one of a later
local date) goes with its newest week. The gzip header's time is when the activities were read
(the extract's ``extracted_at``). The file is compressed in a thread of its own (ISA-L's
deflate, a gzip file like zlib's that every gzip reader reads, at its level 1: a quarter of
zlib's level-1 time for the same size; it releases the interpreter lock): the weekly run's
extract does not wait for it.

Strict JSON (RFC 8259): ASCII with ``\\u`` escapes, so every text round-trips, a lone surrogate
too. NaN and infinities are not JSON (a lenient decoder accepts them from Strava): each is
written as null and counted in the log. A column added by a later release is filled from these
files without a request to Strava: ``strava-pipeline rebuild-from-lake``
(pipeline/rebuild_lake.py).
"""

from __future__ import annotations

import gzip
import json
import logging
import math
import queue
import threading
from bisect import bisect_left
from collections.abc import Callable, Iterable, Iterator
from datetime import date, datetime, timezone
from pathlib import Path
from types import TracebackType
from typing import Any, BinaryIO

from isal import igzip

from pipeline.strava.activities import local_start_day

logger = logging.getLogger(__name__)

RAW_FILE_NAME = "activities.jsonl.gz"
# ISA-L's level 1 (of 0-3): 100,000 sandbox activities (163 MB) in 0.35 s of CPU and 44.6 MB,
# against zlib's level 1 in 1.42 s and 43.8 MB (docs/performance.md, issue 23).
COMPRESS_LEVEL = 1
PAGE_SIZE = 200
_BLOCK = 1024 * 1024  # bytes handed to the compressing thread at a time


def raw_lake_key(run_date: date, folder: str = "") -> str:
    """Where a run date's raw JSON lives in the lake, beside its extract (``folder``: an
    athlete's '<id>/', issue 26)."""
    return f"strava/activities/{folder}{run_date.isoformat()}/{RAW_FILE_NAME}"


def _finite(value: Any) -> tuple[Any, int]:
    """``value`` with every NaN or infinity replaced by None, and how many there were."""
    if isinstance(value, float) and not math.isfinite(value):
        return None, 1
    if isinstance(value, dict):
        pairs = [(key, _finite(item)) for key, item in value.items()]
        return {key: item for key, (item, _) in pairs}, sum(n for _, (_, n) in pairs)
    if isinstance(value, list):
        items = [_finite(item) for item in value]
        return [item for item, _ in items], sum(n for _, n in items)
    return value, 0


def strict_json_line(activity: Any) -> tuple[bytes, int]:
    """One activity as a line of strict JSON (ASCII, newline-terminated), and how many
    non-finite numbers became null."""
    replaced = 0
    try:
        text = json.dumps(activity, ensure_ascii=True, allow_nan=False, separators=(",", ":"))
    except ValueError:
        cleaned, replaced = _finite(activity)
        text = json.dumps(cleaned, ensure_ascii=True, allow_nan=False, separators=(",", ":"))
    return text.encode("ascii") + b"\n", replaced


def raw_line(sent: bytes) -> bytes | None:
    """An activity's bytes as sent (strict JSON from a strict decoder) as a line of the file,
    or None when they are not ASCII on one line (then ``strict_json_line`` writes it)."""
    if sent.isascii() and b"\n" not in sent and b"\r" not in sent:
        return sent + b"\n"
    return None


class RawJsonLines:
    """A gzipped JSON-lines file of raw activities being written (``with`` closes it)."""

    def __init__(self, path: Path, read_at: datetime) -> None:
        self.path = path
        self.activities = 0
        self.non_finite = 0
        self._file: BinaryIO = open(path, "wb")  # noqa: SIM115 - closed by close()
        self._gzip = igzip.GzipFile(filename="", mode="wb", fileobj=self._file,
                                    compresslevel=COMPRESS_LEVEL,
                                    mtime=int(read_at.timestamp()))
        self._pending: list[bytes] = []
        self._pending_bytes = 0
        self._blocks: queue.Queue[list[bytes] | None] = queue.Queue(maxsize=8)
        self._thread: threading.Thread | None = None
        self._error: BaseException | None = None
        self._closed = False

    def write(self, activity: Any) -> None:
        """Append one activity as read."""
        line, replaced = strict_json_line(activity)
        self.non_finite += replaced
        self._append(line)

    def write_sent(self, sent: bytes, local_start: Any = None) -> None:
        """Append one activity as the bytes sent (a strict decoder read them);
        ``local_start`` is for a router (unused here)."""
        line = raw_line(sent)
        if line is None:
            self.write(json.loads(sent))
        else:
            self._append(line)

    def write_sent_items(self, items: list[Any]) -> None:
        """Append a page's activities as the bytes sent (bytes-like each; ``write_sent``
        each), in one piece when every one is ASCII on one line."""
        block = b"\n".join(items) + b"\n"
        if items and block.isascii() and block.count(b"\n") == len(items) \
                and b"\r" not in block:
            self.activities += len(items) - 1
            self._append(block)
            return
        for item in items:
            self.write_sent(bytes(item))

    def _append(self, line: bytes) -> None:
        self.activities += 1
        self._pending.append(line)
        self._pending_bytes += len(line)
        if self._pending_bytes >= _BLOCK:
            self._hand_over()

    def _hand_over(self) -> None:
        if not self._pending:
            return
        if self._thread is None:
            self._thread = threading.Thread(target=self._compress, name="raw-json-gzip",
                                            daemon=True)
            self._thread.start()
        self._blocks.put(self._pending)  # joined in the compressing thread
        self._pending, self._pending_bytes = [], 0

    def _compress(self) -> None:
        while (block := self._blocks.get()) is not None:
            if self._error is None:
                try:
                    self._gzip.write(b"".join(block))
                except BaseException as error:  # raised by close() in the writing thread
                    self._error = error

    def close(self) -> None:
        """Finish the file (idempotent); log the numbers that JSON could not hold."""
        if self._closed:
            return
        self._closed = True
        self._hand_over()
        if self._thread is not None:
            self._blocks.put(None)
            self._thread.join()
        self._gzip.close()
        self._file.close()
        if self._error is not None:
            raise self._error
        if self.non_finite:
            logger.warning("%d NaN or infinite numbers (not JSON) were kept as null in the raw "
                           "JSON of the activities", self.non_finite)

    def __enter__(self) -> RawJsonLines:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()


def passing_through(pages: Iterable[list[Any]], write: Callable[[Any], None]
                    ) -> Iterator[list[Any]]:
    """The same pages, each activity handed to ``write`` as it goes by."""
    for page in pages:
        for activity in page:
            write(activity)
        yield page


def week_router(weeks: list[date], files: list[RawJsonLines]) -> Callable[[Any], None]:
    """A ``write`` that puts each activity in the file of the week (run dates, oldest first)
    whose extract holds its local start date; the rest goes to the newest week's file."""

    def write(activity: Any) -> None:
        files[_week_index(weeks, local_start_day(activity))].write(activity)

    return write


def _week_index(weeks: list[date], day: date | None) -> int:
    return len(weeks) - 1 if day is None else min(bisect_left(weeks, day), len(weeks) - 1)


class WeekRouter:
    """``write_sent`` for a backfill: each activity's bytes into its week's file, as
    ``week_router`` does for decoded activities."""

    def __init__(self, weeks: list[date], files: list[RawJsonLines]) -> None:
        self.weeks = weeks
        self.files = files

    def write(self, activity: Any) -> None:
        """Append one decoded activity to its week's file."""
        self.files[_week_index(self.weeks, local_start_day(activity))].write(activity)

    def write_sent(self, sent: bytes, local_start: Any = None) -> None:
        """Append one activity's bytes to the file of its local start (as sent)."""
        day = local_start_day({"start_date_local": local_start})
        self.files[_week_index(self.weeks, day)].write_sent(sent)


def read_time(path: Path) -> datetime:
    """When the file's activities were read (its gzip header's time), UTC, naive."""
    with gzip.GzipFile(path, "rb") as handle:
        handle.read(1)
        moment = datetime.fromtimestamp(handle.mtime or 0, timezone.utc)
    return moment.replace(tzinfo=None)


def raw_pages(path: Path, size: int = PAGE_SIZE) -> Iterator[list[Any]]:
    """The file's activities, in the order read, ``size`` at a time (like Strava's pages)."""
    page: list[Any] = []
    with gzip.open(path, "rt", encoding="ascii") as lines:
        for line in lines:
            page.append(json.loads(line))
            if len(page) >= size:
                yield page
                page = []
    if page:
        yield page
