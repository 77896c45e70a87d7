"""Shared assets written once per reports folder: plotly.js and the page script.

Pages live in ``reports/<date>/`` (and ``reports/latest/``) and load ``../assets/<name>``, a
relative path, so a folder opens from ``file://`` offline and from a copy of the lake alike.
Names carry the plotly version or a hash of the content, so an asset never changes under a page.
"""

from __future__ import annotations

import hashlib
from functools import cache

import plotly
from plotly.offline import get_plotlyjs

from pipeline.dashboard.script import DASHBOARD_JS

ASSET_FOLDER = "assets"


def _hashed(stem: str, content: str) -> str:
    return f"{stem}-{hashlib.sha256(content.encode('utf-8')).hexdigest()[:10]}.js"


@cache
def asset_files() -> dict[str, bytes]:
    """Asset file name -> bytes: the chart library and the page script."""
    return {
        plotly_asset(): get_plotlyjs().encode("utf-8"),
        script_asset(): DASHBOARD_JS.encode("utf-8"),
    }


def plotly_asset() -> str:
    """File name of the chart library, e.g. plotly-7.1.0.min.js."""
    return f"plotly-{plotly.__version__}.min.js"


def script_asset() -> str:
    """File name of the page script, named by its content."""
    return _hashed("dashboard", DASHBOARD_JS)


def relative(name: str) -> str:
    """How a page in reports/<folder>/ refers to an asset."""
    return f"../{ASSET_FOLDER}/{name}"
