"""``opsfn --help`` and every subcommand's ``--help`` are clear.

"Clear" made checkable: every command has a summary, every option (other than ``--help``) says what it
does, and the help of the commands with non-obvious contracts states them - validate's exit code and
message format, serve's endpoints and how to stop it, package's contents and target platform, render's
handling of triggers a target cannot express (e.g. ``package --out`` has help, ``serve`` names its
queue/workflow endpoints).
"""

from __future__ import annotations

import click
import pytest
from click.testing import CliRunner

from devkit.cli import main

COMMANDS = sorted(main.commands)


def test_top_level_help_lists_every_command() -> None:
    result = CliRunner().invoke(main, ["--help"])
    assert result.exit_code == 0
    assert set(COMMANDS) >= {"validate", "invoke", "serve", "emulator", "package", "render", "send"}
    for name in COMMANDS:
        assert f"  {name}  " in result.output, name


@pytest.mark.parametrize("name", COMMANDS)
def test_every_option_of_every_command_is_explained(name: str) -> None:
    command = main.commands[name]
    assert command.help and len(command.help.split()) >= 5, name
    for param in command.params:
        if isinstance(param, click.Option) and "--help" not in param.opts:
            assert param.help and len(param.help.split()) >= 2, f"{name} {param.opts}"
    result = CliRunner().invoke(main, [name, "--help"])
    assert result.exit_code == 0, result.output
    assert result.output.startswith(f"Usage: main {name}") or result.output.startswith(f"Usage: opsfn {name}")


@pytest.mark.parametrize(
    ("name", "phrases"),
    [
        ("validate", ["location: message", "exit code is 1"]),
        ("serve", ["/queue/<function>", "/workflows/<name>", "/healthz", "Ctrl-C", "One line is printed"]),
        ("package", ["manylinux2014 x86_64", "only the third-party packages", "5 MB"]),
        ("render", ["never dropped silently", "least-privilege"]),
        ("invoke", ["--platform", "--no-sign"]),
        ("send", ["OPSFN_WEBHOOK_SECRET"]),
    ],
)
def test_help_states_the_contract(name: str, phrases: list[str]) -> None:
    output = " ".join(CliRunner().invoke(main, [name, "--help"], terminal_width=200).output.split())
    for phrase in phrases:
        assert phrase in output, (name, phrase)
