"""``strava-pipeline reconcile [--date D] [--allow-mass-delete]``: reconcile now.

Each call is a new attempt with its own targets (``Reconcile(D, attempt=N)``), even when D's
weekly run already reconciled; an attempt that failed (the guard, a list that broke off) is
resumed by the next call. When anything changed, the run date's models, kudos model and
dashboard are rebuilt. Exit 0 only when the reconciliation completed.
"""

from __future__ import annotations

import argparse
import sys
from datetime import date, datetime, timedelta, timezone

import luigi

from pipeline import preflight
from pipeline.archive.options import archive_only
from pipeline.athlete_zone import default_run_date
from pipeline.backends import open_state, open_warehouse
from pipeline.preflight import date_argument
from pipeline.reconcile import MASS_DELETE_CHECK
from pipeline.settings import Settings

COMMAND = "reconcile"


def _build(*tasks: luigi.Task) -> bool:
    """Run tasks in this process with the local scheduler; whether every one completed."""
    result = luigi.build(list(tasks), local_scheduler=True, detailed_summary=True)
    return result.status.name in ("SUCCESS", "SUCCESS_WITH_RETRY")


def forget_built_outputs(settings: Settings, run_date: date) -> None:
    """Let the run date's models, kudos model and dashboard build again: their markers go, the
    dashboard file is set aside (kept, renamed)."""
    from pipeline.tasks.dashboard import dashboard_path

    warehouse = open_warehouse(settings.warehouse_url)
    day = run_date.isoformat()
    warehouse.quarantine_staging(None, "", [f"TrainKudosModel({day})"], f"BuildModel({day},")
    dashboard = dashboard_path(settings.data_dir, run_date)
    if dashboard.exists():
        stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S")
        dashboard.rename(dashboard.with_name(f"dashboard-before-reconcile-{stamp}.html"))


def _halt_line(settings: Settings, run_date: date, started: datetime) -> str | None:
    """The guard's message when it stopped this attempt."""
    rows = open_warehouse(settings.warehouse_url).query(
        "SELECT message FROM {validation_table} WHERE run_date = :run_date AND check_name = "
        ":check AND status = 'fail' AND checked_at >= :started ORDER BY checked_at DESC",
        {"run_date": run_date, "check": MASS_DELETE_CHECK,
         "started": started.replace(tzinfo=None, microsecond=0)})
    return str(rows[0][0]) if rows else None


def run(args: argparse.Namespace) -> int:
    """Reconcile one run date now; rebuild what reads production when anything changed."""
    from pipeline.tasks import Reconcile, WeeklyPipeline

    if archive_only():
        print("strava-pipeline reconcile: error: archive-only mode (ARCHIVE_ONLY=on) reads "
              "nothing from Strava, so there is no list to reconcile against: import a newer "
              "archive (strava-pipeline import-archive PATH) to bring in new and changed "
              "activities", file=sys.stderr)
        return 2
    run_date = args.date or default_run_date()
    settings = preflight.check([run_date])
    state = open_state(settings.state_url)
    attempt = state.last_reconciliation_attempt(run_date) + 1
    started = datetime.now(timezone.utc)
    print(f"== Reconciliation of {run_date} (attempt {attempt}): listing the whole history",
          flush=True)
    task = Reconcile(run_date=run_date, attempt=attempt,
                     allow_mass_delete=args.allow_mass_delete)
    if not _build(task):
        line = _halt_line(settings, run_date, started) or (
            "the reconciliation failed, see the log above; nothing was deleted; run the "
            "command again to resume it")
        print(f"strava-pipeline reconcile: error: {line}", file=sys.stderr)
        return 1
    done = state.last_reconciliation(before=run_date + timedelta(days=1))
    counts = {name: done[name] for name in ("listed", "added", "changed", "removed")} \
        if done else {}
    print("== Reconciliation: " + ", ".join(f"{n} {name}" for name, n in counts.items()))
    if any(counts.get(name) for name in ("added", "changed", "removed")):
        # The reconciled date's reports, and the newest run date's (what people look at).
        later = [day for day, _, _ in state.history() if day > run_date]
        dates = [run_date, *([max(later)] if later else [])]
        shown = ", ".join(str(day) for day in dates)
        print(f"== Rebuilding the models, the kudos model and the dashboard of {shown}",
              flush=True)
        for day in dates:
            forget_built_outputs(settings, day)
        if not _build(*(WeeklyPipeline(run_date=day) for day in dates)):
            print("strava-pipeline reconcile: error: production is reconciled but rebuilding "
                  f"the models failed, see the log above; rerun `strava-pipeline run --date "
                  f"{run_date}`", file=sys.stderr)
            return 1
    return 0


def add_command(commands: argparse._SubParsersAction) -> None:
    """Register ``strava-pipeline reconcile``."""
    parser = commands.add_parser(
        COMMAND, help="list the whole history now and bring production in line with Strava",
        description="List the athlete's whole history (ceil(N/200)+1 requests), upsert new and "
                    "changed activities, remove those Strava no longer lists (kept in the "
                    "lake's strava/deleted/ first), rebuild the models when anything changed. "
                    "Exit 0 only when it completed.")
    parser.add_argument("--date", type=date_argument, metavar="YYYY-MM-DD",
                        help="the run date whose history (up to it) is reconciled "
                             "(default: the default run date)")
    parser.add_argument("--allow-mass-delete", action="store_true",
                        help="remove the rows even when more than RECONCILE_MAX_DELETE_SHARE "
                             "of production would go (the guard stopped an earlier attempt)")
    parser.set_defaults(handler=run)
