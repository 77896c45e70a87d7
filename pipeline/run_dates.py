"""The run-date rule: a run date is a completed local day; the week, Monday to Sunday.

Every activity belongs to the local calendar date of its ``start_date_local`` (the wall-clock time
where it happened). Run date D covers every activity whose local date is on or before D.

**The week** (one definition for every mart, check, dashboard panel and the kudos window): the
local Monday-to-Sunday week, named by its Monday (``week_start``; in SQL the fragment
``sql/fragments/week_start.sql``). The run's week is the week holding D, up to D: for a Sunday
D all seven days, a finished week; for any other D the days from its Monday to D, an
*unfinished* week, labelled so on the dashboard and given no week-over-week change. Example: run
date Saturday 2026-11-28 has the unfinished week Monday 2026-11-23 to Saturday 2026-11-28 (the
activities of Sunday 2026-11-29 belong to it once a run of that Sunday covers them).
Both are the same for any machine time zone, because they use only the activities' own local
times.

Whether D is over, and which date a run takes when none is given, depend on the athlete's time
zone (see ``athlete_zone``): D may run once the athlete's local clock has passed D's midnight, and
the default is the most recent such day (yesterday, in the athlete's zone).

A local date spans different UTC instants in different zones (UTC-12 ... UTC+14), so the extract
asks Strava for a UTC window wide enough for every zone and then keeps the rows by local date.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

logger = logging.getLogger(__name__)

ATHLETE_TIMEZONE_VARIABLE = "ATHLETE_TIMEZONE"
# Local time is UTC plus an offset between -12 h (Baker Island) and +14 h (Kiribati).
WESTERNMOST_OFFSET = timedelta(hours=-12)
EASTERNMOST_OFFSET = timedelta(hours=14)
# Activities in two zones can start in the opposite order in UTC and in local time by this much.
ZONE_SPREAD = EASTERNMOST_OFFSET - WESTERNMOST_OFFSET
DAYS_PER_WEEK = 7
WEEK_FIRST_WEEKDAY = 0  # Monday (date.weekday()); sql/fragments/week_start.sql says the same


def week_start(day: date) -> date:
    """The Monday of the week holding a local date (the week's name)."""
    return day - timedelta(days=(day.weekday() - WEEK_FIRST_WEEKDAY) % DAYS_PER_WEEK)


class RunDateNotOver(ValueError):
    """The run date is not over in the athlete's time zone; the message says when it will be."""


def utc_now() -> datetime:
    """The current moment (aware, UTC); tests replace this one function to move time."""
    return datetime.now(timezone.utc)


# -- the run's week and the extract window (no time zone needed) ---------------------------------


@dataclass(frozen=True)
class RunWeek:
    """The run's week: from the Monday of the run date's week to the run date, as naive
    local-time bounds (see the module's docstring).

    ``start <= start_date_local < end`` is the test for "in the run's week", and
    ``start_date_local < end`` for "covered by the run date".
    """

    run_date: date

    @property
    def first_day(self) -> date:
        """The first local date of the week: its Monday."""
        return week_start(self.run_date)

    @property
    def last_day(self) -> date:
        """The last local date of the whole week: its Sunday."""
        return self.first_day + timedelta(days=DAYS_PER_WEEK - 1)

    @property
    def finished(self) -> bool:
        """Whether the run date is the week's last day (a Sunday): the whole week is covered."""
        return self.run_date == self.last_day

    @property
    def start(self) -> datetime:
        """Local midnight starting the week (included)."""
        return datetime.combine(self.first_day, time())

    @property
    def end(self) -> datetime:
        """Local midnight ending the run date (excluded)."""
        return datetime.combine(self.run_date + timedelta(days=1), time())

    def contains(self, start_date_local: datetime) -> bool:
        """Whether an activity's local start lies in the week."""
        return self.start <= start_date_local < self.end

    def parameters(self) -> dict[str, datetime]:
        """The bounds as SQL parameters ``:run_week_start`` and ``:run_week_end``."""
        return {"run_week_start": self.start, "run_week_end": self.end}


def run_week(run_date: date) -> RunWeek:
    """The run's week: its Monday to ``run_date`` (the one definition; finished on a Sunday)."""
    return RunWeek(run_date)


EARLIEST_PLAUSIBLE_START = datetime(1970, 1, 1)


def plausible_starts(run_date: date) -> tuple[datetime, datetime]:
    """[earliest, latest) naive bounds of a plausible start (UTC or local) for a run date's
    extract: from 1970-01-01 to the end of the day after the run date. An activity starting
    outside is set aside like an unparseable one (the one definition of the range)."""
    latest = datetime.combine(run_date + timedelta(days=2), time())
    return EARLIEST_PLAUSIBLE_START, latest


def extract_before(run_date: date) -> datetime:
    """Strava's ``before`` for the run date (naive UTC): after the end of D in every time zone.

    The last local minute of D happens at UTC 12:00 of the next day at UTC-12, the westernmost
    zone; the window ends there, and the rows are then kept by their local date.
    """
    return run_week(run_date).end - WESTERNMOST_OFFSET


def extract_after(watermark: datetime, lookback_days: int) -> datetime:
    """Strava's ``after`` (naive UTC) for a run following one whose newest start was ``watermark``.

    Besides the lookback (late uploads, changed names and kudos), the window reaches back the
    whole spread of time zones: an activity of a later local date may start before the watermark
    in UTC (Monday 06:00 in Tokyo is earlier than Sunday 21:00 in Toronto).
    """
    return watermark - timedelta(days=lookback_days) - ZONE_SPREAD


# -- the athlete's time zone: when a date is over ------------------------------------------------


@dataclass(frozen=True)
class AthleteZone:
    """The time zone that decides whether a local date is over, and where it came from."""

    name: str
    tzinfo: tzinfo
    source: str

    def today(self, now: datetime | None = None) -> date:
        """The athlete's local date at ``now`` (default: the current moment)."""
        return (now or utc_now()).astimezone(self.tzinfo).date()

    def describe(self) -> str:
        """E.g. 'America/Toronto (the newest activity in the warehouse)'."""
        return f"{self.name} ({self.source})"


def parse_zone(name: str, where: str) -> ZoneInfo:
    """An IANA time zone, or ValueError naming ``where`` the bad value came from."""
    try:
        return ZoneInfo(name.strip())
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(
            f"{where}={name!r} is not an IANA time zone: use a name such as America/Toronto, "
            "Europe/Berlin or UTC"
        ) from None


def machine_zone() -> AthleteZone:
    """This machine's local time zone (the TZ environment variable or the system setting)."""
    local = datetime.now().astimezone().tzinfo or timezone.utc
    return AthleteZone(local.tzname(None) or str(local), local, "this machine's time zone")


WAREHOUSE_SOURCE = "the newest activity in the warehouse"


def athlete_zone(configured: str = "", newest_activity_zone: str | None = None,
                 newest_source: str = WAREHOUSE_SOURCE) -> AthleteZone:
    """The athlete's time zone: ``configured`` (ATHLETE_TIMEZONE) if set, else the zone of the
    newest activity (in the warehouse, or as ``newest_source`` says: before the first load,
    on Strava), else this machine's zone."""
    if configured.strip():
        zone = parse_zone(configured, ATHLETE_TIMEZONE_VARIABLE)
        return AthleteZone(configured.strip(), zone, ATHLETE_TIMEZONE_VARIABLE)
    if newest_activity_zone:
        try:
            zone = parse_zone(newest_activity_zone, "the newest activity's timezone")
        except ValueError as error:
            logger.warning("%s; using this machine's time zone", error)
        else:
            return AthleteZone(newest_activity_zone, zone, newest_source)
    return machine_zone()


def latest_completed_day(zone: AthleteZone, now: datetime | None = None) -> date:
    """The most recent local date that is over in the zone (yesterday there): the default run
    date."""
    return zone.today(now) - timedelta(days=1)


def over_everywhere(run_date: date, now: datetime | None = None) -> bool:
    """Whether a local date is over in every time zone (even at UTC-12): then it is over in the
    athlete's, whichever that is, and nobody needs to know it."""
    westernmost = timezone(WESTERNMOST_OFFSET)
    return run_date < (now or utc_now()).astimezone(westernmost).date()


def over_somewhere(run_date: date, now: datetime | None = None) -> bool:
    """Whether a local date is over in some time zone (at UTC+14 first): one that is not is
    refused whichever zone is the athlete's."""
    easternmost = timezone(EASTERNMOST_OFFSET)
    return run_date < (now or utc_now()).astimezone(easternmost).date()


def ensure_over(run_date: date, zone: AthleteZone, now: datetime | None = None) -> None:
    """Refuse a run date that is not over yet in the athlete's zone (RunDateNotOver)."""
    latest = latest_completed_day(zone, now)
    if run_date > latest:
        raise RunDateNotOver(
            f"run date {run_date} is not over yet in the athlete's time zone "
            f"{zone.describe()}: it ends at {run_date + timedelta(days=1)} 00:00 there; pass a "
            f"date up to {latest}, the latest completed day (or set ATHLETE_TIMEZONE)"
        )
