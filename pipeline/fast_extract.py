"""A chunk of strictly typed activities written as CSV by DuckDB, without pandas (issue 23).

The activities of a chunk were decoded into ``wire.Activity`` structs, whose field types are the
parser's rules. When every one of them also passes the checks the typed frame would make (a
start in Strava's form ``YYYY-MM-DDTHH:MM:SSZ``, a local start in that form or none, both in
the plausible range) and the filters are ``LocalDates``, the chunk is written the fast way:
the structs are encoded again as JSON (in C, one value per field, so what DuckDB reads is what
msgspec validated), and DuckDB reads that JSON with the columns' types and writes the extract
dialect in one ``COPY``, in a thread of its own (the GIL is free meanwhile). The result is
byte for byte the typed frame's (``tests/unit/test_fast_extract.py``): the same texts ('' is
NULL, ``type`` when there is no ``sport_type``, the IANA zone), numbers, booleans and times,
rows in (start_date, id) order. Any other chunk returns None from ``prepare`` and goes the
typed frame's way.
"""

from __future__ import annotations

import re
import threading
from bisect import bisect_left
from collections import deque
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

import msgspec

from pipeline.activity_csv import _TEXT, DELIMITER, QUOTE
from pipeline.local_dates import LocalDates
from pipeline.strava.activities import ACTIVITY_COLUMNS, iana_timezone

_FROM_ISO = datetime.fromisoformat
_DUCKDB_TYPES = {"Int64": "BIGINT", "Float64": "DOUBLE", "boolean": "BOOLEAN",
                 "string": "VARCHAR"}
# Columns read under the same key, typed as the column.
_SAME = [name for name in ACTIVITY_COLUMNS
         if name not in {"athlete_id", "start_date", "start_date_local", "lat", "lng",
                         "end_lat", "end_lng", "summary_polyline", "extracted_at"}]
_READ_COLUMNS = {
    **{name: _DUCKDB_TYPES[ACTIVITY_COLUMNS[name]] for name in _SAME},
    "start_date": "VARCHAR", "start_date_local": "VARCHAR",
    "athlete": "STRUCT(id BIGINT)", "map": "STRUCT(summary_polyline VARCHAR)",
    "start_latlng": "DOUBLE[]", "end_latlng": "DOUBLE[]",
}
_OPTIONS = (f"FORMAT csv, HEADER false, DELIMITER '{DELIMITER}', QUOTE '{QUOTE}', "
            f"ESCAPE '{QUOTE}', NULL '', NEW_LINE '\\n', FORCE_QUOTE ({', '.join(_TEXT)})")
_LOCAL = "CAST(replace(left(NULLIF(start_date_local, ''), 19), 'T', ' ') AS TIMESTAMP)"
_ENCODER = msgspec.json.Encoder()


def _expression(name: str) -> str:
    """The SQL of one extract column from the JSON read (its text as the writer prints it)."""
    if name == "athlete_id":
        return "athlete.id"
    if name == "sport_type":  # the typed frame's `sport_type or type`, '' as NULL
        return "NULLIF(COALESCE(NULLIF(sport_type, ''), \"type\"), '')"
    if name in ("start_date", "start_date_local"):  # checked to be in Strava's form
        return f"replace(left(NULLIF({name}, ''), 19), 'T', ' ')"
    if name in ("lat", "lng", "end_lat", "end_lng"):
        points = "end_latlng" if name.startswith("end_") else "start_latlng"
        index = 2 if name.endswith("lng") else 1
        return f"CASE WHEN len({points}) = 2 THEN {points}[{index}] END"
    if name == "summary_polyline":
        return "NULLIF(map.summary_polyline, '')"
    if name == "extracted_at":
        return "$extracted_at"
    if ACTIVITY_COLUMNS[name] == "string":
        return f'NULLIF("{name}", \'\')'
    return f'"{name}"'


_SELECT = ", ".join(f'{_expression(name)} AS "{name}"' for name in ACTIVITY_COLUMNS)


@lru_cache(maxsize=1024)
def _zone(value: str | None) -> str | None:
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
        activity.timezone = _zone(activity.timezone)
    keys = list(zip(starts, [activity.id for activity in activities], strict=True))
    return Fast(activities, rows, [None if keep is None else (keep.start, keep.end)
                                   for keep in keeps], from_type, keys != sorted(keys))


class Copier:
    """Writes Fast chunks' parts with one DuckDB connection in a thread of its own, at most two
    chunks behind."""

    def __init__(self, extracted_at: datetime) -> None:
        stamp = extracted_at.replace(tzinfo=None, microsecond=0)
        self.extracted_at = stamp.isoformat(sep=" ")
        self._executor = ThreadPoolExecutor(1, thread_name_prefix="extract-csv")
        self._pending: deque[Future[None]] = deque()
        self._local = threading.local()
        self._connections: list[Any] = []

    def submit(self, fast: Fast, source: Path, paths: list[Path]) -> None:
        """Write ``fast``'s rows of each output to ``paths`` (in the writing thread)."""
        source.write_bytes(_ENCODER.encode(fast.activities))
        fast.activities = []  # the structs are not needed any more: memory is one chunk
        while len(self._pending) >= 2:
            self._pending.popleft().result()
        self._pending.append(self._executor.submit(self._write, fast, source, paths))

    def _connection(self) -> Any:
        connection = getattr(self._local, "connection", None)
        if connection is None:
            import duckdb

            connection = self._local.connection = duckdb.connect()
            connection.execute("SET preserve_insertion_order = true")  # a chunk in order
            self._connections.append(connection)
        return connection

    def _write(self, fast: Fast, source: Path, paths: list[Path]) -> None:
        connection = self._connection()
        columns = ", ".join(f"{name}: '{kind}'" for name, kind in _READ_COLUMNS.items())
        read = (f"read_json($source, format = 'array', columns = {{{columns}}}, "
                "maximum_object_size = 1073741824)")
        parameters = {"source": str(source), "extracted_at": self.extracted_at}
        many = len(paths) > 1
        if many:
            connection.execute(f"CREATE OR REPLACE TEMP TABLE chunk AS SELECT * FROM {read}",
                               {"source": str(source)})
        for path, bounds, rows in zip(paths, fast.bounds, fast.rows, strict=True):
            if many and not rows:
                path.write_bytes(b"")
                continue
            where = ""
            values = dict(parameters) if not many else {"extracted_at": self.extracted_at}
            if bounds is not None:
                start, end = bounds
                values["end"] = end
                where = f"WHERE {_LOCAL} < $end" if start is None else \
                    f"WHERE {_LOCAL} < $end AND {_LOCAL} >= $start"
                if start is None:
                    where += " OR NULLIF(start_date_local, '') IS NULL"
                else:
                    values["start"] = start
            target = str(path).replace("'", "''")  # our own temporary's name
            order = "ORDER BY start_date, id" if fast.unordered else ""  # else kept as read
            query = (f"COPY (SELECT {_SELECT} FROM {'chunk' if many else read} {where} "
                     f"{order}) TO '{target}' ({_OPTIONS})")
            written = connection.execute(query, values).fetchone()
            if written is not None and written[0] != rows:
                raise RuntimeError(f"the extract's part {path.name} has {written[0]} rows, "
                                   f"{rows} expected")
        source.unlink()

    def wait(self) -> None:
        """Wait for every chunk submitted (a writing error is raised here)."""
        while self._pending:
            self._pending.popleft().result()

    def close(self) -> None:
        """Stop the thread (after the chunks submitted) and close the connection."""
        try:
            self.wait()
        finally:
            self._executor.shutdown(wait=True)
            for connection in self._connections:
                connection.close()
