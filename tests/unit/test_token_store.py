"""The token store never loses a rotated token, refuses what is not its own, and stays private."""

from __future__ import annotations

import json
import logging
import stat
from pathlib import Path

import pytest

from pipeline.strava.tokens import Tokens, TokenStore, TokenStoreError


@pytest.mark.parametrize("content", ["[]", '"token"', "{}", '{"refresh_token": 5}',
                                     '{"refresh_token": "r", "expires_at": "soon"}', "{not json"])
def test_a_token_store_of_the_wrong_shape_is_one_line(tmp_path: Path, content: str) -> None:
    path = tmp_path / "strava_tokens.json"
    path.write_text(content)
    with pytest.raises(TokenStoreError) as error:
        TokenStore(path).load()
    message = str(error.value)
    assert "\n" not in message and str(path) in message and "re-authorize" in message


def test_a_token_store_readable_by_others_is_made_private(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "strava_tokens.json"
    TokenStore(path).save(Tokens("r1", "a1", 100))
    path.chmod(0o644)
    with caplog.at_level(logging.WARNING, logger="pipeline"):
        assert TokenStore(path).load() == Tokens("r1", "a1", 100)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert "had mode 644" in caplog.text and "made it 0600" in caplog.text
    assert "r1" not in caplog.text.replace(str(tmp_path), "")


def test_a_token_store_of_another_api_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "strava_tokens.json"
    TokenStore(path, "http://127.0.0.1:8000/api/v3").save(Tokens("sandbox-token", "a", 1))
    assert json.loads(path.read_text())["api_url"] == "http://127.0.0.1:8000/api/v3"
    with pytest.raises(TokenStoreError) as error:
        TokenStore(path, "https://www.strava.com/api/v3").load()
    message = str(error.value)
    assert "\n" not in message and "sandbox-token" not in message
    assert "belongs to http://127.0.0.1:8000/api/v3" in message and "own DATA_DIR" in message
    assert TokenStore(path, "http://127.0.0.1:8000/api/v3/").load().refresh_token == \
        "sandbox-token"
    # A store written before stores recorded their API is still read.
    path.write_text(json.dumps({"refresh_token": "old", "access_token": "", "expires_at": 0}))
    assert TokenStore(path, "https://www.strava.com/api/v3").load().refresh_token == "old"
