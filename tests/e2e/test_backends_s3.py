"""The S3 lake against moto's S3 server over real HTTP."""

from __future__ import annotations

from pathlib import Path

import moto.settings
import pytest
from luigi import configuration

from pipeline.backends import open_lake
from pipeline.backends.s3_lake import LakeAccessError, S3Lake
from pipeline.sandbox import HOSTILE_NAMES
from pipeline.settings import ConfigurationError
from tests.support.backends import (  # noqa: F401 - fixtures
    S3Server,
    fixture_mysql_db,
    fixture_pg_database,
    fixture_s3_env,
    fixture_s3_server,
)

KEY = "strava/activities/2026-11-29/activities.csv"


def hostile_file(folder: Path) -> Path:
    """A file of every hostile name, one per line, in UTF-8."""
    path = folder / "names.csv"
    path.write_bytes(("\n".join(HOSTILE_NAMES) + "\n").encode("utf-8"))
    return path


def one_line(error: pytest.ExceptionInfo) -> str:
    message = str(error.value)
    assert "\n" not in message and "Traceback" not in message
    assert error.value.__suppress_context__, "boto's traceback should not be chained"
    return message


def test_objects_round_trip_byte_for_byte(s3_env: S3Server, tmp_path: Path) -> None:
    bucket = s3_env.new_bucket()
    lake = open_lake(f"s3://{bucket}/some prefix/")
    assert isinstance(lake, S3Lake)
    source = hostile_file(tmp_path)

    assert not lake.exists(KEY)
    assert not lake.target(KEY).exists()
    lake.put_file(source, KEY)
    assert lake.target(KEY).exists()
    assert lake.uri(KEY) == f"s3://{bucket}/some prefix/{KEY}"

    stored = s3_env.client().get_object(Bucket=bucket, Key=f"some prefix/{KEY}")["Body"].read()
    assert stored == source.read_bytes()
    with lake.open_binary(KEY) as stream:
        assert stream.read() == source.read_bytes()
    with lake.local_file(KEY) as local:
        assert local.read_bytes() == source.read_bytes()
    assert not local.exists()

    lake.move(KEY, "quarantine/" + KEY)
    assert not lake.exists(KEY)
    assert lake.exists("quarantine/" + KEY)
    lake.close()


def test_missing_bucket_is_one_line_naming_it(s3_env: S3Server, tmp_path: Path) -> None:
    lake = open_lake("s3://no-such-bucket-for-strava/lake")
    with pytest.raises(LakeAccessError) as error:
        lake.target(KEY).exists()
    message = one_line(error)
    assert "S3 bucket 'no-such-bucket-for-strava' does not exist" in message
    with pytest.raises(LakeAccessError, match="no-such-bucket-for-strava"):
        open_lake("s3://no-such-bucket-for-strava").put_file(hostile_file(tmp_path), KEY)


def test_denied_access_is_one_line_naming_the_bucket(
    s3_env: S3Server, monkeypatch: pytest.MonkeyPatch
) -> None:
    bucket = s3_env.new_bucket()
    monkeypatch.setattr(moto.settings, "INITIAL_NO_AUTH_ACTION_COUNT", 0)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "unknown-fake-access-key-id")
    with pytest.raises(LakeAccessError) as error:
        open_lake(f"s3://{bucket}/lake").target(KEY).exists()
    message = one_line(error)
    assert f"access to S3 bucket '{bucket}' was denied" in message
    assert "unknown-fake-access-key-id" not in message and "testing-secret-key" not in message


def test_unreachable_endpoint_and_missing_credentials(
    s3_env: S3Server, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "1")
    monkeypatch.setenv("AWS_ENDPOINT_URL_S3", "http://127.0.0.1:1")
    with pytest.raises(LakeAccessError) as error:
        open_lake("s3://some-bucket/lake").exists(KEY)
    assert "cannot reach S3 for bucket 'some-bucket' at http://127.0.0.1:1" in one_line(error)

    monkeypatch.setenv("AWS_ENDPOINT_URL_S3", s3_env.endpoint_url)
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.delenv(name)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent/credentials")
    monkeypatch.setenv("AWS_CONFIG_FILE", "/nonexistent/config")
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    monkeypatch.delenv("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", raising=False)
    with pytest.raises(LakeAccessError) as error:
        open_lake("s3://some-bucket/lake").exists(KEY)
    assert "no AWS credentials for S3 bucket 'some-bucket'" in one_line(error)


def test_endpoint_from_luigi_cfg_and_environment_wins(
    s3_env: S3Server, monkeypatch: pytest.MonkeyPatch
) -> None:
    bucket = s3_env.new_bucket()
    config = configuration.get_config()
    added = not config.has_section("s3")
    if added:
        config.add_section("s3")
    config.set("s3", "endpoint_url", s3_env.endpoint_url)
    try:
        monkeypatch.delenv("AWS_ENDPOINT_URL_S3")
        lake = open_lake(f"s3://{bucket}")
        assert lake.endpoint_url == s3_env.endpoint_url
        assert not lake.exists(KEY)

        monkeypatch.setenv("AWS_ENDPOINT_URL_S3", "http://127.0.0.1:1")
        assert open_lake(f"s3://{bucket}").endpoint_url == "http://127.0.0.1:1"
    finally:
        config.remove_option("s3", "endpoint_url")
        if added:
            config.remove_section("s3")


def test_lake_url_without_bucket_and_unsafe_keys() -> None:
    with pytest.raises(ConfigurationError, match="names no bucket"):
        open_lake("s3:///just/a/path")
    lake = S3Lake("s3://bucket/prefix")
    for key in ("../escape.csv", "/absolute.csv", "a//b.csv"):
        with pytest.raises(ValueError, match="not a plain relative path"):
            lake.uri(key)
