"""The status command and what runs rely on: credentials, the scheduler, the sandbox's folder,
the end-of-run summary and the run date ./run_weekly.sh asks for."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from pipeline import preflight, status
from pipeline.cli import summary_lines
from pipeline.sandbox import sandbox_environment
from pipeline.settings import ConfigurationError, load_settings
from tests.conftest import (
    PROJECT_ROOT,
    RUN_DATE,
)


def test_status_rejects_a_bad_date(capsys: pytest.CaptureFixture[str]) -> None:
    assert status.main(["--date", "29.11.2026"]) == 2
    assert "YYYY-MM-DD" in capsys.readouterr().err


def test_credentials_are_a_refresh_token_or_a_token_store(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DATA_DIR", str(tmp_path))
    assert preflight.strava_setup(load_settings()) == "none"  # ./run_weekly.sh: the demo
    monkeypatch.setenv("STRAVA_CLIENT_ID", "12345")
    assert preflight.strava_setup(load_settings()) == "incomplete"  # a real run that says why
    (tmp_path / "strava_tokens.json").write_text("{}")
    assert preflight.strava_setup(load_settings()) == "strava"
    (tmp_path / "strava_tokens.json").unlink()
    monkeypatch.setenv("STRAVA_REFRESH_TOKEN", "x")
    assert preflight.strava_setup(load_settings()) == "strava"


def test_sandbox_environment_keeps_every_location_in_its_own_folder_beside_data(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)  # the checkout's folder, whatever the working directory
    env = sandbox_environment()
    root = PROJECT_ROOT / "sandbox-data"
    assert env["DATA_DIR"] == str(root)
    assert env["LAKE_URL"] == f"file://{root}/lake"
    assert env["STATE_URL"] == f"sqlite://{root}/state.db"
    assert env["WAREHOUSE_URL"] == f"duckdb://{root}/warehouse.duckdb"
    assert env["SLACK_WEBHOOK_URL"] == ""
    real = load_settings().data_dir
    assert real == PROJECT_ROOT / "data"
    assert real not in root.parents and root not in real.parents

    monkeypatch.setenv("DATA_DIR", str(PROJECT_ROOT))
    with pytest.raises(ConfigurationError, match="contains the sandbox's folder"):
        sandbox_environment()


def test_summary_names_the_warehouse_and_the_dashboard_when_it_exists(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DATA_DIR", str(tmp_path))
    monkeypatch.setenv("WAREHOUSE_URL", "postgresql://etl:s3cret@db.example/strava")
    settings = load_settings()
    lines = summary_lines(settings, RUN_DATE)
    assert lines[0] == "Warehouse: postgresql://etl:***@db.example/strava"
    assert lines[1].startswith("Dashboard: not built for 2026-11-29")
    dashboard = tmp_path / "reports" / "2026-11-29" / "dashboard.html"
    dashboard.parent.mkdir(parents=True)
    dashboard.write_text("<html></html>")
    lines = summary_lines(settings, RUN_DATE, demo=True)
    assert lines[1] == f"Dashboard: {dashboard}"
    # A command that works without activating the environment: the console script's path.
    shown = lines[2].removeprefix("Status:    ").removesuffix(" status --demo")
    assert Path(shown).absolute() == Path(sys.executable).parent / "strava-pipeline"
