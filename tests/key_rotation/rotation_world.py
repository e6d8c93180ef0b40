"""A world to rotate in: CSMS secrets for each kind, the gateways they drive, and callers that prove it.

Everything runs in-process on one emulator. Time is a :class:`FakeClock` shared by the function (waits,
grace windows, the lock) and the CSMS emulator (version and stage times), so nothing sleeps for real. The
signature-key backend verifies with whatever CSMS calls current or pending *right now*, i.e. a backend whose
refresh interval has passed.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass, field
from typing import Any

import httpx
import structlog

from devkit.emulator.core import Emulator, json_response
from devkit.emulator.services.apig.gateway import GATEWAY_PREFIX
from devkit.emulator.services.apig.state import DEFAULT_INSTANCE_ID
from functions.key_rotation.engine import Options
from functions.key_rotation.handler import run_job
from functions.key_rotation.models import PENDING_STAGE, RotationAnswer, RotationJob
from shared.auth import HuaweiAKSKAuth, TencentApigwKeyAuth
from shared.clients.apig import ApigClient
from shared.clients.csms import CsmsClient
from shared.clients.tencent_apigw import ApiSpec, RequestConfig, ServiceConfig, TencentApigwClient
from shared.config import Settings
from shared.http import get_default_transport
from shared.idempotency.memory import MemoryStore
from shared.verify import verify_apig_backend_request
from tests.apig.apig_bodies import mock_api

PROJECT = "7d1e5a3c9b2f40e8a6c4d2b0f8e6a4c2"
BASE = "http://gateway.opsfn.local"


class FakeClock:
    def __init__(self, start: float = 1_700_000_000.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.now += max(seconds, 0.0)


async def no_sleep(_: float) -> None:
    """Client retries back off on the fake clock only."""


@dataclass
class World:
    emulator: Emulator
    settings: Settings
    clock: FakeClock
    store: MemoryStore = field(default_factory=MemoryStore)
    secrets: dict[str, str] = field(default_factory=dict)  # secret name -> kind

    def options(self, **changes: Any) -> Options:
        return Options(clock=self.clock, sleep=self.clock.sleep, **changes)

    async def rotate(self, name: str, rotation_id: str | None = None, **opts: Any) -> RotationAnswer:
        job = RotationJob(secret_name=name, **({"rotation_id": rotation_id} if rotation_id else {}))
        return await run_job(
            self.settings, job, self.options(**opts), structlog.get_logger("test"), self.store
        )

    async def rotate_plan(self, name: str) -> RotationAnswer:
        job = RotationJob(secret_name=name, mode="plan")
        return await run_job(self.settings, job, self.options(), structlog.get_logger("test"), self.store)

    # ---- reading state directly (never through a faulty transport)
    def csms_state(self, name: str) -> Any:
        return self.emulator.service("csms").backend(PROJECT).secrets[name]

    def stage_value(self, name: str, stage: str) -> dict[str, Any] | None:
        secret = self.csms_state(name)
        entry = secret.stages.get(stage)
        if entry is None:
            return None
        return dict(json.loads(secret.version(entry[0]).secret_string))

    def values(self, name: str, *stages: str) -> list[dict[str, Any]]:
        return [v for v in (self.stage_value(name, s) for s in stages) if v is not None]


def install_backend(world: World, secret_name: str) -> None:
    """The web backend behind the signature-key API: accepts what CSMS calls current or pending now."""

    def backend(request: httpx.Request) -> httpx.Response:
        keys = [
            (v["sign_key"], v["sign_secret"]) for v in world.values(secret_name, "SYSCURRENT", PENDING_STAGE)
        ]
        try:
            key = verify_apig_backend_request(request, keys)
        except Exception:
            return json_response(401, {"valid": False})
        return json_response(200, {"valid": True, "key": key})

    world.emulator.service("apig").backend(PROJECT).http_backend = backend


async def enrol(
    world: World, name: str, value: dict[str, Any], *, previous: dict[str, Any] | None = None, **tags: str
) -> None:
    """Create the CSMS secret (``previous`` first, so it becomes SYSPREVIOUS) and tag it."""
    async with CsmsClient.from_settings(world.settings) as csms:
        first = previous or value
        secret = await csms.create_secret(name, secret_string=json.dumps({**first, "rotation_id": "enrol"}))
        if previous is not None:
            await csms.create_secret_version(
                name, secret_string=json.dumps({**value, "rotation_id": "enrol"})
            )
        all_tags = {
            "rotation": "enabled",
            "owner": "platform",
            **{k.replace("_", "-"): v for k, v in tags.items()},
        }
        await csms.batch_create_or_delete_tags(secret.id, "create", all_tags)
    world.secrets[name] = str(value["kind"])
    world.clock.now += 2 * 3600  # enrolled a while ago: no grace window is running


async def setup_signature_key(world: World, name: str = "sig-secret", **tags: str) -> dict[str, Any]:
    async with ApigClient.from_settings(world.settings) as apig:
        group = await apig.create_group(f"g_{name.replace('-', '_')}")
        api = await apig.create_api(_http_api(group.id))
        record = await apig.publish_api(api.id)
        key = await apig.create_signature_key(
            f"k_{name.replace('-', '_')}", sign_key="initialkey01", sign_secret="initialsecret000001"
        )
        await apig.bind_signature_key(key.id, [record.publish_id])
    value = {
        "kind": "apig-signature-key",
        "instance_id": DEFAULT_INSTANCE_ID,
        "sign_id": key.id,
        "sign_name": key.name,
        "sign_key": "initialkey01",
        "sign_secret": "initialsecret000001",
        "refresh_seconds": 60,
        "test_url": f"{BASE}{GATEWAY_PREFIX}/{group.id}/svc",
    }
    install_backend(world, name)
    await enrol(world, name, value, **tags)
    return value


def _http_api(group_id: str) -> dict[str, Any]:
    return {
        "group_id": group_id,
        "name": "signed_api",
        "type": 1,
        "req_protocol": "HTTPS",
        "req_method": "GET",
        "req_uri": "/svc",
        "auth_type": "NONE",
        "backend_type": "HTTP",
        "backend_api": {
            "url_domain": "backend.example.com",
            "req_protocol": "HTTPS",
            "req_method": "GET",
            "req_uri": "/svc",
            "timeout": 5000,
        },
    }


async def setup_app(world: World, name: str = "app-secret", strategy: str = "alternating") -> dict[str, Any]:
    async with ApigClient.from_settings(world.settings) as apig:
        group = await apig.create_group(f"g_{name.replace('-', '_')}")
        api = await apig.create_api(
            mock_api(group.id, "app_api", "/orders", auth_type="APP", mock_info={"result_content": "ok"})
        )
        await apig.publish_api(api.id)
        a = await apig.create_app(f"a_{name.replace('-', '_')}", app_secret="appsecretA0001")
        b = await apig.create_app(f"b_{name.replace('-', '_')}", app_secret="appsecretB0001")
        await apig.authorize_apps([api.id], [a.id, b.id])
    url = f"{BASE}{GATEWAY_PREFIX}/{group.id}/orders"
    value = {
        "kind": "apig-app",
        "instance_id": DEFAULT_INSTANCE_ID,
        "app_id": a.id,
        "app_key": a.app_key,
        "app_secret": "appsecretA0001",
        "test_url": url,
    }
    if strategy == "alternating":
        value["app_ids"] = [a.id, b.id]
        idle = {**value, "app_id": b.id, "app_key": b.app_key, "app_secret": "appsecretB0001"}
        await enrol(world, name, value, previous=idle, rotation_strategy=strategy)
    else:
        await enrol(world, name, value, rotation_strategy=strategy)
    return value


async def setup_tencent(world: World, name: str = "tc-secret") -> dict[str, Any]:
    async with TencentApigwClient.from_settings(world.settings) as tc:
        service = await tc.create_service(f"svc{len(world.secrets)}")
        spec = ApiSpec(
            api_name="hello",
            auth_type="SECRET",
            service_type="MOCK",
            service_mock_return_message='{"hi":1}',
            request_config=RequestConfig(path="/hello", method="GET"),
            service_config=ServiceConfig(path="/", method="GET"),
        )
        await tc.create_api(service.service_id, spec)
        await tc.release_service(service.service_id, "release", "r1")
        plan = await tc.create_usage_plan(f"plan{len(world.secrets)}")
        key = await tc.create_api_key(
            f"rot-{name}",
            access_key_type="manual",
            access_key_id="initialkey",
            access_key_secret="initialsecret0",
        )
        await tc.bind_secret_ids(plan.usage_plan_id, [key.access_key_id])
        await tc.bind_environment([plan.usage_plan_id], service.service_id, "release")
    value = {
        "kind": "tencent-api-key",
        "access_key_id": "initialkey",
        "access_key_secret": "initialsecret0",
        "key_name": f"rot-{name}",
        "usage_plan_ids": [plan.usage_plan_id],
        "test_url": f"{BASE}/tencent-apigw/{service.service_id}/release/hello",
    }
    await enrol(world, name, value)
    return value


async def call_ok(value: dict[str, Any]) -> bool:
    """Whether a caller holding ``value`` gets through the gateway (signature keys: no caller auth)."""
    auth: httpx.Auth | None = None
    if value["kind"] == "apig-app":
        auth = HuaweiAKSKAuth(value["app_key"], value["app_secret"])
    elif value["kind"] == "tencent-api-key":
        auth = TencentApigwKeyAuth(value["access_key_id"], value["access_key_secret"])
    async with httpx.AsyncClient(transport=get_default_transport()) as client:
        response = await client.get(value["test_url"], auth=auth)
    return response.status_code < 300


class Crash(BaseException):
    """The function instance died: nothing after this point runs."""


class ChaosTransport(httpx.AsyncBaseTransport):
    def __init__(self, inner: httpx.AsyncBaseTransport, rng: random.Random, rate: float) -> None:
        self.inner, self.rng, self.rate = inner, rng, rate
        self.crash_at = -1
        self.calls = 0
        self.faults = 0

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.calls += 1
        if self.calls == self.crash_at:
            if self.rng.random() < 0.5:
                await self.inner.handle_async_request(request)  # the write happened, its answer is lost
            raise Crash
        if self.rng.random() < self.rate:
            self.faults += 1
            kind = self.rng.choice(("5xx", "timeout", "lost"))
            if kind == "5xx":
                return httpx.Response(503, json={"error_code": "SYS.0503", "error_msg": "unavailable"})
            if kind == "lost":
                await self.inner.handle_async_request(request)
            raise httpx.ReadTimeout("injected", request=request)
        return await self.inner.handle_async_request(request)
