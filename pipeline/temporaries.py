"""Temporary folders whose names their cleanup knows: ``.<kind>-<pid>-<random>``.

A run makes them beside what it writes (the extract's spool of Strava's pages, the raw JSON and
the unparseable activities before they go to the lake) and removes them on every exit path it
sees. A process killed with SIGKILL sees none: its folders stay, so every new one first removes
the folders of its kind in the same place whose process is gone (the pid in the name; this
machine's processes only, as DATA_DIR is local). docs/reliability.md lists every kind.
"""

from __future__ import annotations

import logging
import os
import re
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

logger = logging.getLogger(__name__)

KINDS: tuple[str, ...] = ("extract", "raw", "unparseable")


def _name(kind: str) -> re.Pattern[str]:
    return re.compile(rf"^\.{re.escape(kind)}-(\d+)-[A-Za-z0-9_]+$")


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def remove_stale(parent: Path, kind: str) -> int:
    """Remove the ``kind`` folders in ``parent`` left by processes that are gone; how many."""
    if kind not in KINDS:
        raise ValueError(f"unknown temporary kind {kind!r}")
    pattern, removed = _name(kind), 0
    if not parent.is_dir():
        return 0
    for entry in parent.iterdir():
        match = pattern.match(entry.name)
        if match and entry.is_dir() and not _alive(int(match.group(1))):
            shutil.rmtree(entry, ignore_errors=True)
            removed += 1
            logger.info("removed %s, left by a run that was killed", entry)
    return removed


@contextmanager
def temporary_folder(parent: Path, kind: str) -> Iterator[Path]:
    """A new folder ``parent/.<kind>-<pid>-<random>``, removed on exit; stale ones first."""
    remove_stale(parent, kind)
    parent.mkdir(parents=True, exist_ok=True)
    folder = Path(tempfile.mkdtemp(prefix=f".{kind}-{os.getpid()}-", dir=parent))
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)
