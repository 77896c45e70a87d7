"""``strava-pipeline sandbox`` and ``--demo`` runs: the fake Strava served for the pipeline.

The printed ``export`` lines include the sandbox's own DATA_DIR (``sandbox-data/``, never inside
the real DATA_DIR), so a pipeline run that follows them never touches real data. The synthetic
history ends the day before the run date (``--end-date`` pins its last day); a seed and size give
the same athlete whatever that day is, so demo runs of several dates fill one consistent
warehouse.
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import shutil
import signal
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date, datetime, timedelta
from pathlib import Path

from pipeline.athlete_zone import default_run_date, known_zone
from pipeline.errors import OneLineParser
from pipeline.preflight import date_argument
from pipeline.sandbox import (
    ChangeError,
    SandboxServer,
    SyntheticAthlete,
    apply_changes,
    athlete_end,
    environment_variables,
    load_changes,
    sandbox_environment,
    sandbox_settings,
)
from pipeline.sandbox.app import RequestRecord
from pipeline.sandbox.athlete import athlete_id_of, athlete_seeds, sandbox_name
from pipeline.sandbox.lazy import LazyAthlete
from pipeline.sandbox.ratelimit import parse_read_limit
from pipeline.settings import ConfigurationError, load_settings
from pipeline.strava.athlete_store import FOLDER_NAME, Athlete, now_iso, save_entry
from pipeline.strava.clock import environment_clock
from pipeline.strava.tokens import Tokens

DEMO_SEED = 42
DEMO_ACTIVITIES = 1200
MAX_ATHLETES = 100
DEMO_ATHLETES_VARIABLE = "SANDBOX_ATHLETES"  # how many athletes a --demo run serves (default 1)


def export_lines(env: dict[str, str]) -> str:
    """``export NAME=value`` lines for a POSIX shell."""
    return "".join(f"export {name}={shlex.quote(value)}\n" for name, value in env.items())


def write_env_file(path: Path, text: str) -> None:
    """Write the file atomically, so a waiting shell never sources half of it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor, temporary = tempfile.mkstemp(prefix=".sandbox-env-", dir=path.parent)
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        handle.write(text)
    os.replace(temporary, path)


def athletes_count(text: str) -> int:
    """``--athletes N``: 1 to MAX_ATHLETES."""
    try:
        count = int(text)
    except ValueError:
        count = 0
    if not 1 <= count <= MAX_ATHLETES:
        raise argparse.ArgumentTypeError(f"--athletes takes a number from 1 to {MAX_ATHLETES}, "
                                         f"not {text!r}")
    return count


def default_last_day() -> date:
    """The day before the default run date of the sandbox's data (before its first load, the
    date the machine's zone gives: no sandbox is served yet to ask)."""
    with sandbox_settings():
        return default_run_date(ask_strava=False) - timedelta(days=1)


@contextmanager
def sandbox_for_zone() -> Iterator[None]:
    """Within it, this process uses the sandbox's settings, and the athlete's zone
    (pipeline/athlete_zone.py) can be found: before the sandbox's first load without
    ATHLETE_TIMEZONE, the sandbox is served (quietly, its history ending the day before the
    date the machine's zone gives) for the one request that asks its athlete's zone over HTTP."""
    with sandbox_settings():
        if known_zone(load_settings()) is not None:
            yield
            return
    with demo_sandbox(default_last_day(), announce=False):
        yield


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The sandbox's options (shared by ``strava-pipeline sandbox``)."""
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on")
    parser.add_argument("--port", type=int, default=8765,
                        help="port to listen on; 0 picks a free port")
    parser.add_argument("--activities", type=int, default=DEMO_ACTIVITIES,
                        help="how many activities")
    parser.add_argument("--seed", type=int, default=DEMO_SEED,
                        help="the synthetic athlete's seed (the same seed, the same history)")
    parser.add_argument("--athletes", type=athletes_count, default=1, metavar="N",
                        help="serve N athletes of one application (seeds SEED, SEED+1, ...), "
                             "each with their own history, tokens and authorization code, under "
                             "one rate budget; all are authorized in the sandbox's DATA_DIR "
                             "(default 1)")
    parser.add_argument("--end-date", type=date_argument, metavar="YYYY-MM-DD",
                        help="the history's last day (default: the day before the run date)")
    parser.add_argument("--print-env-file", type=Path, metavar="PATH",
                        help="also write the export lines to PATH (for a shell to source)")
    parser.add_argument("--verbose", action="store_true", help="log each request to stderr")
    parser.add_argument("--changes", type=Path, metavar="FILE",
                        help="a JSON change list applied at start: deletions, renames, re-types, "
                             "kudos, late uploads (docs/reconciliation.md); POST more to "
                             "/admin/changes while it serves")
    parser.add_argument("--read-limit", metavar="N/15min[,N/day]",
                        default=os.environ.get("SANDBOX_READ_LIMIT", ""),
                        help="the application's read limits, answered with 429 past them like "
                             "Strava (default 100/15min,1000/day; env SANDBOX_READ_LIMIT)")
    parser.add_argument("--request-log", type=Path, metavar="PATH",
                        help="append every request served to PATH, one JSON line each: time "
                             "(the sandbox's clock), token fingerprint, path, query, status")
    parser.add_argument("action", nargs="?", choices=("serve", "export"), default="serve",
                        help="serve (default) the fake API, or export the athlete's archive "
                             "(with --out) in Strava's format")
    parser.add_argument("--out", type=Path, metavar="PATH.zip",
                        help="export: where to write the archive ZIP")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Command-line options."""
    parser = OneLineParser(
        prog="strava-pipeline sandbox",
        description="Serve a local fake Strava API (the sandbox) with a synthetic athlete.",
    )
    add_arguments(parser)
    return parser.parse_args(argv)


def request_log_writer(path: Path) -> Callable[[RequestRecord], None]:
    """A sink that appends each request as one JSON line to ``path`` (flushed at once)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle = path.open("a", encoding="utf-8")

    def write(record: RequestRecord) -> None:
        handle.write(json.dumps(record.as_json()) + "\n")
        handle.flush()

    return write


def forget_old_tokens(data_dir: Path) -> None:
    """A new sandbox process does not know the tokens an earlier one rotated to (the single
    store's and every athlete's entry in the sandbox's own DATA_DIR)."""
    (data_dir / "strava_tokens.json").unlink(missing_ok=True)
    shutil.rmtree(data_dir / FOLDER_NAME, ignore_errors=True)


def authorize_all(server: SandboxServer, seeds: list[int]) -> list[Athlete]:
    """Store a token entry for every athlete the sandbox serves (``seeds``, in order) in the
    DATA_DIR of the environment in force (the sandbox's own), as if each had run
    `strava-pipeline authorize`. Builds no history."""
    settings = load_settings()
    stored = []
    for position, seed in enumerate(seeds):
        athlete = Athlete(athlete_id_of(seed), sandbox_name(position), now_iso())
        save_entry(settings, athlete, Tokens(server.refresh_token_of(position)))
        stored.append(athlete)
    return stored


def served_athletes(seed: int, n_activities: int, end: datetime, count: int,
                    lazy: bool = False) -> list[SyntheticAthlete]:
    """``count`` athletes of seeds ``seed``, ``seed + 1``, ...; built on first use if ``lazy``."""
    kind: type = LazyAthlete if lazy else SyntheticAthlete
    return [kind(one, n_activities, end) for one in athlete_seeds(seed, count)]


@contextmanager
def demo_sandbox(last_day: date, athletes: int | None = None,
                 announce: bool = True) -> Iterator[None]:
    """Serve the sandbox (history up to ``last_day``) and point this process at it and at the
    sandbox's own DATA_DIR, every athlete authorized there; stop it afterwards.

    ``athletes``: how many (None: $SANDBOX_ATHLETES, default 1: the one demo athlete);
    ``announce``: print that the run uses the sandbox, and when it stopped."""
    count = athletes or athletes_count(os.environ.get(DEMO_ATHLETES_VARIABLE) or "1")
    environment = sandbox_environment()
    data_dir = Path(environment["DATA_DIR"])
    data_dir.mkdir(parents=True, exist_ok=True)
    forget_old_tokens(data_dir)
    # Built on the first request: a rerun of a finished date sends none (issue 23).
    first, *more = served_athletes(DEMO_SEED, DEMO_ACTIVITIES, athlete_end(last_day), count,
                                   lazy=True)
    with SandboxServer(first, port=0, more_athletes=more) as server, \
            environment_variables({**environment, **server.env()}):
        authorize_all(server, athlete_seeds(DEMO_SEED, count))
        if not announce:
            yield
            return
        print(f"DEMO: this run uses the local Strava SANDBOX at {server.base_url} (synthetic "
              "activities" + (f" of {count} athletes" if count > 1 else "") + "),")
        print(f"      NOT Strava. Its data goes to {data_dir}, apart from real data.")
        try:
            yield
        finally:
            print("Sandbox stopped.", flush=True)


def export_archive(athlete: SyntheticAthlete, out: Path | None, last_day: date) -> int:
    """``strava-pipeline sandbox export --out PATH.zip``: the athlete's archive, as Strava's
    "Download your data" writes it (pipeline/sandbox/archive_export.py)."""
    if out is None:
        print("sandbox: error: export needs --out PATH.zip: where to write the archive",
              file=sys.stderr)
        return 2
    from pipeline.sandbox.activity_files import activity_file  # FIT files: only to export
    from pipeline.sandbox.archive_export import write_archive

    count = write_archive(athlete.snapshot(), out, files=activity_file)
    print(f"Wrote the sandbox athlete's archive ({count} activities up to {last_day}, with "
          f"their FIT, GPX and TCX files) to {out}")
    print(f"Import it with: strava-pipeline import-archive {shlex.quote(str(out))} --demo")
    return 0


def main(argv: list[str] | None = None) -> int:
    """Start the sandbox, print how to use it, serve until SIGINT or SIGTERM."""
    return run(parse_args(argv))


def run(args: argparse.Namespace) -> int:
    """Serve the sandbox described by the parsed options until SIGINT or SIGTERM."""
    try:
        environment = sandbox_environment()
    except ConfigurationError as error:
        print(f"sandbox: error: {error}", file=sys.stderr)
        return 2
    last_day = args.end_date or default_last_day()
    count = getattr(args, "athletes", 1)
    athlete, *more = served_athletes(args.seed, args.activities, athlete_end(last_day), count)
    if getattr(args, "changes", None):
        try:
            done = apply_changes(athlete, load_changes(args.changes))
        except ChangeError as error:
            print(f"sandbox: error: {error}", file=sys.stderr)
            return 2
        for change in done:
            print(f"  changed: {change['action']} activity {change['id']} "
                  f"(started {change['start_date']})")
    if getattr(args, "action", "serve") == "export":
        return export_archive(athlete, args.out, last_day)
    try:
        read_15min, read_daily = parse_read_limit(args.read_limit or "100/15min")
        clock = environment_clock()
    except ValueError as error:
        print(f"sandbox: error: {error}", file=sys.stderr)
        return 2
    server = SandboxServer(athlete, host=args.host, port=args.port, verbose=args.verbose,
                           more_athletes=more, clock=clock.now if clock else time.time,
                           read_limit_15min=read_15min, read_limit_daily=read_daily)
    if args.request_log:
        server.app.log_sink = request_log_writer(args.request_log)
    try:
        server.start()
    except OSError as error:
        print(f"sandbox: cannot listen on {args.host}:{args.port}: {error}", file=sys.stderr)
        return 1
    data_dir = Path(environment["DATA_DIR"])
    forget_old_tokens(data_dir)
    exports = export_lines({**environment, **server.env()})
    if count > 1:
        with environment_variables({**environment, **server.env()}):
            authorize_all(server, athlete_seeds(args.seed, count))
    print("Strava SANDBOX (local fake API, not Strava)")
    print(f"  URL:      {server.base_url}")
    print(f"  API:      {server.api_url}")
    print(f"  Athlete:  {len(athlete)} synthetic activities (seed {args.seed}) "
          f"up to {last_day}")
    if count > 1:
        print(f"  Athletes: {count} under one application and one rate budget, each authorized "
              f"in {data_dir}; to authorize one again: strava-pipeline authorize --code CODE")
        for position, served in enumerate(server.athletes):
            print(f"    {served.athlete_id}  {sandbox_name(position):<20} "
                  f"{len(served)} activities (seed {args.seed + position}), "
                  f"code {server.issue_code(athlete=position)}")
    print(f"  Data:     {data_dir} (the sandbox's own DATA_DIR, apart from real data)")
    print(f"  Limits:   {read_15min} reads per 15 minutes, {read_daily} per day (429 past them)"
          + (", on the simulated clock of STRAVA_SIMULATED_CLOCK" if clock else ""))
    print("  Fake credentials and settings for this sandbox only; paste into a shell:")
    print(exports, end="")
    print("  Stop with Ctrl-C.", flush=True)
    if args.print_env_file:
        write_env_file(args.print_env_file, exports)

    stopping = threading.Event()

    def _stop(signum: int, frame: object) -> None:
        stopping.set()

    signal.signal(signal.SIGINT, _stop)
    signal.signal(signal.SIGTERM, _stop)
    while not stopping.wait(0.5):
        pass
    server.stop()
    print("sandbox stopped; start it again with the same command (it serves the same athlete, "
          "with new tokens: paste its new export lines)", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
