"""One athlete's paged read through the shared budget, in a process of its own:
``python -m tests.support.read_athlete ATHLETE_ID AFTER BEFORE`` (the settings from the
environment); prints the number of pages read. Used by tests/e2e/test_shared_budget.py."""

from __future__ import annotations

import sys

from pipeline.athletes import client_for_athlete
from pipeline.backends import open_lake
from pipeline.page_spool import PageSpool, read_key, resumable_pages
from pipeline.settings import load_settings
from pipeline.shared_budget import share_budget
from pipeline.strava.budget import Priority


def main(argv: list[str]) -> int:
    """Read every page of the athlete's window, kept in the lake as a backfill keeps them."""
    athlete_id, after, before = (int(value) for value in argv)
    settings = load_settings()
    client = share_budget(client_for_athlete(settings, athlete_id), settings, Priority.WEEKLY)
    spool = PageSpool(open_lake(settings.lake_url), read_key(after, before, athlete_id))
    pages = sum(1 for _ in resumable_pages(client, spool, after, before))
    spool.clear()
    print(pages)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
