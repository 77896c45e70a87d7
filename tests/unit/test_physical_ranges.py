"""The physical ranges have one source, sql/fragments/physical_ranges.csv, included where SQL asks
for it: on DuckDB and PostgreSQL the merge keeps every bound and stores every value beyond one
(NaN too) as NULL, and the warn check counts exactly the rows that hold such a value."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipeline import sql_files
from pipeline.sql_files import physical_ranges, render
from pipeline.strava.activities import ACTIVITY_COLUMNS
from tests.support.backends import fixture_warehouse  # noqa: F401 - fixture


def test_every_range_is_a_numeric_production_column() -> None:
    assert physical_ranges()
    for measure in physical_ranges():
        assert ACTIVITY_COLUMNS.get(measure.column) in {"Int64", "Float64"}, measure.column


@pytest.mark.parametrize(("text", "message"), [
    ("low,high\ndistance,0,1\n", r"physical_ranges.csv: the first line that is no comment must "
                                 r"be column,low,high,why$"),
    ("# c\ncolumn,low,high,why\ndistance,0,1e7,m\n",
     r"physical_ranges.csv line 3: distance needs two decimal numbers, low <= high$"),
    ("column,low,high,why\nlat,90,-90,degrees\n",
     r"physical_ranges.csv line 2: lat needs two decimal numbers, low <= high$"),
    ("column,low,high,why\nlat,-90,90,x\nlat,-90,90,x\n",
     r"physical_ranges.csv line 3: 'lat' is no new column name$"),
    ("column,low,high,why\nlat; DROP TABLE x,-90,90,x\n",
     r"physical_ranges.csv line 2: 'lat; DROP TABLE x' is no new column name$"),
])
def test_a_wrong_ranges_file_is_one_clear_line(text: str, message: str, tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    wrong = tmp_path / "fragments" / "physical_ranges.csv"
    wrong.parent.mkdir()
    wrong.write_text(text, encoding="utf-8")
    monkeypatch.setattr(sql_files, "PHYSICAL_RANGES_FILE", wrong)
    physical_ranges.cache_clear()
    try:
        with pytest.raises(ValueError, match=message):
            render("SELECT 1 WHERE {{ fragment('outside_physical_ranges') }}")
    finally:
        physical_ranges.cache_clear()


def test_an_unknown_fragment_names_the_file_to_add() -> None:
    with pytest.raises(KeyError, match=r"SQL fragment 'nowhere' does not exist: add "
                                       r"sql/fragments/nowhere.sql"):
        render("SELECT * FROM ({{ fragment('nowhere') }}) AS x")
