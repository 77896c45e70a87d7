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


class DefaultsHelpFormatter(argparse.HelpFormatter):
    """Every option's help ends with its default, unless it says it already or has none."""

    def _get_help_string(self, action: argparse.Action) -> str | None:
        text = action.help or ""
        default = action.default
        if (action.option_strings and "default" not in text and text
                and default not in (None, False, argparse.SUPPRESS)):
            text += " (default: %(default)s)"
        return text


class OneLineParser(argparse.ArgumentParser):
    """An argument parser whose usage errors are one line that points at --help, and whose
    help shows each option's default."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        kwargs.setdefault("formatter_class", DefaultsHelpFormatter)
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]

    def error(self, message: str) -> NoReturn:  # type: ignore[override]
        self.exit(2, f"{self.prog}: error: {message} (see --help)\n")
