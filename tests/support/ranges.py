"""A Luigi wrapper of several backfill reads, for the multi-worker tests
(``luigi --module tests.support.ranges ExtractRanges --ranges ...``).

The pipeline's tasks are imported inside ``requires``: importing ``pipeline.tasks`` from
Luigi's command line runs its pre-flight, which must find this task already defined."""

from __future__ import annotations

from datetime import date
from typing import Any

import luigi


class ExtractRanges(luigi.WrapperTask):
    """ExtractRange for each ``first:last`` pair of run dates (Sundays)."""

    ranges = luigi.ListParameter(description="first:last pairs, YYYY-MM-DD:YYYY-MM-DD")

    def requires(self) -> list[Any]:
        from pipeline.tasks.backfill import ExtractRange

        pairs = [str(pair).split(":") for pair in self.ranges]
        return [ExtractRange(first=date.fromisoformat(first), last=date.fromisoformat(last))
                for first, last in pairs]
