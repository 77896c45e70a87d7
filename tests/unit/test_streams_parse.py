"""Activity files to samples (pipeline/streams/parse.py): each format with its library, and the
bad inputs: a FIT file with a bad CRC, a GPX without time stamps, a TCX without heart rate,
samples out of order and duplicated time stamps."""

from __future__ import annotations

import gzip
import re
from datetime import datetime, timedelta, timezone

import pytest

from pipeline.sandbox.activity_files import fit_bytes, gpx_bytes, points, tcx_bytes
from pipeline.streams.parse import Raw, StreamError, file_format, parse_file, to_rows

START = datetime(2026, 5, 3, 13, 0, tzinfo=timezone.utc)
RUN = {"id": 77, "name": "Morning Run", "sport_type": "Run", "start_date": "2026-05-03T13:00:00Z",
       "moving_time": 600, "distance": 2000.0, "start_latlng": [43.65, -79.38],
       "average_heartrate": 150.0, "max_heartrate": 170.0, "average_cadence": 85.0,
       "average_watts": 250.0, "elev_low": 80.0, "elev_high": 95.0, "average_temp": 18}


@pytest.mark.parametrize(("name", "write"), [("a/77.fit", fit_bytes), ("a/77.gpx", gpx_bytes),
                                             ("a/77.tcx", tcx_bytes)])
def test_each_format_gives_the_recorded_samples(name: str, write) -> None:  # type: ignore[no-untyped-def]
    samples = points(RUN)
    parsed = parse_file(77, name, write(RUN, samples))
    assert len(parsed.rows) == len(samples) == 121 and parsed.note() is None
    first, last = parsed.rows[0], parsed.rows[-1]
    assert first[:2] == (77, 0.0) and last[1] == 600.0
    assert last[4] == pytest.approx(2000.0, rel=0.01)  # distance
    assert first[2] == pytest.approx(43.65, abs=1e-5)
    assert first[3] == pytest.approx(-79.38, abs=1e-5)
    heart = [row[6] for row in parsed.rows]
    assert heart == [sample.heart_rate for sample in samples]
    assert all(row[10] for row in parsed.rows)  # moving throughout


def test_file_formats_by_name() -> None:
    assert [file_format(n) for n in ("1.fit.gz", "1.GPX", "1.tcx.gz", "1.jpg", "x")] == [
        "fit", "gpx", "tcx", None, None]


def test_fit_with_a_bad_crc_is_one_line() -> None:
    data = bytearray(fit_bytes(RUN, points(RUN)))
    data[len(data) // 2] ^= 0xFF
    with pytest.raises(StreamError, match="fails its CRC check"):
        parse_file(77, "a/77.fit", bytes(data))
    with pytest.raises(StreamError, match="not a FIT file"):
        parse_file(77, "a/77.fit", b"hello, not fit at all")


def test_gpx_without_time_stamps_is_one_line() -> None:
    text = gpx_bytes(RUN, points(RUN)).decode()
    without = re.sub(r"<time>[^<]*</time>", "", text)
    with pytest.raises(StreamError, match="has no time stamps"):
        parse_file(77, "a/77.gpx", without.encode())
    with pytest.raises(StreamError, match="does not parse"):
        parse_file(77, "a/77.gpx", b"<gpx><trk>")


def test_tcx_without_heart_rate_keeps_its_other_samples() -> None:
    quiet = {**RUN, "average_heartrate": None, "max_heartrate": None, "average_cadence": None}
    parsed = parse_file(77, "a/77.tcx", tcx_bytes(quiet, points(quiet)))
    assert len(parsed.rows) == 121
    assert {row[6] for row in parsed.rows} == {None} and {row[7] for row in parsed.rows} == {None}
    assert parsed.rows[-1][4] == pytest.approx(2000.0, rel=0.01)


def test_samples_out_of_order_and_duplicated_are_sorted_and_counted() -> None:
    raw = [Raw(START + timedelta(seconds=s), distance=float(s * 3)) for s in (0, 10, 5, 5, 20, 15)]
    parsed = to_rows(9, raw)
    assert [row[1] for row in parsed.rows] == [0.0, 5.0, 10.0, 15.0, 20.0]
    assert (parsed.out_of_order, parsed.duplicated) == (2, 1)
    assert parsed.note() == ("2 samples out of order (sorted), 1 duplicated time stamps (the "
                             "first sample of each kept)")


def test_stopped_samples_are_not_moving() -> None:
    raw = [Raw(START + timedelta(seconds=s), distance=d) for s, d in
           ((0, 0.0), (10, 30.0), (20, 31.0), (30, 60.0))]
    assert [row[10] for row in to_rows(1, raw).rows] == [True, True, False, True]


def test_gzipped_files_are_read_by_the_archive_not_the_parser() -> None:
    with pytest.raises(StreamError):
        parse_file(77, "a/77.gpx", gzip.compress(gpx_bytes(RUN, points(RUN))))
