"""The streamed extract: pages written in chunks, the later copy of a repeated id wins."""

from __future__ import annotations

import csv
from datetime import datetime, timezone
from pathlib import Path

from pipeline import activity_csv
from pipeline.extract_stream import with_progress, write_extract

EXTRACTED_AT = datetime(2026, 11, 30, 6, tzinfo=timezone.utc)


def activity(activity_id: int, day: int, kudos: int) -> dict:
    return {"id": activity_id, "athlete": {"id": 9}, "name": f"Run {activity_id}",
            "start_date": f"2026-11-{day:02d}T10:00:00Z",
            "start_date_local": f"2026-11-{day:02d}T05:00:00Z", "sport_type": "Run",
            "kudos_count": kudos}


def read(path: Path) -> list[list[str]]:
    with open(path, encoding="utf-8", newline="") as handle:
        return list(csv.reader(handle, delimiter="|", quotechar='"', strict=True))


def test_chunks_join_into_one_file_and_the_later_copy_wins_across_chunks(tmp_path: Path) -> None:
    pages = [[activity(1, 1, 0), activity(2, 2, 0)], [activity(3, 3, 0), activity(4, 4, 0)],
             [activity(2, 2, 7), activity(5, 5, 0)]]  # id 2 again, fresher, two chunks later
    path = tmp_path / "activities.csv"
    assert write_extract(iter(pages), path, EXTRACTED_AT, chunk_activities=2) == 5
    records = read(path)
    assert records[0] == list(activity_csv.ACTIVITY_COLUMNS)
    ids = [int(record[0]) for record in records[1:]]
    assert sorted(ids) == [1, 2, 3, 4, 5] and len(ids) == 5
    kudos = {int(r[0]): r[list(activity_csv.ACTIVITY_COLUMNS).index("kudos_count")]
             for r in records[1:]}
    assert kudos[2] == "7"
    assert list(tmp_path.iterdir()) == [path], "no spool or part file left behind"


def test_no_pages_give_a_header_only_file(tmp_path: Path) -> None:
    path = tmp_path / "activities.csv"
    assert write_extract(iter([]), path, EXTRACTED_AT) == 0
    assert read(path) == [list(activity_csv.ACTIVITY_COLUMNS)]


def test_progress_is_reported_on_the_first_page_then_at_most_once_a_second() -> None:
    pages = [[{"id": n, "start_date": "2026-11-02T10:00:00Z"}] for n in range(5)]
    seen: list[int] = []
    assert list(with_progress(pages, lambda progress: seen.append(progress.pages))) == pages
    assert seen == [1]  # five pages read within a second
    assert list(with_progress(pages, lambda progress: seen.append(progress.pages),
                              every_seconds=0)) == pages
    assert seen == [1, 1, 2, 3, 4, 5]
