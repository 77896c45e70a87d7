"""A Luigi wrapper of several backfill reads, for the multi-worker tests
(``luigi --module tests.support.ranges ExtractRanges --ranges ...``)."""

from __future__ import annotations

from datetime import date

import luigi

from pipeline.tasks.backfill import ExtractRange


class ExtractRanges(luigi.WrapperTask):
    """ExtractRange for each ``first:last`` pair of run dates (Sundays)."""

    ranges = luigi.ListParameter(description="first:last pairs, YYYY-MM-DD:YYYY-MM-DD")

    def requires(self) -> list[ExtractRange]:
        pairs = [str(pair).split(":") for pair in self.ranges]
        return [ExtractRange(first=date.fromisoformat(first), last=date.fromisoformat(last))
                for first, last in pairs]
