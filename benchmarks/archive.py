"""Measure the archive import with streams: wall time, peak memory, Parquet bytes, and samples
parsed per second per format against the parsing library's own speed on the same files.

    python -m benchmarks.archive                       # 5,000 activities
    python -m benchmarks.archive --activities 1000

The sandbox athlete's archive (``strava-pipeline sandbox export``'s writer, files included) is
written first and not timed. The import runs in a fresh child process on the embedded backends
(DuckDB, SQLite, a local lake), so its max RSS is its own. Per format, up to 40 files of the
archive are parsed twice in this process: by the library alone (Garmin's FIT SDK Decoder.read,
gpxpy.parse, tcxreader's TCXReader.read) and by pipeline/streams/parse.py (the library, then
ordering, de-duplication, elapsed time, the moving flag). Prints a Markdown table.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
import zipfile
from datetime import datetime, timezone
from pathlib import Path

END = datetime(2026, 11, 22, 12, tzinfo=timezone.utc)
FILES_PER_FORMAT = 40


def write(path: Path, n_activities: int) -> float:
    """The sandbox athlete's archive with its files; seconds taken."""
    from pipeline.sandbox import SyntheticAthlete
    from pipeline.sandbox.activity_files import activity_file
    from pipeline.sandbox.archive_export import write_archive

    started = time.perf_counter()
    athlete = SyntheticAthlete(seed=5, n_activities=n_activities, end=END)
    write_archive(athlete.snapshot(), path, files=activity_file)
    return time.perf_counter() - started


def child_import(path: str, data_dir: str) -> None:
    """In the child: import, print the result as JSON."""
    os.environ.update({"DATA_DIR": data_dir, "ATHLETE_TIMEZONE": "America/Toronto"})
    from pipeline.archive.importer import import_archive
    from pipeline.settings import load_settings

    started = time.perf_counter()
    result = import_archive(Path(path), load_settings())
    wall = time.perf_counter() - started
    print(json.dumps({"wall": wall, "activities": result.rows_read,
                      "samples": result.streams.samples, "parts": result.streams.parts,
                      "parquet_bytes": result.streams.parquet_bytes,
                      "problems": len(result.failures),
                      "max_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))


def library_only(kind: str, data: bytes) -> int:
    """Parse with the library alone; the number of samples it gives."""
    if kind == "fit":
        from garmin_fit_sdk import Decoder, Stream

        messages, _ = Decoder(Stream.from_byte_array(bytearray(data))).read()
        return len(messages.get("record_mesgs", []))
    if kind == "gpx":
        import gpxpy

        gpx = gpxpy.parse(data.decode("utf-8"))
        return sum(len(segment.points) for track in gpx.tracks for segment in track.segments)
    from tcxreader.tcxreader import TCXReader

    with tempfile.NamedTemporaryFile(suffix=".tcx") as handle:
        handle.write(data)
        handle.flush()
        return len(TCXReader().read(handle.name, only_gps=False).trackpoints)


def per_format(path: Path) -> dict[str, tuple[float, float, int]]:
    """format -> (library samples/s, pipeline samples/s, files) on up to 40 files each."""
    from pipeline.streams.parse import file_format, parse_file

    speeds = {}
    with zipfile.ZipFile(path) as archive:
        for kind in ("fit", "gpx", "tcx"):
            names = [n for n in archive.namelist() if file_format(n) == kind][:FILES_PER_FORMAT]
            files = [(n, gzip.decompress(archive.read(n)) if n.endswith(".gz")
                      else archive.read(n)) for n in names]
            started = time.perf_counter()
            count = sum(library_only(kind, data) for _, data in files)
            library = count / (time.perf_counter() - started)
            started = time.perf_counter()
            count = sum(len(parse_file(1, name, data).rows) for name, data in files)
            ours = count / (time.perf_counter() - started)
            speeds[kind] = (library, ours, len(files))
    return speeds


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.archive")
    parser.add_argument("--activities", type=int, default=5000)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="archive-bench-") as folder:
        archive = Path(folder) / "export.zip"
        written = write(archive, args.activities)
        print(f"archive of {args.activities} activities written in {written:.0f} s "
              f"({archive.stat().st_size / 2**20:.0f} MiB)", file=sys.stderr)
        code = ("from benchmarks.archive import child_import; "
                f"child_import({str(archive)!r}, {str(Path(folder) / 'data')!r})")
        done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                              check=True)
        result = json.loads(done.stdout.strip().splitlines()[-1])
        speeds = per_format(archive)
    print("| activities | samples | wall s | samples/s | max RSS MiB | Parquet MiB | parts |")
    print("|---|---|---|---|---|---|---|")
    print(f"| {result['activities']} | {result['samples']} | {result['wall']:.0f} | "
          f"{result['samples'] / result['wall']:,.0f} | {result['max_rss_mib']:.0f} | "
          f"{result['parquet_bytes'] / 2**20:.1f} | {result['parts']} |")
    print()
    print("| format | files | library alone, samples/s | pipeline parse, samples/s |")
    print("|---|---|---|---|")
    for kind, (library, ours, files) in speeds.items():
        print(f"| {kind.upper()} | {files} | {library:,.0f} | {ours:,.0f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
