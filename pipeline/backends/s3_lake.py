"""The S3 lake: ``s3://bucket/prefix``, through Luigi's ``S3Client``/``S3Target`` (boto3).

Credentials come from boto3's usual chain (environment, profile, instance role). The endpoint
(MinIO, a local S3) is ``AWS_ENDPOINT_URL_S3`` or ``[s3] endpoint_url`` in luigi.cfg. Every boto
error about the bucket becomes one line that names it: a missing bucket, denied access, missing
credentials or an unreachable endpoint.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, BinaryIO
from urllib.parse import urlsplit

import boto3.session
import botocore.exceptions
import luigi
from luigi.contrib.s3 import S3Client, S3Target

from pipeline.backends.lake import Lake
from pipeline.backends.run_lock import verify_run_date_lock
from pipeline.backends.urls import mask_url
from pipeline.settings import ConfigurationError


class LakeAccessError(RuntimeError):
    """The S3 lake cannot be used as configured; the message names the bucket and what to do."""


_MISSING_BUCKET = {"NoSuchBucket"}
_DENIED = {"AccessDenied", "403", "Forbidden", "InvalidAccessKeyId", "SignatureDoesNotMatch",
           "AllAccessDisabled", "ExpiredToken", "InvalidToken"}


class _LakeS3Client(S3Client):
    """Luigi's S3 client whose ``exists`` (what Luigi asks of every target) fails in one line."""

    def __init__(self, lake: S3Lake, **options: Any) -> None:
        super().__init__(**options)
        self._lake = lake

    @property
    def s3(self) -> Any:
        """The boto3 S3 resource, from a session of this lake's own.

        boto3's default session caches credentials process-wide; a session per lake resolves
        them (environment, profile, instance role) when the lake is opened.
        """
        if self._s3 is None:
            options = dict(self._options)
            if options.get("aws_role_arn"):
                return S3Client.s3.fget(self)  # Luigi's assume-role configuration
            options.pop("aws_role_session_name", None)
            self._s3 = boto3.session.Session().resource("s3", **options)
        return self._s3

    @s3.setter
    def s3(self, value: Any) -> None:
        self._s3 = value

    def exists(self, path: str) -> bool:
        with self._lake.guard():
            self._lake.check_bucket()
            return super().exists(path)


class S3Lake(Lake):
    """Objects under ``s3://bucket/prefix/<key>``."""

    def __init__(self, url: str, endpoint_url: str = "") -> None:
        parts = urlsplit(url)
        if parts.scheme.lower() != "s3" or not parts.netloc:
            raise ConfigurationError(
                f"LAKE_URL={mask_url(url)!r} names no bucket: write it as s3://bucket/prefix"
            )
        self.url = url
        self.bucket = parts.netloc
        self.prefix = parts.path.strip("/")
        self.endpoint_url = endpoint_url
        options: dict[str, Any] = {"endpoint_url": endpoint_url} if endpoint_url else {}
        self.client = _LakeS3Client(self, **options)
        self._bucket_checked = False

    # -- errors --------------------------------------------------------------------------------

    @contextmanager
    def guard(self) -> Iterator[None]:
        """Turn boto's errors about this bucket into one ``LakeAccessError`` line."""
        try:
            yield
        except botocore.exceptions.ClientError as error:
            code = str(error.response.get("Error", {}).get("Code", ""))
            raise LakeAccessError(self._describe(code, error)) from None
        except botocore.exceptions.NoCredentialsError:
            raise LakeAccessError(
                f"no AWS credentials for S3 bucket '{self.bucket}' (LAKE_URL={self.url}): set "
                "AWS_PROFILE or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, or run with an IAM role"
            ) from None
        except (botocore.exceptions.EndpointConnectionError,
                botocore.exceptions.ConnectionClosedError) as error:
            raise LakeAccessError(
                f"cannot reach S3 for bucket '{self.bucket}' at {error.kwargs.get('endpoint_url')}:"
                " check AWS_ENDPOINT_URL_S3 / [s3] endpoint_url and the network"
            ) from None

    def _describe(self, code: str, error: botocore.exceptions.ClientError) -> str:
        if code in _MISSING_BUCKET or (code in {"404", "NotFound"} and not self._bucket_checked):
            return (f"S3 bucket '{self.bucket}' does not exist (LAKE_URL={self.url}): "
                    "create it, or point LAKE_URL at an existing bucket")
        if code in _DENIED:
            return (f"access to S3 bucket '{self.bucket}' was denied ({code}) for the AWS "
                    "credentials in use: grant them s3:ListBucket, s3:GetObject, s3:PutObject "
                    "and s3:DeleteObject on it, or use other credentials")
        message = str(error.response.get("Error", {}).get("Message", "")) or code
        return f"S3 bucket '{self.bucket}' (LAKE_URL={self.url}): {code}: {message}"

    def check_bucket(self) -> None:
        """Fail in one line, once per lake, unless the bucket exists and is reachable."""
        if self._bucket_checked:
            return
        with self.guard():
            self._s3.head_bucket(Bucket=self.bucket)
        self._bucket_checked = True

    # -- the Lake interface ----------------------------------------------------------------------

    @property
    def _s3(self) -> Any:
        """The low-level boto3 client under Luigi's S3 resource."""
        return self.client.s3.meta.client

    def _object_key(self, key: str) -> str:
        parts = key.split("/")
        if key.startswith("/") or any(part in {"", ".", ".."} for part in parts):
            raise ValueError(f"lake key {key!r} is not a plain relative path")
        return f"{self.prefix}/{key}" if self.prefix else key

    def target(self, key: str) -> luigi.target.FileSystemTarget:
        return S3Target(self.uri(key), format=luigi.format.Nop, client=self.client)

    def uri(self, key: str) -> str:
        return f"s3://{self.bucket}/{self._object_key(key)}"

    def exists(self, key: str) -> bool:
        return self.client.exists(self.uri(key))

    def put_file(self, local_path: Path, key: str) -> None:
        # One PUT (or a multipart upload completed in one call): the object appears whole or not.
        self.check_bucket()
        verify_run_date_lock()  # uploaded only while the run date is still ours
        with self.guard():
            self._s3.upload_file(str(local_path), self.bucket, self._object_key(key))

    def open_binary(self, key: str) -> BinaryIO:
        """The object's body as a stream: nothing is held in memory beyond a read buffer."""
        self.check_bucket()
        with self.guard():
            return self._s3.get_object(Bucket=self.bucket, Key=self._object_key(key))["Body"]

    def move(self, key: str, new_key: str) -> None:
        self.check_bucket()
        with self.guard():
            source = {"Bucket": self.bucket, "Key": self._object_key(key)}
            self._s3.copy_object(CopySource=source, Bucket=self.bucket,
                                 Key=self._object_key(new_key))
            self._s3.delete_object(**source)

    def keys(self, prefix: str) -> list[str]:
        self.check_bucket()
        start = f"{self.prefix}/" if self.prefix else ""
        found = []
        with self.guard():
            pages = self._s3.get_paginator("list_objects_v2").paginate(
                Bucket=self.bucket, Prefix=start + prefix)
            for page in pages:
                found.extend(item["Key"][len(start):] for item in page.get("Contents", []))
        return sorted(found)

    def delete(self, key: str) -> None:
        self.check_bucket()
        with self.guard():
            self._s3.delete_object(Bucket=self.bucket, Key=self._object_key(key))

    def close(self) -> None:
        if self.client._s3 is not None:
            self._s3.close()
            self.client._s3 = None
