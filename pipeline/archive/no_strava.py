"""Archive-only mode (ARCHIVE_ONLY=on): the weekly run's "client" that never calls Strava.

A user without a Strava application imports the archives they download
(``strava-pipeline import-archive``); the weekly run then reads no page from Strava and builds
its staging, checks, watermark, models and dashboard from what is in production.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

logger = logging.getLogger(__name__)


class NoStravaClient:
    """Stands in for StravaClient in archive-only mode: every listing is empty."""

    is_sandbox = False
    list_requests = 0
    token_refreshes = 0
    invalid_utf8 = 0

    def iter_pages(self, after: int, before: int, first_page: int = 1,
                   seen: set[int] | None = None) -> Iterator[list[dict[str, Any]]]:
        """No page: nothing is read from Strava (StravaClient.iter_pages' parameters)."""
        logger.info("archive-only mode (ARCHIVE_ONLY=on): no request to Strava; the activities "
                    "come from `strava-pipeline import-archive`")
        return iter(())
