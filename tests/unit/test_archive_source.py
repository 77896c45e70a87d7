"""Archives read safely (pipeline/archive/source.py): ZIP or folder, hostile members, caps."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest

from pipeline.archive.source import (
    ArchiveError,
    ArchiveLimits,
    MemberError,
    open_archive,
    unsafe_name,
)
from tests.support.archive import csv_bytes, write_zip


@pytest.mark.parametrize(("name", "unsafe"), [
    ("../../x", True), ("/etc/passwd", True), ("a/../../b", True), ("C:\\x", True),
    ("..\\..\\x", True), ("activities/1.gpx", False), ("export_1/activities.csv", False),
])
def test_unsafe_names(name: str, unsafe: bool) -> None:
    assert unsafe_name(name) is unsafe


def test_zip_and_folder_read_the_same_and_hash_by_content(tmp_path: Path) -> None:
    members = {"activities.csv": csv_bytes(), "activities/101.gpx": b"<gpx/>"}
    first = open_archive(write_zip(tmp_path / "a.zip", members))
    again = open_archive(write_zip(tmp_path / "b.zip", members))
    assert first.digest == again.digest and len(first.short_id) == 16
    folder = tmp_path / "unpacked"
    (folder / "activities").mkdir(parents=True)
    (folder / "activities.csv").write_bytes(members["activities.csv"])
    (folder / "activities" / "101.gpx").write_bytes(b"<gpx/>")
    unpacked = open_archive(folder)
    for archive in (first, unpacked):
        assert archive.has("activities/101.gpx") and not archive.has("activities/102.gpx")
        with archive.open("activities.csv") as stream:
            assert stream.read() == members["activities.csv"]
    (folder / "activities" / "101.gpx").write_bytes(b"<gpx></gpx>")
    assert open_archive(folder).digest != unpacked.digest


def test_a_top_folder_inside_the_zip_is_found(tmp_path: Path) -> None:
    archive = open_archive(write_zip(tmp_path / "a.zip", {
        "export_42/activities.csv": csv_bytes(), "export_42/activities/1.gpx.gz": b""}))
    assert archive.has("activities/1.gpx.gz") and archive.has("activities.csv")


def test_path_traversal_is_refused_and_the_rest_read(tmp_path: Path) -> None:
    archive = open_archive(write_zip(tmp_path / "a.zip", {
        "activities.csv": csv_bytes(), "../../x": b"evil", "/abs": b"evil"}))
    assert len(archive.refused) == 2 and "path traversal" in archive.refused[0]
    assert not archive.has("../../x")
    assert not (tmp_path.parent / "x").exists()


def test_missing_corrupt_and_empty_archives_are_one_line(tmp_path: Path) -> None:
    with pytest.raises(ArchiveError, match="does not exist"):
        open_archive(tmp_path / "nope.zip")
    broken = tmp_path / "broken.zip"
    broken.write_bytes(write_zip(tmp_path / "ok.zip", {"activities.csv": csv_bytes()})
                       .read_bytes()[:-30])
    with pytest.raises(ArchiveError, match="is not a readable ZIP"):
        open_archive(broken)
    with pytest.raises(ArchiveError, match="no activities.csv"):
        open_archive(write_zip(tmp_path / "other.zip", {"profile.csv": b"x"}))


def test_zip_bomb_stops_at_the_caps(tmp_path: Path) -> None:
    zeros = b"\0" * (4 * 1024 * 1024)  # deflates to a few KB
    path = write_zip(tmp_path / "bomb.zip", {"activities.csv": csv_bytes(),
                                              "activities/2.fit": zeros,
                                              "activities/1.fit.gz": gzip.compress(zeros)})
    assert path.stat().st_size < 64 * 1024
    with pytest.raises(ArchiveError, match="more than the cap .* ZIP bomb"):
        open_archive(path, ArchiveLimits(max_unpacked_bytes=1024 * 1024))
    archive = open_archive(path, ArchiveLimits(max_file_bytes=1024 * 1024))
    for name, gunzip in (("activities/1.fit.gz", True), ("activities/2.fit", False)):
        with pytest.raises(MemberError, match="ZIP bomb"), \
                archive.open(name, gunzip=gunzip) as stream:
            while stream.read(65536):
                pass


def test_truncated_gzip_member_is_a_member_error(tmp_path: Path) -> None:
    archive = open_archive(write_zip(tmp_path / "a.zip", {
        "activities.csv": csv_bytes(), "activities/1.gpx.gz": gzip.compress(b"<gpx>" * 999)[:40]}))
    with pytest.raises(MemberError, match="corrupt or truncated"), \
            archive.open("activities/1.gpx.gz", gunzip=True) as stream:
        stream.read()
    with pytest.raises(MemberError, match="not in the archive"), archive.open("activities/9.gpx"):
        pass
