"""The extract file: whatever Strava sends round-trips through the file and every warehouse.

Every text value is quoted (a lone carriage return once stopped every run); NUL and lone
surrogates, which no warehouse text column can hold, become U+FFFD by one rule in every
warehouse; a file a warehouse cannot read is quarantined with its line and column named.
"""

from __future__ import annotations

import csv
from datetime import datetime, timezone
from pathlib import Path

import pytest
from hypothesis import strategies as st

from pipeline import activity_csv
from pipeline.backends import open_lake, open_warehouse
from pipeline.backends.redshift_warehouse import RedshiftWarehouse
from pipeline.strava.activities import activities_frame
from tests.support.backends import (  # noqa: F401 - fixtures
    fixture_pg_database,
    pg_url,
    postgres_database,
)

KEY = "strava/activities/2026-11-29/activities.csv"


STAGING = "staging_strava_activity_data_20261129"


EXTRACTED_AT = datetime(2026, 11, 30, 6, tzinfo=timezone.utc)


HOSTILE = [
    "Old Mac\rline", "\r", "ends with CR\r", "\rstarts with CR", "cr\r\nlf", "lf\nonly", "\n",
    "a|b", "|", '"', '""', 'q"uote', 'trailing quote"', "tab\tx", "\t", "back\\slash", "\\",
    "ends with backslash\\", '\\"', "\\N", "NULL", "None", "nan", " ", "  padded  ",
    "nul\x00inside", "\x00", "lone surrogate \ud83d here", "\udfff", "🏃\u200d♀️🔥",
    "line\u2028separator", "next\u0085line", "\ufeffbom", "esc\x1b[31m", "vt\x0bff\x0c",
    "晨跑 東京 마라톤", "Robert'); DROP TABLE x;--", "x" * 2000,
]


SPECIAL_CHARACTERS = ["\r", "\n", "\t", "|", '"', "\\", "\x00", "\\N", ",", "'", " ", "\ufffd"]


def stored(name: str) -> str | None:
    """What a warehouse holds for a name: '' is NULL, NUL and lone surrogates are U+FFFD."""
    return activity_csv.storable_text(name)[0] if name else None


def write_names(names: list[str], path: Path) -> None:
    activities = [{"id": 11_000_000_000 + i, "athlete": {"id": 9}, "name": name,
                   "start_date": "2026-11-20T10:00:00Z",
                   "start_date_local": "2026-11-20T05:00:00Z", "sport_type": "Run",
                   "kudos_count": i} for i, name in enumerate(names)]
    activity_csv.write_activities_csv(activities_frame(activities, EXTRACTED_AT), path)


def load_names(warehouse_url: str, names: list[str], folder: Path) -> list[str | None]:
    """Names written to an extract file, loaded into staging, read back in order."""
    path = folder / "activities.csv"
    write_names(names, path)
    lake = open_lake(f"file://{folder}/lake")
    lake.put_file(path, KEY)
    warehouse = open_warehouse(warehouse_url)
    assert warehouse.load_staging(lake, KEY, STAGING, "CopyToStaging(2026-11-29)") == len(names)
    return [row[0] for row in warehouse.query(f"SELECT name FROM {STAGING} ORDER BY id")]


def test_every_text_value_is_quoted_and_reads_back_as_written(tmp_path: Path) -> None:
    path = tmp_path / "activities.csv"
    write_names(HOSTILE, path)
    with open(path, encoding="utf-8", newline="") as handle:
        records = list(csv.reader(handle, delimiter="|", quotechar='"', strict=True))
    assert [record[2] for record in records[1:]] == [stored(name) for name in HOSTILE]
    raw = path.read_bytes()
    assert b"\x00" not in raw
    assert raw.count(b'|"Old Mac\rline"|') == 1  # the lone CR sits inside quotes
    assert activity_csv.find_problem(path) is None


def test_nul_and_lone_surrogates_are_replaced_counted_and_logged(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    assert activity_csv.storable_text("a\x00b\ud800c\x00") == ("a\ufffdb\ufffdc\ufffd", 3)
    with caplog.at_level("WARNING", logger="pipeline.activity_csv"):
        write_names(["clean", "nul\x00inside", "\x00\x00"], tmp_path / "a.csv")
    assert "replaced 3 NUL or lone-surrogate characters in 2 rows with U+FFFD" in caplog.text
    # Lone surrogates are already replaced (and counted) by the parser, before the file.
    frame = activities_frame([{"id": 1, "athlete": {"id": 9}, "name": "\x00\udfff",
                               "start_date": "2026-11-20T10:00:00Z",
                               "start_date_local": "2026-11-20T05:00:00Z"}], EXTRACTED_AT)
    assert frame["name"].tolist() == ["\x00\ufffd"]


def test_hostile_names_round_trip_through_duckdb(tmp_path: Path) -> None:
    loaded = load_names(f"duckdb:///{tmp_path}/w.duckdb", HOSTILE, tmp_path)
    assert loaded == [stored(name) for name in HOSTILE]


def test_redshift_reads_the_same_quoted_csv(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REDSHIFT_IAM_ROLE", "arn:aws:iam::123456789012:role/loader")
    monkeypatch.setenv("LAKE_URL", "s3://bucket/lake")
    warehouse = open_warehouse("redshift://u:p@example.com:5439/db")
    assert isinstance(warehouse, RedshiftWarehouse)
    statement = warehouse.copy_from_s3_statement("s3://bucket/lake/" + KEY, STAGING)
    # CSV mode: quoted fields may hold the delimiter, quotes (doubled), CR and LF; backslash is
    # plain text; only an empty unquoted field is NULL, so a quoted '\N' stays text.
    assert "FORMAT AS CSV DELIMITER AS '|' QUOTE AS '\"'" in statement
    assert "NULL AS ''" in statement
    for altering in ("ACCEPTINVCHARS", "ESCAPE", "REMOVEQUOTES", "BLANKSASNULL", "TRIMBLANKS",
                     "MAXERROR", "FILLRECORD"):
        assert altering not in statement
    # The one Redshift-only rule (docs/reliability.md): a text over VARCHAR(65535) bytes is cut.
    assert "TRUNCATECOLUMNS" in statement


# Names mixing any code point (surrogates included) with delimiters, quotes, CR, LF, tab,
# backslash, NUL and '\N'.
any_name = st.lists(
    st.one_of(st.characters(exclude_categories=()), st.sampled_from(SPECIAL_CHARACTERS)),
    max_size=24,
).map("".join)


names = st.lists(st.one_of(any_name, st.sampled_from(HOSTILE[:-1])), min_size=1, max_size=12)
