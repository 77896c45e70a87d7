"""BuildDashboard: the run date's dashboard and validation pages, after every model is rebuilt."""

from __future__ import annotations

import logging
import uuid
from datetime import date
from functools import cached_property
from pathlib import Path

import luigi

from pipeline.athlete_scope import authorized_ids
from pipeline.strava.client import is_local_url
from pipeline.tasks.base import RunDateTask
from pipeline.tasks.kudos import TrainKudosModel
from pipeline.tasks.models import mart_tasks

logger = logging.getLogger(__name__)


def dashboard_key(run_date_iso: str) -> str:
    """The lake key of a run date's dashboard: reports/YYYY-MM-DD/dashboard.html."""
    return f"reports/{run_date_iso}/dashboard.html"


def reports_dir(data_dir: Path) -> Path:
    """$DATA_DIR/reports: one folder per run date, shared assets, latest/ and index.html."""
    return Path(data_dir) / "reports"


def dashboard_path(data_dir: Path, run_date: date) -> Path:
    """Where a run date's dashboard is written: $DATA_DIR/reports/YYYY-MM-DD/dashboard.html."""
    return reports_dir(data_dir) / run_date.isoformat() / "dashboard.html"


def athlete_dashboard_path(data_dir: Path, run_date: date, athlete_id: int) -> Path:
    """One athlete's page of a run date on an install of several athletes."""
    return reports_dir(data_dir) / str(int(athlete_id)) / run_date.isoformat() / "dashboard.html"


class BuildDashboard(RunDateTask):
    """$DATA_DIR/reports/YYYY-MM-DD/{dashboard,validation}.html, also in the lake; on an
    install of several athletes each athlete's in its own folder,
    $DATA_DIR/reports/<athlete id>/YYYY-MM-DD/ (with its own assets/, latest/ and index.html,
    so the folder can be served to its athlete alone), and reports/index.html lists the
    athletes by id with their run status only (issue 26).

    Assets (plotly.js, the page script) go to reports/assets/ once. The validation page and
    every lake copy are stored before the local dashboard is renamed into place, so the local
    dashboard existing means the whole folder is done. reports/latest/ and reports/index.html
    follow when this is the newest run date.
    """

    def requires(self) -> list[luigi.Task]:
        return [*mart_tasks(self.run_date, self.athlete_id), self.same_athlete(TrainKudosModel)]

    @cached_property
    def only_athlete(self) -> bool:
        """The install has (at most) one athlete: its pages stay where they always were."""
        return len(authorized_ids(self.settings)) <= 1

    @property
    def athlete_folder(self) -> str:
        """'' (reports/ itself) for an install of one athlete, else '<athlete id>/'."""
        return "" if self.only_athlete and not self.athlete_tag else f"{self.athlete}/"

    @property
    def root(self) -> Path:
        """The folder of this athlete's pages: $DATA_DIR/reports[/<athlete id>]."""
        return reports_dir(self.settings.data_dir) / self.athlete_folder

    @property
    def lake_report_key(self) -> str:
        """Where the dashboard is copied in the lake."""
        return f"reports/{self.athlete_folder}{self.run_date.isoformat()}/dashboard.html"

    def output(self) -> luigi.LocalTarget:
        return luigi.LocalTarget(str(self.root / self.run_date.isoformat() / "dashboard.html"),
                                 format=luigi.format.Nop)

    def complete(self) -> bool:
        return super().complete() and self.lake.exists(self.lake_report_key)

    def _put_in_lake(self, local: Path, key: str) -> None:
        """Store or replace a lake object: upload under a unique key, then move it into place.

        Pages are replaced on a rerun (latest/, index.html, a rebuilt date), and a lake may
        refuse to overwrite on upload; a move replaces whole, so a reader never sees half a page.
        """
        staging = f"reports/.staging/{uuid.uuid4().hex}-{local.name}"
        self.lake.put_file(local, staging)
        self.lake.move(staging, key)

    def _store(self, relative: str, content: bytes, lake_only_if_missing: bool = False) -> None:
        from pipeline.dashboard.build import write_atomic  # plotly and pandas: only to build

        local = self.root / relative
        key = f"reports/{self.athlete_folder}{relative}"
        if not local.exists() or local.read_bytes() != content:
            write_atomic(local, content)
        if not (lake_only_if_missing and self.lake.exists(key)):
            self._put_in_lake(local, key)

    def run(self) -> None:
        # What DuckDB kept of the model builds (BuildModel releases it only above a threshold)
        # goes back first: the dashboard's own memory then starts from a clean engine (issue 23).
        self.warehouse.release_memory()
        # plotly and pandas are imported only when a dashboard is built.
        from pipeline.dashboard import assets
        from pipeline.dashboard.build import (
            DASHBOARD_FILE,
            LATEST_FOLDER,
            VALIDATION_FILE,
            index_page,
            is_newest,
            load,
            optional_sections,
            render_pages,
            write_atomic,
        )
        from pipeline.dashboard.options import DashboardOptions

        options = DashboardOptions.from_environment()
        data, routes = load(self.warehouse, self.run_date, options,
                            sandbox=is_local_url(self.settings.strava_api_url),
                            athlete_id=self.athlete if self.athlete_folder else 0,
                            only_athlete=self.only_athlete)
        pages = render_pages(data, routes, optional_sections(self.warehouse, data))
        folder = self.run_date.isoformat()
        for name, content in assets.asset_files().items():
            self._store(f"{assets.ASSET_FOLDER}/{name}", content, lake_only_if_missing=True)
        self._store(f"{folder}/{VALIDATION_FILE}", pages.validation.encode("utf-8"))
        dashboard = pages.dashboard.encode("utf-8")
        local = Path(self.output().path)
        staged = local.with_name(f".{local.name}.staged")
        write_atomic(staged, dashboard)
        try:
            self._put_in_lake(staged, self.lake_report_key)
            staged.replace(local)
        finally:
            staged.unlink(missing_ok=True)
        reports = self.root
        if is_newest(reports, self.run_date):
            self._store(f"{LATEST_FOLDER}/{VALIDATION_FILE}", pages.validation.encode("utf-8"))
            self._store(f"{LATEST_FOLDER}/{DASHBOARD_FILE}", dashboard)
        self._store("index.html", index_page(reports).encode("utf-8"))
        if self.athlete_folder:
            self._store_operator_index()
        logger.info("dashboard written to %s (%d bytes; lake copy %s)", local, len(dashboard),
                    self.lake.uri(self.lake_report_key))
        self.set_status_message(f"dashboard: {local}")

    def _store_operator_index(self) -> None:
        """reports/index.html for the operator: the athletes by id, each with the run dates
        its dashboards were built for and its watermark's run dates; no activity data."""
        from pipeline.dashboard.build import athletes_index_page, write_atomic

        root = reports_dir(self.settings.data_dir)
        ids = authorized_ids(self.settings) or [self.athlete]
        page = athletes_index_page(root, ids, self.state).encode("utf-8")
        local = root / "index.html"
        write_atomic(local, page)
        self._put_in_lake(local, "reports/index.html")
