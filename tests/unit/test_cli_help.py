"""Polish of the command line (issue 24 #10): one program name in every usage line, --version,
and help with a default for every option."""

from __future__ import annotations

import argparse
import sys

import pytest

from pipeline.cli import PROG, build_parser, package_version
from pipeline.sandbox_cli import parse_args as sandbox_parse_args
from pipeline.strava.authorize import _parser as authorize_parser
from pipeline.validator import _parser as validator_parser


def subcommands() -> dict[str, argparse.ArgumentParser]:
    parser = build_parser()
    action = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return dict(action.choices)


def test_every_usage_line_names_strava_pipeline_and_the_command() -> None:
    for name, parser in subcommands().items():
        assert parser.format_usage().startswith(f"usage: {PROG} {name}"), name
    for name, parser in (("authorize", authorize_parser()), ("validate", validator_parser())):
        assert parser.format_usage().startswith(f"usage: {PROG} {name}"), name


def test_every_option_has_help_and_shows_its_default() -> None:
    for name, parser in subcommands().items():
        for action in parser._actions:
            if not action.option_strings or action.help == argparse.SUPPRESS:
                continue
            assert action.help, (name, action.option_strings)
            shown = parser._get_formatter()._expand_help(action)
            if action.default not in (None, False, argparse.SUPPRESS):
                assert "default" in shown, (name, action.option_strings, shown)


def test_the_sandbox_help_shows_each_default(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        sandbox_parse_args(["--help"])
    text = capsys.readouterr().out
    assert text.startswith(f"usage: {PROG} sandbox")
    for default in ("(default: 127.0.0.1)", "(default: 8765)"):
        assert default in text


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as done:
        build_parser().parse_args(["--version"])
    assert done.value.code == 0
    assert capsys.readouterr().out.strip() == f"{PROG} {package_version()}"
    assert package_version()[0].isdigit()


def test_hints_name_the_console_script_by_its_absolute_path(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """./run_weekly.sh runs from the checkout; its hints must work from anywhere (#9)."""
    from pathlib import Path

    from pipeline.cli import command_hint

    monkeypatch.chdir(Path(sys.executable).parent.parent.parent)  # the checkout
    program, *rest = command_hint("status", "--demo").split()
    assert rest == ["status", "--demo"]
    assert Path(program).is_absolute() or program == PROG
