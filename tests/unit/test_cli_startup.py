"""Issue 23: a command builds only its own parser; ``--help`` still lists every command."""

from __future__ import annotations

import argparse

from pipeline.cli import COMMAND_NAMES, build_parser


def _commands(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    action = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return dict(action.choices)


def test_the_names_are_every_command_in_the_help_order() -> None:
    assert tuple(_commands(build_parser())) == COMMAND_NAMES


def test_one_command_s_parser_is_the_same_as_in_the_whole_command_line() -> None:
    everything = _commands(build_parser())
    for name in COMMAND_NAMES:
        alone = _commands(build_parser(name))
        assert name in alone, name
        assert alone[name].format_help() == everything[name].format_help(), name
