"""The application's one push subscription, as the receiver knows it: $DATA_DIR/webhook.json."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any


def subscription_file(data_dir: Path) -> Path:
    """Where ``webhook subscribe`` keeps the subscription's id (and its callback URL)."""
    return Path(data_dir) / "webhook_subscription.json"


def known_subscription(data_dir: Path) -> int | None:
    """The subscription id recorded by ``webhook subscribe``, or None."""
    try:
        data = json.loads(subscription_file(data_dir).read_text(encoding="utf-8"))
        return int(data["id"])
    except (OSError, ValueError, KeyError, TypeError):
        return None


def remember_subscription(data_dir: Path, subscription: dict[str, Any] | None) -> None:
    """Record (or, given None, forget) the subscription, atomically."""
    path = subscription_file(data_dir)
    if subscription is None:
        path.unlink(missing_ok=True)
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(path.name + ".tmp")
    temporary.write_text(json.dumps({"id": int(subscription["id"]),
                                     "callback_url": subscription.get("callback_url")}),
                         encoding="utf-8")
    os.replace(temporary, path)
