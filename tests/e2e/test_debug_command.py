"""`strava-pipeline debug` (issue 24): the configuration with each value's source and secrets
masked, then one line per check; exit 0 when healthy, 1 with one FAILED line per broken part."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest

from pipeline.sandbox import SyntheticAthlete
from tests.conftest import ATHLETE_END, RUN_DATE, PipelineWorld
from tests.e2e.test_failure_causes import console

PASSWORD = "db-password-5e1f"
PARTS = ("warehouse", "state store", "lake", "token store", "Strava", "luigid")


@pytest.fixture
def loaded_world(world_factory: Callable[..., PipelineWorld], tmp_path: Path) -> PipelineWorld:
    world = world_factory(SyntheticAthlete(seed=31, n_activities=200, end=ATHLETE_END))
    ran = console("run", "--date", RUN_DATE.isoformat(), cwd=tmp_path, **world.env)
    assert ran.returncode == 0, ran.stdout[-2000:] + ran.stderr[-2000:]
    return world


def check_lines(output: str) -> dict[str, tuple[str, str]]:
    """part -> (OK or FAILED, the rest of its line)."""
    found = {}
    for line in output.splitlines():
        match = re.match(r"^  (OK|FAILED)\s+(warehouse|state store|lake|token store|Strava|"
                         r"luigid)\s+(.*)$", line)
        if match:
            found[match[2]] = (match[1], match[3])
    return found


def test_debug_on_a_healthy_configuration(loaded_world: PipelineWorld, tmp_path: Path) -> None:
    result = console("debug", cwd=tmp_path, **loaded_world.env)
    assert result.returncode == 0, result.stdout + result.stderr
    lines = check_lines(result.stdout)
    assert set(lines) == set(PARTS)
    assert all(state == "OK" for state, _ in lines.values()), lines
    assert re.search(r"(\d+) of \1 migrations applied", lines["warehouse"][1])
    assert re.search(r"(\d+) of \1 migrations applied", lines["state store"][1])
    assert "mode 0600" in lines["token store"][1]
    assert re.search(r"read budget used \d+/\d+ this 15 minutes", lines["Strava"][1])
    assert re.search(r"^  DATA_DIR\s+\S+\s+environment$", result.stdout, re.M)
    assert re.search(r"^  STRAVA_LOOKBACK_DAYS\s+14\s+default$", result.stdout, re.M)
    assert re.search(r"^  STRAVA_CLIENT_SECRET\s+\*\*\* \(set\)\s+environment$", result.stdout,
                     re.M)
    secret = loaded_world.env["STRAVA_CLIENT_SECRET"]
    assert secret not in result.stdout + result.stderr
    assert result.stdout.rstrip().endswith("All checks passed.")


BROKEN = {
    "warehouse": {"WAREHOUSE_URL": f"postgresql://strava:{PASSWORD}@127.0.0.1:1/strava"},
    "state store": {"STATE_URL": f"mysql://root:{PASSWORD}@127.0.0.1:1/strava_state"},
    "lake": {"LAKE_URL": "s3://strava-lake/x", "AWS_ENDPOINT_URL_S3": "http://127.0.0.1:1",
             "AWS_ACCESS_KEY_ID": "key", "AWS_SECRET_ACCESS_KEY": PASSWORD},
}


@pytest.mark.parametrize("part", [*BROKEN, "token store", "Strava"])
def test_debug_names_each_broken_part_in_one_line(loaded_world: PipelineWorld, tmp_path: Path,
                                                  part: str) -> None:
    env = {**loaded_world.env, **BROKEN.get(part, {})}
    if part == "token store":
        (loaded_world.data_dir / "strava_tokens.json").chmod(0o644)
    if part == "Strava":  # no stored token: the refresh token given is the one Strava rejects
        env.update(DATA_DIR=str(tmp_path / "fresh"), STRAVA_REFRESH_TOKEN="not-a-token-98765")
    result = console("debug", cwd=tmp_path, **env)
    assert result.returncode == 1, result.stdout + result.stderr
    lines = check_lines(result.stdout)
    failed = {name: text for name, (state, text) in lines.items() if state == "FAILED"}
    assert list(failed) == [part], lines
    assert "Traceback" not in result.stdout + result.stderr
    assert PASSWORD not in result.stdout + result.stderr
    assert "not-a-token-98765" not in result.stdout + result.stderr
    assert result.stdout.rstrip().endswith("1 check(s) FAILED.")
