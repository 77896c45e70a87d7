"""The rows of a typed chunk that belong to a run date's extract, by their local start date."""

from __future__ import annotations

import logging
from datetime import date, datetime
from typing import TYPE_CHECKING

from pipeline import run_dates

if TYPE_CHECKING:  # pandas is imported where it is used (start-up time, issue 23)
    import pandas as pd

logger = logging.getLogger("pipeline.tasks.extract")  # where this filter lived before


class LocalDates:
    """A filter of a typed chunk: the rows whose local start date is after ``after`` (every
    earlier one, and those without a local start, when None) and on or before ``run_date``.

    Strava's UTC window reaches into the next local day east of UTC-12; those rows belong to
    later run dates. Called with a typed frame it filters the frame; ``start`` and ``end`` (naive
    local times, ``start <= local < end``) let the extract writer filter without pandas.
    """

    def __init__(self, run_date: date, after: date | None = None) -> None:
        self.run_date = run_date
        self.end = run_dates.run_week(run_date).end
        self.start = None if after is None else run_dates.run_week(after).end

    def keeps(self, local: datetime | None) -> bool:
        """Whether a row of this local start time (None: none) is kept."""
        if local is None:
            return self.start is None
        return local < self.end and (self.start is None or local >= self.start)

    def log_later(self, later: int) -> None:
        """Log the rows left to later run dates (local start on or after ``end``)."""
        if later:
            logger.info("left %d activities of local dates after %s to later run dates",
                        later, self.run_date)

    def __call__(self, frame: pd.DataFrame) -> pd.DataFrame:
        import pandas as pd

        end = pd.Timestamp(self.end)
        start = None if self.start is None else pd.Timestamp(self.start)
        local = frame["start_date_local"]
        kept = (local < end) & (local >= start) if start is not None else \
            local.isna() | (local < end)
        self.log_later(int((local >= end).sum()))
        return frame[kept].reset_index(drop=True)
