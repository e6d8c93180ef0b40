"""Fixtures for api_publish: the function wired to a fresh emulator, a group, and signed webhook events."""

from __future__ import annotations

import hashlib
import hmac
import json
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from devkit.emulator.core import Emulator
from devkit.emulator.services.apig import DEFAULT_INSTANCE_ID, RELEASE_ENV_ID, ApigBackend, Instance
from devkit.emulator.services.apig.handlers.groups import new_group
from shared.http import use_transport
from shared.idempotency import reset_store_cache

PROJECT = "5d8e2b1c9a7f4e3d8c6b5a4f3e2d1c0b"
SECRET = "api-publish-test-secret"
GROUP = "shop"


def api_doc(n: int, *, prefix: str = "shop_", version: str = "v1", start: int = 0) -> dict[str, Any]:
    """A Swagger 2.0 document with ``n`` MOCK APIs whose answers carry ``version``."""
    paths: dict[str, Any] = {}
    for i in range(start, start + n):
        paths[f"/items{i}"] = {
            "get": {
                "operationId": f"{prefix}item{i}",
                "description": f"item {i}",
                "x-apigateway-backend": {
                    "type": "MOCK",
                    "mockEndpoints": {"result-content": json.dumps({"item": i, "version": version})},
                },
            }
        }
    return {"swagger": "2.0", "info": {"title": "shop", "version": "1"}, "paths": paths}


def github_event(body: dict[str, Any], *, secret: str = SECRET) -> dict[str, Any]:
    raw = json.dumps(body).encode()
    signature = "sha256=" + hmac.new(secret.encode(), raw, hashlib.sha256).hexdigest()
    return {
        "opsfn": "webhook",
        "method": "POST",
        "path": "/hooks/api/publish",
        "headers": {
            "Content-Type": "application/json",
            "X-Hub-Signature-256": signature,
            "X-GitHub-Delivery": str(uuid.uuid4()),
            "X-GitHub-Event": "push",
        },
        "query": {},
        "body": raw.decode(),
        "isBase64Encoded": False,
    }


@dataclass
class Env:
    emulator: Emulator
    group_id: str
    write_log: list[str]

    @property
    def backend(self) -> ApigBackend:
        backend: ApigBackend = self.emulator.service("apig").backend(PROJECT)
        return backend

    @property
    def instance(self) -> Instance:
        return self.backend.instances[DEFAULT_INSTANCE_ID]

    def request(self, document: dict[str, Any], commit: str, **extra: Any) -> dict[str, Any]:
        return {
            "commit": commit,
            "document": {"inline": document},
            "target": {"cloud": "huawei", "group_id": self.group_id, "environments": ["RELEASE"]},
            **extra,
        }

    def online(self) -> dict[str, dict[str, Any]]:
        """API name -> the definition in effect in RELEASE."""
        inst = self.instance
        return {
            rec["api_name"]: inst.definition(rec)
            for (api_id, env), rec in inst.publishes.items()
            if env == RELEASE_ENV_ID and inst.apis.get(api_id) is not None
        }

    def writes(self) -> int:
        """Write calls (anything but GET) that reached the APIG management service."""
        return len(self.write_log)


def _count(call: Any, writes: list[str]) -> None:
    if call.service == "apig" and call.method != "GET" and call.operation != "DebugApiV2":
        writes.append(call.operation)


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch, emulator: Emulator) -> Iterator[Env]:
    for name in ("RUNTIME_FUNC_NAME", "RUNTIME_PROJECT_ID", "TENCENTCLOUD_RUNENV", "OPSFN_PUBLISH_CONFIG"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HUAWEICLOUD_SDK_PROJECT_ID", PROJECT)
    monkeypatch.setenv("OPSFN_WEBHOOK_SECRET", SECRET)
    monkeypatch.setenv("OPSFN_IDEMPOTENCY_STORE", "memory://")
    monkeypatch.setenv("OPSFN_APIG_INSTANCE_ID", DEFAULT_INSTANCE_ID)
    backend: ApigBackend = emulator.service("apig").backend(PROJECT)
    inst = backend.instances[DEFAULT_INSTANCE_ID]
    group = new_group(inst, GROUP, "")
    writes: list[str] = []
    emulator.before_dispatch.append(lambda call: _count(call, writes))
    reset_store_cache()
    with use_transport(emulator.transport()):
        yield Env(emulator, group["id"], writes)
    reset_store_cache()


class Crash(BaseException):
    """A simulated process death: not an Exception, so nothing in the function catches it."""


async def nosleep(_: float) -> None:
    return None


async def crashing_run(
    target: Any, doc: dict[str, Any], journal: Any, crash_at: str | None
) -> dict[str, Any]:
    """One apply+prune delivery of ``doc`` ("commit-2") that dies at step ``crash_at``.

    The answer's ``http_status`` is 0 after a crash and 503 after a fault outside the rollback's reach
    (the sender retries both).
    """
    from functions.api_publish.engine import RunInput, run
    from functions.api_publish.spec import parse_document

    async def checkpoint(step: str) -> None:
        if step == crash_at:
            raise Crash(step)

    inp = RunInput("commit-2", parse_document(doc), doc, "apply", True)
    try:
        return await run(target, inp, journal, checkpoint)
    except Crash:
        return {"http_status": 0}
    except Exception as exc:
        return {"http_status": 503, "error": repr(exc)}
