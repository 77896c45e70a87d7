"""The activity files of the sandbox's archive (FIT, GPX, TCX, some gzipped) imported as
streams, on the embedded backends and on MariaDB + moto S3 + PostgreSQL: activity_streams and the
lake's Parquet files hold exactly the samples a recomputation in the test parses from the files;
the same archive again does no work."""

from __future__ import annotations

import gzip
import zipfile
from collections import Counter
from pathlib import Path

import duckdb
import pytest

from pipeline.backends import open_lake
from pipeline.sandbox import SyntheticAthlete
from pipeline.sandbox.activity_files import activity_file
from pipeline.sandbox.archive_export import write_archive
from pipeline.settings import load_settings
from pipeline.streams.parse import file_format, parse_file
from pipeline.streams.store import streams_lake_key
from tests.conftest import ATHLETE_END
from tests.e2e.test_archive_import import (  # noqa: F401 - the fixture
    archive_world,
    import_archive,
    query,
)
from tests.support.backends import (  # noqa: F401 - fixtures
    fixture_mysql_db,
    fixture_pg_database,
    fixture_s3_env,
    fixture_s3_server,
)


@pytest.fixture(scope="module")
def sandbox_archive(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The archive of the 300-activity athlete archive_world serves, with its files."""
    athlete = SyntheticAthlete(seed=7, n_activities=300, end=ATHLETE_END)
    path = tmp_path_factory.mktemp("archive") / "export.zip"
    write_archive(athlete.snapshot(), path, files=activity_file)
    return path


def recomputed(archive: Path) -> dict[int, list[tuple]]:
    """Every activity's samples, parsed again here from the archive's files."""
    samples = {}
    with zipfile.ZipFile(archive) as opened:
        for name in opened.namelist():
            if file_format(name):
                data = opened.read(name)
                data = gzip.decompress(data) if name.endswith(".gz") else data
                activity_id = int(Path(name).name.split(".")[0])
                samples[activity_id] = parse_file(activity_id, name, data).rows
    return samples


def test_streams_equal_the_samples_parsed_from_the_files(
        archive_world, sandbox_archive: Path) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    expected = recomputed(sandbox_archive)
    kinds = Counter(file_format(name) for name in zipfile.ZipFile(sandbox_archive).namelist())
    assert kinds["fit"] and kinds["gpx"] and kinds["tcx"]
    total = sum(len(rows) for rows in expected.values())
    out, _ = import_archive(sandbox_archive)
    assert f"Streams: {total} samples of {len(expected)} activities" in out
    counts = dict(query("SELECT activity_id, COUNT(*) FROM activity_streams GROUP BY activity_id"))
    assert counts == {activity_id: len(rows) for activity_id, rows in expected.items()}
    some = sorted(expected)[::40]
    for activity_id in some:
        rows = query("SELECT activity_id, elapsed_seconds, lat, lng, distance, altitude, "
                     "heart_rate, cadence, power, temperature, moving FROM activity_streams "
                     "WHERE activity_id = :id ORDER BY elapsed_seconds", {"id": activity_id})
        assert [tuple(row) for row in rows] == [
            tuple(None if value is None else (float(value) if isinstance(value, int)
                  and not isinstance(value, bool) and index else value)
                  for index, value in enumerate(row)) for row in expected[activity_id]]

    lake = open_lake(load_settings().lake_url)
    archive_id = out.split("(")[1].split(")")[0]
    parquet_rows = 0
    part = 1
    while lake.exists(streams_lake_key(archive_id, part)):
        with lake.local_file(streams_lake_key(archive_id, part)) as path:
            parquet_rows += duckdb.connect().execute(
                "SELECT COUNT(*) FROM read_parquet(?)", [str(path)]).fetchone()[0]
        part += 1
    assert parquet_rows == total

    out, _ = import_archive(sandbox_archive)
    assert "was already imported: nothing to do" in out
    assert dict(query("SELECT activity_id, COUNT(*) FROM activity_streams "
                      "GROUP BY activity_id")) == counts
