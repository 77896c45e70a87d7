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

# operator -> (left, right) for which it holds, and (left, right) for which it does not
CASES = {
    "equals": ((3, 3), (3, 5)),
    "not_equals": ((3, 5), (3, 3)),
    "greater": ((5, 3), (3, 5)),
    "greater_equals": ((3, 3), (3, 5)),
    "less": ((3, 5), (5, 3)),
    "less_equals": ((3, 3), (5, 3)),
}


@pytest.fixture
def sql_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A folder of tiny SQL files and an empty DuckDB warehouse as WAREHOUSE_URL."""
    monkeypatch.setenv("WAREHOUSE_URL", f"duckdb:///{tmp_path}/warehouse.duckdb")
    folder = tmp_path / "sql"
    folder.mkdir()
    for name, text in {
        "three.sql": "-- three\nSELECT 3;\n",
        "five.sql": "SELECT 5 AS five;\n",
        "null.sql": "SELECT CAST(NULL AS INTEGER), 'only 2 weeks of history';\n",
        "no_row.sql": "SELECT 1 WHERE 1 = 0;\n",
        "broken.sql": "SELEC 1;\n",
        "text.sql": "SELECT 'abc';\n",
    }.items():
        (folder / name).write_text(text, encoding="utf-8")
    return folder


def _file(folder: Path, value: int) -> str:
    return str(folder / {3: "three.sql", 5: "five.sql"}[value])


@pytest.mark.parametrize("severity", ["warn", "halt"])
@pytest.mark.parametrize("operator", sorted(CASES))
def test_every_operator_and_severity_pass_and_fail(
    sql_dir: Path, operator: str, severity: str, capsys: pytest.CaptureFixture[str]
) -> None:
    holds, fails = CASES[operator]

    assert main([_file(sql_dir, holds[0]), _file(sql_dir, holds[1]), operator, severity]) == 0
    out = capsys.readouterr().out
    assert f"= {holds[0]}\n" in out and f"= {holds[1]}\n" in out
    assert out.splitlines()[-1].startswith(f"PASS: {holds[0]} {operator} {holds[1]} holds")

    code = main([_file(sql_dir, fails[0]), _file(sql_dir, fails[1]), operator, severity])
    out = capsys.readouterr().out
    assert code == (1 if severity == "halt" else 0)
    assert f"{fails[0]} {operator} {fails[1]} does not hold" in out
    assert out.splitlines()[-1].startswith("FAIL:" if severity == "halt" else "WARN:")


def test_a_number_may_stand_for_a_side(sql_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main([str(sql_dir / "three.sql"), "3", "equals", "halt"]) == 0
    assert main([str(sql_dir / "three.sql"), "2.5", "less", "halt"]) == 1
    assert "3 less 2.5 does not hold" in capsys.readouterr().out


def test_null_is_skipped_with_the_reason_not_a_crash(
    sql_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main([str(sql_dir / "null.sql"), "1.645", "less_equals", "halt"]) == 0
    out = capsys.readouterr().out
    assert "left  " in out and "= NULL" in out
    assert "SKIPPED: only 2 weeks of history" in out


@pytest.mark.parametrize(("arguments", "expected"), [
    (["three.sql", "five.sql", "bigger", "halt"], "unknown operator 'bigger'"),
    (["three.sql", "five.sql", "equals", "fatal"], "unknown severity 'fatal'"),
    (["missing.sql", "five.sql", "equals", "halt"], "SQL file missing.sql does not exist"),
    (["no_row.sql", "five.sql", "equals", "halt"], "no_row.sql returned no row"),
    (["broken.sql", "five.sql", "equals", "warn"], "could not run"),
    (["text.sql", "five.sql", "equals", "warn"], "is not a number"),
])
def test_usage_errors_exit_2_with_one_line(
    sql_dir: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
    arguments: list[str], expected: str,
) -> None:
    monkeypatch.chdir(sql_dir)
    assert main(arguments) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert len(captured.err.strip().splitlines()) == 1
    assert captured.err.startswith("python -m pipeline.validator: error: ")
    assert expected in captured.err


def test_missing_arguments_exit_2_with_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as stopped:
        main(["three.sql", "five.sql"])
    assert stopped.value.code == 2
    assert len(capsys.readouterr().err.strip().splitlines()) == 1


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
    assert unknown.stderr.strip() == ("python -m pipeline.validator: error: unknown operator "
                                      "'gt': use one of equals, not_equals, greater, "
                                      "greater_equals, less, less_equals")
