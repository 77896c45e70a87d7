"""Baseline (c): the pipeline's staging load (bulk COPY, then merge) against a row-by-row
``executemany`` INSERT of the same rows, on DuckDB and PostgreSQL.

The rows are the synthetic athlete's, written in the extract dialect; beyond the athlete's size
they are repeated with fresh ids, so a 1,000,000-row load needs no 1,000,000-activity athlete.
"""

from __future__ import annotations

import csv
import secrets
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from pipeline import activity_csv
from pipeline.backends.lake import LocalLake
from pipeline.backends.warehouse import Warehouse
from pipeline.sql_files import quote_literal, staging_table_name
from pipeline.strava.activities import ACTIVITY_COLUMNS, activities_frame

BASE_ACTIVITIES = 5_000
ID_STRIDE = 10**12  # each repetition of the base rows gets ids this much higher


def write_rows(path: Path, n_rows: int, seed: int = 11) -> Path:
    """An extract file of ``n_rows`` realistic activities (repeated with new ids as needed)."""
    from pipeline.sandbox import SyntheticAthlete

    athlete = SyntheticAthlete(seed, min(n_rows, BASE_ACTIVITIES))
    base = path.with_suffix(".base.csv")
    activity_csv.write_activities_csv(
        activities_frame(athlete.activities, datetime.now(timezone.utc)), base
    )
    dialect = {"delimiter": activity_csv.DELIMITER, "quotechar": activity_csv.QUOTE}
    with open(base, encoding="utf-8", newline="") as handle:
        header, *records = list(csv.reader(handle, **dialect))
    with open(path, "w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n", **dialect)
        writer.writerow(header)
        for written in range(n_rows):
            record = list(records[written % len(records)])
            record[0] = str(int(record[0]) + (written // len(records)) * ID_STRIDE)
            writer.writerow(record)
    base.unlink()
    return path


_PARSERS: dict[str, Callable[[str], Any]] = {
    "Int64": int, "Float64": float, "string": str, "boolean": lambda text: text == "true",
    "datetime64[us]": datetime.fromisoformat,
}


def typed_rows(path: Path, limit: int) -> list[tuple]:
    """The first ``limit`` rows of an extract file as typed Python values (NULL for empty)."""
    parsers = [_PARSERS[dtype] for dtype in ACTIVITY_COLUMNS.values()]
    rows = []
    with open(path, encoding="utf-8", newline="") as handle:
        reader = csv.reader(handle, delimiter=activity_csv.DELIMITER,
                            quotechar=activity_csv.QUOTE)
        next(reader)
        for record in reader:
            rows.append(tuple(None if text == "" else parse(text)
                              for parse, text in zip(parsers, record, strict=True)))
            if len(rows) == limit:
                break
    return rows


def staging_load(warehouse: Warehouse, lake_root: Path, extract: Path) -> tuple[int, float]:
    """The pipeline's own path: COPY into a fresh staging table, merge into production."""
    lake = LocalLake(lake_root.as_uri(), lake_root)
    key = "bench/activities.csv"
    lake.put_file(extract, key)
    staging = staging_table_name("20261129")
    started = time.perf_counter()
    rows = warehouse.load_staging(lake, key, staging, "bench_staging")
    warehouse.merge_staging(staging, "bench_production")
    return rows, time.perf_counter() - started


_DUCKDB_CSV = {"delim": activity_csv.DELIMITER, "quote": activity_csv.QUOTE,
               "escape": activity_csv.QUOTE}


def engine_ingest(warehouse: Warehouse, extract: Path) -> float:
    """Seconds of the engine's own ingest of the same file, nothing else (the limit a load can
    approach, issue 23): DuckDB's ``CREATE TABLE AS SELECT * FROM read_csv(...)``, PostgreSQL's
    ``COPY ... FROM STDIN`` into an UNLOGGED table like production."""
    if warehouse.dialect == "duckdb":
        options = ", ".join(f"{name}={quote_literal(value)}"
                            for name, value in _DUCKDB_CSV.items())
        started = time.perf_counter()
        with warehouse.transaction() as session:
            session.execute(f"CREATE TABLE engine_ingest AS SELECT * FROM read_csv("
                            f"{quote_literal(str(extract))}, header=true, {options}, "
                            "nullstr='')")
        return time.perf_counter() - started
    with warehouse.transaction() as session:
        session.execute("CREATE UNLOGGED TABLE engine_ingest (LIKE strava_activity_data)")
    started = time.perf_counter()
    with warehouse.transaction() as session, open(extract, "rb") as handle:
        session.cursor.copy_expert(warehouse.copy_statement("engine_ingest"), handle)
    return time.perf_counter() - started


def without_staging(warehouse: Warehouse, extract: Path) -> tuple[int, float]:
    """Seconds of the same file COPYed straight into an empty production table, with its
    primary key and durable commit but no staging, checks or range rule: what a load would
    cost without the staging step (issue 23), measured to show what that step costs.
    Returns the rows production then holds and the seconds."""
    started = time.perf_counter()
    with warehouse.transaction() as session:
        if warehouse.dialect == "duckdb":
            options = ", ".join(f"{name.upper()} {quote_literal(value)}"
                                for name, value in _DUCKDB_CSV.items())
            session.execute(f"COPY strava_activity_data FROM {quote_literal(str(extract))} "
                            f"(FORMAT csv, HEADER true, {options}, NULLSTR '')")
        else:
            with open(extract, "rb") as handle:
                session.cursor.copy_expert(warehouse.copy_statement("strava_activity_data"),
                                           handle)
    seconds = time.perf_counter() - started
    with warehouse.transaction() as session:
        rows = session.execute("SELECT COUNT(*) FROM strava_activity_data").fetchone()[0]
    return int(rows), seconds


def row_by_row(warehouse: Warehouse, rows: list[tuple]) -> float:
    """``executemany`` INSERT of the rows into production, one transaction, as a naive loader."""
    columns = ", ".join(ACTIVITY_COLUMNS)
    marks = ", ".join(["%s" if warehouse.paramstyle == "pyformat" else "?"] * len(ACTIVITY_COLUMNS))
    started = time.perf_counter()
    with warehouse.transaction() as session:
        session.cursor.executemany(
            f"INSERT INTO strava_activity_data ({columns}) VALUES ({marks})", rows
        )
    return time.perf_counter() - started


def compare(make_warehouse: Callable[[], Warehouse], work: Path, extract: Path,
            sample: int) -> dict[str, Any]:
    """rows/s of the staging path for the whole file, of row-by-row for ``sample`` rows."""
    warehouse = make_warehouse()
    warehouse.ensure_schema()
    engine_seconds = engine_ingest(warehouse, extract)  # same file, same run, same database
    rows, seconds = staging_load(warehouse, work / f"lake-{secrets.token_hex(3)}", extract)
    direct = make_warehouse()
    direct.ensure_schema()
    direct_rows, direct_seconds = without_staging(direct, extract)
    sample_rows = typed_rows(extract, sample)
    naive = make_warehouse()
    naive.ensure_schema()
    with naive.transaction() as session:
        session.execute("DELETE FROM strava_activity_data")
    naive_seconds = row_by_row(naive, sample_rows)
    staging_rate = rows / seconds
    naive_rate = len(sample_rows) / naive_seconds
    return {"rows": rows, "staging_seconds": seconds, "staging_rows_per_s": staging_rate,
            "row_by_row_rows": len(sample_rows), "row_by_row_seconds": naive_seconds,
            "row_by_row_rows_per_s": naive_rate, "ratio": staging_rate / naive_rate,
            "engine_seconds": engine_seconds, "engine_rows_per_s": rows / engine_seconds,
            "engine_fraction": engine_seconds / seconds,
            "without_staging_rows": direct_rows, "without_staging_seconds": direct_seconds,
            "without_staging_fraction": engine_seconds / direct_seconds}


@contextmanager
def postgres_database(host: str = "127.0.0.1", port: int = 5432,
                      user: str = "postgres") -> Iterator[str]:
    """A throwaway PostgreSQL database (random name, dropped afterwards); yields its URL."""
    import psycopg2

    name = f"strava_bench_{secrets.token_hex(4)}"

    def admin(sql: str) -> None:
        connection = psycopg2.connect(host=host, port=port, user=user, dbname="postgres")
        connection.autocommit = True
        try:
            with connection.cursor() as cursor:
                cursor.execute(sql)
        finally:
            connection.close()

    admin(f"CREATE DATABASE {name} ENCODING 'UTF8' TEMPLATE template0")
    try:
        yield f"postgresql://{user}@{host}:{port}/{name}"
    finally:
        admin(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
