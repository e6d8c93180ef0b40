"""Fixtures for the license_* handler and acceptance tests: the functions wired to a fresh emulator.

:func:`wired` gives a test what ``opsfn invoke`` gives a developer - the emulator behind the process-wide
transport, a webhook secret, an idempotency store, an SMN topic - plus helpers to build and sign events in
the platforms' real envelopes. Nothing here is autouse, so the logic tests in this folder are unaffected.
"""

from __future__ import annotations

import base64
import json
import time
import uuid
from collections.abc import AsyncIterator, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pytest

from devkit.emulator.core import Emulator
from devkit.emulator.services.ide import IdeBackend
from devkit.emulator.services.smn import PublishedMessage, SmnService
from shared.clients.ide import IdeClient
from shared.clients.smn import SmnClient
from shared.config import Settings
from shared.http import use_transport
from shared.idempotency import reset_store_cache
from shared.triggers import parse_event
from shared.verify import sign_standard_webhook
from tests.idempotency.conftest import redis_url  # noqa: F401 - the real redis-server fixture, reused

PROJECT = "4c7e1a9d2b5f48e3a6c0d9f2b8e1a7c3"
WEBHOOK_SECRET = "whsec_" + base64.b64encode(b"opsfn-license-tests-signing-key!").decode()
TOPIC = "opsfn-licenses"
_PLATFORM_MARKERS = ("RUNTIME_FUNC_NAME", "RUNTIME_PROJECT_ID", "RUNTIME_CODE_ROOT", "TENCENTCLOUD_RUNENV")


def machine(n: int) -> str:
    """A valid 64-character machine code, distinct per ``n``."""
    return f"{n:064x}"


# -- logic-test fixtures: clients for the project named by the test module's ``PROJECT`` ---------------


@pytest.fixture
def project(request: pytest.FixtureRequest) -> str:
    return str(getattr(request.module, "PROJECT", PROJECT))


@pytest.fixture
def settings(monkeypatch: pytest.MonkeyPatch, project: str) -> Settings:
    monkeypatch.setenv("HUAWEICLOUD_SDK_PROJECT_ID", project)
    return Settings.from_env()


@pytest.fixture
def backend(emulator: Emulator, project: str) -> IdeBackend:
    backend: IdeBackend = emulator.service("ide").backend(project)
    return backend


@pytest.fixture
async def ide(settings: Settings, emulator: Emulator) -> AsyncIterator[IdeClient]:
    async with IdeClient.from_settings(settings, transport=emulator.transport()) as client:
        yield client


@pytest.fixture
async def clients(settings: Settings, emulator: Emulator) -> AsyncIterator[tuple[IdeClient, SmnClient, str]]:
    transport = emulator.transport()
    async with (
        IdeClient.from_settings(settings, transport=transport) as ide,
        SmnClient.from_settings(settings, transport=transport) as smn,
    ):
        yield ide, smn, await smn.create_topic(TOPIC)


def user(n: int) -> str:
    return f"user{n:05d}"


def purchase_body(n: int, **extra: Any) -> dict[str, Any]:
    return {"request_id": f"req-{n}", "user_id": user(n), "machine_code": machine(n), **extra}


def sign(
    event: dict[str, Any],
    *,
    msg_id: str | None = None,
    timestamp: int | None = None,
    secret: str = WEBHOOK_SECRET,
) -> dict[str, Any]:
    """A copy of an HTTP event carrying fresh Standard Webhooks headers over its exact body bytes."""
    body = parse_event(event).body
    headers = sign_standard_webhook(
        secret,
        msg_id or f"msg_{uuid.uuid4().hex}",
        int(time.time()) if timestamp is None else timestamp,
        body,
    )
    return {**event, "headers": {**dict(event.get("headers") or {}), **headers}}


def webhook(path: str, body: Any, **sign_args: Any) -> dict[str, Any]:
    """A signed local webhook (what ``opsfn serve`` hands the function) with a JSON or raw body."""
    raw = body if isinstance(body, str) else json.dumps(body)
    event = {
        "opsfn": "webhook",
        "method": "POST",
        "path": path,
        "headers": {"Content-Type": "application/json"},
        "query": {},
        "body": raw,
        "isBase64Encoded": False,
    }
    return sign(event, **sign_args)


def kafka(messages: Sequence[Any], topic: str = "license-purchase-requests") -> dict[str, Any]:
    """A FunctionGraph DMS Kafka event; dict messages are sent as compact JSON strings."""
    texts = [m if isinstance(m, str) else json.dumps(m, separators=(",", ":")) for m in messages]
    return {
        "event_version": "v1.0",
        "event_time": int(time.time()),
        "trigger_type": "KAFKA",
        "region": "cn-north-4",
        "instance_id": "5b1e9d3a-7c2f-4a6e-9b1d-3f5a7c9e1b2d",
        "records": [{"messages": texts, "topic_id": topic}],
    }


def timer(user_event: Mapping[str, Any] | str) -> dict[str, Any]:
    """A FunctionGraph timer event whose ``user_event`` is the given JSON (or text)."""
    text = user_event if isinstance(user_event, str) else json.dumps(user_event)
    return {
        "version": "v1.0",
        "time": "2026-11-23T02:30:00+00:00",
        "trigger_type": "TIMER",
        "trigger_name": "daily",
        "user_event": text,
    }


def http_body(response: Mapping[str, Any]) -> Any:
    """The JSON body of a platform HTTP response."""
    return json.loads(response["body"])


@dataclass
class Wired:
    """The emulator the functions talk to, and views of its state."""

    emulator: Emulator
    topic_urn: str

    @property
    def ide(self) -> IdeBackend:
        backend: IdeBackend = self.emulator.service("ide").backend(PROJECT)
        return backend

    def bound(self) -> dict[str, tuple[str, str]]:
        """licence id -> (user, machine) of every licence bound to a machine."""
        return {lid: (r.user_id, r.machine_code) for lid, r in self.ide.licenses.items() if r.machine_code}

    def notifications(self) -> list[PublishedMessage]:
        smn = self.emulator.service("smn")
        assert isinstance(smn, SmnService)
        return smn.messages(self.topic_urn)


@pytest.fixture
def wired(monkeypatch: pytest.MonkeyPatch, emulator: Emulator) -> Iterator[Wired]:
    """The functions' environment: emulator transport, project, secret, memory store, SMN topic."""
    for name in (*_PLATFORM_MARKERS, "OPSFN_ROSTER_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HUAWEICLOUD_SDK_PROJECT_ID", PROJECT)
    monkeypatch.setenv("OPSFN_WEBHOOK_SECRET", WEBHOOK_SECRET)
    monkeypatch.setenv("OPSFN_IDEMPOTENCY_STORE", "memory://")
    smn = emulator.service("smn")
    assert isinstance(smn, SmnService)
    topic, _ = smn.backend(PROJECT).create_topic(TOPIC)
    monkeypatch.setenv("OPSFN_SMN_TOPIC_URN", topic.topic_urn)
    reset_store_cache()
    with use_transport(emulator.transport()):
        yield Wired(emulator, topic.topic_urn)
    reset_store_cache()
