"""Fixtures shared by every test area.

Every test runs with the demo cloud credentials in the environment (``HUAWEICLOUD_SDK_AK`` ... and
``TENCENTCLOUD_SECRET_ID`` ...), so code that reads the clouds' own variables signs with exactly the keys a
fresh emulator accepts, and real keys from a developer's shell can never reach a test, a log or a cloud.
A test that needs a variable unset calls ``monkeypatch.delenv`` itself.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from devkit.emulator.core import Emulator
from devkit.emulator.credentials import (
    DEMO_HUAWEI_AK,
    DEMO_HUAWEI_SK,
    DEMO_REGION,
    DEMO_TENCENT_SECRET_ID,
    DEMO_TENCENT_SECRET_KEY,
)
from devkit.emulator.registry import build_emulator

_DEMO_ENV = {
    "HUAWEICLOUD_SDK_AK": DEMO_HUAWEI_AK,
    "HUAWEICLOUD_SDK_SK": DEMO_HUAWEI_SK,
    "HUAWEICLOUD_SDK_REGION": DEMO_REGION,
    "TENCENTCLOUD_SECRET_ID": DEMO_TENCENT_SECRET_ID,
    "TENCENTCLOUD_SECRET_KEY": DEMO_TENCENT_SECRET_KEY,
}
_CLEARED = (
    "HUAWEICLOUD_SDK_SECURITY_TOKEN",
    "HUAWEICLOUD_SDK_PROJECT_ID",
    "TENCENTCLOUD_SESSIONTOKEN",
    "TENCENTCLOUD_SECRETID",
    "TENCENTCLOUD_SECRETKEY",
    "OPSFN_EMULATOR_IAM_DOMAIN",
    "OPSFN_EMULATOR_IAM_USER",
    "OPSFN_EMULATOR_IAM_PASSWORD",
)


@pytest.fixture(autouse=True)
def demo_cloud_env(monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """Replace any real cloud credentials in the environment with the emulator's demo values."""
    for name in _CLEARED:
        monkeypatch.delenv(name, raising=False)
    for name, value in _DEMO_ENV.items():
        monkeypatch.setenv(name, value)
    return dict(_DEMO_ENV)


@pytest.fixture
def emulator() -> Emulator:
    """A fresh emulator with every service, demo credentials and an empty fault injector."""
    return build_emulator()


@pytest.fixture
def emulator_transport(emulator: Emulator) -> httpx.MockTransport:
    """The in-process transport for ``httpx.AsyncClient(transport=...)`` / ``make_client(transport=...)``."""
    return emulator.transport()


@pytest.fixture
def emulator_server(emulator: Emulator) -> Iterator[str]:
    """The same emulator served on a free loopback port (for the official SDKs); yields the base URL."""
    from devkit.emulator.server import running_server

    with running_server(emulator) as base_url:
        yield base_url


_PLATFORM_VARIABLES = (
    "RUNTIME_FUNC_NAME",
    "RUNTIME_PROJECT_ID",
    "RUNTIME_CODE_ROOT",
    "TENCENTCLOUD_RUNENV",
    "OPSFN_WEBHOOK_SECRET",
    "OPSFN_IDEMPOTENCY_STORE",
)


@pytest.fixture
def isolated_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    """No platform markers or endpoint overrides from the shell; idempotency state in the test's folder."""
    import os

    from shared.idempotency import reset_store_cache

    for name in list(os.environ):
        if name.startswith("OPSFN_ENDPOINT_") or name in _PLATFORM_VARIABLES:
            monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("OPSFN_STATE_DIR", str(tmp_path / "state"))
    reset_store_cache()
    yield
    reset_store_cache()


@pytest.fixture
def log_buffer() -> Iterator[io.StringIO]:
    """Every log line at DEBUG, as the JSON text the functions write, for a test to read; INFO after."""
    from shared.log import configure_logging

    buffer = io.StringIO()
    configure_logging("DEBUG", stream=buffer)
    try:
        yield buffer
    finally:
        configure_logging("INFO")
