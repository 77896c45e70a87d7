"""Finding 7 of issue 25: no command prints a password, whatever form the URL gives it in.

``?password=`` (libpq style) in WAREHOUSE_URL or STATE_URL was echoed in clear by ``run``,
``migrate`` and ``status``, and the masking leaked part of an unencoded ``p@ss`` and of a
password with a space. Each form goes through every command that prints a URL, against real
servers that check the password (a MariaDB user made with it; PostgreSQL trusts, so its URL
carries the same password and must hide it too).
"""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from collections.abc import Iterator

import pytest

from pipeline.backends.urls import mask_url
from tests.conftest import PROJECT_ROOT, RUN_DATE, PipelineWorld
from tests.support.backends import (
    MYSQL_HOST,
    MYSQL_PORT,
    PG_ADMIN,
    PG_HOST,
    PG_PORT,
    mysql_admin,
    mysql_database,
    postgres_database,
)

# form -> (password, how the URL carries it: '{scheme}', '{user}', '{host}', '{db}' filled in)
FORMS = {
    "userinfo": ("Secr3tPw1xyz", "{scheme}://{user}:Secr3tPw1xyz@{host}/{db}"),
    "query": ("Secr3tPw2xyz", "{scheme}://{user}@{host}/{db}?password=Secr3tPw2xyz"),
    "unencoded @": ("p@ssSecr3t3", "{scheme}://{user}:p@ssSecr3t3@{host}/{db}"),
    "space": ("my Secr3t4", "{scheme}://{user}:my Secr3t4@{host}/{db}"),
}
# The pieces that must never show (a whole password, or the part a weak mask leaked).
LEAKS = ("Secr3t", "ssSecr3t3", "my Secr3t4")


def test_mask_url_hides_every_form() -> None:
    for _password, template in FORMS.values():
        url = template.format(scheme="postgresql", user="u", host="h:5432", db="d")
        masked = mask_url(f"could not reach {url}: refused")
        assert not any(leak in masked for leak in LEAKS), masked
        assert "***" in masked and "h:5432" in masked


@pytest.fixture(params=list(FORMS))
def urls(request: pytest.FixtureRequest) -> Iterator[dict[str, str]]:
    """WAREHOUSE_URL and STATE_URL in one form, each with a password the form carries."""
    password, template = FORMS[request.param]
    user = f"i25_{secrets.token_hex(4)}"
    with postgres_database() as warehouse_db, mysql_database() as state_db:
        admin = mysql_admin()
        try:
            with admin.cursor() as cursor:
                cursor.execute(f"CREATE USER '{user}'@'%%' IDENTIFIED BY %s", (password,))
                cursor.execute(f"CREATE USER '{user}'@'localhost' IDENTIFIED BY %s", (password,))
                for host in ("%", "localhost"):
                    cursor.execute(f"GRANT ALL ON {state_db}.* TO '{user}'@'{host}'")
            yield {
                "WAREHOUSE_URL": template.format(scheme="postgresql", user=PG_ADMIN,
                                                 host=f"{PG_HOST}:{PG_PORT}", db=warehouse_db),
                "STATE_URL": template.format(scheme="mysql", user=user,
                                             host=f"{MYSQL_HOST}:{MYSQL_PORT}", db=state_db),
            }
        finally:
            with admin.cursor() as cursor:
                for host in ("%", "localhost"):
                    cursor.execute(f"DROP USER IF EXISTS '{user}'@'{host}'")
            admin.close()


def _command(world: PipelineWorld, urls: dict[str, str], *args: str
             ) -> subprocess.CompletedProcess[str]:
    environment = {**os.environ, **world.env, **urls}
    return subprocess.run([sys.executable, "-m", "pipeline.cli", *args], cwd=PROJECT_ROOT,
                          env=environment, capture_output=True, text=True, timeout=300)


def test_no_command_prints_a_password_in_any_url_form(
    world: PipelineWorld, urls: dict[str, str],
) -> None:
    commands = [("migrate", "--status"), ("migrate",), ("status",),
                ("run", "--date", RUN_DATE.isoformat(), "--task", "ExtractActivities"),
                ("validate", "staging_null_keys.sql", "0", "equals", "warn", "--date",
                 RUN_DATE.isoformat())]
    for command in commands:
        result = _command(world, urls, *command)
        output = result.stdout + result.stderr
        assert not any(leak in output for leak in LEAKS), (command, output[-3000:])
        assert result.returncode in (0, 2), (command, output[-3000:])
    shown = _command(world, urls, "status").stdout
    assert "Warehouse: postgresql://" in shown and "***" in shown
    # A wrong password: the server's refusal is one line, masked too.
    wrong = {**urls, "STATE_URL": urls["STATE_URL"].replace("Secr3t", "Wr0ngSecr3t")}
    refused = _command(world, wrong, "status")
    assert refused.returncode != 0
    assert not any(leak in refused.stdout + refused.stderr for leak in LEAKS), refused.stderr
