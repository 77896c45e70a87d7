"""``python -m pipeline.validator LEFT RIGHT OPERATOR SEVERITY``: values, verdicts, exit codes."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from pipeline.backends import open_warehouse
from pipeline.sql_files import render
from pipeline.validator import main
from tests.conftest import PROJECT_ROOT


def _cli(*arguments: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pipeline.validator", *arguments], cwd=PROJECT_ROOT,
        env={**os.environ, **env}, capture_output=True, text=True, timeout=120,
    )


def test_the_command_runs_shipped_checks_on_a_run_dates_staging_table(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Like the original: file paths as given from the project root, or names of shipped files."""
    url = f"duckdb:///{tmp_path}/warehouse.duckdb"
    warehouse = open_warehouse(url)
    warehouse.ensure_schema()
    with warehouse.transaction() as session:
        session.run_file("staging/create_staging_table.sql",
                         staging_table="staging_strava_activity_data_20261129")
        for activity_id in (1, 2, 2):
            session.execute("INSERT INTO staging_strava_activity_data_20261129 (id) VALUES (:id)",
                            {"id": activity_id})
        session.execute(render("INSERT INTO {production_table} (id) VALUES (9)"))
    env = {"WAREHOUSE_URL": url, "LUIGI_CONFIG_PATH": str(PROJECT_ROOT / "luigi.cfg")}

    duplicates = _cli("sql/validation/staging_duplicate_ids.sql", "0", "equals", "halt",
                      "--run-date", "2026-11-29", env=env)
    assert duplicates.returncode == 1, duplicates.stderr
    assert "left  sql/validation/staging_duplicate_ids.sql = 1" in duplicates.stdout
    assert "FAIL: 1 equals 0 does not hold (halt: the load stops); for example id 2" \
        in duplicates.stdout

    monkeypatch.setenv("WAREHOUSE_URL", url)
    assert main(["staging_duplicate_ids.sql", "0", "equals", "warn", "--run-date",
                 "2026-11-29"]) == 0
    assert "WARN: 1 equals 0" in capsys.readouterr().out
    assert main(["staging_duplicate_ids.sql", "0", "equals", "halt", "--run-date",
                 "2026-11-30"]) == 2
    assert "staging_strava_activity_data_20261130" in capsys.readouterr().err

    zscore = _cli("sql/validation/run_week_activity_count_zscore.sql",
                  "sql/validation/zscore_90_twosided.sql", "less_equals", "halt",
                  "--run-date", "2026-11-29", env=env)
    assert zscore.returncode == 0, zscore.stderr
    assert "right sql/validation/zscore_90_twosided.sql = 1.645" in zscore.stdout
    assert "SKIPPED: only 0 weeks of history" in zscore.stdout

    unknown = _cli("staging_duplicate_ids.sql", "0", "gt", "halt", env=env)
    assert unknown.returncode == 2
    assert unknown.stderr.strip() == ("strava-pipeline validate: error: unknown operator "
                                      "'gt': use one of equals, not_equals, greater, "
                                      "greater_equals, less, less_equals")
