"""Training numbers from the activity rows: weekly volume, years, days, load, records.

All dates are the athlete's local dates (``start_date_local``). Weekly charts use the run's week
(its Monday to the run date, ``pipeline.run_dates.run_week``: the one week) and the Monday weeks
before it, so the last bar is always "this week", unfinished unless the run date is a Sunday.

Training load (the fitness trend) is documented here because it is an estimate:

* an activity's **load** is Strava's ``suffer_score`` (Relative Effort, from heart rate) when
  present, else its moving minutes (one point per minute, about the Relative Effort of an easy
  to moderate hour);
* **fitness** is the 42-day and **fatigue** the 7-day exponentially weighted average of daily
  load, ``today = yesterday + (load - yesterday) / N`` (rest days count as zero load), the
  chronic and acute training loads of the usual performance-management chart;
* **form** is fitness minus fatigue.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import pandas as pd

# The families of sql/models/staging/stg_sport_families.sql, and 'other' for every sport without
# one (NULL in the marts; pipeline/dashboard/data.py names it).
OTHER_FAMILY = "other"
FAMILIES: tuple[str, ...] = ("run", "ride", OTHER_FAMILY)
FAMILY_LABELS: dict[str, str] = {"run": "runs", "ride": "rides", OTHER_FAMILY: "other"}
FITNESS_DAYS = 42
FATIGUE_DAYS = 7
TRAINING_WEEKS = 53
YEARS_SHOWN = 10


def _local_dates(activities: pd.DataFrame) -> pd.Series:
    return activities["start_date_local"].dt.normalize()


def week_starts(run_week: date, weeks: int = TRAINING_WEEKS) -> list[date]:
    """First days of the ``weeks`` weeks ending with the run's week (12 months and this week)."""
    return [run_week - timedelta(weeks=n) for n in range(weeks - 1, -1, -1)]


def week_of(activities: pd.DataFrame, run_week: date) -> pd.Series:
    """First day of each activity's week, weeks aligned on the run's week."""
    days = (_local_dates(activities) - pd.Timestamp(run_week)).dt.days
    return (pd.Timestamp(run_week) + pd.to_timedelta((days // 7) * 7, unit="D")).dt.date


def weekly_by_family(activities: pd.DataFrame, run_week: date,
                     weeks: int = TRAINING_WEEKS) -> pd.DataFrame:
    """Activities, metres and moving seconds per week and sport family, zeros where none."""
    spine = week_starts(run_week, weeks)
    frame = activities.assign(week_start=week_of(activities, run_week))
    frame = frame[frame["week_start"] >= spine[0]]
    grouped = frame.groupby(["week_start", "sport_family"]).agg(
        activity_count=("id", "size"), distance_m=("distance_m", "sum"),
        moving_time_s=("moving_time_s", "sum"))
    index = pd.MultiIndex.from_product([spine, FAMILIES], names=["week_start", "sport_family"])
    return grouped.reindex(index, fill_value=0).reset_index()


def weekly_kudos(activities: pd.DataFrame, run_week: date,
                 weeks: int = TRAINING_WEEKS) -> pd.DataFrame:
    """Kudos and activities per week (every week of the last 12 months)."""
    spine = week_starts(run_week, weeks)
    frame = activities.assign(week_start=week_of(activities, run_week))
    frame = frame[frame["week_start"] >= spine[0]]
    grouped = frame.groupby("week_start").agg(
        activity_count=("id", "size"), total_kudos=("kudos_count", "sum"))
    return grouped.reindex(spine, fill_value=0).rename_axis("week_start").reset_index()


def cumulative_distance_by_year(activities: pd.DataFrame, run_date: date
                                ) -> dict[int, pd.Series]:
    """Per year (the last YEARS_SHOWN), cumulative metres by local date, up to the run date."""
    daily = activities.groupby(_local_dates(activities))["distance_m"].sum()
    years: dict[int, pd.Series] = {}
    for year in sorted(set(pd.DatetimeIndex(daily.index).year))[-YEARS_SHOWN:]:
        last = run_date if year == run_date.year else date(year, 12, 31)
        days = pd.date_range(date(year, 1, 1), last, freq="D")
        values = daily.reindex(days, fill_value=0.0).cumsum()
        years[year] = pd.Series(values.to_numpy(), index=days.date)
    return years


def daily_moving_minutes(activities: pd.DataFrame, first: date, last: date) -> pd.Series:
    """Moving minutes per local day from ``first`` to ``last`` (zeros on rest days)."""
    daily = activities.groupby(_local_dates(activities))["moving_time_s"].sum() / 60.0
    return daily.reindex(pd.date_range(first, last, freq="D"), fill_value=0.0)


def activity_load(activities: pd.DataFrame) -> pd.Series:
    """Each activity's load: suffer_score where present, else moving minutes."""
    return activities["suffer_score"].where(activities["suffer_score"].notna(),
                                            activities["moving_time_s"] / 60.0)


def training_load(activities: pd.DataFrame, run_date: date) -> pd.DataFrame:
    """Daily load, fitness (42-day), fatigue (7-day) and form from the first activity on."""
    if activities.empty:
        return pd.DataFrame(columns=["day", "load", "fitness", "fatigue", "form"])
    load = activity_load(activities).groupby(_local_dates(activities)).sum()
    days = pd.date_range(load.index.min(), run_date, freq="D")
    daily = load.reindex(days, fill_value=0.0)
    fitness = daily.ewm(alpha=1 / FITNESS_DAYS, adjust=False).mean()
    fatigue = daily.ewm(alpha=1 / FATIGUE_DAYS, adjust=False).mean()
    return pd.DataFrame({"day": days.date, "load": daily.to_numpy(),
                         "fitness": fitness.to_numpy(), "fatigue": fatigue.to_numpy(),
                         "form": (fitness - fatigue).to_numpy()})


@dataclass(frozen=True)
class FamilyTotals:
    """One sport family's totals over a period."""

    family: str
    activity_count: int
    distance_m: float
    moving_time_s: float
    elevation_gain_m: float
    kudos: int


def totals_by_family(activities: pd.DataFrame, first: date, last: date) -> list[FamilyTotals]:
    """Runs, rides and the rest between two local dates (inclusive)."""
    days = activities["start_date_local"].dt.date
    period = activities[(days >= first) & (days <= last)]
    totals = []
    for family in FAMILIES:
        rows = period[period["sport_family"] == family]
        totals.append(FamilyTotals(
            family, len(rows), float(rows["distance_m"].sum()),
            float(rows["moving_time_s"].sum()), float(rows["elevation_gain_m"].sum()),
            int(rows["kudos_count"].fillna(0).sum())))
    return totals


@dataclass(frozen=True)
class Record:
    """A personal best from the summary data, with the activity that set it."""

    key: str
    label: str
    value: float
    activity_id: int
    name: str
    start_date_local: pd.Timestamp
    distance_m: float
    moving_time_s: float


PACE_RECORDS: tuple[tuple[str, str, float], ...] = (
    ("pace_5k", "fastest average pace, 5 km or longer", 5_000.0),
    ("pace_10k", "fastest average pace, 10 km or longer", 10_000.0),
    ("pace_half", "fastest average pace, half marathon or longer", 21_097.5),
    ("pace_marathon", "fastest average pace, marathon or longer", 42_195.0),
)


# Every record in the order the page lists them (sql/dashboard/records.sql computes them).
RECORD_LABELS: tuple[tuple[str, str], ...] = (
    ("longest_run", "longest run"), ("longest_ride", "longest ride"),
    ("biggest_climb", "biggest climb"), *((key, label) for key, label, _ in PACE_RECORDS))


def _record(key: str, label: str, row: pd.Series, value: float) -> Record:
    return Record(key, label, float(value), int(row["id"]),
                  "" if pd.isna(row["name"]) else str(row["name"]), row["start_date_local"],
                  float(row["distance_m"]), float(row["moving_time_s"]))


def records(activities: pd.DataFrame) -> list[Record]:
    """Longest run and ride, biggest climb, fastest average run pace over 5k/10k/half/full.

    Pace records take runs at least that long (summary data has no splits); the value is
    seconds per metre. Ties go to the earlier activity.
    """
    found: list[Record] = []
    ordered = activities.sort_values(["start_date_local", "id"])
    runs = ordered[ordered["sport_family"] == "run"]
    rides = ordered[ordered["sport_family"] == "ride"]
    for key, label, frame in (("longest_run", "longest run", runs),
                              ("longest_ride", "longest ride", rides)):
        frame = frame[frame["distance_m"] > 0]
        if len(frame):
            row = frame.loc[frame["distance_m"].idxmax()]
            found.append(_record(key, label, row, row["distance_m"]))
    climbs = ordered[ordered["elevation_gain_m"] > 0]
    if len(climbs):
        row = climbs.loc[climbs["elevation_gain_m"].idxmax()]
        found.append(_record("biggest_climb", "biggest climb", row, row["elevation_gain_m"]))
    for key, label, minimum in PACE_RECORDS:
        frame = runs[(runs["distance_m"] >= minimum) & (runs["moving_time_s"] > 0)]
        if len(frame):
            pace = frame["moving_time_s"] / frame["distance_m"]
            row = frame.loc[pace.idxmin()]
            found.append(_record(key, label, row, pace.min()))
    return found
