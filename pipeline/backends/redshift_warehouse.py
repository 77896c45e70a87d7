"""Amazon Redshift warehouse: ``redshift://user:password@cluster-host:5439/database`` (psycopg2).

Everything but the bulk load is PostgreSQL's: the same SQL files, transactions and marker rows.
Staging is loaded by Redshift itself, straight from the S3 lake, with ``COPY ... IAM_ROLE``; no
key ever appears in SQL text. The production merge is DELETE + INSERT in one transaction (the
shared SQL file), never TRUNCATE, which commits implicitly on Redshift.
"""

from __future__ import annotations

import re
from contextlib import closing
from urllib.parse import urlsplit

from pipeline import activity_csv
from pipeline.backends.lake import Lake
from pipeline.backends.migrations import schema_migrations_ddl
from pipeline.backends.postgres_warehouse import PostgresWarehouse, read_header_line
from pipeline.backends.s3_lake import S3Lake
from pipeline.backends.urls import mask_url
from pipeline.backends.warehouse import Session, Warehouse
from pipeline.settings import ConfigurationError
from pipeline.sql_files import quote_literal

_IAM_ROLE = re.compile(r"^arn:aws[a-z-]*:iam::\d{12}:role/[A-Za-z0-9+=,.@_/-]{1,512}$")
_REGION = re.compile(r"^[a-z]{2}(-[a-z]+)+-\d$")
_SAFE_S3_URI = re.compile(r"^s3://[a-z0-9.-]{3,63}/[^\\\x00-\x1f]+$")
# Timestamps in the extract are written as 'YYYY-MM-DD HH:MM:SS' (activity_csv).
REDSHIFT_TIMEFORMAT = "YYYY-MM-DD HH:MI:SS"


class RedshiftWarehouse(PostgresWarehouse):
    """Redshift through psycopg2; staging loaded by ``COPY FROM 's3://...' IAM_ROLE '...'``."""

    dialect = "redshift"
    default_port = 5439

    def __init__(self, url: str, iam_role: str, lake_url: str, copy_region: str = "",
                 connect_timeout: int = 10) -> None:
        super().__init__(url, connect_timeout=connect_timeout)
        if urlsplit(lake_url).scheme.lower() != "s3":
            raise ConfigurationError(
                f"WAREHOUSE_URL={mask_url(url)!r} is Redshift, which loads staging straight from "
                f"S3, but LAKE_URL={mask_url(lake_url)!r} is not on S3: set "
                "LAKE_URL=s3://bucket/prefix (a bucket the cluster's IAM role can read)"
            )
        if not iam_role:
            raise ConfigurationError(
                "REDSHIFT_IAM_ROLE is not set: Redshift's COPY reads the S3 lake with an IAM role "
                "attached to the cluster; set REDSHIFT_IAM_ROLE (or [redshift] iam_role in "
                "luigi.cfg) to arn:aws:iam::<account>:role/<name>, or to 'default'"
            )
        if iam_role != "default" and not _IAM_ROLE.match(iam_role):
            raise ConfigurationError(
                f"REDSHIFT_IAM_ROLE={iam_role!r} is not an IAM role ARN: write it as "
                "arn:aws:iam::<12-digit account>:role/<name> (access keys are not accepted)"
            )
        if copy_region and not _REGION.match(copy_region):
            raise ConfigurationError(
                f"REDSHIFT_COPY_REGION={copy_region!r} is not an AWS region such as eu-west-1"
            )
        self.iam_role = iam_role
        self.copy_region = copy_region

    def lock_migrations(self, session: Session) -> None:
        """Redshift has no advisory locks: lock the migrations table (created first when
        missing) until the transaction ends."""
        for statement in schema_migrations_ddl("redshift"):
            session.execute(statement)
        session.execute("LOCK schema_migrations")

    def copy_from_s3_statement(self, s3_uri: str, table: str) -> str:
        """The COPY of one lake object into ``table``, in the extract file's dialect.

        ``NULL AS ''``: only an empty unquoted field is NULL (the default '\\N' would turn a name
        written ``\\N`` into NULL). TRUNCATECOLUMNS is the one documented rule for a text longer
        than Redshift's VARCHAR(65535) bytes (16,383 characters of 4 bytes; migration 0002): it
        is cut to fit on a character boundary instead of failing every rerun. No ACCEPTINVCHARS,
        BLANKSASNULL, TRIMBLANKS, FILLRECORD or MAXERROR: other bad data fails the load rather
        than being silently altered.
        """
        if not _SAFE_S3_URI.match(s3_uri):
            raise ConfigurationError(
                f"{s3_uri!r} cannot be loaded by Redshift COPY: keep bucket names lower case and "
                "keys free of backslashes and control characters"
            )
        role = "default" if self.iam_role == "default" else quote_literal(self.iam_role)
        lines = [
            f"COPY {table}",
            f"FROM {quote_literal(s3_uri)}",
            f"IAM_ROLE {role}",
            f"FORMAT AS CSV DELIMITER AS {quote_literal(activity_csv.DELIMITER)} "
            f"QUOTE AS {quote_literal(activity_csv.QUOTE)}",
            "IGNOREHEADER 1",
            "NULL AS ''",
            f"TIMEFORMAT {quote_literal(REDSHIFT_TIMEFORMAT)}",
            "ENCODING UTF8",
            "TRUNCATECOLUMNS",
            "COMPUPDATE OFF STATUPDATE OFF",
        ]
        if self.copy_region:
            lines.append(f"REGION {quote_literal(self.copy_region)}")
        return "\n".join(lines)

    # No COPY FROM STDIN on Redshift: samples go in by batched INSERTs (Warehouse's way).
    _load_parquet = Warehouse._load_parquet

    def _bulk_load(self, session: Session, lake: Lake, key: str, table: str) -> None:
        if not isinstance(lake, S3Lake):
            raise ConfigurationError(
                f"Redshift loads staging from S3, but the lake is {mask_url(lake.url)!r}: "
                "set LAKE_URL=s3://bucket/prefix"
            )
        with closing(lake.open_binary(key)) as stream:
            header, _ = read_header_line(stream)
        activity_csv.check_header(header, lake.uri(key))
        session.execute(self.copy_from_s3_statement(lake.uri(key), table))
