"""Archives for the tests: Strava's activities.csv crafted by hand, zipped or in a folder."""

from __future__ import annotations

import zipfile
from pathlib import Path

# A header with Strava's repeated names, an unknown column, and a few columns missing.
HEADER = ("Activity ID,Activity Date,Activity Name,Activity Type,Activity Description,"
          "Elapsed Time,Distance,Max Heart Rate,Relative Effort,Commute,Filename,"
          "Elapsed Time,Moving Time,Distance,Max Speed,Average Speed,Average Heart Rate,"
          "Commute,From Upload,Brand New Column")
ROWS = (
    '101,"Oct 7, 2020, 2:43:11 PM","Morning Run, with ""friends""",Run,"line one\nline two",'
    '3600,10.02,170.0,55.0,false,activities/101.gpx,3600.0,3500.0,10020.5,5.1,2.86,150.2,'
    '0.0,1.0,x',
    '102,"Jan 2, 2021, 12:05:00 AM",Zwift,Virtual Ride,,1800,20.00,,,true,,1800.0,1790.0,'
    '20000.0,12.0,11.1,,1.0,1.0,',
)


def csv_bytes(header: str = HEADER, rows: tuple[str, ...] = ROWS, bom: bool = False,
              crlf: bool = False) -> bytes:
    """activities.csv's bytes (a BOM and Windows line ends on request)."""
    end = "\r\n" if crlf else "\n"  # a line break inside a quoted cell stays as written
    text = end.join((header, *rows)) + end
    data = text.encode("utf-8")
    return (b"\xef\xbb\xbf" + data) if bom else data


def write_zip(path: Path, members: dict[str, bytes]) -> Path:
    """A ZIP with these members (names as given, even hostile ones)."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return path
