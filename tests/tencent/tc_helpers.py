"""Helpers shared by the Tencent API gateway tests (imported by name; the folder is on ``sys.path``)."""

from __future__ import annotations

import httpx

from devkit.emulator.core import Emulator
from devkit.emulator.credentials import DEMO_TENCENT_SECRET_ID, DEMO_TENCENT_SECRET_KEY
from devkit.emulator.registry import build_emulator
from devkit.emulator.services.tencent_apigw.state import Quotas, TencentApigwBackend
from shared.auth import TencentTC3Auth
from shared.clients.tencent_apigw import ApiSpec, RequestConfig
from shared.http import make_client

REGION = "ap-guangzhou"
ENDPOINT = "https://apigateway.tencentcloudapi.com"


def build_tencent_emulator(*, tencent_apigw_quotas: Quotas | None = None) -> Emulator:
    """The full emulator (every service, verification, faults), optionally with other Tencent quotas."""
    if tencent_apigw_quotas is None:
        return build_emulator()
    return build_emulator(tencent_apigw_quotas=tencent_apigw_quotas)


def emulator_account(emulator: Emulator) -> str:
    assert emulator.credentials is not None
    account = emulator.credentials.tencent_account(DEMO_TENCENT_SECRET_ID)
    assert account
    return account


def backend_of(emulator: Emulator, region: str = REGION) -> TencentApigwBackend:
    backend: TencentApigwBackend = emulator.service("tencent_apigw").backend(
        f"{emulator_account(emulator)}/{region}"
    )
    return backend


def raw_client(
    emulator: Emulator, *, region: str | None = REGION, secret_key: str = DEMO_TENCENT_SECRET_KEY
) -> httpx.AsyncClient:
    """A TC3-signing client for hand-built requests (wire-level tests)."""
    auth = TencentTC3Auth(DEMO_TENCENT_SECRET_ID, secret_key, "apigateway", region=region)
    return make_client(ENDPOINT, auth, service="tencent_apigw", transport=emulator.transport())


def mock_api(
    path: str = "/hello", *, name: str | None = None, auth_type: str = "SECRET", body: str = '{"ok":true}'
) -> ApiSpec:
    return ApiSpec(
        api_name=name or path.strip("/").replace("/", "_") or "root",
        request_config=RequestConfig(path=path, method="GET"),
        service_type="MOCK",
        service_mock_return_message=body,
        auth_type=auth_type,
    )
