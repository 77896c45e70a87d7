"""An archive as downloaded (a ZIP) or unpacked (a folder), read safely.

Nothing is unpacked to disk: members are streamed. A member whose name is absolute or climbs out
of the archive (``../../x``) is refused; every member read is capped (``ArchiveLimits``), so a ZIP
bomb (a small file that unpacks to terabytes) stops at the cap with one line. The archive's
identity is the SHA-256 of its bytes (a ZIP) or of every file's name and bytes (a folder).
"""

from __future__ import annotations

import gzip
import hashlib
import io
import os
import zipfile
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import IO

CSV_NAME = "activities.csv"
_CHUNK = 1024 * 1024


class ArchiveError(ValueError):
    """The archive as a whole cannot be imported; the message is one line that says why."""


class MemberError(ValueError):
    """One file of the archive cannot be read; the rest of the archive is imported."""


@dataclass(frozen=True)
class ArchiveLimits:
    """Caps on what reading an archive may unpack (bytes): the whole archive, one file."""

    max_unpacked_bytes: int = 20 * 1024**3
    max_file_bytes: int = 512 * 1024**2


def unsafe_name(name: str) -> bool:
    """Whether a member name is absolute or climbs out of the archive ('../../x', 'C:\\x')."""
    normal = name.replace("\\", "/")
    path = PurePosixPath(normal)
    return normal.startswith("/") or ".." in path.parts or (len(normal) > 1 and normal[1] == ":")


class _Capped(io.RawIOBase):
    """A stream that raises MemberError once more than ``limit`` bytes came out of it."""

    def __init__(self, raw: IO[bytes], limit: int, what: str) -> None:
        self.raw, self.limit, self.what, self.count = raw, limit, what, 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: bytearray) -> int:  # type: ignore[override]
        data = self.raw.read(len(buffer))
        self.count += len(data)
        if self.count > self.limit:
            raise MemberError(f"{self.what} unpacks to more than {self.limit} bytes (the cap "
                              "ARCHIVE_MAX_FILE_BYTES): refused as a possible ZIP bomb")
        buffer[:len(data)] = data
        return len(data)


@dataclass
class Archive:
    """An opened archive: where activities.csv is and which activity files it holds."""

    path: Path
    digest: str
    limits: ArchiveLimits
    refused: list[str] = field(default_factory=list)  # one line per refused member
    _zip: zipfile.ZipFile | None = None
    _names: dict[str, str] = field(default_factory=dict)  # relative name -> member name

    @property
    def short_id(self) -> str:
        """The first 16 hex digits of the digest: the import's marker and lake folder."""
        return self.digest[:16]

    def has(self, name: str) -> bool:
        """Whether a file of this relative name ('activities/1.fit.gz') is in the archive."""
        return name in self._names

    @contextmanager
    def open(self, name: str, gunzip: bool = False) -> Iterator[IO[bytes]]:
        """A capped stream of one file (gunzipped when asked); MemberError when missing."""
        if name not in self._names:
            raise MemberError(f"{name} is named in activities.csv but is not in the archive")
        member = self._names[name]
        with (self._zip.open(member) if self._zip else open(member, "rb")) as raw:
            stream: IO[bytes] = io.BufferedReader(
                _Capped(raw, self.limits.max_file_bytes, name), _CHUNK)
            if gunzip:
                stream = io.BufferedReader(_Capped(gzip.GzipFile(fileobj=stream),  # type: ignore[arg-type]
                                                   self.limits.max_file_bytes, name), _CHUNK)
            try:
                yield stream
            except (zipfile.BadZipFile, zlib.error, EOFError, gzip.BadGzipFile) as error:
                raise MemberError(f"{name} is corrupt or truncated ({error})") from None

    def close(self) -> None:
        """Close the ZIP file (nothing for a folder)."""
        if self._zip:
            self._zip.close()


def _sha256_file(path: Path, digest: hashlib._Hash | None = None) -> hashlib._Hash:
    digest = digest or hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
    return digest


def _index(names: dict[str, str], refused: list[str]) -> dict[str, str]:
    """Names relative to the folder that holds activities.csv (a ZIP may wrap everything in
    one top folder); ArchiveError when there is no activities.csv."""
    candidates = sorted((name for name in names if PurePosixPath(name).name == CSV_NAME),
                        key=lambda name: name.count("/"))
    if not candidates:
        raise ArchiveError(f"no {CSV_NAME} in the archive: is it Strava's 'Download your "
                           "data' archive? Download it again from Strava's settings")
    prefix = candidates[0][: -len(CSV_NAME)]
    return {name[len(prefix):]: member for name, member in names.items()
            if name.startswith(prefix)}


def open_archive(path: Path, limits: ArchiveLimits | None = None) -> Archive:
    """Open a ZIP or a folder; ArchiveError (one line) when it cannot be imported at all."""
    limits = limits or ArchiveLimits()
    if not path.exists():
        raise ArchiveError(f"{path} does not exist: give the ZIP downloaded from Strava or "
                           "the folder it unpacks to")
    refused: list[str] = []
    if path.is_dir():
        digest = hashlib.sha256()
        names: dict[str, str] = {}
        for root, _dirs, files in sorted(os.walk(path)):
            for file_name in sorted(files):
                full = Path(root) / file_name
                relative = full.relative_to(path).as_posix()
                names[relative] = str(full)
                digest.update(relative.encode() + b"\0")
                _sha256_file(full, digest)
        return Archive(path, digest.hexdigest(), limits, refused, None, _index(names, refused))
    try:
        archive = zipfile.ZipFile(path)
        infos = archive.infolist()
    except (zipfile.BadZipFile, OSError, EOFError) as error:
        raise ArchiveError(f"{path} is not a readable ZIP ({error}): download the archive "
                           "again (a partial download is the usual cause)") from None
    total = 0
    names = {}
    for info in infos:
        if info.is_dir():
            continue
        if unsafe_name(info.filename):
            refused.append(f"{info.filename!r} points outside the archive: refused (path "
                           "traversal), nothing is written for it")
            continue
        total += info.file_size
        names[info.filename] = info.filename
    if total > limits.max_unpacked_bytes:
        archive.close()
        raise ArchiveError(f"{path} would unpack to {total} bytes, more than the cap of "
                           f"{limits.max_unpacked_bytes} (ARCHIVE_MAX_UNPACKED_BYTES): refused "
                           "as a possible ZIP bomb; raise the cap if the archive is genuine")
    try:
        index = _index(names, refused)
    except ArchiveError:
        archive.close()
        raise
    return Archive(path, _sha256_file(path).hexdigest(), limits, refused, archive, index)
