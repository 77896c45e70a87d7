"""A chunk of strictly typed activities written as CSV from its structs, without pandas
(issue 23).

The activities of a chunk were decoded into ``wire.Activity`` structs, whose field types are the
parser's rules. When every one of them also passes the checks the typed frame would make (a
start in Strava's form ``YYYY-MM-DDTHH:MM:SSZ``, a local start in that form or none, both in
the plausible range) and the filters are ``LocalDates``, the chunk is written the fast way:
each column of the extract dialect is formatted from the structs' fields, column by column, in
a thread of its own. The result is byte for byte the typed frame's
(``tests/unit/test_fast_extract.py``): the same texts ('' is NULL, ``type`` when there is no
``sport_type``, the IANA zone; quoted, a quote doubled), integers (an integral float such as
``-14400.0`` as ``-14400``), numbers (the shortest text that reads back as the same double,
which is what DuckDB's writer prints too), booleans and times, rows in (start_date, id) order.
Any other chunk returns None from ``prepare`` and goes the typed frame's way.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from collections import deque
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

import msgspec

from pipeline.activity_csv import DELIMITER, ENCODING, LINE_END, QUOTE
from pipeline.local_dates import LocalDates
from pipeline.strava.activities import ACTIVITY_COLUMNS, iana_timezone

_FROM_ISO = datetime.fromisoformat


@lru_cache(maxsize=1024)
def iana_zone(value: str | None) -> str | None:
    """The IANA zone of Strava's ``timezone`` text (cached)."""
    return iana_timezone(value)


# Strava's form, a month, a day, hours, minutes and seconds in range; a year from 0001.
_STRAVA_TIMES = re.compile(
    r"(?:(?!0000)\d{4}-(?:0[1-9]|1[0-2])-(?:0[1-9]|[12]\d|3[01])T(?:[01]\d|2[0-3])"
    r":[0-5]\d:[0-5]\dZ\n)*", re.ASCII)
# The days the form allows that a month may not have (29 February only in leap years).
_LATE_DAYS = re.compile(r"\d{4}-(?:02-(?:29|30|31)|(?:04|06|09|11)-31)", re.ASCII)


def _strava_times(texts: list[Any]) -> bool:
    """Whether every text is a start in Strava's form (``YYYY-MM-DDTHH:MM:SSZ``) and a real
    time; their order is then their times' order."""
    try:
        joined = "\n".join(texts) + "\n"
    except TypeError:  # one is not a text
        return False
    if not texts:
        return True
    if not _STRAVA_TIMES.fullmatch(joined):
        return False
    try:
        for day in set(_LATE_DAYS.findall(joined)):
            _FROM_ISO(day)
    except ValueError:  # a 30 February
        return False
    return True


def _time(text: str) -> datetime:
    return _FROM_ISO(text[:19])


def _whole(moment: datetime | None) -> str | None:
    """A naive bound as a text that compares with Strava's form as the times compare (None
    when it has a fraction of a second or a zone)."""
    if moment is None or moment.microsecond or moment.tzinfo is not None:
        return None
    return moment.isoformat()


@dataclass
class Fast:
    """A chunk that goes the fast way: its structs, rows kept by each output, the filters'
    bounds, and how many took ``type`` as ``sport_type``."""

    activities: list[Any]
    rows: list[int]
    bounds: list[tuple[datetime | None, datetime] | None]
    from_type: int
    unordered: bool = True  # not in (start_date, id) order as read


def prepare(activities: list[Any], keeps: list[Any],
            plausible: tuple[datetime, datetime] | None) -> Fast | None:
    """The chunk's Fast, or None when a start needs the typed frame's closer look (missing,
    another form, out of ``plausible``), an id comes twice, or a filter is not ``LocalDates``
    (then nothing was changed)."""
    if any(keep is not None and not isinstance(keep, LocalDates) for keep in keeps):
        return None
    starts = [activity.start_date for activity in activities]
    texts = [activity.start_date_local or None for activity in activities]
    given = sorted(text for text in texts if text is not None)
    if not _strava_times(starts) or not _strava_times(given) \
            or len({activity.id for activity in activities}) != len(activities):
        return None
    if plausible is not None and starts:
        low, high = plausible
        if _time(min(starts)) < low or _time(max(starts)) >= high or (given and (
                _time(given[0]) < low or _time(given[-1]) >= high)):
            return None
    missing = len(texts) - len(given)
    rows: list[int] = []
    for keep in keeps:
        if keep is None:
            rows.append(len(activities))
            continue
        end, start = _whole(keep.end), _whole(keep.start)
        if end is None or (keep.start is not None and start is None):
            return None
        before_end = bisect_left(given, end)
        rows.append(missing + before_end if start is None else
                    max(0, before_end - bisect_left(given, start)))
    for keep in keeps:
        if keep is not None:
            keep.log_later(len(given) - bisect_left(given, _whole(keep.end)))
    from_type = 0
    for activity in activities:
        if not activity.sport_type and activity.type:
            from_type += 1
        activity.timezone = iana_zone(activity.timezone)
    keys = list(zip(starts, [activity.id for activity in activities], strict=True))
    return Fast(activities, rows, [None if keep is None else (keep.start, keep.end)
                                   for keep in keeps], from_type, keys != sorted(keys))


_TWICE = QUOTE * 2
_ENCODER = msgspec.json.Encoder()


def _encoded(values: Sequence[Any]) -> list[str]:
    """Each value's JSON text (msgspec, in C), ``null`` for None."""
    return _ENCODER.encode(values)[1:-1].decode("ascii").split(",") if values else []


def _integers(values: Sequence[Any]) -> list[str]:
    texts = _encoded(values)
    if "." in (joined := ",".join(texts)) or "e" in joined:  # an integral float (-14400.0)
        texts = [str(int(value)) if value is not None else "" for value in values]
    return ["" if text == "null" else text for text in texts]


def _numbers(values: Sequence[Any]) -> list[str]:
    """Python's ``repr`` of each double (what DuckDB's writer prints too): msgspec's text
    where it is the same (no exponent, not below 1e-4), ``repr`` elsewhere."""
    texts = _encoded(values)
    if "e" in (joined := ",".join(texts)) or "0.0000" in joined:
        return [("" if value is None else repr(value)) if "e" in text or "0.0000" in text
                else ("" if text == "null" else text) for value, text in
                zip(values, texts, strict=True)]
    return ["" if text == "null" else text for text in texts]


def _booleans(values: Sequence[Any]) -> list[str]:
    return ["" if value is None else "true" if value else "false" for value in values]


def _texts(values: Sequence[Any]) -> list[str]:
    # A text holds no NUL here (the chunk would not go the fast way): NUL separates them.
    joined = "\x00".join([value or "" for value in values])
    if QUOTE in joined:
        joined = joined.replace(QUOTE, _TWICE)
    quoted = (QUOTE + joined.replace("\x00", QUOTE + "\x00" + QUOTE) + QUOTE).split("\x00")
    return [text if text != _TWICE else "" for text in quoted] if values else []


_FORMAT: dict[str, Callable[[Sequence[Any]], list[str]]] = {
    "Int64": _integers, "Float64": _numbers, "boolean": _booleans, "string": _texts}


def _point(points: Sequence[Any], index: int) -> list[Any]:
    return [p[index] if p is not None and len(p) == 2 else None for p in points]


def _columns(activities: list[Any], extracted_at: str) -> list[list[str]]:
    """Each extract column's fields (as written) of the activities, in their order."""
    from pipeline.strava.wire import Activity

    fields = dict(zip(Activity.__struct_fields__,
                      zip(*map(msgspec.structs.astuple, activities), strict=True), strict=True))
    values: dict[str, Sequence[Any]] = {
        "athlete_id": [a.id if a is not None else None for a in fields["athlete"]],
        "sport_type": [mine or kind for mine, kind in
                       zip(fields["sport_type"], fields["type"], strict=True)],
        "lat": _point(fields["start_latlng"], 0), "lng": _point(fields["start_latlng"], 1),
        "end_lat": _point(fields["end_latlng"], 0), "end_lng": _point(fields["end_latlng"], 1),
        "summary_polyline": [m.summary_polyline if m is not None else None
                             for m in fields["map"]],
    }
    columns = []
    for name, kind in ACTIVITY_COLUMNS.items():
        if name == "extracted_at":
            columns.append([extracted_at] * len(activities))
        elif name in ("start_date", "start_date_local"):  # checked to be in Strava's form
            columns.append([text[:19].replace("T", " ") if text else ""
                            for text in fields[name]])
        else:
            columns.append(_FORMAT[kind](values[name] if name in values else fields[name]))
    return columns


def _kept(locals_: list[Any], bounds: tuple[datetime | None, datetime] | None
          ) -> list[int]:
    """Positions of the rows an output keeps: its local dates (``LocalDates``' rule: no local
    start is kept when there is no lower bound), in (start_date, id) order."""
    count = len(locals_)
    if bounds is None:
        kept = list(range(count))
    else:
        start, end = _whole(bounds[0]), _whole(bounds[1])
        if start is None:
            kept = [at for at in range(count) if not locals_[at] or locals_[at][:19] < end]
        else:
            kept = [at for at in range(count)
                    if locals_[at] and start <= locals_[at][:19] < end]
    return kept


def write_parts(activities: list[Any], fast: Fast, paths: list[Path], extracted_at: str
                ) -> None:
    """Write each output's rows of ``activities`` (``fast``'s, prepared) to its path in
    ``paths``: the CSV lines in (start_date, id) order, no header."""
    rows = list(zip(*_columns(activities, extracted_at), strict=True))
    if fast.unordered:
        order = sorted(range(len(activities)),
                       key=lambda at: (activities[at].start_date, activities[at].id))
        rows = [rows[at] for at in order]
        activities = [activities[at] for at in order]
    locals_ = [activity.start_date_local for activity in activities]
    join = DELIMITER.join
    for path, bounds, expected in zip(paths, fast.bounds, fast.rows, strict=True):
        kept = _kept(locals_, bounds)
        if len(kept) != expected:
            raise RuntimeError(f"the extract's part {path.name} has {len(kept)} rows, "
                               f"{expected} expected")
        lines = [join(rows[at]) for at in kept]
        path.write_bytes((LINE_END.join(lines) + LINE_END).encode(ENCODING) if lines
                         else b"")


def extract_time(extracted_at: datetime) -> str:
    """``extracted_at`` as the extract writes it (UTC, whole seconds, no zone)."""
    return extracted_at.replace(tzinfo=None, microsecond=0).isoformat(sep=" ")


class Copier:
    """Writes Fast chunks' parts in a thread of its own, at most two chunks behind."""

    def __init__(self, extracted_at: datetime) -> None:
        self.extracted_at = extract_time(extracted_at)
        self._executor = ThreadPoolExecutor(1, thread_name_prefix="extract-csv")
        self._pending: deque[Future[None]] = deque()

    def submit(self, fast: Fast, paths: list[Path]) -> None:
        """Write ``fast``'s rows of each output to ``paths`` (in the writing thread)."""
        while len(self._pending) >= 2:
            self._pending.popleft().result()
        self._pending.append(self._executor.submit(self._write, fast, paths))

    def _write(self, fast: Fast, paths: list[Path]) -> None:
        activities, fast.activities = fast.activities, []  # memory is one chunk
        write_parts(activities, fast, paths, self.extracted_at)

    def wait(self) -> None:
        """Wait for every chunk submitted (a writing error is raised here)."""
        while self._pending:
            self._pending.popleft().result()

    def close(self) -> None:
        """Stop the thread. Chunks still queued (the extract failed: a finished one waited for
        them with ``wait``) are dropped; the one being written, which a thread cannot be stopped
        in, ends first, so nothing is written once this returns. A pending chunk's error is not
        raised: the extract's own failure is the one to tell."""
        self._pending.clear()
        self._executor.shutdown(wait=True, cancel_futures=True)
