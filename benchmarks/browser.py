"""Headless Chromium (Debian's ``chromium``) driven by Playwright, for screenshots and tests.

Playwright is a development dependency (``pip install -e '.[dev]'``); it drives the system
browser, so nothing is downloaded.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

CHROMIUM_FLAGS: tuple[str, ...] = (
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
)


def chromium_path() -> str | None:
    """The system Chromium, if installed."""
    return shutil.which("chromium") or shutil.which("chromium-browser")


@contextmanager
def headless_chromium(executable: str | None = None) -> Iterator[Any]:
    """A Playwright ``Browser`` on the system Chromium, closed afterwards."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError as error:
        raise RuntimeError(
            "Playwright is missing: install the development extras with pip install -e '.[dev]'"
        ) from error
    path = executable or chromium_path()
    if path is None:
        raise RuntimeError("Chromium is missing: install it with apt-get install chromium")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=path, headless=True, args=list(CHROMIUM_FLAGS)
        )
        try:
            yield browser
        finally:
            browser.close()


def screenshot_page(browser: Any, html_file: Path, png_file: Path, width: int = 1280) -> None:
    """Open a local HTML file and save a full-page PNG once its charts have drawn."""
    page = browser.new_page(viewport={"width": width, "height": 900})
    try:
        page.goto(Path(html_file).resolve().as_uri(), wait_until="load")
        page.wait_for_function("() => document.body.dataset.drawn", timeout=60_000)
        png_file.parent.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(png_file), full_page=True)
    finally:
        page.close()
