"""``python -m pipeline.validator LEFT RIGHT OPERATOR SEVERITY``: values, verdicts, exit codes."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipeline.validator import main

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
        "broken.sql": "SELECT * FROM no_such_table;\n",
        "write.sql": "DELETE FROM table_updates RETURNING 0;\n",
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
    (["write.sql", "five.sql", "equals", "warn"], "write.sql is not a query (DELETE)"),
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
    assert captured.err.startswith("strava-pipeline validate: error: ")
    assert expected in captured.err


def test_missing_arguments_exit_2_with_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as stopped:
        main(["three.sql", "five.sql"])
    assert stopped.value.code == 2
    assert len(capsys.readouterr().err.strip().splitlines()) == 1
