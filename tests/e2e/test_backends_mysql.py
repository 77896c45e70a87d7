"""The MySQL/MariaDB state store against the real server."""

from __future__ import annotations

import logging
import secrets
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import date, datetime

import pymysql
import pytest

from pipeline.backends import open_state
from pipeline.backends.deadlock import DEADLOCK_TRIES
from pipeline.backends.mysql_state import MySQLStateStore, StateStoreError
from pipeline.backends.state import NO_WATERMARK
from pipeline.sandbox import HOSTILE_NAMES
from pipeline.settings import ConfigurationError
from pipeline.sql_files import SQL_DIR, split_statements
from tests.support.backends import (  # noqa: F401 - fixture_mysql_db
    MYSQL_HOST,
    MYSQL_PORT,
    fixture_mysql_db,
    mysql_admin,
    mysql_connections,
    mysql_database,
    mysql_url,
    random_name,
    require_mysql,
)


def column_types(database: str) -> dict[str, str]:
    admin = mysql_admin()
    try:
        with admin.cursor() as cursor:
            cursor.execute("SELECT column_name, column_type FROM information_schema.columns "
                           "WHERE table_schema = %s AND table_name = 'last_extracted'", (database,))
            return {name.lower(): kind.lower() for name, kind in cursor.fetchall()}
    finally:
        admin.close()


def test_table_created_when_missing_with_datetime_and_utf8mb4(mysql_db: str) -> None:
    store = open_state(mysql_url(mysql_db))
    assert isinstance(store, MySQLStateStore)
    assert column_types(mysql_db) == {"run_date": "date", "watermark": "datetime",
                                      "recorded_at": "datetime",
                                      "athlete_id": "bigint(20)"}  # issue 26: per athlete
    admin = mysql_admin()
    with admin.cursor() as cursor:
        cursor.execute("SELECT table_collation FROM information_schema.tables "
                       "WHERE table_schema = %s AND table_name = 'last_extracted'", (mysql_db,))
        assert cursor.fetchone()[0] == "utf8mb4_bin"
    admin.close()
    open_state(mysql_url(mysql_db))  # a second open finds the table and leaves it alone


def test_watermarks_record_replace_and_read_back(mysql_db: str) -> None:
    store = open_state(mysql_url(mysql_db))
    assert store.watermark_before(date(2026, 11, 29)) is None
    assert store.watermark_of(date(2026, 11, 29)) is NO_WATERMARK
    assert not store.has_watermark(date(2026, 11, 29))

    store.record_watermark(date(2026, 11, 22), None)
    store.record_watermark(date(2026, 11, 29), datetime(2026, 11, 22, 6, 30, 15))
    store.record_watermark(date(2026, 11, 29), datetime(2026, 11, 22, 7, 45, 59))
    store.record_watermark(date(2038, 1, 24), datetime(2038, 1, 20, 3, 14, 8))  # past 2038

    assert store.has_watermark(date(2026, 11, 22))
    assert store.watermark_of(date(2026, 11, 22)) is None
    assert store.watermark_before(date(2026, 11, 29)) is None
    assert store.watermark_before(date(2026, 11, 30)) == datetime(2026, 11, 22, 7, 45, 59)
    assert store.watermark_before(date(2040, 1, 1)) == datetime(2038, 1, 20, 3, 14, 8)
    history = store.history()
    assert [(row[0], row[1]) for row in history] == [
        (date(2026, 11, 22), None),
        (date(2026, 11, 29), datetime(2026, 11, 22, 7, 45, 59)),
        (date(2038, 1, 24), datetime(2038, 1, 20, 3, 14, 8)),
    ]
    assert all(isinstance(row[2], datetime) for row in history)
    assert mysql_connections(mysql_db) == 0


def test_connection_keeps_4_byte_characters_byte_for_byte(mysql_db: str) -> None:
    store = MySQLStateStore(mysql_url(mysql_db))
    connection = store._connect()
    try:
        with connection.cursor() as cursor:
            cursor.execute("CREATE TABLE names (id INT PRIMARY KEY, name VARCHAR(255)) "
                           "DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin")
            cursor.executemany("INSERT INTO names VALUES (%s, %s)", list(enumerate(HOSTILE_NAMES)))
            connection.commit()
            cursor.execute("SELECT name FROM names ORDER BY id")
            stored = [row[0] for row in cursor.fetchall()]
            cursor.execute("SELECT HEX(name) FROM names ORDER BY id")
            hexed = [row[0] for row in cursor.fetchall()]
    finally:
        connection.close()
    assert stored == HOSTILE_NAMES
    assert hexed == [name.encode("utf-8").hex().upper() for name in HOSTILE_NAMES]


def test_unreachable_or_refused_server_fails_in_one_masked_line(mysql_db: str) -> None:
    with pytest.raises(StateStoreError) as error:
        open_state(f"mysql://pipeline:pw-closed-port@127.0.0.1:1/{mysql_db}")
    message = str(error.value)
    assert message.startswith("cannot connect to the state store mysql://pipeline:***@127.0.0.1:1/")
    assert "pw-closed-port" not in message and error.value.__suppress_context__

    with pytest.raises(StateStoreError) as error:
        open_state(f"mysql://root:wrong-root-pw@{MYSQL_HOST}:{MYSQL_PORT}/{mysql_db}")
    assert "Access denied" in str(error.value)
    assert "wrong-root-pw" not in str(error.value)

    with pytest.raises(ConfigurationError, match="names no database"):
        open_state("mysql://root:pw@127.0.0.1:3306/")


def test_connection_killed_mid_transaction_writes_nothing(
    mysql_db: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """KILL from a second connection between the DELETE and the INSERT of a replacement."""
    store = MySQLStateStore(mysql_url(mysql_db))
    store.record_watermark(date(2026, 11, 29), datetime(2026, 11, 22, 6, 0))
    original = pymysql.cursors.Cursor.execute

    def kill_before_insert(cursor, query, args=None):
        if query.startswith("INSERT INTO last_extracted"):
            admin = mysql_admin()
            with admin.cursor() as other:
                other.execute(f"KILL {cursor.connection.thread_id()}")
            admin.close()
        return original(cursor, query, args)

    monkeypatch.setattr(pymysql.cursors.Cursor, "execute", kill_before_insert)
    with pytest.raises(StateStoreError, match="nothing of this step was written, rerun the date"):
        store.record_watermark(date(2026, 11, 29), datetime(2026, 11, 22, 9, 0))
    monkeypatch.setattr(pymysql.cursors.Cursor, "execute", original)

    assert store.watermark_of(date(2026, 11, 29)) == datetime(2026, 11, 22, 6, 0)
    store.record_watermark(date(2026, 11, 29), datetime(2026, 11, 22, 9, 0))
    assert [row[1] for row in store.history()] == [datetime(2026, 11, 22, 9, 0)]


def test_two_watermarks_that_deadlock_are_both_recorded(
    mysql_db: str, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """Two processes recording neighbouring dates: both DELETEs take the same gap lock, then
    each INSERT waits for the other's; the server rolls one back (1213) and it runs again."""
    store = MySQLStateStore(mysql_url(mysql_db))
    both_deleted = threading.Barrier(2, timeout=30)
    first_insert_done: set[int] = set()
    original = pymysql.cursors.Cursor.execute

    def meet_before_the_first_insert(cursor, query, args=None):
        if query.startswith("INSERT INTO last_extracted") \
                and threading.get_ident() not in first_insert_done:
            first_insert_done.add(threading.get_ident())
            both_deleted.wait()
        return original(cursor, query, args)

    monkeypatch.setattr(pymysql.cursors.Cursor, "execute", meet_before_the_first_insert)
    caplog.set_level(logging.INFO, "pipeline.backends.deadlock")
    days = [date(2026, 11, 22), date(2026, 11, 29)]
    with ThreadPoolExecutor(2) as pool:
        for done in [pool.submit(store.record_watermark, day, datetime(2026, 11, day.day - 1, 6), 7)
                     for day in days]:
            done.result(timeout=60)
    monkeypatch.setattr(pymysql.cursors.Cursor, "execute", original)

    assert "deadlock's victim: running it again (run 2" in caplog.text, "no deadlock happened"
    assert [(row[0], row[1]) for row in store.history(7)] == [
        (day, datetime(2026, 11, day.day - 1, 6)) for day in days]


def test_a_deadlock_that_keeps_coming_back_fails_in_one_line(
    mysql_db: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = MySQLStateStore(mysql_url(mysql_db))
    original = pymysql.cursors.Cursor.execute
    inserts: list[str] = []

    def deadlocked(cursor, query, args=None):
        if query.startswith("INSERT INTO last_extracted"):
            inserts.append(query)
            raise pymysql.err.OperationalError(
                1213, "Deadlock found when trying to get lock; try restarting transaction")
        return original(cursor, query, args)

    monkeypatch.setattr(pymysql.cursors.Cursor, "execute", deadlocked)
    with pytest.raises(StateStoreError, match=r"^the state store mysql://root@.* rolled this "
                                              r"step back as a deadlock's victim") as error:
        store.record_watermark(date(2026, 11, 29), datetime(2026, 11, 22, 9, 0))
    monkeypatch.setattr(pymysql.cursors.Cursor, "execute", original)
    assert len(inserts) == DEADLOCK_TRIES and "\n" not in str(error.value)
    assert store.watermark_of(date(2026, 11, 29)) is NO_WATERMARK


def test_one_time_setup_sql_gives_a_user_that_can_run_the_state_store() -> None:
    require_mysql()
    setup = (SQL_DIR / "setup" / "mysql_state.sql").read_text("utf-8")
    database, user = random_name("strava_state"), random_name("strava_pl")
    password = secrets.token_urlsafe(12)
    script = setup.replace("strava_state", database).replace("strava_pipeline", user)
    admin = mysql_admin()
    try:
        with admin.cursor() as cursor:
            cursor.execute(f"CREATE USER '{user}'@'%%' IDENTIFIED BY %s", (password,))
            for statement in split_statements(script):
                cursor.execute(statement)
        store = open_state(f"mysql://{user}:{password}@{MYSQL_HOST}:{MYSQL_PORT}/{database}")
        store.record_watermark(date(2026, 11, 29), datetime(2026, 11, 22, 6, 0))
        assert store.watermark_before(date(2026, 12, 6)) == datetime(2026, 11, 22, 6, 0)
        assert column_types(database)["watermark"] == "datetime"
    finally:
        with admin.cursor() as cursor:
            cursor.execute(f"DROP DATABASE IF EXISTS {database}")
            cursor.execute(f"DROP USER IF EXISTS '{user}'@'%'")
        admin.close()


def test_database_created_by_the_fixture_is_dropped() -> None:
    with mysql_database() as name:
        open_state(mysql_url(name)).record_watermark(date(2026, 11, 29), None)
    admin = mysql_admin()
    with admin.cursor() as cursor:
        cursor.execute("SHOW DATABASES LIKE %s", (name,))
        assert cursor.fetchall() == ()
    admin.close()
