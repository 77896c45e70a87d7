"""The example configurations in config/: sourced by a real shell, they select the intended
backends, and they hold no secret."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from pipeline.backends import LAKES, STATE_STORES, WAREHOUSES, open_lake, open_warehouse
from pipeline.backends.s3_lake import S3Lake
from pipeline.settings import load_settings
from tests.conftest import PROJECT_ROOT

CONFIG = PROJECT_ROOT / "config"


SECRETS = {"STRAVA_STATE_DB_PASSWORD": "state-pw-x@y", "STRAVA_WAREHOUSE_DB_PASSWORD": "wh-pw-z"}


NAMES = ("DATA_DIR", "LAKE_URL", "STATE_URL", "WAREHOUSE_URL", "REDSHIFT_IAM_ROLE",
         "REDSHIFT_COPY_REGION", "AWS_ENDPOINT_URL_S3")


def sourced(env_file: Path, cwd: Path) -> dict[str, str]:
    """The pipeline variables after ``set -a; . env_file`` in bash."""
    script = f'set -a; . "{env_file}"; set +a; for n in {" ".join(NAMES)}; do ' \
             'printf "%s=%s\\0" "$n" "${!n-}"; done'
    output = subprocess.run(["bash", "-c", script], cwd=cwd, env={"PATH": "/usr/bin:/bin",
                            **SECRETS}, capture_output=True, text=True, check=True).stdout
    pairs = (item.split("=", 1) for item in output.split("\0") if item)
    return {name: value for name, value in pairs if value}


def test_embedded_example_is_the_default(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    values = sourced(CONFIG / "embedded.env", tmp_path)
    for name, value in values.items():
        monkeypatch.setenv(name, value)
    settings = load_settings()
    monkeypatch.delenv("LAKE_URL")
    monkeypatch.delenv("STATE_URL")
    monkeypatch.delenv("WAREHOUSE_URL")
    defaults = load_settings()
    assert settings.data_dir == tmp_path / "data"
    for field in ("lake_url", "state_url", "warehouse_url"):
        assert open_path(getattr(settings, field)) == open_path(getattr(defaults, field))


def open_path(url: str) -> tuple[str, str]:
    """Scheme and file of a local URL ('//tmp' and '/tmp' are the same folder on POSIX)."""
    from pipeline.backends.urls import local_path

    return urlsplit(url).scheme, "/" + str(local_path(url)).lstrip("/")


@pytest.mark.parametrize("name, warehouse_scheme", [
    ("production-postgres.env", "postgresql"), ("production-redshift.env", "redshift")])
def test_production_examples_select_the_production_backends(
    name: str, warehouse_scheme: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    text = (CONFIG / name).read_text("utf-8")
    for url in re.findall(r'_URL="([^"]+)"', text):
        password = urlsplit(url).password
        assert password is None or re.fullmatch(r"\$\{[A-Z_]+\}", password), url

    values = sourced(CONFIG / name, tmp_path)
    assert urlsplit(values["LAKE_URL"]).scheme == "s3" and "s3" in LAKES
    assert urlsplit(values["STATE_URL"]).scheme == "mysql" and "mysql" in STATE_STORES
    assert urlsplit(values["WAREHOUSE_URL"]).scheme == warehouse_scheme in WAREHOUSES
    assert urlsplit(values["STATE_URL"]).password == SECRETS["STRAVA_STATE_DB_PASSWORD"]

    for variable, value in values.items():
        monkeypatch.setenv(variable, value)
    assert isinstance(open_lake(values["LAKE_URL"]), S3Lake)
    warehouse = open_warehouse(values["WAREHOUSE_URL"])  # validates; connects only when used
    assert warehouse.dialect == warehouse_scheme
