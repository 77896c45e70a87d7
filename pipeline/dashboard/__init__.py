"""The athlete's dashboard: a self-contained HTML page built from the model tables."""

from pipeline.dashboard.data import DashboardData, MissingModelError, load_dashboard_data
from pipeline.dashboard.figures import CHART_IDS
from pipeline.dashboard.page import VALIDATION_EMPTY, render_dashboard, week_metrics, year_metrics

__all__ = [
    "CHART_IDS",
    "VALIDATION_EMPTY",
    "DashboardData",
    "MissingModelError",
    "load_dashboard_data",
    "render_dashboard",
    "week_metrics",
    "year_metrics",
]
