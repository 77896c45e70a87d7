"""Issue 23: importing the command line loads no other command's module (nor psycopg2 for a
DuckDB warehouse), and ``--version`` reads the version only when asked for."""

from __future__ import annotations

import subprocess
import sys


def test_importing_the_command_line_leaves_the_other_commands_modules_alone() -> None:
    code = ("import sys, pipeline.cli; print(' '.join(sorted(m for m in sys.modules if m in "
            "('pipeline.forget', 'pipeline.athletes_cli', 'pipeline.status', "
            "'pipeline.rebuild_lake', 'pipeline.webhook.cli', 'pipeline.archive.command', "
            "'pipeline.debug_command', 'pipeline.init_command', 'psycopg2'))))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True)
    assert done.stdout.strip() == ""


def test_version_is_read_when_asked_for() -> None:
    done = subprocess.run([sys.executable, "-m", "pipeline.cli", "--version"],
                          capture_output=True, text=True)
    assert done.returncode == 0
    assert done.stdout.startswith("strava-pipeline ")


def test_the_task_graph_loads_no_file_format_reader_nor_pandas() -> None:
    """A rerun imports every task; their GPX/TCX/FIT readers, pandas and psycopg2 wait for
    the file, the frame or the PostgreSQL URL that needs them."""
    code = ("import sys, pipeline.cli, pipeline.tasks; print(' '.join(sorted(m for m in "
            "sys.modules if m.split('.')[0] in ('gpxpy', 'tcxreader', 'garmin_fit_sdk', "
            "'pandas', 'psycopg2'))))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True)
    assert done.stdout.strip() == ""
