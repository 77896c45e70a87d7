"""A paged read of Strava that resumes at the page it reached (issue 26).

Every page of a backfill's read is kept in the lake as it arrives
(``strava/pages/<read>/page-00001.json.gz``, the page's bytes as Strava sent them, written
whole or not at all), so every machine sharing the lake sees it. A read stopped by the shared budget
(RateLimitWaitTooLong), by a kill or by a failure starts again after the last page kept: the
kept pages are read back from the lake and Strava is asked from the next page on, so no page is
asked for twice. The pages go once the read's extracts are written.
"""

from __future__ import annotations

import contextlib
import gzip
import json
import logging
import re
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from pipeline.backends.lake import Lake
from pipeline.strava.client import StravaClient

logger = logging.getLogger(__name__)

PREFIX = "strava/pages"
_PAGE = re.compile(r"page-(\d{5,})\.json\.gz$")


def read_key(after: int, before: int, athlete_id: int | None = None) -> str:
    """The folder of one read's pages: its window (and athlete, when there are several)."""
    who = f"athlete-{int(athlete_id)}/" if athlete_id is not None else ""
    return f"{PREFIX}/{who}range-{int(after)}-{int(before)}"


class PageSpool:
    """The pages of one read kept in the lake, numbered from 1."""

    def __init__(self, lake: Lake, key: str) -> None:
        self.lake = lake
        self.key = key

    def _page_key(self, number: int) -> str:
        return f"{self.key}/page-{number:05d}.json.gz"

    def numbers(self) -> list[int]:
        """The numbers of the pages kept, 1, 2, ... without a gap (a later page past a gap is
        not trusted: it would be asked again)."""
        found = sorted(int(match.group(1)) for key in self.lake.keys(self.key + "/")
                       if (match := _PAGE.search(key)))
        kept = []
        for expected, number in enumerate(found, start=1):
            if number != expected:
                break
            kept.append(number)
        return kept

    def read(self, number: int, client: StravaClient) -> Any:
        """One kept page, decoded as the client decodes Strava's (``page_decoder``)."""
        with self.lake.open_binary(self._page_key(number)) as raw, gzip.open(raw) as unpacked:
            body = unpacked.read()
        decode = client.page_decoder
        return decode(client.lenient_json, body) if decode else client.lenient_json(body)

    def keep(self, number: int, page: list[Any]) -> None:
        """Keep one page, as the bytes sent when the page has them (the lake gets it whole or
        not at all)."""
        body = getattr(page, "body", None)
        if body is None:
            body = json.dumps(list(page), ensure_ascii=False).encode("utf-8")
        with tempfile.TemporaryDirectory(prefix="page-") as folder:
            path = Path(folder) / "page.json.gz"
            with gzip.open(path, "wb", compresslevel=1) as handle:
                handle.write(body)
            for attempt in range(3):
                try:
                    self.lake.put_file(path, self._page_key(number))
                    return
                except FileNotFoundError:
                    # A local lake: another read's clear() removed the folders it left empty
                    # just as this one was made; make them again.
                    if attempt == 2:
                        raise

    def clear(self) -> None:
        """Forget the read's pages (its extracts are written)."""
        for key in self.lake.keys(self.key + "/"):
            # A local lake also removes the folders a deletion leaves empty; another read
            # writing beside them meanwhile is no failure (the page itself is deleted).
            with contextlib.suppress(OSError):
                self.lake.delete(key)


def resumable_pages(client: StravaClient, spool: PageSpool, after: int, before: int
                    ) -> Iterator[list[dict[str, Any]]]:
    """The read's pages, oldest first: the kept ones from the lake, then Strava's from the
    next page on, each kept before it is passed on."""
    kept = spool.numbers()
    seen: set[int] = set()
    if kept:
        logger.info("resuming the read at page %d: pages 1 to %d were kept in the lake (%s)",
                    len(kept) + 1, len(kept), spool.key)
    for number in kept:
        page = spool.read(number, client)
        seen.update(getattr(page, "ids", None) or (
            activity["id"] for activity in page
            if isinstance(activity, dict) and isinstance(activity.get("id"), int)))
        yield page
    number = len(kept)
    for page in client.iter_pages(after, before, first_page=len(kept) + 1, seen=seen):
        number += 1
        spool.keep(number, page)
        yield page
