"""CLI test fixtures: a synthetic project (see ``_cli_helpers``), a CliRunner, an isolated environment."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from _cli_helpers import Project, make_project
from click.testing import CliRunner


@pytest.fixture
def project(tmp_path: Path) -> Iterator[Project]:
    made = make_project(tmp_path)
    yield made
    if str(made.root) in sys.path:
        sys.path.remove(str(made.root))
    for name in [m for m in sys.modules if m == made.package or m.startswith(made.package + ".")]:
        del sys.modules[name]


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


@pytest.fixture(autouse=True)
def isolated_cli_env(isolated_env: None) -> None:
    """Every CLI test runs in the isolated environment of ``tests/conftest.py``."""
