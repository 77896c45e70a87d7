"""The stream marts (sql/models/marts/activity_hr_zones.sql, activity_training_load.sql,
weekly_training_load.sql, activity_best_efforts.sql, activity_best_power.sql,
activity_normalized_power.sql) equal a
recomputation here from the samples parsed from the archive's files: best efforts within 1 s,
time in zones within 1 %; on the embedded backends and on MariaDB + moto S3 + PostgreSQL."""

from __future__ import annotations

import bisect
from collections import defaultdict
from pathlib import Path

import pytest

from pipeline.dashboard.streams import CHART_IDS
from pipeline.settings import load_settings
from pipeline.tasks.dashboard import dashboard_path
from tests.conftest import RUN_DATE, succeeded
from tests.e2e.test_archive_import import (  # noqa: F401 - the fixture
    archive_world,
    import_archive,
    query,
)
from tests.e2e.test_archive_streams import recomputed, sandbox_archive  # noqa: F401
from tests.support.backends import (  # noqa: F401 - fixtures
    fixture_mysql_db,
    fixture_pg_database,
    fixture_s3_env,
    fixture_s3_server,
)

SHARES = ((1, 0.0, 0.6), (2, 0.6, 0.7), (3, 0.7, 0.8), (4, 0.8, 0.9), (5, 0.9, 10.0))
TARGETS = {"1 km": 1000.0, "5 km": 5000.0, "10 km": 10000.0, "half marathon": 21097.5,
           "marathon": 42195.0}


def durations(rows: list[tuple]) -> list[float]:
    times = [row[1] for row in rows]
    return [min(later - now, 30.0) for now, later in zip(times, times[1:], strict=False)] + [0.0]


def zone_seconds(rows: list[tuple], max_hr: float) -> dict[int, float]:
    seconds: dict[int, float] = defaultdict(float)
    for row, duration in zip(rows, durations(rows), strict=True):
        heart = row[6]
        if heart is None:
            continue
        for zone, low, high in SHARES:
            if low * max_hr <= heart < high * max_hr:
                seconds[zone] += duration
    return dict(seconds)


def best_effort(rows: list[tuple], meters: float) -> float | None:
    distances = [row[4] for row in rows]
    times = [row[1] for row in rows]
    best = None
    for index, start in enumerate(distances):
        end = bisect.bisect_left(distances, start + meters, lo=index)
        if end < len(distances):
            took = times[end] - times[index]
            best = took if best is None else min(best, took)
    return best


def best_power(rows: list[tuple], window: float) -> float | None:
    seconds = durations(rows)
    total = rows[-1][1]
    best = None
    for index, row in enumerate(rows):
        if row[1] + window > total:
            break
        joules = spent = 0.0
        for other, duration in zip(rows[index:], seconds[index:], strict=False):
            if other[1] >= row[1] + window:
                break
            joules += other[8] * duration
            spent += duration
        if spent:
            best = joules / spent if best is None else max(best, joules / spent)
    return best


def normalized_power(rows: list[tuple]) -> float | None:
    seconds = durations(rows)
    times = [row[1] for row in rows]
    fourth = []
    for index, row in enumerate(rows):
        if row[1] < 30:
            continue
        first = bisect.bisect_right(times, row[1] - 30)
        inside = [(rows[i][8], seconds[i]) for i in range(first, index + 1)]
        spent = sum(duration for _, duration in inside)
        if spent:
            fourth.append((sum(p * d for p, d in inside) / spent) ** 4)
    return (sum(fourth) / len(fourth)) ** 0.25 if fourth else None


def test_stream_marts_equal_a_recomputation_from_the_samples(
        archive_world, sandbox_archive: Path) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    import_archive(sandbox_archive)
    assert succeeded(archive_world.run_weekly(RUN_DATE))
    samples = recomputed(sandbox_archive)
    families = dict(query("SELECT id, sport_family FROM stg_activities"))
    max_hr = max(row[6] for rows in samples.values() for row in rows
                 if row[6] is not None and 100 <= row[6] <= 230)

    zones: dict[int, dict[int, float]] = defaultdict(dict)
    for activity_id, zone, seconds in query("SELECT activity_id, zone, seconds "
                                            "FROM activity_hr_zones"):
        zones[activity_id][zone] = float(seconds)
    expected = {i: zone_seconds(rows, float(max_hr)) for i, rows in samples.items()}
    expected = {i: z for i, z in expected.items() if z}
    assert set(zones) == set(expected)
    for activity_id, seconds in expected.items():
        for zone, value in seconds.items():
            assert zones[activity_id][zone] == pytest.approx(value, rel=0.01)

    loads = dict(query("SELECT activity_id, trimp FROM activity_training_load"))
    for activity_id, seconds in expected.items():
        trimp = sum(zone * value for zone, value in seconds.items()) / 60
        assert float(loads[activity_id]) == pytest.approx(trimp, rel=0.01)
    (weekly_total,) = query("SELECT SUM(trimp) FROM weekly_training_load")[0]
    assert float(weekly_total) == pytest.approx(sum(float(v) for v in loads.values()), rel=1e-6)

    efforts = {(i, effort): float(best) for i, effort, best in query(
        "SELECT activity_id, effort, best_seconds FROM activity_best_efforts")}
    runs = [i for i in samples if families.get(i) == "run"]
    assert runs and any(effort == "5 km" for _, effort in efforts)
    for activity_id in runs:
        for effort, meters in TARGETS.items():
            best = best_effort(samples[activity_id], meters)
            if best is None:
                assert (activity_id, effort) not in efforts
            else:
                assert efforts[(activity_id, effort)] == pytest.approx(best, abs=1.0)

    power = {(i, effort): float(watts) for i, effort, watts in query(
        "SELECT activity_id, effort, best_watts FROM activity_best_power")}
    page = dashboard_path(load_settings().data_dir, RUN_DATE).read_text(encoding="utf-8")
    for chart in CHART_IDS.values():
        assert chart in page

    rides = [i for i in samples if families.get(i) == "ride" and samples[i][0][8] is not None]
    assert rides and power
    for activity_id in rides:
        for effort, window in (("5 min", 300.0), ("20 min", 1200.0)):
            best = best_power(samples[activity_id], window)
            if best is not None:
                assert power[(activity_id, effort)] == pytest.approx(best, rel=0.01)
    normalized = dict(query("SELECT activity_id, normalized_watts FROM activity_normalized_power"))
    for activity_id in rides:
        expected_np = normalized_power(samples[activity_id])
        if expected_np is not None:
            assert float(normalized[activity_id]) == pytest.approx(expected_np, rel=0.01)
