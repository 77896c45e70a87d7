"""Unit tests start no process and open no network socket: such a test belongs in tests/e2e."""

from __future__ import annotations

import socket
import subprocess
from collections.abc import Iterator

import pytest

_NETWORK = (socket.AF_INET, socket.AF_INET6)


class NotAUnitTest(RuntimeError):
    """A unit test tried to start a process or to use the network."""


def _refuse(what: str) -> NotAUnitTest:
    return NotAUnitTest(f"a unit test may not {what}: move it to tests/e2e")


@pytest.fixture(autouse=True)
def _no_process_no_network(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    def popen(*args: object, **kwargs: object) -> None:
        raise _refuse("start a process")

    def guarded(method_name: str):  # type: ignore[no-untyped-def]
        original = getattr(socket.socket, method_name)

        def method(self: socket.socket, *args: object) -> object:
            if self.family in _NETWORK:
                raise _refuse(f"{method_name} a network socket")
            return original(self, *args)

        return method

    monkeypatch.setattr(subprocess.Popen, "__init__", popen)
    for name in ("bind", "connect", "connect_ex"):
        monkeypatch.setattr(socket.socket, name, guarded(name))
    yield
