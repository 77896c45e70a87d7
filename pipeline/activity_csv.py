"""The extract file format: the one CSV dialect that DuckDB, PostgreSQL and Redshift COPY all read.

Pipe-delimited, UTF-8, a header row, '\\n' line ends, fields quoted with '"' only when they hold
the delimiter, a quote or a line break, and a quote inside a field doubled. NULL is an empty
unquoted field; the parser turns empty strings into NULL, so no field is ever an empty quoted
string. Backslashes are plain characters (CSV mode has no backslash escapes).
"""

from __future__ import annotations

import csv
import math
from pathlib import Path
from typing import Any

import pandas as pd

from pipeline.strava.activities import ACTIVITY_COLUMNS

DELIMITER = "|"
QUOTE = '"'
ENCODING = "utf-8"


def _csv_value(value: Any) -> Any:
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, pd.Timestamp):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, float) and math.isnan(value):
        return None
    return value


def write_activities_csv(frame: pd.DataFrame, path: Path | str) -> int:
    """Write the typed frame to ``path`` in the extract dialect; return the number of rows."""
    columns = list(ACTIVITY_COLUMNS)
    with open(path, "w", encoding=ENCODING, newline="") as handle:
        writer = csv.writer(
            handle,
            delimiter=DELIMITER,
            quotechar=QUOTE,
            doublequote=True,
            quoting=csv.QUOTE_MINIMAL,
            lineterminator="\n",
        )
        writer.writerow(columns)
        for record in frame[columns].astype(object).itertuples(index=False, name=None):
            writer.writerow([_csv_value(value) for value in record])
    return len(frame)


def read_header(path: Path | str) -> list[str]:
    """The column names of an extract file (its first line)."""
    with open(path, encoding=ENCODING, newline="") as handle:
        return next(csv.reader(handle, delimiter=DELIMITER, quotechar=QUOTE), [])


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
