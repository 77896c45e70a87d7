"""``python -m pipeline.sandbox``: serve the fake Strava locally until interrupted."""

from __future__ import annotations

import argparse
import os
import shlex
import signal
import sys
import tempfile
import threading
from pathlib import Path

from pipeline.sandbox.athlete import SyntheticAthlete
from pipeline.sandbox.server import SandboxServer


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


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Command-line options."""
    parser = argparse.ArgumentParser(
        prog="python -m pipeline.sandbox",
        description="Serve a local fake Strava API (the sandbox) with a synthetic athlete.",
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8765, help="0 picks a free port")
    parser.add_argument("--activities", type=int, default=1200, help="how many activities")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--print-env-file", type=Path, metavar="PATH",
                        help="also write the export lines to PATH (for a shell to source)")
    parser.add_argument("--verbose", action="store_true", help="log each request to stderr")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    """Start the sandbox, print how to use it, serve until SIGINT or SIGTERM."""
    args = parse_args(argv)
    athlete = SyntheticAthlete(seed=args.seed, n_activities=args.activities)
    server = SandboxServer(athlete, host=args.host, port=args.port, verbose=args.verbose)
    try:
        server.start()
    except OSError as error:
        print(f"sandbox: cannot listen on {args.host}:{args.port}: {error}", file=sys.stderr)
        return 1
    exports = export_lines(server.env())
    print("Strava SANDBOX (local fake API, not Strava)")
    print(f"  URL:      {server.base_url}")
    print(f"  API:      {server.api_url}")
    print(f"  Athlete:  {len(athlete)} synthetic activities (seed {args.seed})")
    print("  Fake credentials for this sandbox only; paste into a shell:")
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
    print("sandbox stopped", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
