"""One measured WeeklyPipeline run in this process (the benchmark starts it as a child).

``python -m benchmarks.pipeline_run RUN_DATE [--profile PATH]`` with the sandbox's
STRAVA_* variables and DATA_DIR in the environment; prints one JSON line: wall time, peak RSS,
seconds per stage, the rows and id sum loaded, and an in-process rerun's time.
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import time
from collections import defaultdict
from datetime import date
from pathlib import Path
from typing import Any


def peak_rss_mib() -> float:
    """This process's peak resident memory so far, in MiB.

    Linux's VmHWM belongs to the process image, so it starts afresh at exec; ``ru_maxrss``
    would carry the benchmark parent's peak over into the child.
    """
    status = Path("/proc/self/status")
    if status.exists():
        for line in status.read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


_combined_peak = 0.0


def pipeline_peak_rss_mib() -> float:
    """The pipeline's peak so far, in MiB: this process's, or, while a task ran a CSV writer
    (pipeline/csv_writer_process.py, a big extract), this process's peak until then plus the
    writer's, an upper bound of what both held at once; called after each task. (Not
    ``RUSAGE_CHILDREN``: a child spawned by vfork carries this process's peak.)"""
    from pipeline import csv_writer_process

    global _combined_peak
    own = peak_rss_mib()
    _combined_peak = max(_combined_peak, own + csv_writer_process.peak_mib)
    csv_writer_process.peak_mib = 0.0  # the writer has ended: counted once
    return _combined_peak


def loaded_rows() -> tuple[int, int]:
    """(rows, sum of ids) in the production table of the configured warehouse."""
    from pipeline.backends import open_warehouse
    from pipeline.settings import load_settings

    warehouse = open_warehouse(load_settings().warehouse_url)
    rows = warehouse.query("SELECT COUNT(*), SUM(id) FROM {production_table}")
    count, id_sum = rows[0]
    return int(count), int(id_sum or 0)


def measure(run_date: date, profile: Path | None = None) -> dict[str, Any]:
    """Run WeeklyPipeline for ``run_date`` twice (first run, then a rerun) and measure both."""
    import luigi
    from luigi.execution_summary import LuigiStatusCode

    from pipeline.tasks import WeeklyPipeline

    stages: dict[str, float] = defaultdict(float)
    stages_cpu: dict[str, float] = defaultdict(float)  # the process's CPU seconds in each task
    cpu_at_start: dict[str, float] = {}
    model_seconds: dict[str, float] = {}
    peak_after: dict[str, float] = {}

    @luigi.Task.event_handler(luigi.Event.START)
    def _cpu_start(task: luigi.Task) -> None:
        cpu_at_start[task.task_id] = time.process_time()

    @luigi.Task.event_handler(luigi.Event.PROCESSING_TIME)
    def _processing_time(task: luigi.Task, seconds: float) -> None:
        stages[task.task_family] += seconds
        if task.task_id in cpu_at_start:  # one worker: tasks run one at a time in this process
            stages_cpu[task.task_family] += time.process_time() - cpu_at_start.pop(task.task_id)
        model = getattr(task, "model", None)  # each BuildModel's own seconds
        if model is not None:
            model_seconds[str(model)] = seconds

    @luigi.Task.event_handler(luigi.Event.SUCCESS)
    def _peak_so_far(task: luigi.Task) -> None:
        model = getattr(task, "model", None)  # each BuildModel apart: which one grows
        peak_after[task.task_family if model is None else f"{task.task_family}({model})"] = \
            pipeline_peak_rss_mib()

    profiler = None
    if profile is not None:
        from pyinstrument import Profiler

        profiler = Profiler(interval=0.005)
        profiler.start()
    started = time.perf_counter()
    result = luigi.build([WeeklyPipeline(run_date=run_date)], local_scheduler=True,
                         detailed_summary=True, log_level="ERROR", workers=1)
    seconds = time.perf_counter() - started
    if profiler is not None:
        profiler.stop()
        profile.write_text(profiler.output_text(unicode=False, color=False, show_all=False))
    if result.status not in (LuigiStatusCode.SUCCESS, LuigiStatusCode.SUCCESS_WITH_RETRY):
        raise SystemExit(f"the benchmark's pipeline run failed:\n{result.summary_text}")
    peak = pipeline_peak_rss_mib()
    rows, id_sum = loaded_rows()
    luigi.task_register.Register.clear_instance_cache()
    started = time.perf_counter()
    luigi.build([WeeklyPipeline(run_date=run_date)], local_scheduler=True, log_level="ERROR")
    rerun = time.perf_counter() - started
    return {
        "seconds": seconds,
        "peak_rss_mib": peak,
        "stages": dict(stages),
        "stages_cpu": dict(stages_cpu),
        "model_seconds": model_seconds,
        "peak_rss_after_mib": peak_after,
        "rows": rows,
        "id_sum": id_sum,
        "rerun_in_process_seconds": rerun,
    }


def main(argv: list[str] | None = None) -> int:
    """Measure and print one JSON line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("run_date", type=date.fromisoformat)
    parser.add_argument("--profile", type=Path, help="write a pyinstrument profile here")
    args = parser.parse_args(argv)
    print(json.dumps(measure(args.run_date, args.profile)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
