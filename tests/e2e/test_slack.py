"""Slack notifications received by a local webhook over HTTP; a bad webhook never hurts a run."""

from __future__ import annotations

import json
import logging
import socket
import threading
import time
from collections.abc import Iterator
from datetime import date
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import luigi
import pytest

from pipeline.notify import notify_task_failure, post_to_slack
from pipeline.settings import load_settings
from pipeline.tasks import ExtractActivities, LoadProduction
from pipeline.validator import load_checks, main
from tests.support.validation import (  # noqa: F401 - fixture_staged
    STAGING,
    build,
    change_staging,
    fixture_staged,
    results,
    staged_copy,
)

SECRET_PATH = "/services/T0000/B0000/webhook-secret-4b1d"
CHECK_NAMES = [check.name for check in load_checks()]


class Webhook:
    """A local stand-in for Slack's incoming webhook: records JSON bodies, answers as told."""

    def __init__(self, status: int = 200, delay: float = 0.0) -> None:
        self.status = status
        self.delay = delay
        self.payloads: list[dict] = []
        self.paths: list[str] = []
        hook = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's naming
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                hook.paths.append(self.path)
                hook.payloads.append(json.loads(body))
                if hook.delay:
                    time.sleep(hook.delay)
                try:
                    self.send_response(hook.status)
                    self.send_header("Content-Type", "text/plain")
                    self.end_headers()
                    self.wfile.write(b"ok" if hook.status == 200 else b"invalid_payload")
                except OSError:
                    pass  # the client gave up waiting (the slow-webhook test)

            def log_message(self, *args: object) -> None:
                return None

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.server.block_on_close = False
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        """The webhook URL; its path is a secret, like Slack's."""
        return f"http://127.0.0.1:{self.server.server_address[1]}{SECRET_PATH}"

    def __enter__(self) -> Webhook:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def webhook(monkeypatch: pytest.MonkeyPatch) -> Iterator[Webhook]:
    """A running webhook set as SLACK_WEBHOOK_URL."""
    with Webhook() as hook:
        monkeypatch.setenv("SLACK_WEBHOOK_URL", hook.url)
        yield hook


def dead_url() -> str:
    """A URL on a local port nobody listens on (connection refused at once)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}{SECRET_PATH}"


def test_one_summary_per_run_lists_every_check_with_values_and_status(
    staged: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, webhook: Webhook
) -> None:
    data_dir = staged_copy(staged, tmp_path, monkeypatch)

    assert build(LoadProduction(run_date=date(2026, 11, 29)))

    assert len(webhook.payloads) == 1
    text = webhook.payloads[0]["text"]
    lines = text.splitlines()
    assert (f"validation of run date 2026-11-29: {len(CHECK_NAMES)} pass; production load goes on"
            in lines[0])
    assert [line.split()[2] for line in lines[1:]] == CHECK_NAMES
    found = results(data_dir)
    for name, line in zip(CHECK_NAMES, lines[1:], strict=True):
        row = found[name]
        assert line.startswith(f"• PASS {name} ({row['severity']}): ")
        assert row["message"] in line
    assert "• PASS no_duplicate_ids (halt): 0 equals 0 holds" in lines
    assert webhook.paths == [SECRET_PATH]

    webhook.payloads.clear()
    assert build(LoadProduction(run_date=date(2026, 11, 29)))  # nothing to do, nothing sent
    assert webhook.payloads == []


def test_a_halted_run_sends_its_summary_and_one_failure_message(
    staged: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, webhook: Webhook
) -> None:
    data_dir = staged_copy(staged, tmp_path, monkeypatch)
    change_staging(data_dir, f"INSERT INTO {STAGING} SELECT * FROM {STAGING} "
                             f"WHERE id = (SELECT MIN(id) FROM {STAGING})")

    assert not build(LoadProduction(run_date=date(2026, 11, 29)))

    summaries = [p["text"] for p in webhook.payloads if "validation of run date" in p["text"]]
    failures = [p["text"] for p in webhook.payloads if " FAILED " in p["text"]]
    assert len(summaries) == 1 and len(failures) == 1 and len(webhook.payloads) == 2
    summary = summaries[0].splitlines()
    assert "halt check no_duplicate_ids did not pass: production was not loaded" in summary[0]
    assert "• FAIL no_duplicate_ids (halt): 1 equals 0 does not hold" in summaries[0]
    assert "• NOT RUN no_null_keys (halt): not run: a halt check before it did not pass" \
        in summary
    assert "• PASS staging_matches_production_schema (halt): 0 equals 0 holds" in summary
    failure = failures[0]
    assert "\n" not in failure
    assert "task ValidateStaging(run_date=2026-11-29) FAILED for run date 2026-11-29: " \
           "ValidationHalted: halt check no_duplicate_ids failed" in failure
    assert "quarantine_strava_activity_data_20261129_" in failure


def test_any_failed_task_is_named_with_a_reason_and_no_secret(
    staged: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, webhook: Webhook
) -> None:
    data_dir = staged_copy(staged, tmp_path, monkeypatch)
    (data_dir / "extract" / "2026-11-29" / "activities.csv").unlink()
    monkeypatch.setenv("STRAVA_API_URL", dead_url().split("/services")[0])
    monkeypatch.setenv("STRAVA_CLIENT_ID", "1")
    monkeypatch.setenv("STRAVA_CLIENT_SECRET", "client-secret-never-shown")
    monkeypatch.setenv("STRAVA_MAX_ATTEMPTS", "1")

    assert not build(ExtractActivities(run_date=date(2026, 11, 29)))

    assert len(webhook.payloads) == 1
    text = webhook.payloads[0]["text"]
    assert text.startswith("Strava pipeline [SANDBOX data, not Strava]: ")  # a local API URL
    assert "task ExtractActivities(run_date=2026-11-29) FAILED for run date 2026-11-29: " in text
    assert "\n" not in text and len(text) < 600
    assert "client-secret-never-shown" not in text


@pytest.mark.parametrize("kind", ["dead", "slow"])
def test_a_dead_or_slow_webhook_does_not_break_the_run(
    staged: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture, kind: str,
) -> None:
    data_dir = staged_copy(staged, tmp_path, monkeypatch)
    monkeypatch.setenv("SLACK_TIMEOUT", "0.5")
    with Webhook(delay=5.0) as slow, caplog.at_level(logging.WARNING, logger="pipeline"):
        monkeypatch.setenv("SLACK_WEBHOOK_URL", dead_url() if kind == "dead" else slow.url)

        assert build(LoadProduction(run_date=date(2026, 11, 29)))

    assert {row["status"] for row in results(data_dir).values()} == {"pass"}
    expected = ("ConnectionError" if kind == "dead"
                else "the webhook did not answer within SLACK_TIMEOUT")
    assert f"Slack notification not sent: {expected}" in caplog.text
    assert "webhook-secret" not in caplog.text
    assert len(slow.payloads) == (1 if kind == "slow" else 0)


@pytest.mark.parametrize("status", [400, 404, 500, 503])
def test_an_error_answer_is_a_warning_without_the_url(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture, status: int
) -> None:
    with Webhook(status=status) as hook, caplog.at_level(logging.WARNING, logger="pipeline"):
        monkeypatch.setenv("SLACK_WEBHOOK_URL", hook.url)
        assert post_to_slack(load_settings(), {"text": "hello"}) is False
        notify_task_failure(ExtractActivities(run_date=date(2026, 11, 29)),
                            RuntimeError(f"boom at {hook.url}\nsecond line"))
    assert f"the webhook answered HTTP {status}" in caplog.text
    assert "webhook-secret" not in caplog.text
    assert hook.payloads[0] == {"text": "hello"}
    failure = hook.payloads[1]["text"]
    assert "RuntimeError: boom at" in failure and "second line" not in failure
    assert "webhook-secret" not in failure


def test_nothing_is_sent_without_a_webhook(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SLACK_WEBHOOK_URL", raising=False)
    assert post_to_slack(load_settings(), {"text": "hello"}) is False
    notify_task_failure(luigi.Task(), RuntimeError("no webhook, no message"))


def test_the_command_line_posts_its_verdict_only_when_asked(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, webhook: Webhook
) -> None:
    monkeypatch.setenv("WAREHOUSE_URL", f"duckdb:///{tmp_path}/warehouse.duckdb")
    left = tmp_path / "three.sql"
    left.write_text("SELECT 3;\n", encoding="utf-8")

    assert main([str(left), "4", "equals", "warn"]) == 0
    assert webhook.payloads == []
    assert main([str(left), "4", "equals", "halt", "--slack"]) == 1
    (payload,) = webhook.payloads
    assert "Validation FAIL for " in payload["text"]
    assert "3 equals 4 does not hold" in payload["text"]


class SlowDripWebhook:
    """A raw TCP webhook on 127.0.0.1 that answers one byte every ``every`` seconds, forever
    (each byte arrives well within a socket read timeout, so only a total deadline stops it)."""

    def __init__(self, every: float = 0.2) -> None:
        self.every = every
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.stopped = threading.Event()
        self.thread = threading.Thread(target=self._serve, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.listener.getsockname()[1]}{SECRET_PATH}"

    def _serve(self) -> None:
        self.listener.settimeout(0.2)
        while not self.stopped.is_set():
            try:
                connection, _ = self.listener.accept()
            except TimeoutError:
                continue
            threading.Thread(target=self._drip, args=(connection,), daemon=True).start()

    def _drip(self, connection: socket.socket) -> None:
        answer = b"HTTP/1.1 200 OK\r\nX-Padding: " + b"x" * 10_000
        with connection:
            connection.recv(65536)
            for byte in answer:
                if self.stopped.is_set():
                    return
                try:
                    connection.sendall(bytes([byte]))
                except OSError:
                    return
                time.sleep(self.every)

    def __enter__(self) -> SlowDripWebhook:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stopped.set()
        self.thread.join(2)
        self.listener.close()


def test_a_slow_drip_webhook_costs_at_most_slack_timeout(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setenv("SLACK_TIMEOUT", "1.5")
    with SlowDripWebhook() as drip, caplog.at_level(logging.WARNING, logger="pipeline"):
        monkeypatch.setenv("SLACK_WEBHOOK_URL", drip.url)
        started = time.monotonic()
        assert post_to_slack(load_settings(), {"text": "hello"}) is False
        took = time.monotonic() - started
        started = time.monotonic()
        notify_task_failure(ExtractActivities(run_date=date(2026, 11, 29)), RuntimeError("x"))
        took_failure = time.monotonic() - started
    assert 1.4 < took < 2.0, took
    assert took_failure < 2.0, took_failure
    assert "did not answer within SLACK_TIMEOUT=1.5s" in caplog.text
    assert "webhook-secret" not in caplog.text
