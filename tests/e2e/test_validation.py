"""Validation checks as Luigi tasks, end to end on the embedded default, fed by the sandbox.

The athlete here ends in the run's week (23-29 November 2026), so the run's week is a normal
one: every shipped check passes on it. Each failing case is crafted either in the sandbox
(what Strava would send) or, where the extract cannot produce it, by changing the staging table
through the warehouse API after CopyToStaging, as the docstrings say.
"""

from __future__ import annotations

import math
import statistics
from collections import Counter, defaultdict
from collections.abc import Callable
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from pipeline import run_dates
from pipeline.sandbox import SyntheticAthlete
from pipeline.tasks import LoadProduction
from pipeline.tasks.validation import ValidateStaging
from pipeline.validator import load_checks
from tests.conftest import FakeClock, PipelineWorld, succeeded
from tests.support.helpers import production_rows, table_dump
from tests.support.validation import (  # noqa: F401 - fixture_staged
    RUN_DATE,
    STAGING,
    build,
    change_staging,
    db_connection,
    fixture_staged,
    markers,
    results,
    staged_copy,
    tables,
    validation_athlete,
)

PREVIOUS_RUN_DATE = date(2026, 11, 22)
CHECK_NAMES = [check.name for check in load_checks()]
HALT_CHECKS = [check.name for check in load_checks() if check.severity == "halt"]
EXTRACT = Path("extract") / "2026-11-29" / "activities.csv"
LAKE_OBJECT = Path("lake") / "strava" / "activities" / "2026-11-29" / "activities.csv"


@pytest.fixture
def vworld(world_factory: Callable[..., PipelineWorld], fake_clock: FakeClock) -> PipelineWorld:
    """A small athlete whose last activities fall in the run's week, served by the sandbox."""
    return world_factory(validation_athlete(), clock=fake_clock)


def run_week(athlete: SyntheticAthlete) -> list[dict[str, Any]]:
    """The athlete's activities whose local start date lies in the run's week."""
    return [a for a in athlete.activities
            if "2026-11-23" <= a["start_date_local"][:10] <= "2026-11-29"]


def independent_zscores(activities: list[dict[str, Any]], run_date: date) -> tuple[float, float]:
    """|z| of the run week's count and average kudos against the trailing 12 weeks (private
    activities in no kudos average), from the sandbox's own activity dicts."""
    upper = (run_date + timedelta(days=1)).isoformat()
    week_start = run_dates.week_start(run_date)
    counts: Counter[int] = Counter()
    kudos: defaultdict[int, list[int]] = defaultdict(list)
    for a in activities:
        day = date.fromisoformat(a["start_date_local"][:10])
        if a["start_date"] >= upper or day > run_date:
            continue
        week = math.ceil((week_start - day).days / 7)
        counts[week] += 1
        if not a["private"] and a["visibility"] != "only_me":
            kudos[week].append(a["kudos_count"])
    weeks = min(max(counts), 12)
    history = [counts[week] for week in range(1, weeks + 1)]
    averages = [statistics.mean(kudos[week]) for week in range(1, weeks + 1) if kudos[week]]
    return (abs(counts[0] - statistics.mean(history)) / statistics.stdev(history),
            abs(statistics.mean(kudos[0]) - statistics.mean(averages))
            / statistics.stdev(averages))


def quarantined(data_dir: Path) -> tuple[list[str], list[Path], list[Path]]:
    """Quarantined staging tables, lake objects and extract files of the run date."""
    names = sorted(name for name in tables(data_dir)
                   if name.startswith("quarantine_strava_activity_data_20261129_"))
    lake = sorted((data_dir / "lake" / "quarantine").glob(
        "*/strava/activities/2026-11-29/activities.csv"))
    extracts = sorted((data_dir / "quarantine").glob("*/extract/2026-11-29/activities.csv"))
    return names, lake, extracts


def test_a_normal_week_passes_every_check_and_loads(vworld: PipelineWorld,
                                                   fake_clock: FakeClock) -> None:
    assert len(run_week(vworld.athlete)) >= 1
    result = vworld.build(LoadProduction(run_date=RUN_DATE))
    assert succeeded(result), result.summary_text

    found = results(vworld.data_dir)
    assert list(found) == CHECK_NAMES
    assert {name: row["status"] for name, row in found.items()} == dict.fromkeys(
        CHECK_NAMES, "pass")
    # As served at the fake clock's now: the newest activities' kudos are still arriving.
    count_z, kudos_z = independent_zscores(vworld.athlete.served(fake_clock()), RUN_DATE)
    assert found["weekly_activity_count_zscore"]["left_value"] == pytest.approx(count_z)
    assert found["weekly_kudos_zscore"]["left_value"] == pytest.approx(kudos_z)
    assert found["activities_in_run_week"]["left_value"] == len(run_week(vworld.athlete))
    for row in found.values():
        assert row["run_date"] == RUN_DATE and row["checked_at"] is not None
        assert row["operator"] and row["severity"] in {"warn", "halt"}
        assert row["right_value"] is not None and row["message"]
    done = markers(vworld.data_dir)
    assert "ValidateStaging(2026-11-29)" in done  # one marker for every check of the date
    assert "LoadProduction(2026-11-29)" in done


def test_failing_halt_check_quarantines_and_a_fixed_source_reruns_afresh(
    vworld: PipelineWorld,
) -> None:
    assert succeeded(vworld.build(LoadProduction(run_date=PREVIOUS_RUN_DATE)))
    production_before = table_dump(vworld.data_dir, "strava_activity_data")
    assert production_before
    broken = run_week(vworld.athlete)[0]
    # Neither sport_type nor type: a NULL sport_type despite the fallback to type.
    vworld.athlete.update_activity(broken["id"], sport_type=None, type=None)

    failed = vworld.cli("WeeklyPipeline", "--run-date", RUN_DATE.isoformat())

    assert failed.returncode == 30  # [retcode] task_failed
    assert "halt check no_null_keys failed for run date 2026-11-29: left 1, right 0" \
        in failed.stderr
    assert table_dump(vworld.data_dir, "strava_activity_data") == production_before
    names, lake, extracts = quarantined(vworld.data_dir)
    assert len(names) == len(lake) == len(extracts) == 1
    for place in (names[0], str(lake[0]), str(extracts[0])):
        assert place in failed.stderr, f"the error does not name {place}"
    assert not (vworld.data_dir / EXTRACT).exists()
    assert not (vworld.data_dir / LAKE_OBJECT).exists()
    assert STAGING not in tables(vworld.data_dir)
    with db_connection(vworld.data_dir) as db:
        kept = db.execute(f"SELECT sport_type FROM {names[0]} WHERE id = ?",
                          [broken["id"]]).fetchone()
    assert kept == (None,)
    done = markers(vworld.data_dir)
    assert not {marker for marker in done if "2026-11-29" in marker}
    found = results(vworld.data_dir)
    assert found["no_null_keys"]["status"] == "fail"
    assert (found["no_null_keys"]["left_value"], found["no_null_keys"]["right_value"]) == (1, 0)
    before = CHECK_NAMES[: CHECK_NAMES.index("no_null_keys")]
    assert list(found) == [*before, "no_null_keys"]  # the checks after it did not run

    vworld.athlete.update_activity(broken["id"], sport_type="Run")
    vworld.sandbox.reset_log()
    result = vworld.build(LoadProduction(run_date=RUN_DATE))

    assert succeeded(result), result.summary_text
    assert vworld.sandbox.count("/athlete/activities") >= 1  # extracted afresh
    assert production_rows(vworld.data_dir)[broken["id"]]["sport_type"] == "Run"
    assert results(vworld.data_dir)["no_null_keys"]["status"] == "pass"
    assert quarantined(vworld.data_dir) == (names, lake, extracts)  # the evidence stays


# check -> statements that break the staging table the way only a crafted file could: the
# extract de-duplicates ids, and Strava sends no NULL start date, no start after the window's
# `before` and no extra column. Negative measures come from the sandbox instead (next test).
CRAFTED_STAGING = {
    "staging_matches_production_schema": [f"ALTER TABLE {STAGING} ADD COLUMN surprise BIGINT"],
    "no_duplicate_ids": [f"INSERT INTO {STAGING} SELECT * FROM {STAGING} "
                         f"WHERE id IN (SELECT id FROM {STAGING} ORDER BY id LIMIT 2)"],
    "no_null_keys": [f"UPDATE {STAGING} SET start_date = NULL "
                     f"WHERE id = (SELECT MAX(id) FROM {STAGING})"],
    "no_start_after_upper_bound": [
        f"UPDATE {STAGING} SET start_date_local = TIMESTAMP '2026-11-30 00:00:00' "
        f"WHERE id = (SELECT MAX(id) FROM {STAGING})"],
}


def assert_halted_and_quarantined(data_dir: Path, check: str) -> dict[str, dict[str, Any]]:
    """The check failed, the others before it passed, nothing loaded, everything quarantined."""
    found = results(data_dir)
    assert found[check]["status"] == "fail"
    assert found[check]["left_value"] >= 1 and found[check]["right_value"] == 0
    assert list(found) == CHECK_NAMES[: CHECK_NAMES.index(check) + 1]
    assert {row["status"] for name, row in found.items() if name != check} <= {"pass"}
    assert not {marker for marker in markers(data_dir) if "2026-11-29" in marker}
    assert production_rows(data_dir) == {}
    names, lake, extracts = quarantined(data_dir)
    assert len(names) == len(lake) == len(extracts) == 1
    assert STAGING not in tables(data_dir)
    assert not (data_dir / EXTRACT).exists() and not (data_dir / LAKE_OBJECT).exists()
    return found


@pytest.mark.parametrize("check", sorted(CRAFTED_STAGING))
def test_each_halt_check_fails_on_a_crafted_staging_table_and_blocks_the_load(
    staged: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, check: str
) -> None:
    """The staging table is changed through the warehouse API after CopyToStaging."""
    data_dir = staged_copy(staged, tmp_path, monkeypatch)
    change_staging(data_dir, *CRAFTED_STAGING[check])

    assert not build(LoadProduction(run_date=RUN_DATE))

    assert_halted_and_quarantined(data_dir, check)


def test_negative_measures_from_strava_fail_and_block_the_load(vworld: PipelineWorld) -> None:
    vworld.athlete.update_activity(run_week(vworld.athlete)[-1]["id"], distance=-42.0)
    vworld.athlete.update_activity(vworld.athlete.activities[3]["id"], moving_time=-1)

    assert not succeeded(vworld.build(LoadProduction(run_date=RUN_DATE)))

    found = assert_halted_and_quarantined(vworld.data_dir, "no_negative_measures")
    assert found["no_negative_measures"]["left_value"] == 2


def test_warn_checks_that_fail_are_recorded_and_the_load_goes_on(vworld: PipelineWorld) -> None:
    home = timezone(timedelta(hours=-5))
    added = [vworld.athlete.add_activity(
        datetime(2026, 11, 23 + n % 6, 6 + n % 12, 15, tzinfo=home), "Run", kudos_count=400)
        for n in range(16)]

    result = vworld.build(LoadProduction(run_date=RUN_DATE))

    assert succeeded(result), result.summary_text
    found = results(vworld.data_dir)
    assert found["weekly_activity_count_zscore"]["status"] == "warn"
    assert found["weekly_activity_count_zscore"]["left_value"] > 1.645
    assert found["weekly_kudos_zscore"]["status"] == "warn"
    assert "warn: the load goes on" in found["weekly_kudos_zscore"]["message"]
    assert {found[name]["status"] for name in HALT_CHECKS} == {"pass"}
    assert "ValidateStaging(2026-11-29)" in markers(vworld.data_dir)
    loaded = production_rows(vworld.data_dir)
    assert all(a["id"] in loaded for a in added)


def test_an_empty_week_warns_and_skips_the_kudos_check(vworld: PipelineWorld) -> None:
    for activity in run_week(vworld.athlete):
        vworld.athlete.remove_activity(activity["id"])

    assert succeeded(vworld.build(LoadProduction(run_date=RUN_DATE)))

    found = results(vworld.data_dir)
    assert (found["activities_in_run_week"]["status"],
            found["activities_in_run_week"]["left_value"]) == ("warn", 0)
    kudos = found["weekly_kudos_zscore"]
    assert (kudos["status"], kudos["left_value"]) == ("skipped", None)
    assert "no activity with a kudos count in the run's week" in kudos["message"]
    assert "ValidateStaging(2026-11-29)" in markers(vworld.data_dir)


def test_a_short_history_skips_the_statistical_checks(vworld: PipelineWorld) -> None:
    first = date.fromisoformat(min(a["start_date_local"] for a in vworld.athlete.activities)[:10])
    # A Sunday: the run's week is the third Monday week of the history.
    early = run_dates.week_start(first) + timedelta(days=20)

    assert succeeded(vworld.build(LoadProduction(run_date=early)))

    found = results(vworld.data_dir, early)
    for name in ("weekly_activity_count_zscore", "weekly_kudos_zscore"):
        assert found[name]["status"] == "skipped"
        assert found[name]["left_value"] is None
    assert "only 2 weeks of history" in found["weekly_activity_count_zscore"]["message"]
    assert {found[name]["status"] for name in HALT_CHECKS} == {"pass"}


def test_a_broken_check_is_an_error_that_blocks_only_when_it_is_a_halt_check(
    vworld: PipelineWorld, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    broken = tmp_path / "broken.sql"
    broken.write_text("SELECT no_such_column FROM {staging_table};\n", encoding="utf-8")
    checks = tmp_path / "checks.ini"
    checks.write_text(f"[broken_warn]\nleft = {broken}\nright = 0\noperator = equals\n"
                      "severity = warn\n", encoding="utf-8")
    monkeypatch.setenv("VALIDATION_CHECKS_FILE", str(checks))

    assert succeeded(vworld.build(LoadProduction(run_date=RUN_DATE)))
    row = results(vworld.data_dir)["broken_warn"]
    assert row["status"] == "error"
    assert row["message"].startswith("could not run: ") and "no_such_column" in row["message"]

    checks.write_text(f"[broken_halt]\nleft = {broken}\nright = 0\noperator = equals\n"
                      "severity = halt\n", encoding="utf-8")
    next_date = RUN_DATE + timedelta(days=7)
    result = vworld.build(LoadProduction(run_date=next_date))

    assert not succeeded(result)
    assert results(vworld.data_dir, next_date)["broken_halt"]["status"] == "error"
    assert (vworld.data_dir / "extract" / next_date.isoformat() / "activities.csv").exists()
    assert not (vworld.data_dir / "quarantine").exists()
    assert f"CopyToStaging({next_date})" in markers(vworld.data_dir)


def test_the_checks_are_recorded_with_their_marker_or_not_at_all(
    staged: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every check's row and the validation's marker are written in one transaction."""
    from pipeline.backends.warehouse import Warehouse

    data_dir = staged_copy(staged, tmp_path, monkeypatch)
    real_write_marker = Warehouse.write_marker

    def crash_on_the_validation_marker(self: Warehouse, session: Any, update_id: str,
                                       target_table: str) -> None:
        if update_id == "ValidateStaging(2026-11-29)":
            raise RuntimeError("crash before commit")
        real_write_marker(self, session, update_id, target_table)

    with monkeypatch.context() as patch:
        patch.setattr(Warehouse, "write_marker", crash_on_the_validation_marker)
        assert not build(ValidateStaging(run_date=RUN_DATE))
    assert results(data_dir) == {}
    assert "ValidateStaging(2026-11-29)" not in markers(data_dir)

    assert build(ValidateStaging(run_date=RUN_DATE))
    assert list(results(data_dir)) == CHECK_NAMES
    assert "ValidateStaging(2026-11-29)" in markers(data_dir)
