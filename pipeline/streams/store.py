"""Samples to the lake (Parquet, one file per batch) and to the warehouse's activity_streams,
one batch at a time: never more than ``batch_samples`` samples in memory.

A batch's Parquet file is written by DuckDB (no pyarrow needed) under
``strava/streams/<import id>/part-NNNNN.parquet``, so a rerun of the same import rewrites its own
parts only; the batch then replaces its activities' samples in activity_streams in one
transaction (``Warehouse.replace_streams``).
"""

from __future__ import annotations

import logging
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb

from pipeline.backends import Lake, Warehouse
from pipeline.streams.parse import STREAM_COLUMNS, Parsed

logger = logging.getLogger(__name__)

BATCH_SAMPLES = 250_000
_DTYPES = {"activity_id": "Int64", "elapsed_seconds": "Float64", "lat": "Float64",
           "lng": "Float64", "distance": "Float64", "altitude": "Float64",
           "heart_rate": "Float64", "cadence": "Float64", "power": "Float64",
           "temperature": "Float64", "moving": "boolean"}


def streams_lake_key(import_id: str, part: int) -> str:
    """Where one batch of an import's samples is kept in the lake."""
    return f"strava/streams/{import_id}/part-{part:05d}.parquet"


@dataclass
class StreamTotals:
    """What a writer stored."""

    samples: int = 0
    activities: int = 0
    parts: int = 0
    parquet_bytes: int = 0


class StreamWriter:
    """Collects activities' samples and stores them a batch at a time."""

    def __init__(self, lake: Lake, warehouse: Warehouse, import_id: str,
                 batch_samples: int = BATCH_SAMPLES, athlete_id: int | None = None) -> None:
        """``athlete_id``: whose samples these are (issue 26), for activities production does
        not hold yet; None for an install of one athlete."""
        self.lake, self.warehouse, self.import_id = lake, warehouse, import_id
        self.athlete_id = athlete_id
        self.batch_samples = batch_samples
        self.rows: list[tuple[Any, ...]] = []
        self.totals = StreamTotals()

    def add(self, parsed: Parsed) -> None:
        """One activity's samples; a full batch is stored at once."""
        if not parsed.rows:
            return
        self.rows.extend(parsed.rows)
        self.totals.activities += 1
        if len(self.rows) >= self.batch_samples:
            self.flush()

    def flush(self) -> None:
        """Store the collected samples (Parquet in the lake, then the warehouse)."""
        import pandas as pd

        if not self.rows:
            return
        self.totals.parts += 1
        frame = pd.DataFrame.from_records(self.rows, columns=list(STREAM_COLUMNS)).astype(_DTYPES)
        with tempfile.TemporaryDirectory(prefix="streams-") as folder:
            parquet = Path(folder) / "part.parquet"
            connection = duckdb.connect()
            try:
                connection.register("batch", frame)
                connection.execute(f"COPY batch TO '{parquet}' (FORMAT parquet, "
                                   "COMPRESSION zstd)")
            finally:
                connection.close()
            self.totals.parquet_bytes += parquet.stat().st_size
            key = streams_lake_key(self.import_id, self.totals.parts)
            self.lake.put_file(parquet, key)
            loaded = self.warehouse.replace_streams(parquet, self.athlete_id)
        self.totals.samples += loaded
        logger.info("stored %d samples in %s and activity_streams", loaded, self.lake.uri(key))
        self.rows = []

    def close(self) -> StreamTotals:
        """Store what is left; the totals."""
        self.flush()
        return self.totals
