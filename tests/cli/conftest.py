"""CLI test fixtures: a synthetic project (see ``_cli_helpers``), a CliRunner, an isolated environment."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from _cli_helpers import Project, make_project
from click.testing import CliRunner

from shared.idempotency import reset_store_cache


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
def isolated_cli_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    """No platform markers, no endpoint overrides, state in the test's own folder."""
    import os

    for name in list(os.environ):
        if name.startswith("OPSFN_ENDPOINT_") or name in (
            "RUNTIME_FUNC_NAME",
            "RUNTIME_PROJECT_ID",
            "RUNTIME_CODE_ROOT",
            "TENCENTCLOUD_RUNENV",
            "OPSFN_WEBHOOK_SECRET",
            "OPSFN_IDEMPOTENCY_STORE",
        ):
            monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("OPSFN_STATE_DIR", str(tmp_path / "state"))
    reset_store_cache()
    yield
    reset_store_cache()
