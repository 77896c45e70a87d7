"""``python -m pipeline.kudos predict ...`` and ``python -m pipeline.kudos report``.

predict prints the champion's kudos for an activity you describe; the context features (days
since the previous activity, kudos of the previous weeks) come from production, as for a real
upload at that time. report prints kudos_model_runs.

On an install of several athletes (issue 26) each athlete has its own models
(models/kudos/<athlete id>/ in the lake, its rows of kudos_model_runs): ``--athlete-id ID``
says whose; an install of one athlete needs none.
"""

from __future__ import annotations

import argparse
import sys
from datetime import date, datetime

import pandas as pd

from pipeline.athlete_scope import authorized_ids
from pipeline.backends import open_lake, open_warehouse
from pipeline.kudos.features import SOURCE_COLUMNS, build_features
from pipeline.kudos.model import predict
from pipeline.kudos.store import ModelRefused, load_model
from pipeline.kudos.tables import (
    current_champion,
    read_activities,
    runs_report,
)
from pipeline.settings import ConfigurationError, Settings, load_settings

VISIBILITIES = ("everyone", "followers_only", "only_me")


def _non_negative(kind: type) -> object:
    def parse(text: str) -> float | int:
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a {kind.__name__}") from None
        if value != value or value < 0 or value in (float("inf"),):
            raise argparse.ArgumentTypeError(f"{text!r} must be a finite number >= 0")
        return value
    return parse


def _local_time(text: str) -> datetime:
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a local date-time like 2026-11-29T09:30") from None


def parser() -> argparse.ArgumentParser:
    """The command line of ``python -m pipeline.kudos``."""
    main = argparse.ArgumentParser(prog="python -m pipeline.kudos",
                                   description="The kudos model: predict and report.")
    commands = main.add_subparsers(dest="command", required=True)
    ask = commands.add_parser("predict", help="the champion's kudos for an activity")
    ask.add_argument("--sport-type", required=True, help="Strava sport_type, e.g. Run, Ride")
    ask.add_argument("--distance-km", type=_non_negative(float), required=True)
    ask.add_argument("--moving-minutes", type=_non_negative(float), required=True)
    ask.add_argument("--elevation-m", type=_non_negative(float), default=0.0)
    ask.add_argument("--workout-type", type=_non_negative(int), default=None,
                     help="Strava code: runs 0 default, 1 race, 2 long, 3 workout; "
                          "rides 10, 11 race, 12 workout")
    ask.add_argument("--start", type=_local_time, default=None,
                     help="local start, e.g. 2026-11-29T09:30 (default: now)")
    ask.add_argument("--visibility", choices=VISIBILITIES, default="everyone")
    ask.add_argument("--athlete-count", type=_non_negative(int), default=1)
    ask.add_argument("--achievements", type=_non_negative(int), default=0)
    ask.add_argument("--prs", type=_non_negative(int), default=0)
    ask.add_argument("--commute", action="store_true")
    ask.add_argument("--trainer", action="store_true")
    ask.add_argument("--photos", type=_non_negative(int), default=0,
                     help="its photos (Strava's total_photo_count)")
    ask.add_argument("--name", default=None,
                     help="its title (default: Strava's automatic one, e.g. 'Morning Run')")
    report = commands.add_parser("report", help="print every kudos model run")
    report.add_argument("--run-date", type=date.fromisoformat, default=date.max,
                        help="only runs up to this run date")
    for command in (ask, report):
        command.add_argument("--athlete-id", type=int, default=None, metavar="ID",
                             help="whose models (default: the install's only athlete; "
                                  "needed when several athletes authorized the application)")
    return main


def kudos_athlete(settings: Settings, athlete_id: int | None) -> int:
    """The athlete whose models the command reads: ``athlete_id``, or the install's only one
    (0: every row, an install of one athlete, as before issue 26); several athletes and none
    given is a one-line ConfigurationError saying to pass --athlete-id."""
    ids = authorized_ids(settings)
    if athlete_id is None or int(athlete_id) == 0:
        if len(ids) > 1:
            raise ConfigurationError(
                f"this install has {len(ids)} athletes ({', '.join(map(str, ids))}): pass "
                "--athlete-id ID to say whose kudos model")
        return 0
    if ids and int(athlete_id) not in ids:
        raise ConfigurationError(f"athlete {int(athlete_id)} has not authorized this "
                                 f"application (athletes: {', '.join(map(str, ids))})")
    return int(athlete_id) if len(ids) > 1 else 0


def _activity(args: argparse.Namespace, start: datetime, athlete_id: object) -> dict:
    return {
        "id": -1, "athlete_id": athlete_id, "distance": args.distance_km * 1000,
        "moving_time": round(args.moving_minutes * 60),
        "total_elevation_gain": args.elevation_m, "sport_type": args.sport_type,
        "workout_type": args.workout_type, "start_date": start, "start_date_local": start,
        "achievement_count": args.achievements, "kudos_count": None,
        "athlete_count": args.athlete_count, "pr_count": args.prs, "trainer": args.trainer,
        "commute": args.commute, "visibility": args.visibility,
        "private": args.visibility == "only_me",
        "name": args.name if args.name is not None else f"Morning {args.sport_type}",
        "total_photo_count": args.photos,
    }


def run_predict(args: argparse.Namespace) -> int:
    """Print the champion's prediction; 1 with a one-line reason when there is none."""
    settings = load_settings()
    athlete_id = kudos_athlete(settings, args.athlete_id)
    warehouse = open_warehouse(settings.warehouse_url)
    champion = (current_champion(warehouse, athlete_id)
                if warehouse.table_exists("kudos_model_runs") else None)
    if champion is None:
        print("no kudos model yet: run the WeeklyPipeline (it trains one once production holds "
              f"KUDOS_MIN_ACTIVITIES={settings.kudos_min_activities} activities); "
              "`python -m pipeline.kudos report` shows why earlier runs skipped",
              file=sys.stderr)
        return 1
    model = load_model(open_lake(settings.lake_url), champion.model_version,
                       champion.model_sha256)
    start = args.start or datetime.now().replace(microsecond=0)
    history = read_activities(warehouse, start, athlete_id)
    athlete = history["athlete_id"].dropna().iloc[-1] if len(history) else None
    # UTC is unknown for a described activity; local time orders it against history.
    history = history.assign(start_date=history["start_date_local"])
    frame = pd.concat([history, pd.DataFrame([_activity(args, start, athlete)])],
                      ignore_index=True)[list(SOURCE_COLUMNS)]
    features = build_features(frame).iloc[[-1]]
    if args.sport_type not in model.categories["sport_type"]:
        print(f"note: sport type {args.sport_type!r} is not in the model's training data "
              f"(known: {', '.join(model.categories['sport_type'])}); predicted as unknown",
              file=sys.stderr, flush=True)
    value = float(predict(model, features)[0])
    rmse = f"{champion.rmse:.2f}" if champion.rmse is not None else "?"
    print(f"predicted kudos: {value:.1f} (champion {champion.model_version}, test RMSE {rmse})")
    return 0


def format_report(runs: pd.DataFrame) -> str:
    """kudos_model_runs as an aligned text table."""
    if runs.empty:
        return "no kudos model runs yet"
    shown = runs.copy()
    for column in ("rmse", "mae", "baseline_rmse", "sport_baseline_rmse"):
        shown[column] = shown[column].map(lambda v: "" if v is None or pd.isna(v)
                                          else f"{float(v):.2f}")
    for column in ("n_train", "n_test", "model_version"):
        shown[column] = shown[column].map(lambda v: "" if v is None or pd.isna(v) else str(v))
    shown["promoted"] = shown["promoted"].map(lambda v: "yes" if v else "no")
    shown = shown.rename(columns={"baseline_rmse": "mean_base", "sport_baseline_rmse":
                                  "sport_base"}).astype(str)
    shown["reason"] = shown["reason"].map(lambda text: text.replace("\n", " "))
    widths = {c: max(len(c), *(len(v) for v in shown[c])) for c in shown.columns
              if c != "reason"}
    lines = ["  ".join(c.ljust(widths[c]) for c in widths) + "  reason"]
    for _, row in shown.iterrows():
        lines.append("  ".join(row[c].ljust(widths[c]) for c in widths) + "  " + row["reason"])
    return "\n".join(lines)


def run_report(args: argparse.Namespace) -> int:
    """Print kudos_model_runs (the athlete's)."""
    settings = load_settings()
    athlete_id = kudos_athlete(settings, args.athlete_id)
    warehouse = open_warehouse(settings.warehouse_url)
    if not warehouse.table_exists("kudos_model_runs"):
        print("no kudos model runs yet")
        return 0
    print(format_report(runs_report(warehouse, args.run_date, athlete_id)))
    return 0


def main(argv: list[str] | None = None) -> int:
    """Entry point; errors are one line on stderr and exit 1."""
    args = parser().parse_args(argv)
    try:
        return run_predict(args) if args.command == "predict" else run_report(args)
    except (ModelRefused, ConfigurationError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
