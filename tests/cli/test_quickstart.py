"""The README's quick start: two commands that work pasted into a fresh shell, and that CI runs verbatim.

What is checked here, fast: the block holds exactly two commands; ``.ci/run`` contains both verbatim (so
CI, starting from a fresh machine, *is* the proof that they work end to end); the install goes into a
virtual environment (PEP 668 systems refuse a system-wide ``pip install``); nothing relies on an activated
environment; and the first command ends by itself. Its final step, ``opsfn serve --once``, is run here for
real on free ports to show it returns after firing every timer and workflow.

The full fresh-venv run (``python3 -m venv`` + ``pip install -e '.[dev]'`` from the package index) takes
about a minute and needs the index, so it runs when ``OPSFN_QUICKSTART=1`` is set (and in ``.ci/run``).
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from _cli_helpers import REPO

README = (REPO / "README.md").read_text(encoding="utf-8")
CI = (REPO / ".ci" / "run").read_text(encoding="utf-8")


def _quickstart() -> list[str]:
    section = README.split("## Quick start", 1)[1]
    block = re.search(r"```bash\n(.*?)```", section, re.S)
    assert block is not None
    return [line for line in block[1].splitlines() if line.strip()]


def test_two_commands_run_verbatim_by_ci() -> None:
    commands = _quickstart()
    assert len(commands) == 2
    ci_lines = {line.strip() for line in CI.splitlines()}
    for command in commands:
        assert command in ci_lines, command
    # CI runs them in the README's order.
    assert CI.index(commands[0]) < CI.index(commands[1])


def test_install_is_in_a_virtual_environment_and_needs_no_activation() -> None:
    install, test = _quickstart()
    steps = [shlex.split(step) for step in install.split("&&")]
    assert steps[0] == ["python3", "-m", "venv", ".venv"]
    for step in steps[1:]:
        assert step[0].startswith(".venv/bin/"), step  # no system pip, no `activate` in another shell
    assert shlex.split(test)[0].startswith(".venv/bin/")


def test_the_first_command_stops_by_itself() -> None:
    install, _ = _quickstart()
    serve = shlex.split(install.split("&&")[-1])
    assert serve[1] == "serve" and ("--once" in serve or "--duration" in serve)
    command = [sys.executable, "-c", "from devkit.cli import main; main()", *serve[1:]]
    command += ["--port", "0", "--emulator-port", "0"]
    env = {k: v for k, v in os.environ.items() if not k.startswith("OPSFN_")}
    done = subprocess.run(command, cwd=REPO, env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip().endswith("stopped")
    assert "workflow offboard_then_reconcile:" in done.stdout


@pytest.mark.skipif(
    os.environ.get("OPSFN_QUICKSTART") != "1", reason="set OPSFN_QUICKSTART=1 (about a minute)"
)
def test_first_command_in_a_fresh_copy_and_fresh_venv(tmp_path: Path) -> None:
    """Command 1 verbatim in a clean copy of the tracked files, with a bare environment."""
    copy = tmp_path / "repo"
    archive = subprocess.run(["git", "archive", "HEAD"], cwd=REPO, capture_output=True, check=True).stdout
    copy.mkdir()
    subprocess.run(["tar", "-x", "-C", str(copy)], input=archive, check=True)
    python3 = shutil.which("python3")
    assert python3 is not None
    env = {"HOME": str(tmp_path / "home"), "PATH": f"{Path(python3).parent}:/usr/bin:/bin"}
    install, _ = _quickstart()
    done = subprocess.run(
        ["bash", "-c", install], cwd=copy, env=env, capture_output=True, text=True, timeout=900
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.strip().endswith("stopped")
