"""The example configurations in config/: sourced by a real shell, they select the intended
backends, and they hold no secret."""

from __future__ import annotations

import pytest

from pipeline.settings import load_settings
from tests.conftest import PROJECT_ROOT

CONFIG = PROJECT_ROOT / "config"


def test_luigi_cfg_example_sections_are_read(monkeypatch: pytest.MonkeyPatch) -> None:
    from luigi import configuration
    from luigi.configuration.cfg_parser import LuigiConfigParser

    parser = LuigiConfigParser()  # not the process-wide one: nothing leaks into other tests
    parser.read([str(CONFIG / "luigi-production.cfg")])
    monkeypatch.setattr(configuration, "get_config", lambda *args: parser)
    settings = load_settings()
    assert settings.lake_url == "s3://my-strava-lake/strava"
    assert settings.redshift_iam_role.startswith("arn:aws:iam::")
    monkeypatch.setenv("LAKE_URL", "s3://from-environment")
    assert load_settings().lake_url == "s3://from-environment"
