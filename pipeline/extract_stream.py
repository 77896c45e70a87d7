"""Write Strava's pages to extract files without holding the whole history in memory.

Pages are spooled to a temporary file as they arrive, as the bytes Strava sent (issue 23; only
the ids stay in memory), then read back in chunks of a few thousand activities: each page is
decoded and validated once, in C (``pipeline/strava/wire.py``), each chunk becomes a typed frame
and a part file in the extract dialect (one vectorised write), and the parts are joined into
the extract. Peak memory is one chunk, not the history. One read can feed several extracts (a
backfill's weeks): each keeps its own rows of every chunk. The raw JSON of every activity read
(``pipeline/raw_activities.py``) is written from the same pass, as the bytes sent.

Pages of decoded activities (the archive, a rebuild from the lake, tests; or a page that only a
lenient decoder reads) are spooled as JSON and parsed the Python way, as before.

Pages shift when activities arrive during a run, so an id can come twice; as before, the later
copy (the fresher one) wins, whichever chunk the earlier copy fell in. (The later copy wins
even when it is the one that cannot be parsed: it is then set aside, with the reason.)
"""

from __future__ import annotations

import gc
import json
import logging
import math
import queue
import shutil
import struct
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO, Protocol

from pipeline import activity_csv, csv_writer_process, fast_extract
from pipeline.strava import wire
from pipeline.strava.activities import parse_activities, parse_problem
from pipeline.strava.client import PageProgress
from pipeline.temporaries import temporary_folder

if TYPE_CHECKING:  # pandas is imported where it is used (start-up time, issue 23)
    import pandas as pd

logger = logging.getLogger(__name__)

CHUNK_ACTIVITIES = 5_000
REPORT_EVERY_SECONDS = 1.0
_SENT, _DECODED = b"S", b"D"  # a spooled page: the bytes sent, or decoded activities as JSON
_HEADER = struct.Struct("<cQ")


class RawSink(Protocol):
    """Where the raw JSON of every activity read goes (pipeline/raw_activities.py)."""

    def write(self, activity: Any) -> None: ...

    def write_sent(self, sent: bytes, local_start: Any = None) -> None: ...


def with_progress(pages: Iterable[list[Any]],
                  on_page: Callable[[PageProgress], None] | None = None,
                  every_seconds: float = REPORT_EVERY_SECONDS) -> Iterator[list[Any]]:
    """The same pages, each logged as it arrives; reported to ``on_page`` on the first page
    and then at most once in ``every_seconds`` (with a central scheduler each report is two
    requests to it: a 501-page read made 1,002)."""
    seen = 0
    reported_at = -math.inf
    for number, page in enumerate(pages, start=1):
        seen += len(page)
        if isinstance(page, wire.RawPage):
            newest = page.newest_start()
        else:
            newest = page[-1].get("start_date") if page and isinstance(page[-1], dict) else None
        progress = PageProgress(number, seen, newest)
        logger.info("Strava page %d: %d activities so far (up to %s)",
                    progress.pages, progress.activities, progress.newest_start)
        if on_page and (now := time.monotonic()) - reported_at >= every_seconds:
            reported_at = now
            on_page(progress)
        yield page


def _key(item: Any, position: int) -> Any:
    """An activity's id, or (one that has no integer id, to be set aside) its position."""
    value = wire.activity_id(item)
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    return ("position", position)


def _spooled(spool: BinaryIO) -> Iterator[tuple[bytes, bytes]]:
    while header := spool.read(_HEADER.size):
        kind, size = _HEADER.unpack(header)
        yield kind, spool.read(size)


@dataclass
class _Chunk:
    """Activities of a chunk: typed structs and (the Python way) decoded dicts."""

    typed: list[Any] = field(default_factory=list)
    typed_sent: list[Any] = field(default_factory=list)  # bytes-like, as sent
    typed_positions: list[int] = field(default_factory=list)
    decoded: list[Any] = field(default_factory=list)
    decoded_positions: list[int] = field(default_factory=list)
    # A text may hold NUL (a strict decoder reads no lone surrogate): the writer looks
    unstorable: bool = False

    def __len__(self) -> int:
        return len(self.typed) + len(self.decoded)


def _chunks(spool: BinaryIO, last: dict[Any, int], size: int, raw: RawSink | None
            ) -> Iterator[_Chunk]:
    """The spooled activities without superseded copies, about ``size`` at a time; every
    activity read (superseded copies too) goes to ``raw``."""
    chunk = _Chunk()
    position = 0
    for kind, body in _spooled(spool):
        position += _read_page(kind, body, position, raw, chunk, last)
        if len(chunk) >= size:
            yield chunk
            chunk = _Chunk()
    if chunk:
        yield chunk


@dataclass
class _Typed:
    """A chunk's typed frame and what the parser set aside or changed."""

    frame: pd.DataFrame
    unparseable: list[tuple[int, dict[str, Any]]]
    sport_type_from_type: int
    unstorable: bool


def _typed(chunk: _Chunk, extracted_at: datetime, validated: bool,
           plausible: tuple[datetime, datetime] | None) -> _Typed:
    """The chunk's frame: structs column by column; the Python way for decoded activities and
    for structs whose start needs a closer look (no start, another form, out of range)."""
    import pandas as pd

    frames = []
    unparseable: list[tuple[int, dict[str, Any]]] = []
    from_type = 0
    # (position, activity, already validated) of what goes the Python way
    slow = [(position, activity, validated) for position, activity
            in zip(chunk.decoded_positions, chunk.decoded, strict=True)]
    if chunk.typed:
        frame, odd, from_type = wire.typed_frame_of(chunk.typed, extracted_at)
        if plausible is not None:
            low, high = pd.Timestamp(plausible[0]), pd.Timestamp(plausible[1])
            for name in ("start_date", "start_date_local"):
                times = frame[name]
                odd |= (times.notna() & ((times < low) | (times >= high))).to_numpy()
        if odd.any():
            for index in odd.nonzero()[0].tolist():
                activity = json.loads(bytes(chunk.typed_sent[index]))
                from_type -= int(not activity.get("sport_type") and bool(activity.get("type")))
                slow.append((chunk.typed_positions[index], activity, False))
            frame = frame[~odd]
        frames.append(frame)
    if slow:
        slow.sort(key=lambda pair: pair[0])
        kept = []
        for position, activity, checked in slow:
            problem = None if checked else parse_problem(activity, plausible)
            if problem:
                unparseable.append((position, {"reason": problem, "activity": activity}))
            else:
                kept.append(activity)
        parsed = parse_activities(kept, extracted_at=extracted_at, validated=True)
        from_type += parsed.sport_type_from_type
        frames.append(parsed.frame)
    frame = pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0]
    frame = frame.drop_duplicates(subset="id", keep="last")
    frame = frame.sort_values(["start_date", "id"], kind="stable").reset_index(drop=True)
    return _Typed(frame, unparseable, from_type, chunk.unstorable)


Keep = Callable[["pd.DataFrame"], "pd.DataFrame"]


def write_extract(
    pages: Iterable[list[Any]],
    path: Path,
    extracted_at: datetime,
    keep: Keep | None = None,
    chunk_activities: int = CHUNK_ACTIVITIES,
    validated: bool = False,
    **checks: Any,
) -> int:
    """Write the activities of ``pages`` to the extract file ``path``; return the rows written.

    ``keep`` filters each typed chunk (e.g. the run date's local days) before it is written.
    ``validated`` and ``checks`` (``unparseable``, ``plausible``, ``raw``) as for
    ``write_extracts``.
    """
    (rows,) = write_extracts(pages, [(path, keep)], extracted_at, chunk_activities, validated,
                             **checks)
    return rows


def write_extracts(
    pages: Iterable[list[Any]],
    outputs: Sequence[tuple[Path, Keep | None]],
    extracted_at: datetime,
    chunk_activities: int = CHUNK_ACTIVITIES,
    validated: bool = False,
    unparseable: list[dict[str, Any]] | None = None,
    plausible: tuple[datetime, datetime] | None = None,
    raw: RawSink | None = None,
) -> list[int]:
    """Write the activities of ``pages`` to several extract files, each keeping its own rows of
    every chunk (``keep``, None for all); return the rows written to each.

    Pages are RawPages (the bytes sent, from ``StravaClient`` with ``wire.decode_page``) or
    lists of decoded activities. Each activity is checked once, as it is typed: one that cannot
    be parsed, or (given ``plausible``, [earliest, latest) naive times) starts outside it, goes
    to ``unparseable`` as {"reason", "activity"} in the order read. ``validated``: every decoded
    activity passed ``parse_problem`` already, so it is not checked a second time. ``raw``
    receives every activity read, in order (the raw JSON kept in the lake).

    Pages are read ahead in a thread of their own while the ones read are written, chunk by
    chunk, as long as no id came twice; when one does, the chunks are written again from the
    spool once every page is in, each id's later copy winning (``_chunks``).
    """
    if not outputs:
        return []
    with _collector_paused(), temporary_folder(outputs[0][0].parent, "extract") as work:
        writer = _PartWriter(work, outputs, extracted_at, validated, plausible)
        try:
            with open(work / "pages.spool", "w+b") as spool:
                last, streamed = _stream(pages, spool, chunk_activities, raw, writer)
                if not streamed:  # an id came twice: the later copy wins, whatever the chunk
                    writer.restart()
                    spool.seek(0)
                    for chunk in _chunks(spool, last, chunk_activities, None):
                        writer.add(chunk)
                writer.finish()
        finally:
            writer.close()
        for path, output_parts in zip((path for path, _keep in outputs), writer.parts,
                                      strict=True):
            _join(output_parts, path)
    if unparseable is not None:
        unparseable += [item for _, item in sorted(writer.set_aside, key=lambda pair: pair[0])]
    if writer.from_type:
        logger.info("%d activities had no sport_type (an answer in the shape from before "
                    "Strava added it): each took its type as sport_type", writer.from_type)
    return writer.rows


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Python's cyclic garbage collector off while the pages are written (issue 23).

    A chunk's typed structs hold two lists each (the start and end points) that live until
    the chunk is written, so they reach the oldest generation and set off full collections
    of the whole process every few pages: about 1 s of CPU for 100,000 activities, for no
    garbage (the structs form no cycles). Reference counting still frees everything at once;
    a cycle made meanwhile waits for the next collection after this."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _stream(pages: Iterable[list[Any]], spool: BinaryIO, size: int, raw: RawSink | None,
            writer: _PartWriter) -> tuple[dict[Any, int], bool]:
    """Spool every page as it arrives and hand its activities to ``raw``; while no id came
    twice, hand chunks of about ``size`` to ``writer`` too. Return id -> position of its last
    copy and whether every chunk was handed over (no id came twice)."""
    last: dict[Any, int] = {}
    position = 0
    streaming = True
    chunk = _Chunk()
    for page, kind, body in _read_ahead(pages, spool):
        first = position
        ids = [item.id for item in page] if isinstance(page, wire.RawPage) and page.body \
            is not None else None
        if ids is not None and set(map(type, ids)) <= {int}:
            if streaming and (len(set(ids)) != len(ids) or not last.keys().isdisjoint(ids)):
                streaming = False
            last.update(zip(ids, range(position, position + len(ids)), strict=True))
            position += len(ids)
        else:
            for item in page:
                key = _key(item, position)
                if streaming and key in last:
                    streaming = False
                last[key] = position
                position += 1
        _read_page(kind, body, first, raw, chunk if streaming else None)
        if streaming and len(chunk) >= size:
            writer.add(chunk)
            chunk = _Chunk()
    if streaming and chunk:
        writer.add(chunk)
    return last, streaming


def _read_page(kind: bytes, body: bytes, position: int, raw: RawSink | None,
               chunk: _Chunk | None, last: dict[Any, int] | None = None) -> int:
    """One spooled page (its first activity at ``position``): every activity to ``raw``; to
    ``chunk`` those that are their id's last copy (``last``; every one when None). Returns how
    many activities the page holds."""
    typed = wire.decode_activities(body) if kind == _SENT else None
    if chunk is not None:
        chunk.unstorable |= typed is None or b"\\u0000" in body
    if typed is not None:
        sent = wire.raw_views(body)
        if raw is not None:
            write_many = getattr(raw, "write_sent_items", None)
            if write_many is not None:
                write_many(sent)
            else:
                for activity, item in zip(typed, sent, strict=True):
                    raw.write_sent(bytes(item), activity.start_date_local)
        if chunk is None:
            return len(typed)
        if last is None:
            chunk.typed += typed
            chunk.typed_sent += sent
            chunk.typed_positions += range(position, position + len(typed))
            return len(typed)
        for index, (activity, item) in enumerate(zip(typed, sent, strict=True)):
            if last[_key(activity, position + index)] == position + index:
                chunk.typed.append(activity)
                chunk.typed_sent.append(item)
                chunk.typed_positions.append(position + index)
        return len(typed)
    page = json.loads(body)
    if kind == _SENT and raw is not None:  # strict, but an odd shape: bytes as sent
        for activity, item in zip(page, wire.raw_items(body), strict=True):
            raw.write_sent(item, activity.get("start_date_local")
                           if isinstance(activity, dict) else None)
    elif raw is not None:
        for activity in page:
            raw.write(activity)
    if chunk is None:
        return len(page)
    for index, activity in enumerate(page):
        if last is None or last[_key(activity, position + index)] == position + index:
            chunk.decoded.append(activity)
            chunk.decoded_positions.append(position + index)
    return len(page)


_END = object()


def _read_ahead(pages: Iterable[list[Any]], spool: BinaryIO, depth: int = 8
                ) -> Iterator[tuple[list[Any], bytes, bytes]]:
    """The same pages, each with its kind and body as spooled, read and spooled in a thread of
    their own up to ``depth`` pages ahead (the next page's HTTP read overlaps this one's
    writing); the reader's error is raised here."""
    ahead: queue.Queue[Any] = queue.Queue(maxsize=depth)
    stop = threading.Event()
    failure: list[BaseException] = []

    def offer(item: Any) -> bool:
        while not stop.is_set():
            try:
                ahead.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def read() -> None:
        iterator = iter(pages)
        try:
            for page in iterator:
                body = page.body if isinstance(page, wire.RawPage) else None
                kind = _SENT if body is not None else _DECODED
                if body is None:
                    body = json.dumps(list(page), ensure_ascii=True).encode("ascii")
                spool.write(_HEADER.pack(kind, len(body)))
                spool.write(body)
                if not offer((page, kind, body)):
                    close = getattr(iterator, "close", None)
                    if close is not None:
                        close()
                    return
        except BaseException as error:  # raised in the caller's thread
            failure.append(error)
        finally:
            offer(_END)

    reader = threading.Thread(target=read, name="strava-pages", daemon=True)
    reader.start()
    try:
        while (item := ahead.get()) is not _END:
            yield item
        if failure:
            raise failure[0]
    finally:
        stop.set()
        reader.join()


class _PartWriter:
    """Writes chunks as part files of every output, counting rows and what was set aside.

    A chunk of typed activities that all passed the checks goes the fast way: its activities
    (strictly typed structs) are formatted as CSV column by column in a thread of its own (no
    pandas, no DuckDB; pipeline/fast_extract.py), or a process of its own for a chunk of
    ``PROCESS_ROWS`` or more (pipeline/csv_writer_process.py). Any other
    chunk (decoded activities, a text with NUL, a start to look at closer, a filter that is not
    ``LocalDates``) goes through the typed frame, as before.
    """

    def __init__(self, work: Path, outputs: Sequence[tuple[Path, Keep | None]],
                 extracted_at: datetime, validated: bool,
                 plausible: tuple[datetime, datetime] | None) -> None:
        self.work = work
        self.keeps = [keep for _path, keep in outputs]
        self.extracted_at = extracted_at
        self.validated = validated
        self.plausible = plausible
        self._copier: fast_extract.Copier | None = None
        self._process: csv_writer_process.ProcessCopier | None = None
        self._no_process = False
        self._reset()

    def _reset(self) -> None:
        self.parts: list[list[Path]] = [[] for _ in self.keeps]
        self.rows = [0] * len(self.keeps)
        self.from_type = 0
        self.set_aside: list[tuple[int, dict[str, Any]]] = []
        self._number = 0

    def add(self, chunk: _Chunk) -> None:
        """Write one chunk's part of every output."""
        number = self._number
        self._number += 1
        paths = [self.work / f"output{index:05d}-part{number:05d}.csv"
                 for index in range(len(self.keeps))]
        if not chunk.decoded and not chunk.unstorable:
            fast = fast_extract.prepare(chunk.typed, self.keeps, self.plausible)
            if fast is not None:
                if len(chunk.typed) >= csv_writer_process.PROCESS_ROWS \
                        and self._start_process():
                    assert self._process is not None
                    self._process.submit(fast, paths, chunk.typed_sent)
                else:
                    if self._copier is None:
                        self._copier = fast_extract.Copier(self.extracted_at)
                    self._copier.submit(fast, paths)
                self.from_type += fast.from_type
                for index, path in enumerate(paths):
                    self.rows[index] += fast.rows[index]
                    self.parts[index].append(path)
                return
        typed = _typed(chunk, self.extracted_at, self.validated, self.plausible)
        self.from_type += typed.sport_type_from_type
        self.set_aside += typed.unparseable
        for index, keep in enumerate(self.keeps):
            self.rows[index] += activity_csv.write_activities_csv(
                keep(typed.frame) if keep is not None else typed.frame, paths[index],
                header=False, scan=typed.unstorable)
            self.parts[index].append(paths[index])

    def _start_process(self) -> bool:
        """Whether the writing process runs (started on the first call; when it cannot be,
        the thread writes every chunk)."""
        if self._process is None and not self._no_process:
            try:
                self._process = csv_writer_process.ProcessCopier(self.extracted_at, self.work)
            except OSError as error:
                logger.warning("could not start a process to write the extract's CSV (%s): "
                               "a thread writes it", error)
                self._no_process = True
        return self._process is not None

    def restart(self) -> None:
        """Forget every part written so far (the chunks are written again)."""
        self.finish()
        for paths in self.parts:
            for path in paths:
                path.unlink(missing_ok=True)
        self._reset()

    def finish(self) -> None:
        """Wait until every part is written (a writer's error is raised here)."""
        for copier in (self._copier, self._process):
            if copier is not None:
                copier.wait()

    def close(self) -> None:
        """Stop the writing thread and process (idempotent); chunks still pending (the extract
        failed: ``finish`` was not reached) are abandoned, not waited for."""
        try:
            if self._copier is not None:
                self._copier.close()
        finally:
            self._copier = None
            if self._process is not None:
                self._process.close()
            self._process = None


def _join(parts: list[Path], path: Path) -> None:
    """The header line, then the parts (written without one)."""
    with open(path, "wb") as out:
        out.write(activity_csv.header_line())
        for part in parts:
            with open(part, "rb") as handle:
                shutil.copyfileobj(handle, out, 1024 * 1024)
