"""The kudos model's data fingerprint on DuckDB (sql/kudos/fingerprint.duckdb.sql, issue 23):
the same rows give the same fingerprint in any order; any changed value of a column the model
reads, an added or a removed row changes it; the counts equal the shared MD5 file's."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from pipeline.backends.duckdb_warehouse import DuckDBWarehouse
from pipeline.backends.warehouse import Warehouse
from pipeline.kudos.features import SOURCE_COLUMNS
from pipeline.kudos.tables import Fingerprint, production_fingerprint
from pipeline.sandbox import HOSTILE_NAMES
from pipeline.sql_files import read_sql

LOCAL_END = datetime(2026, 11, 30)
SETTLED_END = datetime(2026, 11, 23)


def _rows() -> list[dict[str, Any]]:
    rows = []
    for index in range(6):
        rows.append({
            "id": 7_000_000_000 + index, "athlete_id": 42 + index % 2,
            "distance": 5000.5 + index, "moving_time": 1800 + index,
            "total_elevation_gain": 12.5 + index, "sport_type": ("Run", "Ride")[index % 2],
            "workout_type": index % 3, "start_date": datetime(2026, 11, 3 + index, 6, 30),
            "start_date_local": datetime(2026, 11, 3 + index, 7, 30),
            "achievement_count": index, "kudos_count": index + 1, "athlete_count": 1,
            "pr_count": index % 2, "trainer": index % 2 == 0, "commute": index % 3 == 0,
            "visibility": "everyone", "private": False, "name": HOSTILE_NAMES[index],
            "total_photo_count": index,
        })
    rows[5].update({column: None for column in SOURCE_COLUMNS if column != "id"})
    rows[5]["start_date_local"] = datetime(2026, 11, 20, 8)
    return rows


def _warehouse(folder: Path, rows: list[dict[str, Any]]) -> DuckDBWarehouse:
    path = folder / "warehouse.duckdb"
    warehouse = DuckDBWarehouse(f"duckdb:///{path}", path)
    warehouse.ensure_schema()
    columns = list(SOURCE_COLUMNS)
    with warehouse.transaction() as session:
        for row in rows:
            session.execute(f"INSERT INTO strava_activity_data ({', '.join(columns)}) VALUES ("
                            + ", ".join(f":{column}" for column in columns) + ")", row)
    return warehouse


def _fingerprint(warehouse: Warehouse) -> Fingerprint:
    return production_fingerprint(warehouse, LOCAL_END, SETTLED_END)


def _set(warehouse: Warehouse, column: str, value: Any, row_id: int) -> None:
    with warehouse.transaction() as session:
        session.execute(f"UPDATE strava_activity_data SET {column} = :value WHERE id = :id",
                        {"value": value, "id": row_id})


def test_same_rows_in_another_order_give_the_same_fingerprint(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    forward = _fingerprint(_warehouse(tmp_path / "a", _rows()))
    backward = _fingerprint(_warehouse(tmp_path / "b", _rows()[::-1]))
    assert forward == backward
    assert forward.digest.startswith("duckdb-hash:6:")
    assert (forward.activities, forward.labelled) == (6, 5)


def test_any_changed_value_an_added_or_removed_row_changes_it(tmp_path: Path) -> None:
    warehouse = _warehouse(tmp_path, _rows())
    first = _fingerprint(warehouse)
    seen = {first.digest}
    row_id = 7_000_000_001
    for column in SOURCE_COLUMNS:
        if column == "id":
            continue
        (old,) = warehouse.query(f"SELECT {column} FROM strava_activity_data WHERE id = :id",
                                 {"id": row_id})[0]
        for value in (None, old):  # value -> NULL, then back
            _set(warehouse, column, value, row_id)
            digest = _fingerprint(warehouse).digest
            if value is None:
                assert digest not in seen, f"{column} set to NULL left the fingerprint as it was"
                seen.add(digest)
        assert _fingerprint(warehouse) == first, column
    # A NULL that gets a value; a value that changes; a changed id.
    for column, value in (("name", "Morning Run"), ("distance", 5000.25),
                          ("trainer", True), ("start_date", datetime(2026, 11, 21, 7))):
        _set(warehouse, column, value, 7_000_000_005)
        assert _fingerprint(warehouse).digest not in seen, column
        seen.add(_fingerprint(warehouse).digest)
    with warehouse.transaction() as session:
        session.execute("UPDATE strava_activity_data SET id = 7000000099 WHERE id = :id",
                        {"id": row_id})
    assert _fingerprint(warehouse).digest not in seen
    with warehouse.transaction() as session:
        session.execute("DELETE FROM strava_activity_data WHERE id = 7000000099")
    removed = _fingerprint(warehouse)
    assert removed.activities == 5 and removed.digest not in seen


def test_rows_from_the_run_date_on_do_not_count(tmp_path: Path) -> None:
    warehouse = _warehouse(tmp_path, _rows())
    first = _fingerprint(warehouse)
    late = {**_rows()[0], "id": 7_000_000_100, "start_date_local": LOCAL_END}
    columns = list(SOURCE_COLUMNS)
    with warehouse.transaction() as session:
        session.execute(f"INSERT INTO strava_activity_data ({', '.join(columns)}) VALUES ("
                        + ", ".join(f":{column}" for column in columns) + ")", late)
    assert _fingerprint(warehouse) == first


@pytest.mark.parametrize("athlete_id", [0, 42, 43])
def test_counts_equal_the_shared_md5_files(tmp_path: Path, athlete_id: int) -> None:
    warehouse = _warehouse(tmp_path, _rows())
    own = production_fingerprint(warehouse, LOCAL_END, SETTLED_END, athlete_id)
    shared = warehouse.query(read_sql("kudos/fingerprint.sql").strip().rstrip(";"),
                             {"local_end": LOCAL_END, "settled_end": SETTLED_END,
                              "athlete_id": athlete_id})[0]
    assert (own.activities, own.labelled) == (shared[0], shared[1])
    assert own.digest.startswith(f"duckdb-hash:{shared[0]}:")
