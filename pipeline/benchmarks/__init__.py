"""Parts of ``python -m pipeline.benchmark``: the sandbox in its own process, the measured
pipeline run, and the side-by-side baselines (the original system, dlt, row-by-row inserts);
and the dashboard benchmark, ``python -m pipeline.benchmarks.dashboard``."""
