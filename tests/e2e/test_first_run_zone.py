"""A new installation's first run learns the athlete's time zone from Strava (the sandbox, over
real HTTP) before anything is loaded (pipeline/athlete_zone.py): just after midnight UTC on a UTC
machine, Sunday is over there but not in Toronto, and the first run must not take Sunday."""

from __future__ import annotations

import contextlib
import io
import logging
import time
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import duckdb
import pytest

from pipeline import cli, run_dates
from pipeline.athlete_zone import athlete_zone, default_run_date, known_zone
from pipeline.backends.duckdb_warehouse import release_all
from pipeline.sandbox import SyntheticAthlete, athlete_end, sandbox_settings
from pipeline.sandbox_cli import DEMO_ACTIVITIES, DEMO_SEED, authorize_all
from pipeline.settings import load_settings
from pipeline.strava.activities import iana_timezone
from pipeline.tasks import WeeklyPipeline
from tests.conftest import ATHLETE_END, RUN_DATE, PipelineNow, PipelineWorld, succeeded

UTC = timezone.utc
TORONTO = ZoneInfo("America/Toronto")
LIST_PATH = "/api/v3/athlete/activities"
# Monday 02:00 UTC: Sunday RUN_DATE is over in UTC, in Toronto it is Sunday 21:00.
AFTER_UTC_MIDNIGHT = datetime(2026, 11, 30, 2, tzinfo=UTC)


@pytest.fixture
def utc_machine(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """This machine's zone is UTC (the TZ environment variable, applied with tzset)."""
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


def zone_questions(world: PipelineWorld) -> int:
    """The list requests of one activity (the zone's question) the sandbox answered."""
    return sum(1 for record in world.sandbox.requests_log
               if record.path == LIST_PATH and record.query.get("per_page") == "1")


def production_ids(world: PipelineWorld) -> set[int]:
    release_all()
    with duckdb.connect(str(world.data_dir / "warehouse.duckdb"), read_only=True) as db:
        return {row[0] for row in db.execute("SELECT id FROM strava_activity_data").fetchall()}


def test_the_first_run_after_midnight_utc_takes_the_day_over_in_the_athletes_zone(
    world: PipelineWorld, pipeline_now: PipelineNow, utc_machine: None
) -> None:
    afternoon = world.athlete.add_activity(datetime(2026, 11, 29, 15, tzinfo=TORONTO)
                                           .astimezone(UTC), "Run")
    pipeline_now.moment = AFTER_UTC_MIDNIGHT
    assert run_dates.latest_completed_day(run_dates.machine_zone()) == RUN_DATE  # UTC: over

    zone = athlete_zone()
    assert (zone.name, zone.source) == ("America/Toronto",
                                        "the newest activity on Strava, nothing loaded yet")
    assert default_run_date() == RUN_DATE - timedelta(days=1)
    assert zone_questions(world) == 1
    # Sunday is refused before anything is read or marked; the first run takes Saturday.
    assert not succeeded(world.build(WeeklyPipeline(run_date=RUN_DATE)))
    assert not (world.data_dir / "extract" / RUN_DATE.isoformat()).exists()
    first = WeeklyPipeline()
    assert first.run_date == RUN_DATE - timedelta(days=1)
    assert succeeded(world.build(first))
    assert afternoon["id"] not in production_ids(world)
    assert zone_questions(world) == 1, "the zone is asked once per process"

    # Sunday evening in Toronto, then Sunday is over there: the next run has all of Sunday and
    # asks nothing more (production now names the zone).
    evening = world.athlete.add_activity(datetime(2026, 11, 29, 22, 30, tzinfo=TORONTO)
                                         .astimezone(UTC), "Ride")
    pipeline_now.moment = datetime(2026, 11, 30, 5, 30, tzinfo=UTC)
    world.sandbox.reset_log()
    assert athlete_zone().source == run_dates.WAREHOUSE_SOURCE
    assert default_run_date() == RUN_DATE
    assert succeeded(world.build(WeeklyPipeline()))
    assert {afternoon["id"], evening["id"]} <= production_ids(world)
    assert zone_questions(world) == 0


def test_strava_out_of_reach_keeps_the_machines_zone_and_says_so(
    world: PipelineWorld, pipeline_now: PipelineNow, utc_machine: None,
    caplog: pytest.LogCaptureFixture
) -> None:
    world.sandbox.stop()
    pipeline_now.moment = AFTER_UTC_MIDNIGHT
    with caplog.at_level(logging.INFO, logger="pipeline.athlete_zone"):
        zone = athlete_zone()
    assert zone.source == "this machine's time zone"
    assert default_run_date() == RUN_DATE
    lines = [r.getMessage() for r in caplog.records if r.name == "pipeline.athlete_zone"]
    assert len(lines) == 1 and lines[0].startswith(
        "could not ask Strava for the athlete's time zone (")
    assert "until the first load" in lines[0]
    assert world.env["STRAVA_REFRESH_TOKEN"] not in caplog.text


def demo_command(*args: str) -> tuple[int, str]:
    out = io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(io.StringIO()):
        code = cli.main(list(args))
    release_all()
    return code, out.getvalue()


def test_the_first_demo_asks_the_sandboxs_athlete_for_the_zone(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, pipeline_now: PipelineNow,
    utc_machine: None
) -> None:
    monkeypatch.setattr("pipeline.sandbox.environment.base_dir", lambda: tmp_path)
    pipeline_now.moment = AFTER_UTC_MIDNIGHT
    machine_date = run_dates.latest_completed_day(run_dates.machine_zone())
    # The demo athlete's newest activity before now names the zone (served up to the day
    # before the date the machine's zone gives, as the demo serves it before its first load).
    history = SyntheticAthlete(DEMO_SEED, DEMO_ACTIVITIES,
                               athlete_end(machine_date - timedelta(days=1)))
    stamp = AFTER_UTC_MIDNIGHT.strftime("%Y-%m-%dT%H:%M:%SZ")
    newest = max((a for a in history.activities if a["start_date"] < stamp),
                 key=lambda a: a["start_date"])
    expected = run_dates.latest_completed_day(
        run_dates.athlete_zone("", iana_timezone(newest["timezone"])))
    assert expected != machine_date, "the demo athlete's zone must be west of UTC for this test"

    code, out = demo_command("run-date", "--demo")
    assert (code, out.strip()) == (0, expected.isoformat())
    code, out = demo_command("run", "--demo", "--task", "LoadProduction", "--scheduler", "local")
    assert code == 0, out[-3000:]
    assert f"== Weekly Strava pipeline for {expected} " in out
    extracts = tmp_path / "sandbox-data" / "extract"
    assert sorted(path.name for path in extracts.iterdir()) == [expected.isoformat()]
    with sandbox_settings():
        assert known_zone(load_settings()) is not None
    # Production now names the zone: finding the run date serves no sandbox, asks nothing.
    served: list[object] = []
    monkeypatch.setattr("pipeline.sandbox.server.SandboxServer.start",
                        lambda server: served.append(server))
    assert demo_command("run-date", "--demo") == (0, f"{expected}\n")
    assert not served


def test_with_two_athletes_each_is_asked_once_and_the_newest_activity_decides(
    world_factory: Callable[..., PipelineWorld], pipeline_now: PipelineNow, utc_machine: None
) -> None:
    # One zone per installation, as production's rule (the newest activity of any athlete).
    first, second = (SyntheticAthlete(seed=seed, n_activities=50, end=ATHLETE_END)
                     for seed in (7, 8))
    world = world_factory(first, more_athletes=[second])
    authorize_all(world.sandbox, [7, 8])
    first.add_activity(datetime(2026, 11, 29, 5, tzinfo=TORONTO).astimezone(UTC), "Run")
    tokyo = datetime(2026, 11, 29, 20)  # 11:00 UTC: an hour after Toronto's 05:00
    second.add_activity(tokyo.replace(tzinfo=ZoneInfo("Asia/Tokyo")).astimezone(UTC), "Run",
                        start_date_local=tokyo.strftime("%Y-%m-%dT%H:%M:%SZ"),
                        timezone="(GMT+09:00) Asia/Tokyo", utc_offset=32400.0)
    pipeline_now.moment = AFTER_UTC_MIDNIGHT  # Monday 11:00 in Tokyo
    assert athlete_zone().name == "Asia/Tokyo"
    assert default_run_date() == RUN_DATE
    asked = [record.token_id for record in world.sandbox.requests_log
             if record.path == LIST_PATH and record.query.get("per_page") == "1"]
    assert len(asked) == 2 and len(set(asked)) == 2, "each athlete once, with their own token"
