"""The extract file format: the one CSV dialect that DuckDB, PostgreSQL and Redshift COPY all read.

Pipe-delimited, UTF-8, a header row, '\\n' line ends. Every text value is quoted with '"' (a
quote inside doubled), whatever it holds, so a delimiter, a quote, a lone '\\r', a '\\n' or
leading/trailing blanks never depend on a reader's guess; numbers, booleans and timestamps are
written bare. NULL is an empty unquoted field; the parser turns empty strings into NULL, so no
field is ever an empty quoted string. Backslashes are plain characters (CSV mode has no
backslash escapes), so a name written ``\\N`` stays that text.

One rule for what no warehouse text column can hold: PostgreSQL and Redshift text cannot store
NUL (U+0000), and UTF-8 cannot encode a lone surrogate (U+D800-U+DFFF, which a JSON escape can
carry). Each such character becomes U+FFFD (the Unicode replacement character) in the file, so
every warehouse stores the same text, the row is never dropped, and a count is logged.
"""

from __future__ import annotations

import csv
import logging
import os
import re
import shutil
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pipeline.strava.activities import ACTIVITY_COLUMNS

if TYPE_CHECKING:  # pandas is imported where it is used (start-up time, issue 23)
    import pandas as pd

logger = logging.getLogger(__name__)

DELIMITER = "|"
QUOTE = '"'
ENCODING = "utf-8"
LINE_END = "\n"
REPLACEMENT = "\ufffd"
UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


def storable_text(text: str) -> tuple[str, int]:
    """``text`` with every NUL and lone surrogate replaced by U+FFFD, and how many there were."""
    return UNSTORABLE.subn(REPLACEMENT, text)


_TEXT = [name for name, dtype in ACTIVITY_COLUMNS.items() if dtype == "string"]


def header_line() -> bytes:
    """The extract's first line: the column names."""
    return (DELIMITER.join(ACTIVITY_COLUMNS) + LINE_END).encode(ENCODING)


def _select_list() -> str:
    """The columns as written: timestamps to the second, the rest as they are."""
    return ", ".join(
        f"strftime(\"{name}\", '%Y-%m-%d %H:%M:%S') AS \"{name}\"" if dtype.startswith("datetime")
        else f'"{name}"' for name, dtype in ACTIVITY_COLUMNS.items())


def _storable(frame: pd.DataFrame) -> tuple[pd.DataFrame, int, int]:
    """The frame with NUL and lone surrogates replaced in its texts; how many characters, in
    how many rows. One scan of all texts first: most extracts hold none."""
    import numpy as np

    texts = {name: frame[name].dropna().tolist() for name in _TEXT}
    if not UNSTORABLE.search("".join(value for values in texts.values() for value in values)):
        return frame, 0, 0
    frame = frame.copy()
    touched = np.zeros(len(frame), dtype=bool)
    total = 0
    for name in _TEXT:
        column = frame[name].astype(object)
        counts = np.zeros(len(frame), dtype=np.int64)
        for index, value in enumerate(column):
            if isinstance(value, str):
                column.iat[index], counts[index] = storable_text(value)
        frame[name] = column.astype(ACTIVITY_COLUMNS[name])
        touched |= counts > 0
        total += int(counts.sum())
    return frame, total, int(touched.sum())


def _typed(frame: pd.DataFrame) -> pd.DataFrame:
    """The frame with every non-text column of Python objects (rows read back from a
    warehouse: datetimes, Decimals, all-NULL columns) in its column's type, so the writer
    sees the types the parser makes."""
    import pandas as pd

    loose = [name for name, dtype in ACTIVITY_COLUMNS.items()
             if dtype != "string" and frame[name].dtype == object]
    if not loose:
        return frame
    frame = frame.copy()
    for name in loose:
        dtype = ACTIVITY_COLUMNS[name]
        if dtype.startswith("datetime"):
            frame[name] = pd.to_datetime(frame[name]).astype(dtype)
        elif dtype == "Float64":
            frame[name] = pd.to_numeric(frame[name].map(
                lambda value: None if pd.isna(value) else float(value))).astype(dtype)
        else:
            frame[name] = frame[name].astype(dtype)
    return frame


_WRITERS = threading.local()


def _writer() -> Any:
    """This thread's in-memory DuckDB connection that writes extract files, opened once per
    process and thread (opening one costs about 30 ms: a backfill writes one file per week)."""
    import duckdb

    connection = getattr(_WRITERS, "connection", None)
    if connection is None or getattr(_WRITERS, "pid", None) != os.getpid():
        connection = _WRITERS.connection = duckdb.connect()
        _WRITERS.pid = os.getpid()  # a forked child opens its own
    return connection


def write_activities_csv(frame: pd.DataFrame, path: Path | str, header: bool = True,
                         scan: bool = True) -> int:
    """Write the typed frame to ``path`` in the extract dialect; return the number of rows.

    One vectorised write (DuckDB's CSV writer reading the frame): every text column quoted,
    NULL as an empty unquoted field, timestamps to the second (``header``: the first line
    names the columns). ``scan=False``: the caller knows no text holds NUL or a lone
    surrogate (its bytes had no ``\\u0000`` and a strict decoder read them).
    """
    frame = _typed(frame[list(ACTIVITY_COLUMNS)])
    replaced_total = replaced_rows = 0
    if scan:
        frame, replaced_total, replaced_rows = _storable(frame)
    target = Path(path)
    body = target.with_name(target.name + ".body") if header else target
    options = (f"FORMAT csv, HEADER false, DELIMITER '{DELIMITER}', QUOTE '{QUOTE}', "
               f"ESCAPE '{QUOTE}', NULL '', NEW_LINE '\\n', FORCE_QUOTE ({', '.join(_TEXT)})")
    connection = _writer()
    connection.register("frame", frame)
    try:
        # The file name is ours (a temporary or the extract's path); quotes doubled.
        quoted = str(body).replace("'", "''")
        connection.execute(f"COPY (SELECT {_select_list()} FROM frame) TO '{quoted}' ({options})")
    finally:
        connection.unregister("frame")
    if header:
        with open(target, "wb") as out, open(body, "rb") as handle:
            out.write(header_line())
            shutil.copyfileobj(handle, out, 1024 * 1024)
        body.unlink()
    if replaced_total:
        logger.warning(
            "replaced %d NUL or lone-surrogate characters in %d rows with U+FFFD "
            "(no warehouse text column can store them)", replaced_total, replaced_rows,
        )
    return len(frame)


def read_header(path: Path | str) -> list[str]:
    """The column names of an extract file (its first line)."""
    with open(path, encoding=ENCODING, newline="") as handle:
        return next(csv.reader(handle, delimiter=DELIMITER, quotechar=QUOTE), [])


def read_ids(path: Path | str) -> frozenset[int]:
    """The activity ids of an extract file (its first column), read as text, one row at a time."""
    with open(path, encoding=ENCODING, newline="") as handle:
        rows = csv.reader(handle, delimiter=DELIMITER, quotechar=QUOTE)
        header = next(rows, [])
        column = header.index("id") if "id" in header else 0
        return frozenset(int(row[column]) for row in rows
                         if len(row) > column and _INTEGER.fullmatch(row[column]))


def check_header(header: list[str], where: str) -> None:
    """Fail clearly when an extract's columns are not the production table's, in order."""
    expected = list(ACTIVITY_COLUMNS)
    if header != expected:
        missing = [name for name in expected if name not in header]
        extra = [name for name in header if name not in expected]
        raise ValueError(
            f"{where} does not have the columns of strava_activity_data "
            f"(missing {missing or 'none'}, unexpected {extra or 'none'}, or out of order): "
            "delete it so that ExtractActivities writes it again"
        )


_INTEGER = re.compile(r"-?\d+")
_TIMESTAMP = re.compile(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}")


def _field_problem(text: str, dtype: str) -> str | None:
    """Why ``text`` is not a value of the column type ``dtype`` (None when it is)."""
    if "\x00" in text:
        return "holds a NUL character"
    if text == "" or dtype == "string":
        return None
    if dtype == "Int64" and not _INTEGER.fullmatch(text):
        return f"{text[:40]!r} is not an integer"
    if dtype == "Float64":
        try:
            float(text)
        except ValueError:
            return f"{text[:40]!r} is not a number"
    if dtype == "boolean" and text not in {"true", "false"}:
        return f"{text[:40]!r} is not true or false"
    if dtype.startswith("datetime") and not _TIMESTAMP.fullmatch(text):
        return f"{text[:40]!r} is not a YYYY-MM-DD HH:MM:SS time"
    return None


def find_problem(path: Path | str) -> str | None:
    """The first place an extract file breaks the dialect, as 'line L, column C (name): why',
    or None when every line reads as the production table's columns."""
    expected = list(ACTIVITY_COLUMNS)
    dtypes = list(ACTIVITY_COLUMNS.values())
    try:
        with open(path, encoding=ENCODING, newline="") as handle:
            reader = csv.reader(handle, delimiter=DELIMITER, quotechar=QUOTE, strict=True)
            line = 1
            for number, record in enumerate(reader):
                if number == 0:
                    if record != expected:
                        return "line 1: the header is not the columns of strava_activity_data"
                else:
                    if len(record) != len(expected):
                        last = expected[min(len(record), len(expected)) - 1]
                        return (f"line {line}, column {len(record)} ({last}): the record has "
                                f"{len(record)} fields instead of {len(expected)} (an unquoted "
                                "line break or delimiter?)")
                    for index, (text, dtype) in enumerate(zip(record, dtypes, strict=True)):
                        problem = _field_problem(text, dtype)
                        if problem:
                            return f"line {line}, column {index + 1} ({expected[index]}): {problem}"
                line = reader.line_num + 1
    except UnicodeDecodeError as error:
        return f"byte {error.start}: not UTF-8 ({error.reason})"
    except csv.Error as error:
        return f"line {line}: {error}"
    return None
