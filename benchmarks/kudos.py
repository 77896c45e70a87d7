"""Measure the kudos model: training time and peak memory by size, and its RMSE table.

    python -m benchmarks.kudos                     # 5,000 and 50,000 activities
    python -m benchmarks.kudos --activities 1200 5000

Each size runs in a fresh child process over the sandbox athlete's activities (the same
parser as extraction, no warehouse), so its peak memory is its own. "peak MiB" is the largest
Python/NumPy allocation during feature building, fitting, scoring and permutation importance
(tracemalloc); "max RSS MiB" is the whole child, the synthetic athlete included. Prints
Markdown tables for docs/kudos-model.md.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
import tracemalloc
from datetime import date, datetime, timezone

RUN_DATE = date(2026, 11, 29)
END = datetime(2026, 11, 22, 12, tzinfo=timezone.utc)


def measure(n_activities: int, seed: int = 11) -> dict[str, float | int]:
    """Train once on ``n_activities`` sandbox activities in this process; the measurements."""
    from pipeline.kudos import model as kudos_model
    from pipeline.kudos.features import Windows, build_features, usable_kudos
    from pipeline.sandbox import SyntheticAthlete
    from pipeline.strava.activities import activities_frame

    athlete = SyntheticAthlete(seed=seed, n_activities=n_activities, end=END)
    frame = activities_frame(athlete.activities, datetime(2026, 11, 29))
    frame = frame[frame["start_date_local"] < Windows(RUN_DATE).end].reset_index(drop=True)
    tracemalloc.start()
    started = time.perf_counter()
    features = build_features(frame)
    built = time.perf_counter()
    kudos = usable_kudos(frame)
    window = (frame["start_date_local"] >= Windows(RUN_DATE).test_start).to_numpy()
    train_rows, test_rows = ~window & kudos.notna().to_numpy(), window & kudos.notna().to_numpy()
    train, test = features[train_rows], features[test_rows]
    model = kudos_model.fit(train, kudos[train_rows])
    fitted = time.perf_counter()
    scores = kudos_model.score(model, train, kudos[train_rows], test, kudos[test_rows])
    kudos_model.importance(model, test, kudos[test_rows])
    finished = time.perf_counter()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return {
        "activities": n_activities, "n_train": int(train_rows.sum()),
        "n_test": int(test_rows.sum()),
        "features_s": round(built - started, 2), "fit_s": round(fitted - built, 2),
        "score_importance_s": round(finished - fitted, 2),
        "total_s": round(finished - started, 2), "peak_mib": round(peak / 2**20, 1),
        "max_rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "rmse": round(scores.rmse, 2), "mae": round(scores.mae, 2),
        "baseline_rmse": round(scores.baseline_rmse, 2),
        "sport_baseline_rmse": round(scores.sport_baseline_rmse, 2),
    }


def _child(n_activities: int, seed: int) -> dict[str, float | int]:
    answer = subprocess.run(
        [sys.executable, "-m", "benchmarks.kudos", "--child", str(n_activities),
         "--seed", str(seed)], capture_output=True, text=True, check=False)
    if answer.returncode:
        raise SystemExit(f"benchmark of {n_activities} activities failed:\n{answer.stderr}")
    return json.loads(answer.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> int:
    """Run every size in a child process and print the tables."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.kudos",
                                     description=__doc__.splitlines()[0])
    parser.add_argument("--activities", type=int, nargs="+", default=[5_000, 50_000])
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--rmse-seed", type=int, default=42,
                        help="seed of the sandbox athlete of the RMSE table (1,200 activities)")
    parser.add_argument("--child", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        print(json.dumps(measure(args.child, args.seed)))
        return 0
    results = [_child(n, args.seed) for n in args.activities]
    print("| activities | train / test | features s | fit s | score + importance s | total s "
          "| peak MiB | max RSS MiB |")
    print("|---:|---:|---:|---:|---:|---:|---:|---:|")
    for r in results:
        print(f"| {r['activities']:,} | {r['n_train']:,} / {r['n_test']:,} | {r['features_s']} "
              f"| {r['fit_s']} | {r['score_importance_s']} | {r['total_s']} | {r['peak_mib']} "
              f"| {r['max_rss_mib']} |")
    sandbox = _child(1200, args.rmse_seed)
    print()
    print("| athlete | test activities | model RMSE | model MAE | mean baseline RMSE "
          "| per-sport baseline RMSE | model / mean |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for label, r in [(f"sandbox seed {args.rmse_seed}, 1,200 activities", sandbox)] + [
            (f"sandbox seed {args.seed}, {r['activities']:,} activities", r) for r in results]:
        print(f"| {label} | {r['n_test']:,} | {r['rmse']} | {r['mae']} | {r['baseline_rmse']} "
              f"| {r['sport_baseline_rmse']} | {r['rmse'] / r['baseline_rmse']:.2f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
