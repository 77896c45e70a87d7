"""Activity streams: the per-sample records of the activity files (FIT, GPX, TCX) an archive
carries, parsed with the library made for each format (``parse.py``), kept in the lake as Parquet
and in the warehouse's ``activity_streams`` one batch at a time (``store.py``)."""
