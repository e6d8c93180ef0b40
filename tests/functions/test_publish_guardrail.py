"""publish_guardrail against the emulator: APIs published "on the console" (straight on the emulator, not
through any opsfn function) are checked when their CTS trace or EventGrid event arrives.

The traces are the ones the emulated APIG itself records for each publish (``ApigBackend.traces``, CTS
field names per platform.md §6), so the tests feed the function what CTS would. Write calls are counted at
the emulator (every non-GET APIG operation), which is how "no-op" and "duplicate" are proved.
"""

from __future__ import annotations

import io
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import pytest

from devkit.emulator.core import Call
from devkit.emulator.services.apig import DEFAULT_INSTANCE_ID, RELEASE_ENV_ID, ApigBackend, Instance
from functions.publish_guardrail.handler import app, handler
from shared.clients.apig import ApigClient
from shared.config import Settings
from shared.runtime import RedeliveryRequested
from tests.apig.apig_bodies import mock_api
from tests.functions.conftest import PROJECT, Wired


@dataclass
class World:
    wired: Wired
    apig: ApigClient
    group_id: str
    sign_id: str
    throttle_id: str
    acl_id: str
    writes: list[str] = field(default_factory=list)

    @property
    def backend(self) -> ApigBackend:
        backend: ApigBackend = self.wired.emulator.service("apig").backend(PROJECT)
        return backend

    @property
    def instance(self) -> Instance:
        return self.backend.instances[DEFAULT_INSTANCE_ID]

    def trace(self, name: str | None = None) -> dict[str, Any]:
        """The newest trace APIG recorded (a copy), optionally with another ``trace_name``."""
        trace = json.loads(json.dumps(self.backend.traces[-1]))
        if name is not None:
            trace["trace_name"] = name
        return trace

    def notifications(self) -> list[str]:
        return [m.message for m in self.wired.notifications()]

    def bound(self, table: str, publish_id: str) -> list[dict[str, Any]]:
        return [b for b in getattr(self.instance, table) if b["publish_id"] == publish_id]

    async def console_publish(self, name: str, uri: str) -> tuple[str, str]:
        """Register and publish an API directly on the emulator; ``(api id, publish id)``."""
        api = await self.apig.create_api(mock_api(self.group_id, name, uri))
        record = await self.apig.publish_api(api.id)
        return api.id, record.publish_id


@pytest.fixture
async def world(wired: Wired, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[World]:
    """The functions' wiring (``conftest.wired``: emulator transport, project, memory store, SMN topic),
    one API group and the default policies; the guardrail in ``enforce`` mode."""
    monkeypatch.delenv("OPSFN_APIG_INSTANCE_ID", raising=False)
    emulator = wired.emulator
    async with ApigClient.from_settings(Settings.from_env(), transport=emulator.transport()) as apig:
        group = await apig.create_group("guarded_group")
        sign = await apig.create_signature_key("default_hmac_key")
        throttle = await apig.create_throttle("default_throttle", api_call_limits=100, time_interval=1)
        acl = await apig.create_acl("office_only", acl_type="PERMIT", entity_type="IP", value="10.0.0.0/8")
        monkeypatch.setenv("OPSFN_GUARDRAIL_MODE", "enforce")
        monkeypatch.setenv("OPSFN_GUARDRAIL_SIGN_ID", sign.id)
        monkeypatch.setenv("OPSFN_GUARDRAIL_THROTTLE_ID", throttle.id)
        world = World(wired, apig, group.id, sign.id, throttle.id, acl.id)

        def count_writes(call: Call) -> None:
            if call.service == "apig" and call.method != "GET":
                world.writes.append(call.operation)

        emulator.before_dispatch.append(lambda call: count_writes(call))  # type: ignore[func-returns-value]
        yield world


def invoke(event: dict[str, Any]) -> dict[str, Any]:
    """Run one FunctionGraph invocation and return the one record's result entry (a redelivery request
    shows as ``retryable`` there instead of being raised as the platform entry point does)."""
    response = app.invoke_local(event, None, "functiongraph")
    [result] = response["results"]
    assert isinstance(result, dict)
    return result


def cts(trace: dict[str, Any]) -> dict[str, Any]:
    return {"cts": trace}


def cloudevent(trace: dict[str, Any], kind: str = "APIG:CloudTrace:ConsoleAction") -> dict[str, Any]:
    return {
        "events": [
            {
                "id": trace["trace_id"],
                "source": "HC.APIG",
                "specversion": "1.0",
                "type": kind,
                "datacontenttype": "application/json",
                "subject": trace["resource_id"],
                "time": "2026-11-23T08:00:00Z",
                "data": trace,
            }
        ]
    }


# -- the acceptance scenarios ------------------------------------------------------------------------------


async def test_console_publish_without_key_gets_defaults_bound_then_duplicate_is_noop(world: World) -> None:
    api_id, publish_id = await world.console_publish("orders", "/orders")
    trace = world.trace()
    assert trace["trace_name"] == "publishApi"
    world.writes.clear()

    first = invoke(cts(trace))
    assert first["status"] == "ok"
    [finding] = first["result"]["apis"]
    assert finding["api_id"] == api_id and finding["env_id"] == RELEASE_ENV_ID
    assert (finding["status"], finding["missing"], finding["bound"]) == (
        "fixed",
        ["signature", "throttle"],
        ["signature", "throttle"],
    )
    assert sorted(world.writes) == ["AssociateRequestThrottlingPolicyV2", "AssociateSignatureKeyV2"]
    assert [b["sign_id"] for b in world.bound("sign_bindings", publish_id)] == [world.sign_id]
    assert [b["strategy_id"] for b in world.bound("throttle_bindings", publish_id)] == [world.throttle_id]
    [notice] = world.notifications()
    assert "1 API(s) fixed" in notice and api_id in notice and "bound signature, throttle" in notice

    world.writes.clear()
    again = invoke(cts(trace))
    assert again.get("replayed") is True and again["result"] == first["result"]
    assert world.writes == []  # zero write calls at the emulator
    assert len(world.notifications()) == 1


async def test_audit_mode_reports_and_changes_nothing(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPSFN_GUARDRAIL_MODE", "audit")
    monkeypatch.delenv("OPSFN_GUARDRAIL_SIGN_ID")  # audit needs no defaults
    api_id, publish_id = await world.console_publish("reports", "/reports")
    world.writes.clear()

    result = invoke(cts(world.trace()))["result"]
    [finding] = result["apis"]
    assert (result["mode"], finding["status"], finding["missing"], finding["bound"]) == (
        "audit",
        "violation",
        ["signature", "throttle"],
        [],
    )
    assert world.writes == [] and world.bound("sign_bindings", publish_id) == []
    [notice] = world.notifications()
    assert "(audit): 1 published API(s) not compliant" in notice and api_id in notice


# Both naming sets, any letter case; each name on a fresh trace id so none is a duplicate of another.
PUBLISH_NAMES = [
    "publishApi",
    "CreateOrDeletePublishRecordForApi",
    "PUBLISHAPI",
    "createordeletepublishrecordforapi",
    "batchPublishOrOfflineApi",
    "BatchPublishOrOfflineApi",
    "switchApiVersion",
    "ChangeApiVersion",
]


@pytest.mark.parametrize("name", PUBLISH_NAMES)
async def test_both_trace_name_sets_are_handled(world: World, name: str) -> None:
    await world.console_publish("named", "/named")
    trace = world.trace(name)
    result = invoke(cts(trace))["result"]
    assert result["status"] == "checked" and result["apis"][0]["status"] == "fixed"


async def test_newer_name_in_operation_id_only(world: World) -> None:
    """The emulator records the SDK operation (``CreateOrDeletePublishRecordForApiV2``) as operation_id."""
    await world.console_publish("by_operation", "/by-operation")
    trace = world.trace("somethingElse")
    assert trace["operation_id"] == "CreateOrDeletePublishRecordForApiV2"
    assert invoke(cts(trace))["result"]["apis"][0]["status"] == "fixed"


async def test_switch_version_trace_from_the_emulator(world: World) -> None:
    api_id, _ = await world.console_publish("switched", "/switched")
    versions = await world.apig.list_versions(api_id)
    await world.apig.switch_version(api_id, versions.items[0].version_id)
    trace = world.trace()
    assert trace["trace_name"] == "switchApiVersion"
    [finding] = invoke(cts(trace))["result"]["apis"]
    assert (finding["api_id"], finding["status"]) == (api_id, "fixed")


async def test_eventgrid_form_is_handled_and_shares_the_trace_key_with_cts(world: World) -> None:
    api_id, publish_id = await world.console_publish("via_eventgrid", "/eventgrid")
    trace = world.trace()
    world.writes.clear()
    first = invoke(cloudevent(trace))
    [finding] = first["result"]["apis"]
    assert (finding["api_id"], finding["status"]) == (api_id, "fixed")
    assert len(world.writes) == 2 and len(world.bound("sign_bindings", publish_id)) == 1

    world.writes.clear()
    again = invoke(cts(trace))  # the same trace through the CTS trigger: a duplicate
    assert again.get("replayed") is True and world.writes == []


async def test_eventgrid_event_of_another_type_is_ignored(world: World) -> None:
    await world.console_publish("other_type", "/other-type")
    world.writes.clear()
    result = invoke(cloudevent(world.trace(), kind="OBS:CloudTrace:ApiCall"))["result"]
    assert result["status"] == "ignored" and world.writes == []


async def test_api_that_no_longer_exists_is_a_logged_noop(world: World, log_buffer: io.StringIO) -> None:
    api_id, _ = await world.console_publish("short_lived", "/short-lived")
    trace = world.trace()
    await world.apig.offline_api(api_id)
    await world.apig.delete_api(api_id)
    world.writes.clear()

    entry = invoke(cts(trace))
    assert entry["status"] == "ok"
    [finding] = entry["result"]["apis"]
    assert (finding["api_id"], finding["status"]) == (api_id, "gone")
    assert world.writes == [] and world.notifications() == []
    logged = [json.loads(line) for line in log_buffer.getvalue().splitlines()]
    assert any(
        line.get("event") == "publish_guardrail.finding" and line.get("status") == "gone" for line in logged
    )


async def test_api_taken_offline_since_is_a_noop(world: World) -> None:
    api_id, _ = await world.console_publish("gone_offline", "/gone-offline")
    trace = world.trace()
    await world.apig.offline_api(api_id)
    world.writes.clear()
    [finding] = invoke(cts(trace))["result"]["apis"]
    assert finding["status"] == "not_published" and world.writes == [] and world.notifications() == []


async def test_already_compliant_api_is_a_noop(world: World) -> None:
    _api_id, publish_id = await world.console_publish("compliant", "/compliant")
    trace = world.trace()
    await world.apig.bind_signature_key(world.sign_id, [publish_id])
    await world.apig.bind_throttle(world.throttle_id, [publish_id])
    world.writes.clear()
    [finding] = invoke(cts(trace))["result"]["apis"]
    assert (finding["status"], finding["missing"]) == ("compliant", [])
    assert world.writes == [] and world.notifications() == []


async def test_batch_publish_trace_covering_several_apis_handles_each(world: World) -> None:
    api_ids = [
        (await world.apig.create_api(mock_api(world.group_id, f"batch_{n}", f"/batch/{n}"))).id
        for n in range(4)
    ]
    published = await world.apig.batch_publish(api_ids)
    assert published.ok
    # One trace for the whole call, as CTS records a batch: the request names the APIs, the response
    # carries the publish record of each.
    trace = world.trace("BatchPublishOrOfflineApi")
    trace["request"] = json.dumps({"apis": api_ids, "env_id": RELEASE_ENV_ID})  # CTS may keep JSON text
    trace["response"] = published.model_dump(mode="json")
    trace["resource_url"] = f"/v2/{PROJECT}/apigw/instances/{DEFAULT_INSTANCE_ID}/apis/publish?action=online"
    # a compliant one in the batch stays untouched
    compliant = published.success[3].publish_id
    await world.apig.bind_signature_key(world.sign_id, [compliant])
    await world.apig.bind_throttle(world.throttle_id, [compliant])
    world.writes.clear()

    findings = invoke(cts(trace))["result"]["apis"]
    assert [f["api_id"] for f in findings] == api_ids
    assert [f["status"] for f in findings] == ["fixed", "fixed", "fixed", "compliant"]
    assert len(world.writes) == 6
    for record in published.success:
        assert len(world.bound("sign_bindings", record.publish_id)) == 1
    [notice] = world.notifications()
    assert "3 API(s) fixed" in notice


async def test_offline_traces_are_ignored(world: World) -> None:
    api_id, _ = await world.console_publish("taken_down", "/taken-down")
    await world.apig.offline_api(api_id)
    single = world.trace()
    assert single["trace_name"] == "offlineApi"
    assert invoke(cts(single))["result"]["status"] == "ignored"
    single["trace_name"] = "CreateOrDeletePublishRecordForApi"  # the newer name covers both actions
    single["trace_id"] += "-b"
    assert invoke(cts(single))["result"]["reason"].startswith("an offline action")
    await world.apig.publish_api(api_id)
    await world.apig.batch_offline([api_id])
    batch = world.trace()
    batch["request"] = {"apis": [api_id], "env_id": RELEASE_ENV_ID}  # action only in the recorded query
    batch["message"] = f"POST /v2/{PROJECT}/apigw/instances/{DEFAULT_INSTANCE_ID}/apis/publish?action=offline"
    world.writes.clear()
    assert invoke(cts(batch))["result"]["status"] == "ignored" and world.writes == []


async def test_acl_is_required_when_configured(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPSFN_GUARDRAIL_ACL_ID", world.acl_id)
    _api_id, publish_id = await world.console_publish("acl_guarded", "/acl-guarded")
    [finding] = invoke(cts(world.trace()))["result"]["apis"]
    assert finding["bound"] == ["signature", "throttle", "acl"]
    assert [b["acl_id"] for b in world.bound("acl_bindings", publish_id)] == [world.acl_id]


async def test_key_of_another_type_is_reported_not_replaced(world: World) -> None:
    basic = await world.apig.create_signature_key("basic_key", sign_type="basic")
    _api_id, publish_id = await world.console_publish("basic_signed", "/basic-signed")
    trace = world.trace()
    await world.apig.bind_signature_key(basic.id, [publish_id])
    [finding] = invoke(cts(trace))["result"]["apis"]
    assert finding["status"] == "violation" and finding["missing"] == ["signature_type", "throttle"]
    assert finding["bound"] == ["throttle"] and "not replaced" in finding["errors"][0]
    assert [b["sign_id"] for b in world.bound("sign_bindings", publish_id)] == [basic.id]
    assert "still not compliant" in world.notifications()[0]


async def test_enforce_without_defaults_is_a_configuration_error(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("OPSFN_GUARDRAIL_THROTTLE_ID")
    await world.console_publish("misconfigured", "/misconfigured")
    world.writes.clear()
    entry = invoke(cts(world.trace()))
    assert (entry["status"], entry["error"], entry["retryable"]) == ("failed", "configuration", True)
    assert world.writes == []
    with pytest.raises(RedeliveryRequested):  # the platform redelivers it until the setting is fixed
        handler(cts(world.trace()), None)


async def test_configured_key_of_the_wrong_type_is_refused(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    basic = await world.apig.create_signature_key("basic_default", sign_type="basic")
    monkeypatch.setenv("OPSFN_GUARDRAIL_SIGN_ID", basic.id)
    await world.console_publish("wrong_default", "/wrong-default")
    world.writes.clear()
    entry = invoke(cts(world.trace()))
    assert (entry["status"], entry["error"]) == ("failed", "configuration")
    assert "AssociateSignatureKeyV2" not in world.writes


async def test_secrets_never_reach_logs_or_answers(world: World, log_buffer: io.StringIO) -> None:
    keys = [k async for k in world.apig.iter_signature_keys()]
    secret = next(k for k in keys if k.id == world.sign_id).sign_secret.get_secret_value()
    await world.console_publish("secretive", "/secretive")
    response = handler(cts(world.trace()), None)
    assert secret not in json.dumps(response)
    assert secret not in log_buffer.getvalue()
    assert all(secret not in notice for notice in world.notifications())


async def test_a_5xx_while_binding_is_redelivered_and_the_rerun_completes(world: World) -> None:
    """A retryable failure releases the trace's claim (nothing stored); the rerun binds only what is left."""
    faults = world.wired.emulator.faults
    assert faults is not None
    _, publish_id = await world.console_publish("flaky", "/flaky")
    trace = world.trace()
    faults.add("apig", "AssociateRequestThrottlingPolicyV2", kind="error", rate=1.0)
    failed = invoke(cts(trace))
    assert (failed["status"], failed["error"], failed["retryable"]) == ("failed", "cloud_error", True)
    assert (
        len(world.bound("sign_bindings", publish_id)) == 1
        and world.bound("throttle_bindings", publish_id) == []
    )
    assert world.notifications() == []

    faults.clear()
    [finding] = invoke(cts(trace))["result"]["apis"]  # the redelivery: not a replay
    assert (finding["status"], finding["missing"], finding["bound"]) == ("fixed", ["throttle"], ["throttle"])
    assert len(world.bound("throttle_bindings", publish_id)) == 1
