"""Schema migrations: a previous release's warehouse and state store are upgraded in place with
nothing lost, a failing migration rolls back and names itself, two processes starting at once
apply each migration once, and ``strava-pipeline migrate --status`` tells applied from pending.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path

import duckdb
import pytest

from pipeline.backends import open_state, open_warehouse
from pipeline.backends.migrations import (
    STATE_MIGRATIONS,
    WAREHOUSE_MIGRATIONS,
    MigrationError,
    applied,
    apply_migrations,
    discover,
)
from pipeline.backends.warehouse import Warehouse
from pipeline.sql_files import render, split_statements
from tests.conftest import PROJECT_ROOT
from tests.support.backends import (
    mysql_admin,
    mysql_database,
    mysql_url,
    pg_rows,
    pg_url,
    postgres_database,
)

PREVIOUS = PROJECT_ROOT / "tests" / "fixtures" / "previous_release"


HOSTILE = "Ünïcødé 🏃 run; DROP TABLE x; -- 'quoted' \"double\" \\ back"


PRODUCTION_ROWS = [
    (101, 42, HOSTILE, 10234.5, 3600, "Run", "Run", datetime(2026, 11, 23, 3, 0),
     datetime(2026, 11, 22, 22, 0), 9),
    (102, 42, None, 0.0, 0, "Ride", "GravelRide", datetime(2026, 11, 1, 2, 0),
     datetime(2026, 10, 31, 22, 0), 0),
]


MARKERS = [("LoadProduction(2026-11-22)", "strava_activity_data", datetime(2026, 11, 23, 6)),
           ("BuildMonthlySummary(2026-11-22)", "activity_summary_monthly",
            datetime(2026, 11, 23, 6, 1))]


VALIDATION = [(date(2026, 11, 22), "no_duplicate_ids", 0.0, 0.0, "equals", "halt", "pass",
               "0 equals 0 holds", datetime(2026, 11, 23, 6))]


TABLES = {"strava_activity_data": "SELECT id, athlete_id, name, distance, moving_time, type, "
                                  "sport_type, start_date, start_date_local, kudos_count "
                                  "FROM strava_activity_data ORDER BY id",
          "table_updates": "SELECT update_id, target_table, inserted FROM table_updates "
                           "ORDER BY update_id",
          "validation_results": "SELECT run_date, check_name, left_value, right_value, operator,"
                                " severity, status, message, checked_at FROM validation_results",
          "activity_summary_monthly": "SELECT * FROM activity_summary_monthly "
                                      "ORDER BY activity_month"}


def build_previous_release_warehouse(warehouse: Warehouse) -> None:
    """The previous release's DDL (verbatim), some data, its markers and one model table."""
    with warehouse.transaction() as session:
        for name in ("strava_activity_data", "table_updates", "validation_results"):
            for statement in split_statements(render((PREVIOUS / f"{name}.sql").read_text())):
                session.execute(statement)
        for row in PRODUCTION_ROWS:
            session.execute(
                "INSERT INTO strava_activity_data (id, athlete_id, name, distance, moving_time,"
                " type, sport_type, start_date, start_date_local, kudos_count) VALUES (:a, :b,"
                " :c, :d, :e, :f, :g, :h, :i, :j)", dict(zip("abcdefghij", row, strict=True)))
        for row in MARKERS:
            session.execute("INSERT INTO table_updates VALUES (:a, :b, :c)",
                            dict(zip("abc", row, strict=True)))
        for row in VALIDATION:
            session.execute("INSERT INTO validation_results VALUES (:a, :b, :c, :d, :e, :f, :g,"
                            " :h, :i)", dict(zip("abcdefghi", row, strict=True)))
        model = (PREVIOUS / "models" / "activity_summary_monthly.sql").read_text()
        session.execute(f"CREATE TABLE activity_summary_monthly AS {render(model)}")


def snapshot(warehouse: Warehouse) -> dict[str, list[tuple]]:
    return {name: warehouse.query(sql) for name, sql in TABLES.items()}


@pytest.fixture(params=["duckdb", "postgresql"])
def any_warehouse(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Warehouse]:
    if request.param == "duckdb":
        yield open_warehouse(f"duckdb:///{tmp_path}/warehouse.duckdb")
        return
    with postgres_database() as database:
        yield open_warehouse(pg_url(database))


def test_previous_release_warehouse_is_upgraded_in_place(any_warehouse: Warehouse) -> None:
    build_previous_release_warehouse(any_warehouse)
    before = snapshot(any_warehouse)
    assert before["strava_activity_data"][0][2] == HOSTILE

    any_warehouse.ensure_schema()

    assert snapshot(any_warehouse) == before
    plan = discover(WAREHOUSE_MIGRATIONS, "duckdb")
    assert [m.version for m in plan][0] == "0001"
    assert sorted(applied(any_warehouse)) == [m.version for m in plan]
    assert apply_migrations(any_warehouse, WAREHOUSE_MIGRATIONS) == []  # nothing twice


def test_previous_release_mariadb_state_is_upgraded_in_place() -> None:
    with mysql_database() as database:
        admin = mysql_admin(database)
        with admin.cursor() as cursor:
            for statement in split_statements((PREVIOUS / "mysql_last_extracted.sql").read_text()):
                cursor.execute(statement)
            cursor.execute("INSERT INTO last_extracted VALUES ('2026-11-22', "
                           "'2026-11-21 18:04:05', '2026-11-23 06:00:00')")
        admin.close()
        store = open_state(mysql_url(database))
        assert store.history() == [
            (date(2026, 11, 22), datetime(2026, 11, 21, 18, 4, 5), datetime(2026, 11, 23, 6))]
        assert sorted(applied(store)) == [m.version for m in discover(STATE_MIGRATIONS, "mysql")]


def migrations_with(tmp_path: Path, source: Path, extra: dict[str, str]) -> Path:
    """A copy of the shipped migrations plus ``extra`` files (name -> SQL)."""
    folder = tmp_path / "migrations"
    folder.mkdir()
    for path in source.glob("*.sql"):
        shutil.copy(path, folder / path.name)
    for name, sql in extra.items():
        (folder / name).write_text(sql, encoding="utf-8")
    return folder


BROKEN = ("CREATE TABLE half_done (x INTEGER);\n"
          "INSERT INTO half_done VALUES (1);\n"
          "INSERT INTO no_such_table VALUES (1);\n")


def test_failing_migration_rolls_back_and_names_itself(any_warehouse: Warehouse,
                                                       tmp_path: Path) -> None:
    folder = migrations_with(tmp_path, WAREHOUSE_MIGRATIONS, {"0900_broken.sql": BROKEN})
    with pytest.raises(MigrationError) as error:
        apply_migrations(any_warehouse, folder)
    message = str(error.value)
    assert "\n" not in message
    assert message.startswith(f"migration {folder}/0900_broken.sql failed and was rolled back")
    assert "no_such_table" in message
    assert not any_warehouse.table_exists("half_done")
    assert "0900" not in applied(any_warehouse) and "0001" in applied(any_warehouse)
    (folder / "0900_broken.sql").write_text("CREATE TABLE half_done (x INTEGER);\n")
    assert [m.version for m in apply_migrations(any_warehouse, folder)] == ["0900"]


_RACE = """
import sys
from pathlib import Path
from pipeline.backends import open_state, open_warehouse
from pipeline.backends.migrations import apply_migrations
kind, url, folder = sys.argv[1:]
target = open_warehouse(url) if kind == "warehouse" else open_state(url, migrate=False)
print(",".join(m.version for m in apply_migrations(target, Path(folder))))
"""


def race(kind: str, url: str, folder: Path) -> list[str]:
    """Two processes apply the migrations at once; each prints what it applied."""
    runs = [subprocess.Popen([sys.executable, "-c", _RACE, kind, url, str(folder)],
                             cwd=PROJECT_ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             text=True) for _ in range(2)]
    outputs = []
    for run in runs:
        out, err = run.communicate(timeout=120)
        assert run.returncode == 0, err
        outputs.append(out.strip())
    return outputs


def test_two_processes_starting_at_once_apply_each_migration_once(tmp_path: Path) -> None:
    slow = {"0901_slow.postgres.sql": "SELECT pg_sleep(1);\nCREATE TABLE once_only (x INT);\n",
            "0901_slow.sql": "CREATE TABLE once_only AS SELECT range AS x FROM range(2000000);\n"}
    folder = migrations_with(tmp_path, WAREHOUSE_MIGRATIONS, slow)
    with postgres_database() as database:
        outputs = race("warehouse", pg_url(database), folder)
        versions = [row[0] for row in pg_rows(database, "SELECT version FROM schema_migrations")]
    every = [m.version for m in discover(folder, "postgres")]
    assert sorted(versions) == every
    assert sorted(",".join(outputs).strip(",").split(",")) == every  # each applied by one

    duck = tmp_path / "warehouse.duckdb"
    outputs = race("warehouse", f"duckdb:///{duck}", folder)
    with duckdb.connect(str(duck), read_only=True) as connection:
        versions = [row[0] for row in connection.execute(
            "SELECT version FROM schema_migrations").fetchall()]
    assert sorted(versions) == every
    assert sorted(",".join(outputs).strip(",").split(",")) == every


def test_two_processes_migrate_one_mariadb_state_store_once(tmp_path: Path) -> None:
    slow = {"0901_slow.mysql.sql": "SELECT SLEEP(1);\nCREATE TABLE once_only (x INT);\n"}
    folder = migrations_with(tmp_path, STATE_MIGRATIONS, slow)
    with mysql_database() as database:
        outputs = race("state", mysql_url(database), folder)
        admin = mysql_admin(database)
        with admin.cursor() as cursor:
            cursor.execute("SELECT version FROM schema_migrations")
            versions = sorted(row[0] for row in cursor.fetchall())
        admin.close()
    every = sorted({path.name[:4] for path in STATE_MIGRATIONS.glob("*.mysql.sql")} | {"0901"})
    assert versions == every
    assert sorted(",".join(outputs).strip(",").split(",")) == every


def test_status_lists_pending_then_applied(tmp_path: Path) -> None:
    env = {"DATA_DIR": str(tmp_path / "data"), "PATH": "/usr/bin:/bin"}

    def migrate(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "pipeline.cli", "migrate", *args],
                              cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)

    before = migrate("--status")
    assert before.returncode == 0, before.stderr
    assert "0001 previous_release" in before.stdout and "applied" not in before.stdout
    from pipeline.backends.migrations import STATE_MIGRATIONS, WAREHOUSE_MIGRATIONS, discover

    migrations = (len(discover(WAREHOUSE_MIGRATIONS, "duckdb"))
                  + len(discover(STATE_MIGRATIONS, "sqlite")))  # warehouse and state store
    assert before.stdout.count("pending") == migrations

    run = migrate()
    assert run.returncode == 0, run.stderr
    assert "applied sql/migrations/0001_previous_release.sql" in run.stdout
    assert "applied sql/migrations/state/0001_previous_release.sqlite.sql" in run.stdout

    after = migrate("--status")
    assert "pending" not in after.stdout and after.stdout.count("applied 20") == migrations
    assert "nothing to apply" in migrate().stdout


def test_redshift_adapter_migrates_under_a_table_lock() -> None:
    """Redshift has no advisory locks: the adapter creates and LOCKs schema_migrations instead
    (the same statements, run here on PostgreSQL, which Redshift's SQL descends from)."""
    from pipeline.backends.redshift_warehouse import RedshiftWarehouse

    with postgres_database() as database:
        warehouse = RedshiftWarehouse(pg_url(database, scheme="redshift"), iam_role="default",
                                      lake_url="s3://lake-bucket/prefix")
        plan = discover(WAREHOUSE_MIGRATIONS, "redshift")
        assert [m.version for m in apply_migrations(warehouse, WAREHOUSE_MIGRATIONS)] == \
            [m.version for m in plan]
        assert apply_migrations(warehouse, WAREHOUSE_MIGRATIONS) == []
        assert warehouse.table_exists("strava_activity_data")
