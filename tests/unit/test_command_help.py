"""`passport --help` and every command's help: what it does in one line (never cut off in
the list), and an example to copy. Flask-Migrate's `db` and Flask-Limiter's `limiter`
groups are those libraries' own."""

from __future__ import annotations

import click
import pytest

from server.cli import main

THEIRS = {"db", "limiter"}


def commands(group: click.Group, path: tuple[str, ...] = ()):
    context = click.Context(group)
    for name in group.list_commands(context):
        if not path and name in THEIRS:
            continue
        command = group.get_command(context, name)
        yield (*path, name), command
        if isinstance(command, click.Group):
            yield from commands(command, (*path, name))


COMMANDS = list(commands(main))


@pytest.mark.parametrize("path, command", COMMANDS, ids=[" ".join(p) for p, _ in COMMANDS])
def test_a_command_says_what_it_does_in_one_line_with_an_example(path, command):
    summary = command.get_short_help_str(limit=60)
    assert not summary.endswith("..."), f"cut off in the list: {summary!r}"
    first = (command.help or "").strip().splitlines()[0]
    assert summary == first.rstrip(), (summary, first)
    if not isinstance(command, click.Group):
        text = command.help or ""
        example = text[text.find("Example:") :] if "Example:" in text else ""
        assert "passport " + " ".join(path) in example, text
