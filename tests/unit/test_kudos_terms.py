"""Strava's terms: the kudos model trains on the sandbox by default, on Strava's data only when
the operator sets KUDOS_MODEL=on (finding 7 of issue 22)."""

from __future__ import annotations

import pytest

from pipeline.kudos.terms import is_off_reason, training_refusal
from pipeline.settings import ConfigurationError, load_settings


def settings_with(monkeypatch: pytest.MonkeyPatch, **env: str):
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return load_settings()


def test_off_by_default_on_strava_and_the_reason_names_the_setting(
        monkeypatch: pytest.MonkeyPatch) -> None:
    reason = training_refusal(settings_with(monkeypatch))  # STRAVA_API_URL: www.strava.com
    assert reason is not None and is_off_reason(reason)
    assert "KUDOS_MODEL=on" in reason and "[kudos] model = on" in reason
    assert "Strava's API agreement" in reason


def test_on_by_default_for_the_sandbox(monkeypatch: pytest.MonkeyPatch) -> None:
    sandbox = settings_with(monkeypatch, STRAVA_API_URL="http://127.0.0.1:8901/api/v3")
    assert training_refusal(sandbox) is None


@pytest.mark.parametrize(("value", "api_url", "trains"), [
    ("on", "https://www.strava.com/api/v3", True),
    (" ON ", "https://www.strava.com/api/v3", True),
    ("off", "http://127.0.0.1:8901/api/v3", False),
    ("off", "https://www.strava.com/api/v3", False),
])
def test_the_operator_decides(monkeypatch: pytest.MonkeyPatch, value: str, api_url: str,
                              trains: bool) -> None:
    settings = settings_with(monkeypatch, KUDOS_MODEL=value, STRAVA_API_URL=api_url)
    assert (training_refusal(settings) is None) is trains


def test_a_value_that_is_neither_on_nor_off_is_one_line(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(ConfigurationError, match=r"^KUDOS_MODEL='yes' is neither on nor off"):
        settings_with(monkeypatch, KUDOS_MODEL="yes")


def test_luigi_cfg_option_is_read(monkeypatch: pytest.MonkeyPatch) -> None:
    from luigi import configuration
    from luigi.configuration.cfg_parser import LuigiConfigParser

    parser = LuigiConfigParser()  # not the process-wide one: nothing leaks into other tests
    parser.read_string("[kudos]\nmodel = on\n")
    monkeypatch.setattr(configuration, "get_config", lambda *args: parser)
    assert load_settings().kudos_model == "on"
    assert training_refusal(load_settings()) is None
