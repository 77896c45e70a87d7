"""The plausible range of a start (issue 25, finding 2): 1970 to the day after the run date."""

from __future__ import annotations

from datetime import date

from pipeline.run_dates import plausible_starts
from pipeline.strava.activities import parse_problem


def test_the_plausible_range_runs_from_1970_to_the_day_after_the_run_date() -> None:
    plausible = plausible_starts(date(2026, 11, 29))

    def problem(start: str) -> str | None:
        return parse_problem({"id": 1, "start_date": "2026-11-20T07:00:00Z",
                              "start_date_local": start}, plausible)

    assert problem("1970-01-01T00:00:00Z") is None
    assert problem("2026-11-30T23:59:59Z") is None
    assert problem("2026-12-01T00:00:00Z") == ("start_date_local '2026-12-01T00:00:00Z' is "
                                               "outside the plausible range 1970-01-01 to "
                                               "2026-11-30")
    assert "'1800-06-01T08:00:00Z' is outside" in (problem("1800-06-01T08:00:00Z") or "")
    assert parse_problem({"id": 1, "start_date": "1800-06-01T08:00:00Z"}) is None  # no range
