"""A state-store transaction run again when MySQL/MariaDB rolled it back as a deadlock's victim.

InnoDB ends a deadlock by rolling back the whole transaction of one side (error 1213,
ER_LOCK_DEADLOCK, "try restarting transaction"), so running that transaction again from its
start is safe. Two processes can deadlock on the state store's writes that first take shared or
gap locks and then write: a DELETE then an INSERT (neighbouring run dates' watermarks), a
locking SELECT then writes (the shared read budget). Those writes go through
``retry_on_deadlock``.

The deadlock is recognised by the driver's error code (pymysql's ``err.args[0]``), on the error
itself, on a SQLAlchemy wrapper's ``orig``, or on the error it was raised ``from`` (the MySQL
store's one-line ``StateStoreError``). SQLite raises no such error (``BEGIN IMMEDIATE`` makes
writers queue), so there every action runs once, as before.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable
from typing import TypeVar

logger = logging.getLogger(__name__)

DEADLOCK_CODE = 1213  # ER_LOCK_DEADLOCK: the server rolled the whole transaction back
DEADLOCK_TRIES = 4  # runs of one transaction at most (the first and three more)
WAIT_SECONDS = 0.05  # before run n + 1: a random wait around n times this (the two sides part)
_CHAIN_DEPTH = 8  # how many ``raise ... from`` links are looked through

Result = TypeVar("Result")


def is_deadlock(error: BaseException) -> bool:
    """Whether ``error`` is a driver's deadlock error (code 1213), or was raised from one."""
    seen: BaseException | None = error
    for _ in range(_CHAIN_DEPTH):
        if seen is None:
            return False
        for candidate in (seen, getattr(seen, "orig", None)):
            args = getattr(candidate, "args", ())
            if args and type(args[0]) is int and args[0] == DEADLOCK_CODE:
                return True
        seen = seen.__cause__
    return False


def retry_on_deadlock(action: Callable[[], Result], tries: int = DEADLOCK_TRIES,
                      sleep: Callable[[float], None] = time.sleep) -> Result:
    """``action()``, one whole transaction, run again after a short random wait while the
    server rolls it back as a deadlock's victim; at most ``tries`` runs, then the last deadlock
    is raised. Any other error is raised at once."""
    if tries < 1:
        raise ValueError(f"tries must be 1 or more, not {tries}")
    run = 1
    while True:
        try:
            return action()
        except Exception as error:
            if run >= tries or not is_deadlock(error):
                raise
        logger.info("the state store rolled a transaction back as a deadlock's victim: "
                    "running it again (run %d of at most %d)", run + 1, tries)
        sleep(WAIT_SECONDS * run * random.uniform(0.5, 1.5))
        run += 1
