"""A writer SIGKILLed inside a target's temporary file leaves nothing once its task runs again."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

from tests.conftest import RUN_DATE, PipelineWorld, succeeded

KILLED_DASHBOARD_WRITER = """
import os, signal, sys
from pathlib import Path
from pipeline.dashboard.build import write_atomic
final = Path(sys.argv[1])
staged = final.with_name(f".{final.name}.staged")
os.replace = lambda *args: os.kill(os.getpid(), signal.SIGKILL)  # killed before the rename
write_atomic(staged, b"half of a page")
"""

KILLED_WRITER = """
import os, signal, sys
from pathlib import Path
import luigi
from pipeline.backends.lake import atomic_local_path
target = luigi.LocalTarget(sys.argv[1], format=luigi.format.Nop)
with atomic_local_path(target) as temporary:
    Path(temporary).write_text("half of a file")
    os.kill(os.getpid(), signal.SIGKILL)
"""


def kill_while_writing(path: Path, writer: str = KILLED_WRITER) -> None:
    """Start writing ``path`` the way ExtractActivities (or BuildDashboard) does, and SIGKILL."""
    path.parent.mkdir(parents=True, exist_ok=True)
    result = subprocess.run([sys.executable, "-c", writer, str(path)], timeout=60)
    assert result.returncode == -signal.SIGKILL


def temporaries(data_dir: Path) -> list[Path]:
    return sorted(path for path in data_dir.rglob("*")
                  if "-luigi-tmp-" in path.name or path.name.endswith((".tmp", ".staged")))


def test_sigkill_in_extract_and_dashboard_leaves_no_temp_file_after_the_rerun(
    world: PipelineWorld,
) -> None:
    extract = world.data_dir / "extract" / RUN_DATE.isoformat() / "activities.csv"
    dashboard = world.data_dir / "reports" / RUN_DATE.isoformat() / "dashboard.html"
    kill_while_writing(extract)
    kill_while_writing(dashboard, KILLED_DASHBOARD_WRITER)
    left = temporaries(world.data_dir)
    assert len(left) == 2, left
    assert left[0].name.startswith("activities.csv-luigi-tmp-")
    assert left[1].name.startswith("..dashboard.html.staged.")  # write_atomic's mkstemp file
    assert not extract.exists() and not dashboard.exists()

    assert succeeded(world.run_weekly())
    assert temporaries(world.data_dir) == []
    assert extract.read_text().startswith("id|") and dashboard.stat().st_size > 1000
    assert os.listdir(extract.parent) == ["activities.csv"]
