"""Slack notifications: one summary of the validation checks per run, one message per failed task.

Nothing here may fail or stall the pipeline: a single POST with a total deadline, any problem
logged as a warning that never includes the webhook URL (it is a secret), and no exception
escapes. Importing this module registers the FAILURE handler; ``pipeline.tasks`` imports it.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

import luigi
import requests

from pipeline.backends.urls import mask_url
from pipeline.backends.urls import redact as redact_url_password
from pipeline.errors import one_line
from pipeline.http_auth import HEADERS_AS_GIVEN
from pipeline.settings import Settings, load_settings
from pipeline.strava.client import is_local_url

logger = logging.getLogger(__name__)

_SHORTEST_SECRET = 6  # shorter values are not secrets worth garbling the text for


def redact(text: str, settings: Settings | None = None) -> str:
    """``text`` without URL passwords and without the configured secrets."""
    text = mask_url(text)
    if settings is not None:
        for url in (settings.state_url, settings.warehouse_url):
            text = redact_url_password(text, url)
        for secret in (settings.slack_webhook_url, settings.strava_client_secret,
                       settings.strava_refresh_token):
            if len(secret) >= _SHORTEST_SECRET:
                text = text.replace(secret, "***")
    return text


def _title(settings: Settings) -> str:
    sandbox = " [SANDBOX data, not Strava]" if is_local_url(settings.strava_api_url) else ""
    return f"Strava pipeline{sandbox}"


def post_to_slack(settings: Settings, payload: Mapping[str, Any]) -> bool:
    """POST ``payload`` to SLACK_WEBHOOK_URL; True when Slack accepted it. Never raises.

    Without a configured webhook nothing is sent. SLACK_TIMEOUT bounds the whole post (connect,
    send and read together): the post runs in a daemon thread that is abandoned at the deadline,
    so a dead, slow or slow-dripping webhook costs at most that and a warning in the log.
    """
    webhook = settings.slack_webhook_url
    if not webhook:
        return False
    timeout = settings.slack_timeout_seconds
    outcome: dict[str, Any] = {}

    def send() -> None:
        try:
            with requests.Session() as session:
                response = session.post(webhook, json=dict(payload), timeout=(timeout, timeout),
                                        auth=HEADERS_AS_GIVEN)
                response.close()
                outcome["status"] = response.status_code
        except requests.Timeout:  # the same as the wait below running out first
            outcome["timed_out"] = True
        except Exception as error:  # a requests error's message holds the URL: keep the type
            outcome["error"] = type(error).__name__

    worker = threading.Thread(target=send, name="slack-post", daemon=True)
    worker.start()
    worker.join(timeout)
    if worker.is_alive() or "timed_out" in outcome:
        logger.warning("Slack notification not sent: the webhook did not answer within "
                       "SLACK_TIMEOUT=%gs", timeout)
        return False
    if "error" in outcome:
        logger.warning("Slack notification not sent: %s (webhook unreachable or too slow)",
                       outcome["error"])
        return False
    if outcome["status"] >= 400:
        logger.warning("Slack notification not accepted: the webhook answered HTTP %d",
                       outcome["status"])
        return False
    return True


def failure_payload(settings: Settings, task: luigi.Task, error: BaseException | str) -> dict:
    """The message for a failed task: the task, its run date and a one-line reason."""
    run_date = getattr(task, "run_date", None)
    when = f" for run date {run_date.isoformat()}" if isinstance(run_date, date) else ""
    text = f"{_title(settings)}: task {task} FAILED{when}: {one_line(error)}"
    return {"text": redact(text, settings)}


def failure_line_payload(settings: Settings, line: str) -> dict:
    """The message for a failure already said in one line (a task Luigi could not schedule, a
    run refused before Luigi): the title and the line, without secrets."""
    return {"text": redact(f"{_title(settings)}: {one_line(line)}", settings)}


@luigi.Task.event_handler(luigi.Event.FAILURE)
def notify_task_failure(task: luigi.Task, exception: BaseException) -> None:
    """Luigi FAILURE handler: tell Slack which task failed and why, when a webhook is set."""
    try:
        settings = load_settings()
        if settings.slack_webhook_url:
            post_to_slack(settings, failure_payload(settings, task, exception))
    except Exception as error:  # a notification must never change the run's outcome
        logger.warning("Slack failure notification skipped: %s", type(error).__name__)


def validation_summary_payload(settings: Settings, run_date: date,
                               lines: Sequence[Mapping[str, Any]]) -> dict:
    """One message listing every check of a run: status, severity, values and message.

    ``lines`` hold ``check_name``, ``severity``, ``status`` (``None`` when the check did not
    run) and ``message``.
    """
    counts: dict[str, int] = {}
    for line in lines:
        status = line.get("status") or "not run"
        counts[status] = counts.get(status, 0) + 1
    blocked = [line["check_name"] for line in lines
               if line.get("severity") == "halt" and line.get("status") in {"fail", "error"}]
    tally = ", ".join(f"{count} {status}" for status, count in counts.items())
    if blocked:
        outcome = f"halt check {blocked[0]} did not pass: production was not loaded"
    else:
        outcome = "production load goes on"
    rows = [f"{_title(settings)}: validation of run date {run_date.isoformat()}: {tally}; "
            f"{outcome}"]
    for line in lines:
        status = (line.get("status") or "not run").upper()
        message = line.get("message") or "not run: a halt check before it did not pass"
        rows.append(f"• {status} {line['check_name']} ({line.get('severity')}): {message}")
    return {"text": redact("\n".join(rows), settings)}
