"""The run-date rule (pipeline/run_dates.py): completed local days, the run's week, the window.

Unit checks of the one definition, then the pipeline on the embedded default with activities on
the day boundary on both sides of UTC, future dates, Backfill, and the machine's own TZ.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from pipeline import run_dates
from pipeline.athlete_zone import athlete_zone
from pipeline.settings import ConfigurationError

UTC = timezone.utc


def zone(name: str) -> run_dates.AthleteZone:
    return run_dates.AthleteZone(name, ZoneInfo(name), "test")


def test_the_runs_week_is_its_monday_to_the_run_date() -> None:
    week = run_dates.run_week(date(2026, 11, 29))  # a Sunday: the whole week, finished
    assert (week.first_day, week.start, week.end) == (
        date(2026, 11, 23), datetime(2026, 11, 23), datetime(2026, 11, 30))
    assert week.finished and week.last_day == date(2026, 11, 29)
    assert week.contains(datetime(2026, 11, 29, 23, 59, 59))
    assert not week.contains(datetime(2026, 11, 30, 0, 0))
    assert not week.contains(datetime(2026, 11, 22, 23, 59, 59))


def test_a_saturday_run_date_has_the_unfinished_monday_week() -> None:
    """Issue 22, finding 3: one week everywhere. Saturday 2026-11-28's week is Monday 23 to
    Saturday 28 November, unfinished (it was Sunday 22 to Saturday 28 before, while the marts
    used the Monday week)."""
    week = run_dates.run_week(date(2026, 11, 28))
    assert (week.first_day, week.start, week.end) == (
        date(2026, 11, 23), datetime(2026, 11, 23), datetime(2026, 11, 29))
    assert not week.finished and week.last_day == date(2026, 11, 29)
    assert not week.contains(datetime(2026, 11, 22, 12))  # Sunday: the week before
    assert run_dates.run_week(date(2026, 12, 2)).first_day == date(2026, 11, 30)  # a Wednesday
    assert {run_dates.week_start(date(2026, 11, 23) + timedelta(days=n)) for n in range(7)} == {
        date(2026, 11, 23)}


def test_the_extract_window_covers_the_run_date_in_every_time_zone() -> None:
    before = run_dates.extract_before(date(2026, 11, 29))
    assert before == datetime(2026, 11, 30, 12)
    # The last local second of Sunday at UTC-12 and at UTC+14 both fall inside the window.
    for name in ("Etc/GMT+12", "Pacific/Kiritimati", "America/Toronto", "Asia/Tokyo"):
        last = datetime(2026, 11, 29, 23, 59, 59, tzinfo=ZoneInfo(name))
        assert last.astimezone(UTC).replace(tzinfo=None) < before, name
    # After the watermark: the lookback plus the 26 h by which UTC order and local order differ.
    assert run_dates.extract_after(datetime(2026, 11, 30, 2), 0) == datetime(2026, 11, 29)
    assert run_dates.extract_after(datetime(2026, 11, 30, 2), 14) == datetime(2026, 11, 15)


@pytest.mark.parametrize(("now", "zone_name", "latest"), [
    # Monday 03:00 UTC is still Sunday 22:00 in Toronto: Sunday is not over there yet.
    (datetime(2026, 11, 30, 3, tzinfo=UTC), "America/Toronto", date(2026, 11, 28)),
    (datetime(2026, 11, 30, 5, 1, tzinfo=UTC), "America/Toronto", date(2026, 11, 29)),
    # Sunday 15:30 UTC is already Monday 00:30 in Tokyo: Sunday is over there.
    (datetime(2026, 11, 29, 15, 30, tzinfo=UTC), "Asia/Tokyo", date(2026, 11, 29)),
    (datetime(2026, 11, 29, 14, 59, tzinfo=UTC), "Asia/Tokyo", date(2026, 11, 28)),
])
def test_a_date_is_over_once_the_athletes_midnight_has_passed(
    now: datetime, zone_name: str, latest: date
) -> None:
    athlete = zone(zone_name)
    assert run_dates.latest_completed_day(athlete, now) == latest
    run_dates.ensure_over(latest, athlete, now)
    with pytest.raises(run_dates.RunDateNotOver) as refused:
        run_dates.ensure_over(latest + timedelta(days=1), athlete, now)
    message = str(refused.value)
    assert "\n" not in message and zone_name in message and str(latest) in message


def test_the_athletes_zone_comes_from_the_setting_then_the_newest_activity_then_the_machine(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert run_dates.athlete_zone("Asia/Tokyo", "America/Toronto").name == "Asia/Tokyo"
    assert run_dates.athlete_zone("", "America/Toronto").name == "America/Toronto"
    assert run_dates.athlete_zone("", None).source == "this machine's time zone"
    # A zone name no tz database knows falls back to the machine's zone instead of failing.
    assert run_dates.athlete_zone("", "Mars/Olympus").source == "this machine's time zone"
    monkeypatch.setenv("ATHLETE_TIMEZONE", "Toronto")
    with pytest.raises(ConfigurationError, match="ATHLETE_TIMEZONE='Toronto' is not an IANA"):
        athlete_zone()


def test_a_date_is_over_everywhere_once_it_is_over_at_utc_minus_12() -> None:
    sunday = date(2026, 11, 29)
    last_minute = datetime(2026, 11, 30, 11, 59, tzinfo=UTC)  # Sunday 23:59 at UTC-12
    assert not run_dates.over_everywhere(sunday, last_minute)
    with pytest.raises(run_dates.RunDateNotOver):
        run_dates.ensure_over(sunday, zone("Etc/GMT+12"), last_minute)
    assert run_dates.over_somewhere(sunday, last_minute)
    monday, kiribati_midnight = sunday + timedelta(days=1), datetime(2026, 11, 30, 10, tzinfo=UTC)
    assert not run_dates.over_somewhere(monday, kiribati_midnight - timedelta(minutes=1))
    assert run_dates.over_somewhere(monday, kiribati_midnight)
    noon = last_minute + timedelta(minutes=1)
    assert run_dates.over_everywhere(sunday, noon)
    for name in ("Etc/GMT+12", "Pacific/Pago_Pago", "America/Toronto", "UTC",
                 "Pacific/Kiritimati"):
        run_dates.ensure_over(sunday, zone(name), noon)  # over in every zone, as promised


def test_a_date_over_everywhere_is_checked_without_asking_strava(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from pipeline import athlete_zone as rule

    monkeypatch.setenv("DATA_DIR", str(tmp_path))
    asked: list[object] = []
    known_zone = rule.known_zone
    monkeypatch.setattr(rule, "known_zone", lambda settings: None)  # nothing loaded yet
    monkeypatch.setattr(rule, "strava_zone", lambda settings: asked.append(settings))
    monkeypatch.setattr(run_dates, "utc_now", lambda: datetime(2026, 11, 30, 12, tzinfo=UTC))
    rule.ensure_run_date_over(date(2026, 11, 29))
    assert rule.latest_run_date(date(2026, 11, 29)) == date(2026, 11, 29)
    assert not asked
    monkeypatch.setattr(rule, "known_zone", known_zone)
    monkeypatch.setenv("ATHLETE_TIMEZONE", "Toronto")  # a bad setting is still refused
    with pytest.raises(ConfigurationError, match="ATHLETE_TIMEZONE='Toronto'"):
        rule.ensure_run_date_over(date(2026, 11, 29))
