"""Secrets from the clouds' secret facilities reach the function: FunctionGraph (encrypted) user data through
``context.getUserData``, and a CSMS secret named by ``OPSFN_SECRETS_CSMS`` read once per instance, every
value masked in the logs and a failure reported by the secret's name only."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from _runtime_helpers import WEBHOOK_SECRET, body_of, signed
from pydantic import BaseModel

from devkit.emulator.core import Emulator
from devkit.emulator.credentials import DEMO_HUAWEI_AK, DEMO_HUAWEI_SK
from devkit.fake_contexts import FakeFunctionGraphContext
from shared.clients.csms import CsmsClient
from shared.config import Settings
from shared.http import use_transport
from shared.runtime import FunctionApp, Invocation
from shared.runtime.secret_sources import ContextEnvironment, forget_loaded

SECRET_NAME = "opsfn-hook-settings"
REDIS_URL = "redis://:dcs-pass-9f3e1a77@10.0.0.5:6379/0"


class Ping(BaseModel):
    name: str = "ping"


@pytest.fixture(autouse=True)
def fresh_sources(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.delenv("OPSFN_SECRETS_CSMS", raising=False)
    forget_loaded()
    yield
    forget_loaded()


def hook_app(seen: list[Invocation] | None = None) -> FunctionApp:
    app = FunctionApp("hook", store="memory://")

    @app.http(model=Ping, verify="standard_webhooks")
    async def on_hook(req: Ping, inv: Invocation) -> dict[str, Any]:
        if seen is not None:
            seen.append(inv)
        inv.log.info("handled", name=req.name)
        return {"hello": req.name}

    return app


def test_webhook_secret_from_functiongraph_user_data_without_environment(logs: Any) -> None:
    event = signed(b'{"name": "fg"}')
    with_data = FakeFunctionGraphContext(user_data={"OPSFN_WEBHOOK_SECRET": WEBHOOK_SECRET})
    response = hook_app().invoke_local(event, with_data)
    assert response["statusCode"] == 200, body_of(response)
    assert body_of(response) == {"hello": "fg"}
    # Without the user data the same request cannot be verified: the context really was the source.
    unconfigured = hook_app().invoke_local(event, FakeFunctionGraphContext())
    assert unconfigured["statusCode"] == 500
    assert WEBHOOK_SECRET not in logs.text


def test_context_user_data_wins_over_the_environment_which_stays_the_fallback() -> None:
    env = {"OPSFN_LOG_LEVEL": "DEBUG", "OPSFN_SMN_TOPIC_URN": "urn:smn:r:p:env"}
    context = FakeFunctionGraphContext(user_data={"OPSFN_SMN_TOPIC_URN": "urn:smn:r:p:ctx"})
    settings = Settings.from_env(ContextEnvironment(context, env))
    assert (settings.smn_topic_urn, settings.log_level) == ("urn:smn:r:p:ctx", "DEBUG")

    class Broken:
        def getUserData(self, key: str) -> str:
            raise RuntimeError("runtime hiccup")

    assert Settings.from_env(ContextEnvironment(Broken(), env)).smn_topic_urn == "urn:smn:r:p:env"
    assert Settings.from_env(ContextEnvironment({"request_id": "scf"}, env)).smn_topic_urn.endswith(":env")


def project_of(emulator: Emulator) -> str:
    assert emulator.credentials is not None
    return emulator.credentials.projects()[0].id


def store_secret(transport: httpx.MockTransport, project: str, value: str) -> None:
    settings = Settings.from_env({"HUAWEICLOUD_SDK_AK": DEMO_HUAWEI_AK, "HUAWEICLOUD_SDK_SK": DEMO_HUAWEI_SK})
    settings = settings.replace(project_id=project)

    async def create() -> None:
        with use_transport(transport):
            async with CsmsClient.from_settings(settings) as csms:
                await csms.create_secret(SECRET_NAME, secret_string=value)

    asyncio.run(create())


def agency_context(project: str, **user_data: str) -> FakeFunctionGraphContext:
    """The function's agency credentials come only from the context (none in the environment)."""
    return FakeFunctionGraphContext(
        security_access_key=DEMO_HUAWEI_AK,
        security_secret_key=DEMO_HUAWEI_SK,
        project_id=project,
        user_data=user_data,
    )


@pytest.fixture
def no_env_keys(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("HUAWEICLOUD_SDK_AK")
    monkeypatch.delenv("HUAWEICLOUD_SDK_SK")
    monkeypatch.delenv("OPSFN_IDEMPOTENCY_STORE")


def test_csms_secret_read_once_per_instance_with_agency_keys_and_masked(
    emulator: Emulator, emulator_transport: httpx.MockTransport, logs: Any, no_env_keys: None
) -> None:
    project = project_of(emulator)
    value = {"OPSFN_WEBHOOK_SECRET": WEBHOOK_SECRET, "OPSFN_IDEMPOTENCY_STORE": REDIS_URL}
    store_secret(emulator_transport, project, json.dumps(value))
    reads: list[str] = []

    def counting(request: httpx.Request) -> httpx.Response:
        reads.append(request.url.path)
        return emulator.handle(request)

    seen: list[Invocation] = []
    app = hook_app(seen)
    context = agency_context(project, OPSFN_SECRETS_CSMS=SECRET_NAME)
    with use_transport(httpx.MockTransport(counting)):
        first = app.invoke_local(signed(b'{"name": "one"}', "m1"), context)
        second = app.invoke_local(signed(b'{"name": "two"}', "m2"), context)
    assert (first["statusCode"], second["statusCode"]) == (200, 200), body_of(first)
    seen[0].log.info("store in use", url=seen[0].settings.idempotency_store)
    assert seen[1].settings.idempotency_store == REDIS_URL
    assert [p for p in reads if "/secrets/" in p] == [
        f"/v1/{project}/secrets/{SECRET_NAME}/stages/SYSCURRENT",
        f"/v1/{project}/secrets/{SECRET_NAME}/versions/" + reads[1].rsplit("/", 1)[-1],
    ]
    assert "store in use" in logs.text
    for secret in (WEBHOOK_SECRET, REDIS_URL, "dcs-pass-9f3e1a77"):
        assert secret not in logs.text


@pytest.mark.parametrize(
    ("stored", "reason"),
    [
        (None, "cannot read it"),
        ("not json " + REDIS_URL, "not JSON"),
        (json.dumps([REDIS_URL]), "not a JSON object"),
        (
            json.dumps({"OPSFN_IDEMPOTENCY_STORE": 7, "bad-name": REDIS_URL}),
            "'OPSFN_IDEMPOTENCY_STORE', 'bad-name'",
        ),
    ],
)
def test_an_unusable_csms_secret_is_a_configuration_error_naming_it(
    emulator: Emulator,
    emulator_transport: httpx.MockTransport,
    logs: Any,
    no_env_keys: None,
    stored: str | None,
    reason: str,
) -> None:
    project = project_of(emulator)
    if stored is not None:
        store_secret(emulator_transport, project, stored)
    context = agency_context(project, OPSFN_SECRETS_CSMS=SECRET_NAME)
    with use_transport(emulator_transport):
        response = hook_app().invoke_local(signed(b"{}"), context)
    answer = body_of(response)
    assert response["statusCode"] == 500
    assert answer["error"] == "configuration"
    assert f"CSMS secret {SECRET_NAME!r} named by OPSFN_SECRETS_CSMS" in answer["message"]
    assert reason in answer["message"]
    assert REDIS_URL not in json.dumps(answer) and REDIS_URL not in logs.text
