"""Measurement code, kept out of the installed package; run from the checkout.

    python -m benchmarks              the performance table (suite.py): the sandbox in its own
                                      process, the measured pipeline run, and the baselines
                                      (the original system, dlt, row-by-row inserts)
    python -m benchmarks.backfill     a backfill through the real command line
    python -m benchmarks.dashboard    the dashboard build and draw
    python -m benchmarks.kudos        the kudos model
    python -m benchmarks.screenshot   the README's dashboard screenshot (docs/dashboard.png)
"""
