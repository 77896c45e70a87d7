"""Big chunks of an extract written as CSV in a process of its own (issue 23).

Formatting a chunk's CSV is the extraction's largest piece of Python work. In a thread it
holds the interpreter's lock for long stretches, and the thread that reads the next pages
waits for that lock after every network read: the read slows to the formatting's pace. A
chunk of ``PROCESS_ROWS`` activities or more therefore goes to a child interpreter
(``python -m pipeline.csv_writer_process``), started on the first such chunk; smaller chunks
(a weekly run's few activities) stay in the thread, which costs no process start.

The child gets each chunk as the JSON bytes Strava sent (a file in the extract's work folder,
its name on the child's stdin), decodes them with the same typed decoder, and writes the parts
with the same code as the thread (``fast_extract.write_parts``): the parts are byte for byte
the thread's. It answers every chunk on its stdout, in order: ``ok`` or its error. It ends
when its stdin closes, also when the parent is killed; when the extract fails with chunks still
pending, the parent kills it rather than waiting for them.
"""

from __future__ import annotations

import contextlib
import os
import pickle
import struct
import subprocess
import sys
from datetime import datetime
from pathlib import Path
from typing import IO, Any, NoReturn

from pipeline import fast_extract

PROCESS_ROWS = 5_000  # a chunk this big or bigger is written by the child
peak_mib = 0.0  # the largest peak resident memory of a writer of this process (benchmarks)
_LENGTH = struct.Struct("<I")
_OK = b""


def _send(stream: IO[bytes], payload: bytes) -> None:
    stream.write(_LENGTH.pack(len(payload)) + payload)
    stream.flush()


def _receive(stream: IO[bytes]) -> bytes | None:
    head = stream.read(_LENGTH.size)
    if len(head) < _LENGTH.size:
        return None
    return stream.read(_LENGTH.unpack(head)[0])


class ProcessCopier:
    """``fast_extract.Copier``'s job for big chunks, in a child process, at most two chunks
    behind."""

    def __init__(self, extracted_at: datetime, work: Path) -> None:
        self._work = work
        # The child imports this very package, wherever it was found (installed or not).
        package_root = str(Path(__file__).resolve().parent.parent)
        paths = os.environ.get("PYTHONPATH")
        environment = {**os.environ, "PYTHONPATH": package_root + (
            os.pathsep + paths if paths else "")}
        self._process = subprocess.Popen(
            [sys.executable, "-m", "pipeline.csv_writer_process",
             fast_extract.extract_time(extracted_at)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=environment)
        self._pending = 0
        self._number = 0

    def submit(self, fast: fast_extract.Fast, paths: list[Path], sent: list[Any]) -> None:
        """Write ``fast``'s rows of each output to ``paths`` from ``sent``, the chunk's
        activities as Strava sent them (in the child)."""
        while self._pending >= 2:
            self._answer()
        chunk = self._work / f"chunk{self._number:05d}.json"
        self._number += 1
        with open(chunk, "wb") as handle:
            handle.write(b"[")
            handle.write(b",".join(sent))
            handle.write(b"]")
        fast.activities = []
        assert self._process.stdin is not None
        try:
            _send(self._process.stdin,
                  pickle.dumps((fast, str(chunk), [str(p) for p in paths], len(sent))))
        except BrokenPipeError:
            self._stopped()
        self._pending += 1

    def _answer(self) -> None:
        assert self._process.stdout is not None
        answer = _receive(self._process.stdout)
        if answer is None:
            self._stopped()
        self._pending -= 1
        if answer != _OK:
            raise RuntimeError(f"writing the extract's CSV failed: {answer.decode()}")

    def _stopped(self) -> NoReturn:
        code = self._process.wait()
        raise RuntimeError(f"the process writing the extract's CSV stopped (exit code {code}); "
                           "nothing was saved: run the date again")

    def wait(self) -> None:
        """Wait for every chunk submitted (a writing error is raised here)."""
        while self._pending:
            self._answer()

    def close(self) -> None:
        """End the child. Chunks still pending (the extract failed: a finished one waited for
        them with ``wait``) are abandoned: the child is killed rather than waited for, and has
        ended when this returns, so it writes nothing more (the parts are in the extract's work
        folder, removed with it; the extract file is joined only once every part is written).
        A pending chunk's error is not raised: the extract's own failure is the one to tell."""
        _note_peak(self._process.pid)
        abandoned, self._pending = self._pending, 0
        if abandoned and self._process.poll() is None:
            self._process.kill()
        try:
            if self._process.stdin is not None:
                with contextlib.suppress(BrokenPipeError):
                    self._process.stdin.close()
            try:
                self._process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
        finally:
            if self._process.stdout is not None:
                self._process.stdout.close()


def _note_peak(pid: int) -> None:
    """Keep the writer's peak resident memory in ``peak_mib`` (Linux; read before it ends)."""
    global peak_mib
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return
    for line in status.splitlines():
        if line.startswith("VmHWM:"):
            peak_mib = max(peak_mib, int(line.split()[1]) / 1024)


def serve(extracted_at: str, requests: IO[bytes], answers: IO[bytes]) -> None:
    """The child's loop: write each chunk asked for, answer ``ok`` or its error, until the
    requests end."""
    from pipeline.errors import one_line
    from pipeline.strava import wire

    while (request := _receive(requests)) is not None:
        fast, chunk, paths, count = pickle.loads(request)
        try:
            body = Path(chunk).read_bytes()
            Path(chunk).unlink()
            activities = wire.decode_activities(body)
            if activities is None or len(activities) != count:
                raise ValueError("the chunk's activities no longer decode as they did")
            for activity in activities:
                activity.timezone = fast_extract.iana_zone(activity.timezone)
            fast_extract.write_parts(activities, fast, [Path(p) for p in paths], extracted_at)
        except Exception as error:  # told to the parent, which raises it
            _send(answers, (one_line(error) or type(error).__name__).encode())
            continue
        _send(answers, _OK)


def main() -> None:
    """The child: answers on the stdout it was given; anything printed goes to stderr."""
    answers = os.fdopen(os.dup(sys.stdout.fileno()), "wb")
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())
    with contextlib.suppress(BrokenPipeError, KeyboardInterrupt):  # the parent has gone
        serve(sys.argv[1], sys.stdin.buffer, answers)


if __name__ == "__main__":
    main()
