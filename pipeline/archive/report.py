"""The archive imports in ``strava-pipeline status``: the newest ones, their problems."""

from __future__ import annotations

from pipeline.backends import open_warehouse
from pipeline.backends.urls import missing_locally
from pipeline.settings import Settings


def status_lines(settings: Settings) -> list[str]:
    """Lines about the newest archive imports; none when there was none (reads only)."""
    if missing_locally(settings.warehouse_url):
        return []
    warehouse = open_warehouse(settings.warehouse_url)
    if not warehouse.table_exists("validation_results"):
        return []
    rows = warehouse.query_file("archive/recent_imports.sql")
    if not rows:
        return []
    lines = ["Archive imports (newest first; strava-pipeline import-archive):"]
    for checked_at, status, problems, message in rows:
        lines.append(f"  {checked_at}  {status:<4}  {int(problems or 0)} problem(s)  {message}")
    return lines
