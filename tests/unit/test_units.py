"""Small pieces on their own: CSV dialect, settings precedence, URLs, SQL files, token store."""

from __future__ import annotations

import stat
from datetime import date, datetime, timezone
from pathlib import Path

import duckdb
import pytest

from pipeline import activity_csv
from pipeline.backends import open_lake, open_state, open_warehouse
from pipeline.backends.urls import mask_url
from pipeline.settings import ConfigurationError, load_settings
from pipeline.sql_files import check_identifier, to_paramstyle
from pipeline.strava.activities import ACTIVITY_COLUMNS, activities_frame, iana_timezone
from pipeline.strava.ratelimit import next_quarter_hour, next_utc_midnight, read_budget
from pipeline.strava.tokens import Tokens, TokenStore

HOSTILE = ['a|b', 'line\nbreak', 'cr\r\nlf', 'q"uote', 'back\\slash', 'tab\tx', '🏃‍♀️🔥😀',
           ' padded ', 'NULL', '\\N', 'None', 'nan', "Robert'); DROP TABLE x;--"]


def activity(i: int, name: str | None) -> dict:
    return {"id": 11_000_000_000 + i, "athlete": {"id": 9}, "name": name,
            "start_date": "2026-11-20T10:00:00Z", "start_date_local": "2026-11-20T05:00:00Z",
            "sport_type": "Run", "kudos_count": i, "max_heartrate": 165.0,
            "start_latlng": [], "map": {"summary_polyline": ""}}


def test_hostile_names_round_trip_through_duckdb_copy(tmp_path: Path) -> None:
    frame = activities_frame([activity(i, n) for i, n in enumerate(HOSTILE)],
                             datetime(2026, 11, 29, tzinfo=timezone.utc))
    path = tmp_path / "a.csv"
    activity_csv.write_activities_csv(frame, path)
    lake = open_lake(f"file://{tmp_path}/lake")
    lake.put_file(path, "k/a.csv")
    warehouse = open_warehouse(f"duckdb:///{tmp_path}/w.duckdb")
    warehouse.ensure_schema()
    assert warehouse.load_staging(lake, "k/a.csv", "staging_strava_activity_data_20261129",
                                  "CopyToStaging(2026-11-29)") == len(HOSTILE)
    rows = warehouse.query(
        "SELECT name, kudos_count, summary_polyline, lat FROM staging_strava_activity_data_20261129"
        " ORDER BY id")
    assert [row[0] for row in rows] == HOSTILE
    assert [row[1] for row in rows] == list(range(len(HOSTILE)))
    assert all(row[2] is None and row[3] is None for row in rows)


def test_missing_null_and_empty_become_null_and_ints_stay_ints() -> None:
    frame = activities_frame([activity(1, ""), {**activity(2, "x"), "kudos_count": None}],
                             datetime(2026, 11, 29, tzinfo=timezone.utc))
    assert frame["name"].isna().tolist() == [True, False]
    assert str(frame["kudos_count"].dtype) == "Int64"
    assert frame["kudos_count"].isna().tolist() == [False, True]
    assert frame["average_heartrate"].isna().all()


def test_duplicate_ids_keep_the_later_copy() -> None:
    first, second = activity(1, "old"), {**activity(1, "new"), "kudos_count": 5}
    frame = activities_frame([first, second], datetime(2026, 11, 29, tzinfo=timezone.utc))
    assert frame["name"].tolist() == ["new"] and frame["kudos_count"].tolist() == [5]


def test_timezone_prefix_is_stripped() -> None:
    assert iana_timezone("(GMT-05:00) America/Toronto") == "America/Toronto"
    assert iana_timezone("(GMT+10:00) Australia/Sydney") == "Australia/Sydney"
    assert iana_timezone(None) is None


def test_csv_columns_match_the_production_ddl(tmp_path: Path) -> None:
    open_warehouse(f"duckdb:///{tmp_path}/w.duckdb").ensure_schema()  # every migration
    with duckdb.connect(str(tmp_path / "w.duckdb")) as db:
        names = [r[0] for r in db.execute(
            "SELECT column_name FROM information_schema.columns "
            "WHERE table_name = 'strava_activity_data' ORDER BY ordinal_position").fetchall()]
    assert names == list(ACTIVITY_COLUMNS)


def test_wrong_header_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match="delete it so that ExtractActivities"):
        activity_csv.check_header(["id", "name"], "x.csv")


def test_environment_beats_luigi_cfg_beats_defaults(monkeypatch, tmp_path: Path) -> None:
    from luigi import configuration

    config = configuration.get_config()
    config.set("strava", "lookback_days", "21")
    config.set("strava", "api_url", "http://cfg/api")
    monkeypatch.setenv("STRAVA_LOOKBACK_DAYS", "3")
    monkeypatch.setenv("DATA_DIR", str(tmp_path / "d"))
    try:
        settings = load_settings()
        assert settings.lookback_days == 3
        assert settings.strava_api_url == "http://cfg/api"
        assert settings.warehouse_url == f"duckdb://{tmp_path}/d/warehouse.duckdb"
        assert settings.lake_url == f"file://{tmp_path}/d/lake"
        monkeypatch.setenv("STRAVA_LOOKBACK_DAYS", "two weeks")
        with pytest.raises(ConfigurationError, match="STRAVA_LOOKBACK_DAYS"):
            load_settings()
    finally:
        config.remove_option("strava", "lookback_days")
        config.remove_option("strava", "api_url")


def test_unknown_backend_scheme_is_a_one_line_error() -> None:
    with pytest.raises(ConfigurationError, match="no warehouse backend for 'oracle://'") as raised:
        open_warehouse("oracle://scott:tiger@db/orcl")
    assert "tiger" not in str(raised.value)


def test_passwords_in_urls_are_masked() -> None:
    text = "postgresql://etl:s3cret@db:5432/w and mysql://root:pw@h/s"
    masked = mask_url(text)
    assert "s3cret" not in masked and "pw@" not in masked and "etl:***@db" in masked


def test_identifiers_come_from_a_fixed_set() -> None:
    assert check_identifier("staging_strava_activity_data_20261129")
    with pytest.raises(ValueError):
        check_identifier("x; DROP TABLE y")
    assert to_paramstyle("a = :x AND b::date = :y", "pyformat") == "a = %(x)s AND b::date = %(y)s"


def test_rate_limit_boundaries() -> None:
    at = datetime(2026, 11, 29, 9, 7, 30, tzinfo=timezone.utc).timestamp()
    assert next_quarter_hour(at) == datetime(2026, 11, 29, 9, 15, tzinfo=timezone.utc).timestamp()
    assert next_utc_midnight(at) == datetime(2026, 11, 30, tzinfo=timezone.utc).timestamp()
    budget = read_budget({"X-RateLimit-Limit": "200,2000", "X-RateLimit-Usage": "5,50"}, at)
    assert (budget.limit_15min, budget.usage_daily) == (200, 50)
    read = read_budget({"X-ReadRateLimit-Limit": "100,1000", "X-ReadRateLimit-Usage": "100,7",
                        "X-RateLimit-Limit": "200,2000", "X-RateLimit-Usage": "5,50"}, at)
    assert read.short_spent and not read.daily_spent


def test_token_store_is_atomic_and_private(tmp_path: Path) -> None:
    store = TokenStore(tmp_path / "t.json")
    assert store.load() is None
    store.save(Tokens("r1", "a1", 100))
    store.save(Tokens("r2", "a2", 200))
    assert store.load() == Tokens("r2", "a2", 200)
    assert stat.S_IMODE((tmp_path / "t.json").stat().st_mode) == 0o600
    assert list(tmp_path.iterdir()) == [tmp_path / "t.json"]
    assert "r2" not in repr(store.load())


def test_state_store_reads_the_newest_watermark_before_a_date(tmp_path: Path) -> None:
    state = open_state(f"sqlite:///{tmp_path}/s.db")
    state.record_watermark(date(2026, 11, 22), datetime(2026, 11, 21, 8))
    state.record_watermark(date(2026, 11, 29), datetime(2026, 11, 28, 8))
    assert state.watermark_before(date(2026, 11, 29)) == datetime(2026, 11, 21, 8)
    assert state.watermark_before(date(2026, 12, 6)) == datetime(2026, 11, 28, 8)
    assert state.watermark_before(date(2026, 11, 22)) is None
    assert state.has_watermark(date(2026, 11, 29)) and not state.has_watermark(date(2026, 12, 6))


def test_a_failed_write_leaves_neither_target_nor_temp_file(tmp_path: Path) -> None:
    import luigi

    from pipeline.backends.lake import atomic_local_path

    target = luigi.LocalTarget(str(tmp_path / "out" / "activities.csv"))
    with pytest.raises(RuntimeError), atomic_local_path(target) as temporary:
        Path(temporary).write_text("half a file")
        raise RuntimeError("crash while writing")
    assert not target.exists()
    assert list((tmp_path / "out").iterdir()) == []


def test_slack_text_never_carries_a_database_password(monkeypatch) -> None:
    from pipeline.notify import redact

    monkeypatch.setenv("WAREHOUSE_URL", "postgresql://etl:hunter2-pw@db:5432/w")
    monkeypatch.setenv("STATE_URL", "mysql://root:st%40te-pw@db/s")
    text = redact('FATAL: password authentication failed (password "hunter2-pw", "st@te-pw")',
                  load_settings())
    assert "hunter2-pw" not in text and "st@te-pw" not in text
