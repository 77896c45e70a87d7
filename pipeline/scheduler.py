"""The central scheduler (luigid) a run reports to: its address, and whether it answers."""

from __future__ import annotations

import requests
from luigi.interface import core

VISUALISER_PATH = "static/visualiser/index.html"


def scheduler_url() -> str:
    """The central scheduler's URL from luigi.cfg ([core] default_scheduler_host/port/url)."""
    config = core()
    if config.scheduler_url:
        return config.scheduler_url.rstrip("/") + "/"
    return f"http://{config.scheduler_host}:{config.scheduler_port}/"


def scheduler_answers(url: str, timeout: float = 2.0) -> bool:
    """Whether luigid answers at ``url`` (its health check: HEAD / gives 204)."""
    try:
        response = requests.head(url, timeout=timeout, allow_redirects=False)
    except requests.RequestException:
        return False
    return response.status_code == 204
