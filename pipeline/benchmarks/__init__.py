"""Parts of ``python -m pipeline.benchmark``: the sandbox in its own process, the measured
pipeline run, and the side-by-side baselines (the original system, dlt, row-by-row inserts);
and single-stage benchmarks such as ``python -m pipeline.benchmarks.kudos``."""
