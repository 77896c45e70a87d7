"""activity_routes keeps what the dashboard reads (issue 23): each athlete's newest MAX_ROUTES
routes up to the end of the run date and every later one, so its read equals the read of the
whole history's routes."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

from pipeline.backends import open_warehouse
from pipeline.backends.duckdb_warehouse import release_all
from pipeline.dashboard.data import iter_route_rows
from pipeline.dashboard.routes import MAX_ROUTES
from pipeline.model_registry import model
from pipeline.sql_files import render
from tests.support.models import rebuild_models

RUN_DATE = date(2026, 11, 29)


def test_the_routes_cap_is_the_dashboards() -> None:
    caps = re.findall(r"newest <= (\d+)", model("activity_routes").text)
    assert caps == [str(MAX_ROUTES)]


def test_the_dashboard_reads_the_same_routes_as_from_the_whole_history(tmp_path: Path) -> None:
    url = f"duckdb:///{tmp_path}/warehouse.duckdb"
    warehouse = open_warehouse(url)
    warehouse.ensure_schema()
    # Athlete 1: about MAX_ROUTES + 700 routes up to the run date (two at each start time, every
    # 6 hours back from it), 30 after it, about 40 without a polyline; athlete 2: 21 routes.
    insert = (
        "INSERT INTO {production_table} (id, athlete_id, name, sport_type, start_date_local,"
        " summary_polyline, distance, moving_time)"
        " SELECT i, CASE WHEN i % 1000 = 7 AND i < 40000 THEN 2 ELSE 1 END, 'a' || i, 'Run',"
        " TIMESTAMP '2026-11-30 00:00:00' - INTERVAL 6 HOUR * (i // 2),"
        " CASE WHEN i % 500 = 3 THEN NULL ELSE 'abc' || i END, 1000.0, 300"
        f" FROM range(1, {MAX_ROUTES + 800}) AS t(i)"
        " UNION ALL SELECT 100000 + i, 1, 'late', 'Ride',"
        " TIMESTAMP '2026-11-30 00:00:00' + INTERVAL 1 HOUR * i, 'late' || i, 5000.0, 900"
        " FROM range(0, 30) AS t(i)")
    with warehouse.transaction() as session:
        session.execute(render(insert))
    whole = ("SELECT id, start_date_local, timezone, location_country, summary_polyline"
             " FROM stg_activities WHERE summary_polyline <> '' AND start_date_local < :end"
             " AND (:athlete = 0 OR athlete_id = :athlete)"
             " ORDER BY start_date_local DESC, id DESC LIMIT :cap")
    for run_date in (date(2026, 11, 2), RUN_DATE):  # each date's marts, then its dashboard
        rebuild_models(url, run_date)
        warehouse = open_warehouse(url)
        kept = warehouse.query("SELECT COUNT(*) FROM activity_routes")[0][0]
        with_route = warehouse.query("SELECT COUNT(*) FROM stg_activities"
                                     " WHERE summary_polyline <> ''")[0][0]
        assert kept < with_route  # the oldest routes are left out ...
        for athlete in (0, 1, 2):
            end = f"{run_date + (date(2026, 11, 30) - RUN_DATE)} 00:00:00"
            for cap in (MAX_ROUTES, 100):
                with warehouse.read_only_transaction() as session:
                    read = list(iter_route_rows(session, run_date, cap, athlete))
                expected = warehouse.query(whole, {"end": end, "athlete": athlete, "cap": cap})
                assert read == [tuple(row) for row in expected], (run_date, athlete, cap)
    # ... and every route after the run date is kept.
    assert warehouse.query("SELECT COUNT(*) FROM activity_routes WHERE name = 'late'") == [(30,)]
    release_all()
