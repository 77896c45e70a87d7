"""One read budget for every worker (issue 26): several Luigi worker processes in separate
invocations against one luigid and one MariaDB state store, or three athletes' readers in three
processes, never put more requests into a window than the sandbox's limit; a backfill stopped
by the budget resumes at the page it reached. The sandbox and the pipeline's processes share a
simulated clock (STRAVA_SIMULATED_CLOCK: 60 times faster, a quarter hour in 15 s), so the
windows pass in seconds."""

from __future__ import annotations

import json
import math
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import date, timedelta, timezone
from pathlib import Path

import pytest

from pipeline import run_dates
from pipeline.activity_csv import read_ids
from pipeline.sandbox import SyntheticAthlete
from pipeline.strava.clock import scaled_clock, simulated_clock_setting
from tests.conftest import ATHLETE_END, PROJECT_ROOT, RUN_DATE, PipelineWorld, require_server
from tests.support.backends import (  # noqa: F401 - fixtures
    fixture_mysql_db,
    fixture_pg_database,
    mysql_url,
    pg_url,
)
from tests.support.operations import Luigid, luigid_path, run_env

SPEED = 60.0
LIST_PATH = "/athlete/activities"
# Four reads (two per luigi invocation): each lists every activity up to its last week.
RANGES = [("2025-05-25", "2025-06-01"), ("2025-11-30", "2025-12-07"),
          ("2026-05-31", "2026-06-07"), ("2026-11-08", "2026-11-15")]


def athlete() -> SyntheticAthlete:
    """600 activities over three years: every read needs two to four pages."""
    return SyntheticAthlete(seed=23, n_activities=600, end=ATHLETE_END)


def simulated_clock() -> tuple[str, Callable[[], float]]:
    """STRAVA_SIMULATED_CLOCK starting 5 s into a quarter hour now, and its ``now``."""
    real = time.time()
    simulated = (real // 900) * 900 + 5
    return (simulated_clock_setting(real, simulated, SPEED),
            scaled_clock(real, simulated, SPEED).now)


def ranges_command(*ranges: tuple[str, str], extra: tuple[str, ...] = ()) -> list[str]:
    """``luigi --module tests.support.ranges ExtractRanges --ranges [...]``."""
    pairs = json.dumps([f"{first}:{last}" for first, last in ranges])
    return [sys.executable, "-m", "luigi", "--module", "tests.support.ranges", "ExtractRanges",
            "--ranges", pairs, "--no-lock", *extra]


def list_requests(world: PipelineWorld) -> list[tuple[int, int, float, int]]:
    """(before, page, time, status) of every activity-list request, in order."""
    return [(int(r.query["before"]), int(r.query["page"]), r.time, r.status)
            for r in world.sandbox.requests_log if r.path.endswith(LIST_PATH)]


def api_windows(world: PipelineWorld) -> Counter[int]:
    """Requests to the API per 15-minute window of the sandbox's clock."""
    return Counter(int(r.time // 900) for r in world.sandbox.requests_log
                   if r.path.startswith("/api/v3/"))


def pages_needed(world: PipelineWorld, last: str) -> int:
    """ceil(N/200)+1: the list requests of one read of every activity up to the week."""
    before = run_dates.extract_before(date.fromisoformat(last)).replace(tzinfo=timezone.utc)
    stamp = before.strftime("%Y-%m-%dT%H:%M:%SZ")
    return math.ceil(len([a for a in world.athlete.activities if a["start_date"] < stamp])
                     / 200) + 1


@pytest.fixture
def budget_world(world_factory: Callable[..., PipelineWorld]
                 ) -> Callable[[int, dict[str, str]], PipelineWorld]:
    """A sandbox of ``limit`` reads per quarter hour on the shared simulated clock."""

    def make(limit: int, extra_env: dict[str, str]) -> PipelineWorld:
        setting, now = simulated_clock()
        world = world_factory(athlete(), clock=now, read_limit_15min=limit,
                              rotate_refresh_tokens=False)
        world.env.update({"STRAVA_SIMULATED_CLOCK": setting, **extra_env})
        return world

    return make


@pytest.fixture
def luigid(tmp_path: Path) -> Iterator[Luigid]:
    """A central scheduler of its own."""
    require_server(luigid_path() is not None, "luigid is not installed")
    scheduler = Luigid(tmp_path / "luigid")
    scheduler.start()
    yield scheduler
    scheduler.stop()


def extracted_ids(data_dir: Path) -> set[int]:
    """The activity ids of every weekly extract written."""
    ids: set[int] = set()
    for path in (data_dir / "extract").glob("*/activities.csv"):
        ids |= read_ids(path)
    return ids


def test_a_backfill_stopped_by_the_budget_resumes_at_the_page_it_reached(
    budget_world: Callable[[int, dict[str, str]], PipelineWorld]
) -> None:
    # 3 reads per quarter hour: a backfill may take 2 of them (20 % stays for weekly runs).
    world = budget_world(3, {"STRAVA_MAX_RATE_LIMIT_WAIT": "1"})
    first, last = RANGES[-1]
    needed = pages_needed(world, last)
    assert needed >= 4, "the read must need more pages than one window allows"
    environment = run_env(world)
    stopped = subprocess.run(ranges_command((first, last), extra=("--local-scheduler",)),
                             cwd=PROJECT_ROOT, env=environment, capture_output=True, text=True,
                             timeout=300)
    assert stopped.returncode != 0
    assert "shared 15-minute read budget is spent" in stopped.stderr
    assert "STRAVA_MAX_RATE_LIMIT_WAIT" in stopped.stderr
    reached = [page for _, page, _, _ in list_requests(world)]
    assert reached and reached == list(range(1, len(reached) + 1)) and len(reached) < needed
    assert not extracted_ids(world.data_dir), "a stopped read writes no extract"

    # Rerun, allowed to wait for the next window: it asks from the next page on.
    environment["STRAVA_MAX_RATE_LIMIT_WAIT"] = "960"
    resumed = subprocess.run(ranges_command((first, last), extra=("--local-scheduler",)),
                             cwd=PROJECT_ROOT, env=environment, capture_output=True, text=True,
                             timeout=300)
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    pages = [page for _, page, _, _ in list_requests(world)]
    assert pages == list(range(1, needed + 1)), "a page was asked twice or skipped"
    assert all(status == 200 for _, _, _, status in list_requests(world))
    assert max(api_windows(world).values()) <= 3

    last_day = date.fromisoformat(last).isoformat()
    expected = {a["id"] for a in world.athlete.activities
                if a["start_date_local"][:10] <= last_day}
    assert extracted_ids(world.data_dir) == expected
    assert not list((world.data_dir / "lake" / "strava" / "pages").rglob("*.json.gz"))


def test_four_workers_in_two_invocations_share_one_budget(
    budget_world: Callable[[int, dict[str, str]], PipelineWorld], luigid: Luigid, mysql_db: str
) -> None:
    limit = 5
    world = budget_world(limit, {"STATE_URL": mysql_url(mysql_db)})
    scheduler = ("--workers", "2", "--scheduler-host", "127.0.0.1",
                 "--scheduler-port", str(luigid.port))
    runs = [subprocess.Popen(ranges_command(*RANGES[half::2], extra=scheduler), cwd=PROJECT_ROOT,
                             env=run_env(world), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             text=True) for half in (0, 1)]
    outputs = [run.communicate(timeout=600) for run in runs]
    for run, (_, err) in zip(runs, outputs, strict=True):
        assert run.returncode == 0, err[-3000:]

    requests_made = list_requests(world)
    assert all(status == 200 for *_, status in requests_made), "Strava answered 429"
    windows = api_windows(world)
    assert max(windows.values()) <= limit, windows
    needed = sum(pages_needed(world, last) for _, last in RANGES)
    assert len(requests_made) == needed, "every read asks each of its pages once"
    assert len({(before, page) for before, page, *_ in requests_made}) == needed
    assert len(windows) >= math.ceil(needed / limit), windows
    done = luigid.tasks("DONE")
    assert sum(task_id.startswith("ExtractRange_") for task_id in done) == len(RANGES)


def test_three_athletes_in_three_processes_share_the_application_budget(
    world_factory: Callable[..., PipelineWorld], mysql_db: str
) -> None:
    from pipeline.sandbox.athlete import athlete_seeds
    from pipeline.sandbox_cli import authorize_all

    limit = 5
    seeds = athlete_seeds(61, 3)
    athletes = [SyntheticAthlete(seed, n_activities=300, end=ATHLETE_END) for seed in seeds]
    setting, now = simulated_clock()
    world = world_factory(athletes[0], clock=now, read_limit_15min=limit,
                          more_athletes=athletes[1:])
    stored = authorize_all(world.sandbox, seeds)  # each athlete's own token entry
    environment = run_env(world, STATE_URL=mysql_url(mysql_db), STRAVA_SIMULATED_CLOCK=setting)
    before = int(ATHLETE_END.timestamp()) + 86_400
    runs = [subprocess.Popen([sys.executable, "-m", "tests.support.read_athlete",
                              str(athlete.id), "0", str(before)], cwd=PROJECT_ROOT,
                             env=environment, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             text=True) for athlete in stored]
    outputs = [run.communicate(timeout=300) for run in runs]
    for run, (_, err) in zip(runs, outputs, strict=True):
        assert run.returncode == 0, err[-3000:]

    log = [r for r in world.sandbox.requests_log if r.path.endswith(LIST_PATH)]
    assert all(r.status == 200 for r in log), "Strava answered 429"
    windows = api_windows(world)
    assert max(windows.values()) <= limit and len(windows) >= 2, windows
    per_token = Counter(r.token_id for r in log)
    assert len(per_token) == 3  # three athletes' own tokens, one budget
    minimum = sum(math.ceil(len(a.activities) / 200) + 1 for a in athletes)
    assert len(log) == minimum
    for token in per_token:
        pages = [int(r.query["page"]) for r in log if r.token_id == token]
        assert pages == list(range(1, len(pages) + 1)), "a page was asked twice"


def athletes_backfill(athlete_ids: list[int], extra: tuple[str, ...]) -> list[str]:
    """``luigi ... AthletesBackfill``: the real Backfill of these athletes (4 weeks to RUN_DATE;
    the first week's read lists each athlete's whole history)."""
    return [sys.executable, "-m", "luigi", "--module", "tests.support.athlete_backfill",
            "AthletesBackfill", "--athlete-ids", json.dumps(athlete_ids),
            "--start", (RUN_DATE - timedelta(days=21)).isoformat(), "--stop",
            RUN_DATE.isoformat(), "--no-lock", *extra]


def run_both(commands: list[list[str]], environment: dict[str, str]
             ) -> list[tuple[int, str]]:
    """Run the commands at once; (return code, stderr) of each."""
    runs = [subprocess.Popen(command, cwd=PROJECT_ROOT, env=environment,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            for command in commands]
    return [(run.returncode, err) for run, (_, err)
            in ((run, run.communicate(timeout=900)) for run in runs)]


def pages_by_read(world: PipelineWorld) -> dict[tuple[str, str, str], list[int]]:
    """The list pages asked, in order, per (token, after, before): one athlete's read each."""
    reads: dict[tuple[str, str, str], list[int]] = {}
    for r in world.sandbox.requests_log:
        if r.path.endswith(LIST_PATH):
            key = (str(r.token_id), r.query.get("after", ""), r.query["before"])
            reads.setdefault(key, []).append(int(r.query["page"]))
    return reads


def test_three_athletes_backfill_with_four_workers_in_two_invocations(
    world_factory: Callable[..., PipelineWorld], luigid: Luigid, mysql_db: str,
    pg_database: str
) -> None:
    """sandbox --athletes 3, each authorized; the real per-athlete graph (ExtractRange,
    BackfillWeek chains, WeeklyPipeline) in two ``luigi --workers 2`` invocations against one
    luigid, one MariaDB state store and one PostgreSQL warehouse: stopped by the budget first,
    then resumed at the page each athlete's read reached."""
    from pipeline.backends import open_warehouse
    from pipeline.sandbox.athlete import athlete_seeds
    from pipeline.sandbox_cli import authorize_all

    limit = 4  # a backfill may take 3 of them
    seeds = athlete_seeds(71, 3)
    athletes = [SyntheticAthlete(seed, n_activities=450, end=ATHLETE_END) for seed in seeds]
    setting, now = simulated_clock()
    world = world_factory(athletes[0], clock=now, read_limit_15min=limit,
                          more_athletes=athletes[1:], rotate_refresh_tokens=False)
    stored = authorize_all(world.sandbox, seeds)
    ids = [athlete.id for athlete in stored]
    scheduler = ("--workers", "2", "--scheduler-host", "127.0.0.1",
                 "--scheduler-port", str(luigid.port))
    commands = [athletes_backfill(ids[:2], scheduler), athletes_backfill(ids[2:], scheduler)]
    environment = run_env(world, STATE_URL=mysql_url(mysql_db),
                          WAREHOUSE_URL=pg_url(pg_database), STRAVA_SIMULATED_CLOCK=setting,
                          STRAVA_MAX_RATE_LIMIT_WAIT="1")
    needed = [math.ceil(len(a.activities) / 200) + 1 for a in athletes]

    # 1. Not allowed to wait for the next window: stopped by the budget mid-read.
    stopped = run_both(commands, environment)
    assert any(code != 0 for code, _ in stopped)
    assert any("shared 15-minute read budget is spent" in err for _, err in stopped), [
        err[-1500:] for _, err in stopped]
    reached = {key: list(pages) for key, pages in pages_by_read(world).items()}
    assert reached and sum(map(len, reached.values())) < sum(needed)
    assert any(0 < len(pages) < max(needed) for pages in reached.values())
    kept = world.data_dir / "lake" / "strava" / "pages"
    assert list(kept.rglob("*.json.gz")), "the pages read are kept for the rerun"

    # 2. The same two invocations, allowed to wait: each read goes on from its next page.
    environment["STRAVA_MAX_RATE_LIMIT_WAIT"] = "960"
    for code, err in run_both(commands, environment):
        assert code == 0, err[-3000:]

    reads = pages_by_read(world)
    assert len(reads) == 3, "one read per athlete, each with its own token"
    assert sorted(map(len, reads.values())) == sorted(needed)
    for key, pages in reads.items():
        assert pages == list(range(1, len(pages) + 1)), f"a page was asked twice: {pages}"
        assert pages[:len(reached.get(key, []))] == reached.get(key, [])
    log = [r for r in world.sandbox.requests_log if r.path.startswith("/api/v3/")]
    assert all(r.status == 200 for r in log), "Strava answered 429"
    windows = api_windows(world)
    assert max(windows.values()) <= limit, windows
    assert not list(kept.rglob("*.json.gz")), "the kept pages go once the extracts are written"

    warehouse = open_warehouse(pg_url(pg_database))
    for athlete_id, athlete in zip(ids, athletes, strict=True):
        rows = warehouse.query("SELECT COUNT(*) FROM strava_activity_data WHERE athlete_id = :a",
                               {"a": athlete_id})
        assert int(rows[0][0]) == len([a for a in athlete.activities
                                       if a["start_date_local"][:10] <= RUN_DATE.isoformat()])
    done = luigid.tasks("DONE")
    assert sum(task_id.startswith("ExtractRange_") for task_id in done) == 3
    assert sum(task_id.startswith("WeeklyPipeline_") for task_id in done) == 2
