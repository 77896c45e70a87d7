"""Parts of ``python -m pipeline.benchmark``: the sandbox in its own process, the measured
pipeline run, and the side-by-side baselines (the original system, dlt, row-by-row inserts);
the dashboard benchmark, ``python -m pipeline.benchmarks.dashboard``, and the kudos model's,
``python -m pipeline.benchmarks.kudos``."""
