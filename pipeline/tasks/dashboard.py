"""BuildDashboard: the athlete's dashboard of the run date, after every model is rebuilt."""

from __future__ import annotations

import logging
from datetime import date
from pathlib import Path

import luigi

from pipeline.backends.lake import atomic_local_path
from pipeline.tasks.base import RunDateTask
from pipeline.tasks.models import mart_tasks

logger = logging.getLogger(__name__)


def dashboard_key(run_date_iso: str) -> str:
    """The lake key of a run date's dashboard: reports/YYYY-MM-DD/dashboard.html."""
    return f"reports/{run_date_iso}/dashboard.html"


class BuildDashboard(RunDateTask):
    """$DATA_DIR/reports/YYYY-MM-DD/dashboard.html (self-contained HTML), also in the lake.

    The lake copy is stored before the local file is renamed into place, so the local file
    existing means both are done.
    """

    def requires(self) -> list[luigi.Task]:
        return list(mart_tasks(self.run_date))

    @property
    def lake_report_key(self) -> str:
        """Where the dashboard is copied in the lake."""
        return dashboard_key(self.run_date.isoformat())

    def output(self) -> luigi.LocalTarget:
        return luigi.LocalTarget(str(dashboard_path(self.settings.data_dir, self.run_date)),
                                 format=luigi.format.Nop)

    def complete(self) -> bool:
        return super().complete() and self.lake.exists(self.lake_report_key)

    def run(self) -> None:
        from pipeline.dashboard import load_dashboard_data, render_dashboard
        from pipeline.strava.client import is_local_url

        data = load_dashboard_data(self.warehouse, self.run_date,
                                   sandbox=is_local_url(self.settings.strava_api_url))
        page = render_dashboard(data).encode("utf-8")
        with atomic_local_path(self.output()) as temporary:
            Path(temporary).write_bytes(page)
            self.lake.put_file(Path(temporary), self.lake_report_key)
        logger.info("dashboard written to %s (lake copy %s)", self.output().path,
                    self.lake.uri(self.lake_report_key))
        self.set_status_message(f"dashboard: {self.output().path}")


def dashboard_path(data_dir: Path, run_date: date) -> Path:
    """Where a run date's dashboard is written: $DATA_DIR/reports/YYYY-MM-DD/dashboard.html."""
    return Path(data_dir) / "reports" / run_date.isoformat() / "dashboard.html"
