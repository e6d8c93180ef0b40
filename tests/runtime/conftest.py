"""Runtime test fixtures: an isolated environment, captured JSON log lines, the webhook secret."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from typing import Any

import pytest
from _runtime_helpers import WEBHOOK_SECRET

from shared.idempotency import reset_store_cache
from shared.log import configure_logging, forget_secrets

_PLATFORM_MARKERS = (
    "RUNTIME_FUNC_NAME",
    "RUNTIME_PROJECT_ID",
    "RUNTIME_CODE_ROOT",
    "TENCENTCLOUD_RUNENV",
    "OPSFN_WEBHOOK_SECRET",
    "OPSFN_STATE_DIR",
)


@pytest.fixture(autouse=True)
def isolated_runtime_env(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """No platform markers, an in-memory idempotency store, a fresh store cache."""
    for name in _PLATFORM_MARKERS:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("OPSFN_IDEMPOTENCY_STORE", "memory://")
    reset_store_cache()
    yield
    reset_store_cache()


class LogCapture:
    def __init__(self) -> None:
        self.buffer = io.StringIO()

    @property
    def text(self) -> str:
        return self.buffer.getvalue()

    def lines(self) -> list[dict[str, Any]]:
        return [json.loads(line) for line in self.text.splitlines() if line.strip()]

    def summaries(self) -> list[dict[str, Any]]:
        return [line for line in self.lines() if line.get("event") == "invocation"]


@pytest.fixture
def logs() -> Iterator[LogCapture]:
    capture = LogCapture()
    configure_logging("DEBUG", stream=capture.buffer)
    try:
        yield capture
    finally:
        configure_logging("INFO")
        forget_secrets()


@pytest.fixture
def webhook_secret(monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("OPSFN_WEBHOOK_SECRET", WEBHOOK_SECRET)
    return WEBHOOK_SECRET
