"""Write Strava's pages to extract files without holding the whole history in memory.

Pages are spooled to a temporary file as they arrive (only the ids stay in memory), then read
back in chunks of a few thousand activities: each chunk becomes a typed frame and a part file in
the extract dialect, and the parts are joined into the extract. Peak memory is one chunk, not the
history: at 100,000 activities the list of raw dicts alone would be several hundred MB. One read
can feed several extracts (a backfill's weeks): each keeps its own rows of every chunk.

Pages shift when activities arrive during a run, so an id can come twice; as before, the later
copy (the fresher one) wins, whichever chunk the earlier copy fell in.
"""

from __future__ import annotations

import logging
import pickle
import shutil
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pipeline import activity_csv
from pipeline.strava.activities import activities_frame, parse_activities
from pipeline.strava.client import PageProgress
from pipeline.temporaries import temporary_folder

if TYPE_CHECKING:  # pandas is imported where it is used (start-up time, issue 23)
    import pandas as pd

logger = logging.getLogger(__name__)

CHUNK_ACTIVITIES = 5_000


def with_progress(pages: Iterable[list[dict[str, Any]]],
                  on_page: Callable[[PageProgress], None] | None = None
                  ) -> Iterator[list[dict[str, Any]]]:
    """The same pages, each logged and reported to ``on_page`` as it arrives."""
    seen = 0
    for number, page in enumerate(pages, start=1):
        seen += len(page)
        progress = PageProgress(number, seen, page[-1].get("start_date") if page else None)
        logger.info("Strava page %d: %d activities so far (up to %s)",
                    progress.pages, progress.activities, progress.newest_start)
        if on_page:
            on_page(progress)
        yield page


def _spool(pages: Iterable[list[dict[str, Any]]], spool: Any) -> dict[int, int]:
    """Pickle each page into ``spool``; id -> position of its last copy."""
    last: dict[int, int] = {}
    position = 0
    for page in pages:
        pickle.dump(page, spool, protocol=pickle.HIGHEST_PROTOCOL)
        for activity in page:
            last[activity.get("id")] = position  # type: ignore[index]
            position += 1
    return last


def _chunks(spool: Any, last: dict[int, int], size: int) -> Iterator[list[dict[str, Any]]]:
    """The spooled activities without superseded copies, ``size`` at a time."""
    chunk: list[dict[str, Any]] = []
    position = 0
    while True:
        try:
            page = pickle.load(spool)
        except EOFError:
            break
        for activity in page:
            if last[activity.get("id")] == position:  # type: ignore[index]
                chunk.append(activity)
            position += 1
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


Keep = Callable[["pd.DataFrame"], "pd.DataFrame"]


def write_extract(
    pages: Iterable[list[dict[str, Any]]],
    path: Path,
    extracted_at: datetime,
    keep: Keep | None = None,
    chunk_activities: int = CHUNK_ACTIVITIES,
    validated: bool = False,
) -> int:
    """Write the activities of ``pages`` to the extract file ``path``; return the rows written.

    ``keep`` filters each typed chunk (e.g. the run date's local days) before it is written.
    ``validated``: every activity of ``pages`` passed ``parse_problem`` already (the extract
    tasks' ``set_aside_unparseable``), so it is not checked a second time.
    """
    (rows,) = write_extracts(pages, [(path, keep or (lambda frame: frame))], extracted_at,
                             chunk_activities, validated)
    return rows


def write_extracts(
    pages: Iterable[list[dict[str, Any]]],
    outputs: Sequence[tuple[Path, Keep]],
    extracted_at: datetime,
    chunk_activities: int = CHUNK_ACTIVITIES,
    validated: bool = False,
) -> list[int]:
    """Write the activities of ``pages`` to several extract files, each keeping its own rows of
    every chunk (``keep``); return the rows written to each. ``validated`` as for
    ``write_extract``."""
    if not outputs:
        return []
    with temporary_folder(outputs[0][0].parent, "extract") as work:
        parts: list[list[Path]] = [[] for _ in outputs]
        rows = [0] * len(outputs)
        from_type = 0
        with open(work / "pages.pickle", "w+b") as spool:
            last = _spool(pages, spool)
            spool.seek(0)
            for number, chunk in enumerate(_chunks(spool, last, chunk_activities)):
                parsed = parse_activities(chunk, extracted_at=extracted_at,
                                          validated=validated)
                frame, from_type = parsed.frame, from_type + parsed.sport_type_from_type
                for index, (_path, keep) in enumerate(outputs):
                    part = work / f"output{index:05d}-part{number:05d}.csv"
                    rows[index] += activity_csv.write_activities_csv(keep(frame), part)
                    parts[index].append(part)
        empty = activities_frame([], extracted_at=extracted_at)
        for (path, _keep), output_parts in zip(outputs, parts, strict=True):
            _join(output_parts, path, empty=empty)
    if from_type:
        logger.info("%d activities had no sport_type (an answer in the shape from before "
                    "Strava added it): each took its type as sport_type", from_type)
    return rows


def _join(parts: list[Path], path: Path, empty: pd.DataFrame) -> None:
    """Concatenate part files, keeping the first part's header line only."""
    if not parts:
        activity_csv.write_activities_csv(empty, path)
        return
    with open(path, "wb") as out:
        for index, part in enumerate(parts):
            with open(part, "rb") as handle:
                header = handle.readline()  # the header holds no quoted line break
                if index == 0:
                    out.write(header)
                shutil.copyfileobj(handle, out, 1024 * 1024)
