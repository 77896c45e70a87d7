"""Errors as the one line a user reads: an exception's first line, a parser's usage error."""

from __future__ import annotations

import argparse
from typing import NoReturn

REASON_LIMIT = 1500


def one_line(error: BaseException | str, limit: int = REASON_LIMIT) -> str:
    """The first non-empty line of an error (``Type: message``) or of a text, at most ``limit``
    characters."""
    lines = [line.strip() for line in str(error).splitlines() if line.strip()]
    first = lines[0] if lines else ""
    if isinstance(error, BaseException):
        first = f"{type(error).__name__}: {first}" if first else type(error).__name__
    return first if len(first) <= limit else first[: limit - 1] + "…"


def joined_lines(text: str) -> str:
    """Every non-empty line of a multi-line message (a driver's error) joined into one."""
    return " ".join(part.strip() for part in text.splitlines() if part.strip())


class OneLineParser(argparse.ArgumentParser):
    """An argument parser whose usage errors are one line that points at --help."""

    def error(self, message: str) -> NoReturn:  # type: ignore[override]
        self.exit(2, f"{self.prog}: error: {message} (see --help)\n")
