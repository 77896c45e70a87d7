"""Every SQL file of the project runs on DuckDB and on PostgreSQL: one set of files serves every
warehouse, and dialect differences stay in the adapters.

Each file is rendered with the fixed placeholders (``pipeline.sql_files.TABLES`` plus the staging
table below) and each ``:name`` parameter it uses is bound from ``SAMPLE_PARAMETERS``. A new file
with a new parameter fails here with a message naming it: add a sample value below.
``sql/setup/`` holds per-server administration scripts, tested on their own server in
tests/e2e/test_backends_mysql.py and tests/e2e/test_backends_postgres.py; ``sql/state/`` and the
migrations are the state store's and the runner's (tests/e2e/test_migrations.py).
"""

from __future__ import annotations

from pipeline.sql_files import SQL_DIR

NOT_FOR_EVERY_WAREHOUSE = {"setup", "state", "migrations"}


def project_sql_files() -> list[str]:
    """Every .sql file under sql/, except the per-server setup scripts."""
    files = []
    for path in sorted(SQL_DIR.rglob("*.sql")):
        relative = path.relative_to(SQL_DIR)
        if relative.parts[0] not in NOT_FOR_EVERY_WAREHOUSE:
            files.append(relative.as_posix())
    return files


def test_every_sql_file_is_covered() -> None:
    files = project_sql_files()
    assert "production/merge_staging_into_production.sql" in files
    assert "staging/create_staging_table.sql" in files
    assert not any(name.startswith("setup/") for name in files)
