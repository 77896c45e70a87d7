"""Issue 23: inside one walk of a task graph a state-store answer is read once per key."""

from __future__ import annotations

from pipeline.graph_walk import one_graph_walk, read_once


def test_outside_a_walk_every_read_reads() -> None:
    calls: list[int] = []
    for _ in range(3):
        read_once(("k",), lambda: calls.append(1) or len(calls))
    assert len(calls) == 3


def test_inside_a_walk_a_key_is_read_once_and_forgotten_after() -> None:
    calls: list[str] = []

    def read(key: str) -> str:
        calls.append(key)
        return key.upper()

    with one_graph_walk():
        assert [read_once(("a",), lambda: read("a")) for _ in range(3)] == ["A"] * 3
        assert read_once(("b",), lambda: read("b")) == "B"
    assert calls == ["a", "b"]
    read_once(("a",), lambda: read("a"))
    assert calls == ["a", "b", "a"]
