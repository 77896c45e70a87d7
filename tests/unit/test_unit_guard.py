"""The unit suite's guard refuses processes and network sockets (tests/unit/conftest.py)."""

from __future__ import annotations

import socket
import subprocess

import pytest

from tests.unit.conftest import NotAUnitTest


def test_a_process_is_refused() -> None:
    with pytest.raises(NotAUnitTest, match="move it to tests/e2e"):
        subprocess.run(["true"], check=False)


def test_a_network_socket_is_refused_a_local_pair_is_not() -> None:
    with socket.socket() as network, pytest.raises(NotAUnitTest, match="network socket"):
        network.connect(("127.0.0.1", 9))
    left, right = socket.socketpair()
    with left, right:
        left.sendall(b"x")
        assert right.recv(1) == b"x"
