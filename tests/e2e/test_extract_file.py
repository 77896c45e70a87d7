"""The extract file: whatever Strava sends round-trips through the file and every warehouse.

Every text value is quoted (a lone carriage return once stopped every run); NUL and lone
surrogates, which no warehouse text column can hold, become U+FFFD by one rule in every
warehouse; a file a warehouse cannot read is quarantined with its line and column named.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline import activity_csv
from pipeline.backends import open_lake, open_warehouse
from pipeline.strava.activities import activities_frame
from pipeline.tasks import CopyToStaging, UploadToLake
from pipeline.tasks.staging import UnreadableExtract
from tests.conftest import RUN_DATE, PipelineWorld, succeeded
from tests.support.backends import (  # noqa: F401 - fixtures
    fixture_pg_database,
    pg_url,
    postgres_database,
)
from tests.support.helpers import production_rows

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


def test_hostile_names_round_trip_through_postgresql(pg_database: str, tmp_path: Path) -> None:
    loaded = load_names(pg_url(pg_database), HOSTILE, tmp_path)
    assert loaded == [stored(name) for name in HOSTILE]


# Names mixing any code point (surrogates included) with delimiters, quotes, CR, LF, tab,
# backslash, NUL and '\N'.
any_name = st.lists(
    st.one_of(st.characters(exclude_categories=()), st.sampled_from(SPECIAL_CHARACTERS)),
    max_size=24,
).map("".join)


names = st.lists(st.one_of(any_name, st.sampled_from(HOSTILE[:-1])), min_size=1, max_size=12)


@pytest.fixture(scope="module")
def warehouses(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    """One DuckDB file and (when the server is up) one PostgreSQL database for the property."""
    folder = tmp_path_factory.mktemp("property")
    with postgres_database() as database:
        yield {"duckdb": f"duckdb:///{folder}/w.duckdb", "postgres": pg_url(database)}


@settings(max_examples=25, deadline=None)
@given(names=names)
def test_any_name_round_trips_through_the_file_duckdb_and_postgresql(
    warehouses: dict[str, str], tmp_path_factory: pytest.TempPathFactory, names: list[str]
) -> None:
    expected = [stored(name) for name in names]
    for backend, url in warehouses.items():
        assert load_names(url, names, tmp_path_factory.mktemp(backend)) == expected, backend


def test_hostile_names_land_alike_in_duckdb_and_postgresql_through_the_whole_pipeline(
    world_factory, athlete, fake_clock, pg_database: str, tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Lone surrogates stay out: the sandbox cannot send them (the file tests above cover them).
    hostile = [name for name in HOSTILE if not any("\ud800" <= c <= "\udfff" for c in name)]
    renamed = {}
    for activity, name in zip(athlete.activities[-len(hostile):], hostile, strict=True):
        athlete.update_activity(activity["id"], name=name)
        renamed[activity["id"]] = stored(name)
    names = {}
    for backend, url in (("duckdb", f"duckdb:///{tmp_path}/w.duckdb"),
                         ("postgres", pg_url(pg_database))):
        monkeypatch.setenv("WAREHOUSE_URL", url)
        world = world_factory(athlete, clock=fake_clock, data_dir=tmp_path / backend)
        assert succeeded(world.run_weekly(RUN_DATE)), backend
        rows = open_warehouse(url).query("SELECT id, name FROM strava_activity_data")
        names[backend] = {row[0]: row[1] for row in rows if row[0] in renamed}
    assert names["duckdb"] == renamed
    assert names["postgres"] == renamed


def break_third_line(path: Path) -> None:
    """Write the second activity's name bare, with a lone CR (as the old writer did)."""
    lines = path.read_bytes().split(b"\n")
    fields = lines[2].split(b"|")
    fields[2] = b"Old Mac\rline"
    lines[2] = b"|".join(fields)
    path.write_bytes(b"\n".join(lines))


def test_an_unreadable_extract_names_line_and_column_and_the_rerun_extracts_afresh(
    world: PipelineWorld,
) -> None:
    assert succeeded(world.build(UploadToLake(run_date=RUN_DATE)))
    extract = world.data_dir / "extract" / RUN_DATE.isoformat() / "activities.csv"
    lake_object = world.data_dir / "lake" / KEY
    for path in (extract, lake_object):
        break_third_line(path)

    with pytest.raises(UnreadableExtract) as failure:
        CopyToStaging(run_date=RUN_DATE).run()
    message = str(failure.value)
    assert message.startswith(
        "the extract of run date 2026-11-29 cannot be loaded: line 3, column 3 (name):")
    assert "\n" not in message and "extracts afresh" in message
    assert not extract.exists() and not lake_object.exists()
    quarantined = list((world.data_dir / "quarantine").rglob("activities.csv"))
    assert len(quarantined) == 1 and b"Old Mac\rline" in quarantined[0].read_bytes()

    world.sandbox.reset_log()
    assert succeeded(world.run_weekly())
    assert world.sandbox.count("/athlete/activities") > 0  # asked Strava again
    assert len(production_rows(world.data_dir)) == len(world.athlete.activities)
