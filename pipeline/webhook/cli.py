"""``strava-pipeline webhook serve | subscribe | list | unsubscribe``."""

from __future__ import annotations

import argparse
import logging
import sys
from typing import Any

import requests

from pipeline.backends import open_state
from pipeline.http_auth import HEADERS_AS_GIVEN
from pipeline.preflight import PreflightError
from pipeline.settings import Settings, load_settings
from pipeline.webhook.subscription import known_subscription, remember_subscription

logger = logging.getLogger(__name__)


def _credentials(settings: Settings) -> dict[str, str]:
    if not (settings.strava_client_id and settings.strava_client_secret):
        raise PreflightError("STRAVA_CLIENT_ID and STRAVA_CLIENT_SECRET are needed to manage "
                             "the push subscription: set them (docs/authorization.md)")
    return {"client_id": settings.strava_client_id,
            "client_secret": settings.strava_client_secret}


def _url(settings: Settings, suffix: str = "") -> str:
    return f"{settings.strava_api_url}/push_subscriptions{suffix}"


def _refused(answer: requests.Response, what: str) -> PreflightError:
    try:
        errors = answer.json().get("errors") or [{}]
        detail = errors[0].get("code") or answer.json().get("message")
    except (ValueError, AttributeError):
        detail = answer.reason
    return PreflightError(f"Strava refused to {what}: HTTP {answer.status_code} {detail}")


def cmd_serve(args: argparse.Namespace) -> int:
    """Serve the receiver until interrupted."""
    from pipeline.webhook.receiver import Receiver, serve

    settings = load_settings()
    if not settings.webhook_verify_token:
        raise PreflightError("STRAVA_WEBHOOK_VERIFY_TOKEN is not set: choose a secret string, "
                             "set it here and pass the same to `webhook subscribe`")
    state = open_state(settings.state_url)
    print(f"Webhook receiver on http://{args.host}:{args.port}/ (events go to the state store; "
          "apply them with `strava-pipeline apply-events`)", flush=True)
    serve(Receiver(state, settings.webhook_verify_token, settings.data_dir), args.host,
          args.port)
    return 0


def cmd_subscribe(args: argparse.Namespace) -> int:
    """Create the application's subscription; Strava validates the callback first."""
    settings = load_settings()
    if not settings.webhook_verify_token:
        raise PreflightError("STRAVA_WEBHOOK_VERIFY_TOKEN is not set: set the same value the "
                             "receiver (`webhook serve`) uses")
    answer = requests.post(_url(settings), timeout=30, auth=HEADERS_AS_GIVEN, data={
        **_credentials(settings), "callback_url": args.callback_url,
        "verify_token": settings.webhook_verify_token})
    if answer.status_code not in (200, 201):
        raise _refused(answer, f"subscribe {args.callback_url} (is the receiver running and "
                               "reachable from Strava, with the same verify token?)")
    subscription: dict[str, Any] = {"id": answer.json()["id"], "callback_url": args.callback_url}
    remember_subscription(settings.data_dir, subscription)
    print(f"subscribed: id {subscription['id']}, callback {args.callback_url}")
    return 0


def cmd_list(args: argparse.Namespace) -> int:
    """Print the application's subscription(s)."""
    settings = load_settings()
    answer = requests.get(_url(settings), params=_credentials(settings), timeout=30,
                          auth=HEADERS_AS_GIVEN)
    if answer.status_code != 200:
        raise _refused(answer, "list the subscriptions")
    found = answer.json()
    for item in found:
        print(f"id {item['id']}: {item.get('callback_url')}")
    if not found:
        print("no subscription")
    return 0


def cmd_unsubscribe(args: argparse.Namespace) -> int:
    """Delete the subscription (the one recorded, or --id)."""
    settings = load_settings()
    subscription_id = args.id or known_subscription(settings.data_dir)
    if subscription_id is None:
        raise PreflightError("no subscription recorded here: pass --id (see `webhook list`)")
    answer = requests.delete(_url(settings, f"/{subscription_id}"),
                             params=_credentials(settings), timeout=30, auth=HEADERS_AS_GIVEN)
    if answer.status_code not in (200, 204):
        raise _refused(answer, f"delete subscription {subscription_id}")
    remember_subscription(settings.data_dir, None)
    print(f"unsubscribed: id {subscription_id}")
    return 0


def cmd_apply_events(args: argparse.Namespace) -> int:
    """Apply the stored webhook events now (ApplyEvents, local scheduler); exit 0 when done."""
    import luigi

    from pipeline.tasks.apply_events import ApplyEvents, new_batch

    settings = load_settings()
    pending, applied, _ = open_state(settings.state_url).event_counts()
    print(f"== Applying {pending} pending webhook events ({applied} applied before)", flush=True)
    result = luigi.build([ApplyEvents(batch=new_batch())], local_scheduler=True,
                         detailed_summary=True)
    if result.status.name not in ("SUCCESS", "SUCCESS_WITH_RETRY"):
        print("strava-pipeline apply-events: error: the events were not applied, see the log "
              "above; they stay pending and the next call applies them", file=sys.stderr)
        return 1
    pending, applied, _ = open_state(settings.state_url).event_counts()
    print(f"== Webhook events: {pending} pending, {applied} applied")
    return 0


def add_command(commands: argparse._SubParsersAction) -> None:
    """Register ``strava-pipeline webhook ...`` and ``strava-pipeline apply-events``."""
    apply = commands.add_parser(
        "apply-events", help="apply the stored webhook events to production now",
        description="Fetch each changed activity once, merge the batch, remove deleted "
                    "activities; schedule it every few minutes next to `webhook serve`.")
    apply.set_defaults(handler=cmd_apply_events)
    parser = commands.add_parser(
        "webhook", help="Strava push events: serve the receiver, manage the subscription",
        description="Receive Strava's push events (stored in the state store, applied by "
                    "`apply-events`) and manage the application's one subscription.")
    actions = parser.add_subparsers(dest="webhook_action", required=True, metavar="ACTION")
    serve = actions.add_parser("serve", help="serve the receiver (waitress)")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8723)
    serve.set_defaults(handler=cmd_serve)
    subscribe = actions.add_parser("subscribe", help="create the subscription")
    subscribe.add_argument("--callback-url", required=True, metavar="URL",
                           help="the receiver's public URL (through a reverse proxy or tunnel)")
    subscribe.set_defaults(handler=cmd_subscribe)
    listing = actions.add_parser("list", help="show the subscription")
    listing.set_defaults(handler=cmd_list)
    unsubscribe = actions.add_parser("unsubscribe", help="delete the subscription")
    unsubscribe.add_argument("--id", type=int, help="default: the one recorded here")
    unsubscribe.set_defaults(handler=cmd_unsubscribe)
