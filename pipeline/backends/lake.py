"""The data lake: where dated extract files are kept for the warehouse to load.

``file://`` is a local folder (the embedded default). Every lake hands out Luigi targets, so a
task's ``output()`` is the same whatever the backend.
"""

from __future__ import annotations

import glob
import logging
import shutil
import tempfile
from abc import ABC, abstractmethod
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO

import luigi

from pipeline.backends.run_lock import verify_run_date_lock

logger = logging.getLogger(__name__)


def remove_stale_temporaries(path: Path | str) -> list[Path]:
    """Delete the temporary siblings a killed writer of ``path`` left: Luigi's
    ``<name>-luigi-tmp-NNNNNNNNNN`` and hidden ``.<name>.*`` / ``..<name>.*`` (a staged copy
    and the mkstemp files of one).

    Safe when the target's task runs again: the run date's lock keeps any other writer away.
    """
    path = Path(path)
    name = glob.escape(path.name)
    patterns = (f"{name}-luigi-tmp-*", f".{name}.*", f"..{name}.*")
    stale = sorted({leftover for pattern in patterns for leftover in path.parent.glob(pattern)}
                   ) if path.parent.is_dir() else []
    for leftover in stale:
        leftover.unlink(missing_ok=True)
    if stale:
        logger.warning("removed %d stale temporary file(s) of %s left by a killed run",
                       len(stale), path)
    return stale


@contextmanager
def atomic_local_path(target: luigi.LocalTarget) -> Iterator[str]:
    """Luigi's ``temporary_path()``, without the temp file it leaves when the block fails, and
    without the ones an earlier, killed try left (removed first)."""
    remove_stale_temporaries(target.path)
    with target.temporary_path() as temporary:
        try:
            yield temporary
            verify_run_date_lock()  # renamed into place only while the run date is still ours
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise


class Lake(ABC):
    """Key-addressed file storage; keys are '/'-separated relative paths."""

    url: str

    @abstractmethod
    def target(self, key: str) -> luigi.target.FileSystemTarget:
        """The Luigi target of a key (LocalTarget, S3Target, ...)."""

    @abstractmethod
    def uri(self, key: str) -> str:
        """The full URL of a key, as other systems (Redshift COPY, a user) refer to it."""

    @abstractmethod
    def put_file(self, local_path: Path, key: str) -> None:
        """Store a local file under ``key``; the key appears complete or not at all."""

    @abstractmethod
    def open_binary(self, key: str) -> BinaryIO:
        """A readable binary stream of the object (for streaming loaders)."""

    @abstractmethod
    def move(self, key: str, new_key: str) -> None:
        """Move an object to another key (quarantine keeps evidence, never deletes it)."""

    def exists(self, key: str) -> bool:
        """Whether the key holds an object."""
        return self.target(key).exists()

    @abstractmethod
    def keys(self, prefix: str) -> list[str]:
        """Every key starting with ``prefix`` (a folder such as 'strava/'), sorted."""

    @abstractmethod
    def delete(self, key: str) -> None:
        """Delete one object (``strava-pipeline forget`` only: every other change moves)."""

    @contextmanager
    def local_file(self, key: str) -> Iterator[Path]:
        """A local path holding the object for the duration of the block."""
        with tempfile.TemporaryDirectory(prefix="lake-") as folder:
            path = Path(folder) / Path(key).name
            with self.open_binary(key) as source, open(path, "wb") as sink:
                shutil.copyfileobj(source, sink, 1024 * 1024)
            yield path

    def close(self) -> None:
        """Release connections (none for a folder)."""
        return None


class LocalLake(Lake):
    """A lake in a local folder: ``file:///path/to/lake``."""

    def __init__(self, url: str, root: Path) -> None:
        self.url = url
        self.root = root

    def _path(self, key: str) -> Path:
        path = (self.root / key).resolve()
        if self.root.resolve() not in path.parents:
            raise ValueError(f"lake key {key!r} escapes the lake folder")
        return path

    def target(self, key: str) -> luigi.LocalTarget:
        return luigi.LocalTarget(str(self._path(key)), format=luigi.format.Nop)

    def uri(self, key: str) -> str:
        return self._path(key).as_uri()

    def put_file(self, local_path: Path, key: str) -> None:
        with atomic_local_path(self.target(key)) as temporary:
            shutil.copyfile(local_path, temporary)

    def open_binary(self, key: str) -> BinaryIO:
        return open(self._path(key), "rb")

    def move(self, key: str, new_key: str) -> None:
        destination = self._path(new_key)
        destination.parent.mkdir(parents=True, exist_ok=True)
        self._path(key).rename(destination)

    def keys(self, prefix: str) -> list[str]:
        root = self.root.resolve()
        folder = self._path(prefix.rstrip("/")) if prefix.strip("/") else root
        if not folder.is_dir():
            return []
        return sorted(path.relative_to(root).as_posix() for path in folder.rglob("*")
                      if path.is_file() or path.is_symlink())

    def delete(self, key: str) -> None:
        path = self._path(key)
        path.unlink(missing_ok=True)
        root = self.root.resolve()
        for folder in path.parents:  # the folders it leaves empty go too, never the root
            if folder == root or root not in folder.parents or any(folder.iterdir()):
                break
            folder.rmdir()

    @contextmanager
    def local_file(self, key: str) -> Iterator[Path]:
        yield self._path(key)
