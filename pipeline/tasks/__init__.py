"""The Luigi graph, one module per stage: ``luigi --module pipeline.tasks WeeklyPipeline``."""

from pipeline.tasks.apply_events import ApplyEvents
from pipeline.tasks.archive import ImportArchive
from pipeline.tasks.backfill import Backfill, BackfillWeek
from pipeline.tasks.extract import ExtractActivities
from pipeline.tasks.kudos import TrainKudosModel
from pipeline.tasks.lake import UploadToLake
from pipeline.tasks.models import BuildModel
from pipeline.tasks.production import LoadProduction
from pipeline.tasks.reconcile import Reconcile
from pipeline.tasks.staging import CopyToStaging
from pipeline.tasks.validation import ValidateStaging
from pipeline.tasks.watermark import RecordWatermark
from pipeline.tasks.weekly import WeeklyPipeline

__all__ = [
    "ApplyEvents",
    "Backfill",
    "BackfillWeek",
    "BuildModel",
    "CopyToStaging",
    "ExtractActivities",
    "ImportArchive",
    "LoadProduction",
    "Reconcile",
    "RecordWatermark",
    "TrainKudosModel",
    "UploadToLake",
    "ValidateStaging",
    "WeeklyPipeline",
]

# Failure lines, kept failures and the run's summary count through Luigi's events (issue 24).
from pipeline import failures, run_summary  # noqa: E402, F401

# `luigi --module pipeline.tasks ...`: settings, credentials and dates are checked before Luigi
# schedules anything (a problem is one line, not a traceback per task). No-op elsewhere.
from pipeline.tasks.command_line import check_luigi_command_line  # noqa: E402

check_luigi_command_line()
