"""One run of a run date at a time: a lock per run date, held by the state store.

Luigi's own pid lock only stops a second identical command line, so the state store holds the
lock that every task of a date takes while it runs: a file lock beside the SQLite file for the
embedded default, ``GET_LOCK`` on MySQL/MariaDB (which covers runs on two machines). A second run
waits for it (at most RUN_LOCK_WAIT seconds) and then fails with one line, changing nothing.
A lock held on a server connection can be lost while held (the connection dies): the holder
checks it before every commit (``verify_run_date_lock``, called by the warehouse and state
transactions and by every file or lake write), and stops with one line, saving nothing.
"""

from __future__ import annotations

import fcntl
import os
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date, datetime, timezone
from pathlib import Path

POLL_SECONDS = 0.2


class RunDateBusy(RuntimeError):
    """Another run holds the run date's lock; nothing was done."""


class RunDateLockError(RuntimeError):
    """The lock could not be taken at all (e.g. a read-only DATA_DIR); nothing was done."""


class RunDateLockLost(RuntimeError):
    """The run date's lock was lost while held (its server connection ended): the step that
    was about to save stopped, nothing of it was saved."""


_GUARD = threading.local()  # the verification of the lock this thread holds


@contextmanager
def guarding(verify: Callable[[], None]) -> Iterator[None]:
    """Make ``verify`` (raises RunDateLockLost) the check ``verify_run_date_lock`` runs in this
    thread for the block: the lock holder calls it before every commit."""
    previous = getattr(_GUARD, "verify", None)
    _GUARD.verify = verify
    try:
        yield
    finally:
        _GUARD.verify = previous


def verify_run_date_lock() -> None:
    """Before a commit (a warehouse or state transaction, a file renamed into place, an upload
    to the lake): RunDateLockLost when this thread holds a run date's lock that is gone. Outside
    a locked task, or with a lock that cannot be lost (a flock), nothing."""
    verify = getattr(_GUARD, "verify", None)
    if verify is not None:
        verify()


def lost_message(run_date: date, where: str) -> str:
    """The one line a run gets when its run date's lock is gone."""
    return (f"the lock of run date {run_date.isoformat()} in {where} was lost (its connection "
            "ended): this run stopped before saving the step, so nothing of it was written; "
            "another run may hold the date now: run the date again once that one has finished")


def holder_description() -> str:
    """Who takes a lock: 'pid 123 on host since 2026-11-30 06:00:00 UTC'."""
    since = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M:%S")
    return f"pid {os.getpid()} on {socket.gethostname()} since {since} UTC"


def busy_message(run_date: date, holder: str, waited: float) -> str:
    """The one line a run gets when another run keeps the run date's lock."""
    return (f"run date {run_date.isoformat()} is being run by another run ({holder}); waited "
            f"{waited:.0f} s (RUN_LOCK_WAIT): let that run finish, then run the date again "
            "(it picks up what is left)")


@contextmanager
def file_lock(folder: Path, run_date: date, wait_seconds: float) -> Iterator[None]:
    """Hold ``folder/<run date>.lock`` exclusively (flock) for the block; wait at most
    ``wait_seconds`` for another process to let go. The lock dies with its process."""
    path = folder / f"{run_date.isoformat()}.lock"
    try:
        folder.mkdir(parents=True, exist_ok=True)
        descriptor = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    except OSError as error:
        raise RunDateLockError(
            f"cannot create the run-date lock {path}: {error.strerror}: make "
            f"{folder.parent} writable for this user (check DATA_DIR / STATE_URL)"
        ) from None
    started = time.monotonic()
    try:
        while True:
            try:
                fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                waited = time.monotonic() - started
                if waited >= wait_seconds:
                    holder = os.pread(descriptor, 200, 0).decode("utf-8", "replace").strip()
                    raise RunDateBusy(busy_message(run_date, holder or "unknown", waited)) from None
                time.sleep(POLL_SECONDS)
        os.ftruncate(descriptor, 0)
        os.pwrite(descriptor, holder_description().encode(), 0)
        yield
    finally:
        os.close(descriptor)  # releases the flock
