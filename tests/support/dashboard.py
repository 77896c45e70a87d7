"""Helpers for the dashboard tests: a tiny XYZ tile server, page rendering, a browser page."""

from __future__ import annotations

import functools
import struct
import threading
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from pipeline.dashboard.options import DashboardOptions


def solid_png(rgb: tuple[int, int, int], size: int = 256) -> bytes:
    """A size x size PNG of one colour (no imaging library needed)."""
    row = b"\x00" + bytes(rgb) * size
    raw = zlib.compress(row * size, 9)

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))

    header = struct.pack(">IIBBBBB", size, size, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", raw) + chunk(
        b"IEND", b"")


class _QuietHandler(SimpleHTTPRequestHandler):
    served: list[str]

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        return

    def send_head(self):  # type: ignore[no-untyped-def]
        self.served.append(self.path)
        return super().send_head()


@contextmanager
def tile_server(folder: Path) -> Iterator[tuple[str, list[str]]]:
    """Serve ``folder`` (tiles as z/x/y.png; any missing tile is made on request) on 127.0.0.1.

    Yields the XYZ template and the list of paths requested.
    """
    tile = solid_png((170, 211, 223))
    served: list[str] = []

    class Handler(_QuietHandler):
        def send_head(self):  # type: ignore[no-untyped-def]
            path = Path(self.translate_path(self.path))
            if path.suffix == ".png" and not path.exists() and folder in path.parents:
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_bytes(tile)
            return super().send_head()

    Handler.served = served
    server = ThreadingHTTPServer(("127.0.0.1", 0),
                                 functools.partial(Handler, directory=str(folder)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/{{z}}/{{x}}/{{y}}.png", served
    finally:
        server.shutdown()
        server.server_close()


def render_report_folder(warehouse_url: str, run_date: date, reports: Path,
                         options: DashboardOptions | None = None, sandbox: bool = True) -> Path:
    """Render a run date's pages into reports/<date>/ with the shared assets; the dashboard."""
    from pipeline.backends import open_warehouse
    from pipeline.dashboard.build import load, render_pages, write_assets

    data, routes = load(open_warehouse(warehouse_url), run_date,
                        options or DashboardOptions(), sandbox=sandbox)
    pages = render_pages(data, routes)
    write_assets(reports)
    folder = reports / run_date.isoformat()
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "validation.html").write_text(pages.validation, "utf-8")
    (folder / "dashboard.html").write_text(pages.dashboard, "utf-8")
    return folder / "dashboard.html"


class OpenedPage:
    """A page opened from a file once every chart has drawn, with what the browser logged."""

    def __init__(self, browser: Any, html_file: Path, width: int = 1280) -> None:
        self.errors: list[tuple[str, str]] = []
        self.requests: list[str] = []
        self.dialogs: list[str] = []
        self.page = browser.new_page(viewport={"width": width, "height": 900})
        self.page.on("console", lambda m: m.type == "error" and self.errors.append(
            (m.text, (m.location or {}).get("url", ""))))
        self.page.on("pageerror", lambda error: self.errors.append((str(error), "")))
        self.page.on("request", lambda request: self.requests.append(request.url))
        self.page.on("dialog", lambda dialog: (self.dialogs.append(dialog.message),
                                               dialog.dismiss()))
        self.page.goto(html_file.resolve().as_uri(), wait_until="load")
        self.page.wait_for_function("() => document.body.dataset.drawn", timeout=30_000)
        assert self.js("() => document.body.dataset.drawn") == "true"

    def js(self, script: str, argument: Any = None) -> Any:
        return self.page.evaluate(script, argument)

    def chart_data(self, chart_id: str) -> list[dict[str, Any]]:
        """The traces plotly drew in a chart (name, x, y; z for heatmaps), arrays decoded."""
        return self.js("""id => document.getElementById(id)._fullData.map(t => ({
            name: t.name, type: t.type || 'scatter', x: Array.from(t.x || []),
            y: Array.from(t.y || []),
            z: t.z ? Array.from(t.z, row => Array.from(row)) : null}))""", chart_id)

    def text(self, selector: str) -> str:
        return self.page.locator(selector).inner_text()

    def value(self, element_id: str) -> float:
        return float(self.js("id => document.getElementById(id).dataset.value", element_id))
