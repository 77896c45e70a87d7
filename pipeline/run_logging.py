"""Where a run's messages go: everything to the log file, the pipeline's own lines to the terminal.

Quiet by default: the terminal (stderr) shows the pipeline's progress lines (INFO and up from
``pipeline.*``) and warnings and errors from elsewhere, each as one line without a traceback;
Luigi's scheduling chatter (``Informed scheduler ...``, its execution summary) goes to the log
file only. ``--verbose`` shows every INFO line on the terminal too, ``--debug`` adds tracebacks.
The log file always has every line, tracebacks included. Luigi is told not to configure logging
(``[core] no_configure_logging``) so these handlers are the only ones.
"""

from __future__ import annotations

import logging
import sys
from pathlib import Path

import luigi.configuration

from pipeline.errors import one_line
from pipeline.settings import ConfigurationError

FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
DATE_FORMAT = "%Y-%m-%d %H:%M:%S"
_OWN_HANDLERS: list[logging.Handler] = []
# Pipeline loggers whose INFO lines stay in the log file unless --verbose: a check that passed
# (the summary counts them; a warning or a failure still shows).
QUIET_INFO = frozenset({"pipeline.tasks.validation"})


class TerminalFilter(logging.Filter):
    """What the terminal shows of a record (see the module's docstring)."""

    def __init__(self, verbose: bool, debug: bool) -> None:
        super().__init__()
        self.verbose, self.debug = verbose, debug

    def filter(self, record: logging.LogRecord) -> bool:
        if self.verbose or self.debug:
            return True
        if record.name.startswith("luigi"):
            return False  # scheduling chatter; a failure's cause comes on the last lines
        if record.levelno >= logging.WARNING:
            return True
        own = record.name == "pipeline" or record.name.startswith("pipeline.")
        return own and record.name not in QUIET_INFO


class OneLineFormatter(logging.Formatter):
    """The log format, a record's first line only and no traceback (unless ``debug``)."""

    def __init__(self, debug: bool) -> None:
        super().__init__(FORMAT, DATE_FORMAT)
        self.debug = debug

    def format(self, record: logging.LogRecord) -> str:
        if self.debug:
            return super().format(record)
        plain = logging.makeLogRecord(record.__dict__)
        plain.exc_info, plain.exc_text, plain.stack_info = None, None, None
        plain.msg, plain.args = one_line(record.getMessage()), None
        return super().format(plain)


class TerminalHandler(logging.StreamHandler):
    """The terminal's handler. On a terminal (not with --verbose), the per-task progress lines
    (records with a ``progress`` attribute: tasks done, tasks to run) become one bar that is
    redrawn in place; any other line is printed above it. Not on a terminal (cron, a pipe):
    plain lines."""

    BAR_WIDTH = 30

    def __init__(self, stream: object, bar: bool) -> None:
        super().__init__(stream)  # type: ignore[arg-type]
        self.bar = bar
        self.shown = ""

    def emit(self, record: logging.LogRecord) -> None:
        progress = getattr(record, "progress", None)
        if not self.bar or progress is None:
            self.clear()
            super().emit(record)
            if self.shown:
                self._draw(self.shown)
            return
        done, total = progress
        total = max(total, done, 1)
        filled = round(self.BAR_WIDTH * done / total)
        self.shown = (f"[{'#' * filled}{'.' * (self.BAR_WIDTH - filled)}] {done}/{total} tasks  "
                      f"{one_line(record.getMessage())}")[:120]
        self._draw(self.shown)

    def _draw(self, text: str) -> None:
        self.stream.write("\r\x1b[K" + text)
        self.flush()

    def clear(self) -> None:
        """Take the bar off the line (before other output)."""
        if self.bar and self.shown:
            self.stream.write("\r\x1b[K")
            self.flush()

    def finish(self) -> None:
        """End the bar's line, keeping its last state (before the summary)."""
        if self.bar and self.shown:
            self.stream.write("\n")
            self.flush()
            self.shown = ""


def finish_progress() -> None:
    """End a progress bar on the terminal, so that what is printed next starts a new line."""
    for handler in _OWN_HANDLERS:
        if isinstance(handler, TerminalHandler):
            handler.finish()


def _file_handler(log_file: Path) -> logging.FileHandler:
    """The run's log file, its folder made; a folder this user cannot write is one line
    (ConfigurationError) before any task runs, not a traceback."""
    try:
        log_file.parent.mkdir(parents=True, exist_ok=True)
        handler = logging.FileHandler(log_file, encoding="utf-8")
    except OSError as error:
        folder = log_file.parent
        while not folder.exists() and folder != folder.parent:
            folder = folder.parent  # the folder that refused
        raise ConfigurationError(
            f"cannot write the run's log {log_file} ({error.strerror or one_line(error)}): make "
            f"{folder} writable, or set DATA_DIR (or --log-file) to a folder you can write"
        ) from None
    handler.setFormatter(logging.Formatter(FORMAT, DATE_FORMAT))
    return handler


def configure(log_file: Path | None, verbose: bool = False, debug: bool = False) -> None:
    """Send this process's log records to ``log_file`` (every line) and the terminal (quiet)."""
    root = logging.getLogger()
    for handler in _OWN_HANDLERS:
        root.removeHandler(handler)
        handler.close()
    _OWN_HANDLERS.clear()
    bar = sys.stderr.isatty() and not (verbose or debug)
    terminal = TerminalHandler(sys.stderr, bar)
    terminal.addFilter(TerminalFilter(verbose, debug))
    terminal.setFormatter(OneLineFormatter(debug))
    _OWN_HANDLERS.append(terminal)
    if log_file is not None:
        _OWN_HANDLERS.append(_file_handler(log_file))
    for handler in _OWN_HANDLERS:
        root.addHandler(handler)
    root.setLevel(logging.DEBUG if debug else logging.INFO)
    for name in ("luigi", "luigi-interface", "pipeline"):
        logging.getLogger(name).setLevel(logging.NOTSET)
    luigi.configuration.get_config().set("core", "no_configure_logging", "true")
