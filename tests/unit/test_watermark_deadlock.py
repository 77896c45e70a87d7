"""A watermark whose transaction MySQL rolled back as a deadlock's victim is recorded again."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime, timezone
from pathlib import Path

import pytest

from pipeline.backends.state import NO_WATERMARK, SqliteStateStore


class OnceDeadlocked(SqliteStateStore):
    """The SQLite store whose first ``failures`` transactions end as MySQL's deadlock would."""

    def __init__(self, path: Path, failures: int, message: str) -> None:
        self.failures = 0
        self.message = message
        super().__init__("sqlite://" + str(path), path)
        self.failures = failures

    @contextmanager
    def transaction(self) -> Iterator:  # type: ignore[override]
        with super().transaction() as session:
            yield session
            if self.failures:
                self.failures -= 1
                raise RuntimeError(self.message)


DEADLOCK = "(1213, 'Deadlock found when trying to get lock; try restarting transaction')"
WATERMARK = datetime(2026, 11, 29, 12, tzinfo=timezone.utc)


def test_a_deadlocked_watermark_is_recorded_on_the_next_try(tmp_path: Path) -> None:
    store = OnceDeadlocked(tmp_path / "state.db", failures=2, message=DEADLOCK)
    store.record_watermark(date(2026, 11, 29), WATERMARK, 7)
    assert store.failures == 0
    assert store.watermark_of(date(2026, 11, 29), 7) == WATERMARK.replace(tzinfo=None) or \
        store.watermark_of(date(2026, 11, 29), 7) == WATERMARK


def test_another_error_is_raised_at_once(tmp_path: Path) -> None:
    store = OnceDeadlocked(tmp_path / "state.db", failures=1, message="disk I/O error")
    with pytest.raises(RuntimeError, match="disk I/O error"):
        store.record_watermark(date(2026, 11, 29), WATERMARK, 7)
    store.failures = 0
    assert store.watermark_of(date(2026, 11, 29), 7) is NO_WATERMARK  # nothing written
