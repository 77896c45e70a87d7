"""Big chunks of an extract written by a process of its own (pipeline/csv_writer_process.py):
the same bytes as the thread and the typed frame, a dead writer stops the extract and leaves
nothing, a failing extract does not wait for its pending chunks, and the writer never outlives
its parent."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import threading
import time
from contextlib import suppress
from pathlib import Path
from typing import Any

import pytest

from pipeline import csv_writer_process
from pipeline.extract_stream import write_extracts
from tests.unit.test_fast_extract import READ_AT, activity, pages_of
from tests.unit.test_fast_extract import (
    test_the_fast_way_writes_what_the_typed_frame_writes as same_bytes_as_the_typed_frame,
)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_the_process_writes_what_the_typed_frame_writes(tmp_path: Path, seed: int,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    same_bytes_as_the_typed_frame(tmp_path, seed, monkeypatch, way="process")


def test_a_writing_process_that_dies_stops_the_extract_and_nothing_is_left(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    submit = csv_writer_process.ProcessCopier.submit

    def submit_then_die(self: Any, *args: Any) -> None:
        submit(self, *args)
        self._process.kill()

    monkeypatch.setattr(csv_writer_process, "PROCESS_ROWS", 1)
    monkeypatch.setattr(csv_writer_process.ProcessCopier, "submit", submit_then_die)
    chance = random.Random(5)
    pages = pages_of([activity(chance, 1000 + n, extreme=False) for n in range(30)], 10)
    with pytest.raises(RuntimeError, match=r"^the process writing the extract's CSV stopped"):
        write_extracts(iter(pages), [(tmp_path / "a.csv", None)], READ_AT, chunk_activities=10)
    assert list(tmp_path.iterdir()) == []


def test_a_failing_extract_kills_the_writer_instead_of_waiting_for_its_chunks(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Strava's read fails while the writer holds two chunks it will never finish (it is
    stopped with SIGSTOP): the extract raises the read's error at once and leaves nothing."""
    submit = csv_writer_process.ProcessCopier.submit
    frozen: list[int] = []

    def submit_then_freeze(self: Any, *args: Any) -> None:
        submit(self, *args)
        if not frozen:
            frozen.append(self._process.pid)
            os.kill(self._process.pid, signal.SIGSTOP)

    monkeypatch.setattr(csv_writer_process, "PROCESS_ROWS", 1)
    monkeypatch.setattr(csv_writer_process.ProcessCopier, "submit", submit_then_freeze)
    chance = random.Random(11)
    read = pages_of([activity(chance, 1000 + n, extreme=False) for n in range(20)], 10)

    def pages() -> Any:
        yield from read
        raise ConnectionError("Strava went away")

    raised: list[BaseException] = []

    def extract() -> None:
        try:
            write_extracts(pages(), [(tmp_path / "a.csv", None)], READ_AT, chunk_activities=10)
        except BaseException as error:  # looked at below
            raised.append(error)

    started = time.monotonic()
    worker = threading.Thread(target=extract, daemon=True)
    worker.start()
    worker.join(timeout=20)
    took = time.monotonic() - started
    try:
        assert not worker.is_alive(), "the failing extract waited for the stopped writer"
    finally:
        for pid in frozen:
            with suppress(ProcessLookupError):
                os.kill(pid, signal.SIGCONT)  # lets an old close() finish, for the next tests
        worker.join(timeout=60)
    assert len(frozen) == 1 and took < 10
    assert [type(error) for error in raised] == [ConnectionError]
    assert list(tmp_path.iterdir()) == []  # no extract, no work folder
    assert not _running(frozen[0])


def test_the_writing_process_ends_when_its_parent_is_killed(tmp_path: Path) -> None:
    script = (
        "import os, signal, sys\n"
        "from datetime import datetime, timezone\n"
        "from pathlib import Path\n"
        "from pipeline.csv_writer_process import ProcessCopier\n"
        "copier = ProcessCopier(datetime.now(timezone.utc), Path(sys.argv[1]))\n"
        "print(copier._process.pid, flush=True)\n"
        "os.kill(os.getpid(), signal.SIGKILL)\n")
    run = subprocess.run([sys.executable, "-c", script, str(tmp_path)], capture_output=True,
                         text=True, timeout=60)
    child = int(run.stdout.split()[0])
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and _running(child):
        time.sleep(0.05)
    assert not _running(child), "the writing process outlived its killed parent"


def _running(pid: int) -> bool:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except FileNotFoundError:
        return False
    return "\nState:\tZ" not in status  # a zombie has ended


def test_without_a_process_the_thread_writes_the_same_extract(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    chance = random.Random(9)
    pages = pages_of([activity(chance, 1000 + n, extreme=False) for n in range(30)], 10)
    threaded = tmp_path / "thread.csv"
    write_extracts(iter(pages), [(threaded, None)], READ_AT, chunk_activities=10)

    def no_process(*args: Any, **kwargs: Any) -> None:
        raise OSError(11, "Resource temporarily unavailable")

    monkeypatch.setattr(csv_writer_process, "PROCESS_ROWS", 1)
    monkeypatch.setattr(csv_writer_process.subprocess, "Popen", no_process)
    fallback = tmp_path / "fallback.csv"
    rows = write_extracts(iter(pages), [(fallback, None)], READ_AT, chunk_activities=10)
    assert rows == [30] and fallback.read_bytes() == threaded.read_bytes()
    assert "a thread writes it" in caplog.text
