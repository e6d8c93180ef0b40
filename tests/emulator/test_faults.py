"""Fault injection: spec parsing, seeded reproducibility, every kind, and client retries under faults."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from devkit.emulator.core import Call, Emulator, Service, json_response
from devkit.emulator.faults import (
    DroppedConnection,
    FaultInjector,
    FaultRule,
    SimulatedTimeout,
    parse_fault_spec,
)
from devkit.emulator.registry import build_emulator
from shared.clients.smn import SmnClient
from shared.config import Settings
from shared.errors import CloudConnectionError, ServerError, ThrottledError
from shared.http import RetryPolicy, make_client


def test_parse_fault_spec() -> None:
    assert parse_fault_spec("ide:CreateLicenses:error=0.2,throttle=0.1") == [
        FaultRule("error", 0.2, "ide", "CreateLicenses"),
        FaultRule("throttle", 0.1, "ide", "CreateLicenses"),
    ]
    assert parse_fault_spec("*:drop=0.05") == [FaultRule("drop", 0.05, "*", "*")]


@pytest.mark.parametrize("spec", ["ide", "ide:error", "ide:explode=0.1", "ide:error=2", "ide:error=x", ""])
def test_bad_fault_specs_are_rejected(spec: str) -> None:
    with pytest.raises(ValueError):
        parse_fault_spec(spec)


def _ping_emulator(injector: FaultInjector) -> Emulator:
    service: Service[None] = Service("ping", lambda key: None, auth="none")

    @service.route("GET", "/ping", "Ping")
    def ping(call: Call, backend: None) -> httpx.Response:
        return json_response(200, {"ok": True})

    emulator = Emulator([service])
    emulator.faults = injector
    return emulator


def _outcomes(seed: int, n: int = 60) -> list[str]:
    injector = FaultInjector(seed)
    injector.add(kind="error", rate=0.2)
    injector.add(kind="throttle", rate=0.2)
    emulator = _ping_emulator(injector)
    return [str(emulator.handle(httpx.Request("GET", "https://x/ping")).status_code) for _ in range(n)]


def test_same_seed_same_faults_and_counts() -> None:
    first, second = _outcomes(7), _outcomes(7)
    assert first == second
    assert {"200", "429", "503"} <= set(first)
    assert _outcomes(8) != first


def test_counters_and_selectors() -> None:
    injector = FaultInjector(1)
    injector.add("ping", "Other", kind="error", rate=1.0)
    emulator = _ping_emulator(injector)
    assert emulator.handle(httpx.Request("GET", "https://x/ping")).status_code == 200
    injector.add("ping", "Ping", kind="error", rate=1.0, status=502)
    assert emulator.handle(httpx.Request("GET", "https://x/ping")).status_code == 502
    assert injector.counts == {("ping", "Ping", "error"): 1} and injector.total("error") == 1
    injector.clear()
    assert injector.total() == 0 and injector.rules == []


def test_throttle_answers_429_with_retry_after() -> None:
    injector = FaultInjector(1)
    injector.add(kind="throttle", rate=1.0, retry_after=2.5)
    response = _ping_emulator(injector).handle(httpx.Request("GET", "https://x/ping"))
    assert response.status_code == 429 and response.headers["Retry-After"] == "2.5"
    assert response.json()["error_code"] == "APIGW.0308"


def test_tencent_services_get_tencent_shaped_faults() -> None:
    injector = FaultInjector(1)
    injector.add(kind="throttle", rate=1.0)
    service: Service[None] = Service("tc", lambda key: None, auth="none")
    service.auth = "tencent"  # no verifier installed: only the fault shape is under test

    @service.route("POST", "/", "Any")
    def anything(call: Call, backend: None) -> httpx.Response:
        return json_response(200, {"Response": {"RequestId": "r"}})

    emulator = Emulator([service])
    emulator.faults = injector
    response = emulator.handle(httpx.Request("POST", "https://x/", headers={"X-TC-Action": "DescribeApi"}))
    assert response.status_code == 200
    assert response.json()["Response"]["Error"]["Code"] == "RequestLimitExceeded"
    assert injector.counts == {("tc", "DescribeApi", "throttle"): 1}
    v1 = httpx.Request("POST", "https://x/", data={"Action": "ReleaseService", "Version": "2018-08-08"})
    assert emulator.handle(v1).json()["Response"]["Error"]["Code"] == "RequestLimitExceeded"
    assert injector.counts[("tc", "ReleaseService", "throttle")] == 1


def test_latency_sleeps_then_answers() -> None:
    slept: list[float] = []
    injector = FaultInjector(1, sleep=slept.append)
    injector.add(kind="latency", rate=1.0, latency=0.25)
    assert _ping_emulator(injector).handle(httpx.Request("GET", "https://x/ping")).status_code == 200
    assert slept == [0.25]


def test_drop_and_timeout_raise_the_httpx_errors_in_process() -> None:
    injector = FaultInjector(1)
    rule = injector.add(kind="drop", rate=1.0)
    emulator = _ping_emulator(injector)
    with pytest.raises(httpx.ConnectError) as dropped:
        emulator.handle(httpx.Request("GET", "https://x/ping"))
    assert isinstance(dropped.value, DroppedConnection)
    injector.rules.remove(rule)
    injector.add(kind="timeout", rate=1.0)
    with pytest.raises(httpx.ReadTimeout) as timed_out:
        emulator.handle(httpx.Request("GET", "https://x/ping"))
    assert isinstance(timed_out.value, SimulatedTimeout)


# ---------------------------------------------------------------------------------- clients under faults


async def _no_sleep(_: float) -> None:
    return None


def _smn_client(emulator: Emulator, project_id: str, attempts: int) -> SmnClient:
    settings = Settings.from_env()
    http = make_client(
        "https://smn.cn-north-4.myhuaweicloud.com",
        settings.huawei_auth(),
        service="smn",
        retry=RetryPolicy(max_attempts=attempts, sleep=_no_sleep),
        transport=emulator.transport(),
    )
    return SmnClient(http, project_id=project_id)


def _project(emulator: Emulator) -> str:
    assert emulator.credentials is not None
    return emulator.credentials.projects()[0].id


async def test_retries_complete_every_idempotent_call_under_30_percent_faults() -> None:
    emulator = build_emulator(faults=["smn:error=0.15,throttle=0.15"], seed=1234)
    assert emulator.faults is not None
    async with _smn_client(emulator, _project(emulator), attempts=8) as smn:
        urns = [await smn.create_topic(f"t{i}") for i in range(15)]  # idempotent POST, marked retry-safe
        pages = [await smn.list_topics(limit=5, offset=i) for i in range(40)]
    assert len(set(urns)) == 15
    assert all(page.topic_count == 15 for page in pages)
    assert emulator.faults.total("error") > 5 and emulator.faults.total("throttle") > 5


async def test_non_retried_post_fails_fast_with_a_typed_error() -> None:
    emulator = build_emulator(seed=1)
    assert emulator.faults is not None
    async with _smn_client(emulator, _project(emulator), attempts=5) as smn:
        urn = await smn.create_topic("alerts")
        emulator.faults.add("smn", "PublishMessage", kind="error", rate=1.0)
        with pytest.raises(ServerError) as failed:
            await smn.publish(urn, "once")
        assert failed.value.status == 503
        # Exactly one attempt: a publish is never repeated behind the caller's back.
        assert emulator.faults.counts[("smn", "PublishMessage", "error")] == 1
        emulator.faults.clear()
        emulator.faults.add("smn", "PublishMessage", kind="throttle", rate=1.0, retry_after=3)
        with pytest.raises(ThrottledError) as throttled:
            await smn.publish(urn, "once")
        assert throttled.value.retry_after == 3
    assert emulator.faults.counts[("smn", "PublishMessage", "throttle")] == 1


async def test_dropped_connections_end_in_cloud_connection_error_after_retries() -> None:
    emulator = build_emulator(faults=["smn:ListTopics:drop=1"], seed=1)
    assert emulator.faults is not None
    async with _smn_client(emulator, _project(emulator), attempts=3) as smn:
        with pytest.raises(CloudConnectionError):
            await smn.list_topics()
    assert emulator.faults.total("drop") == 3


def test_configure_accepts_an_injector_and_reseeds_it() -> None:
    injector = FaultInjector(5)
    injector.add(kind="error", rate=0.5)
    emulator = build_emulator(faults=injector, seed=99)
    assert emulator.faults is injector
    reference = FaultInjector(99)
    draws: list[Any] = [reference._random.random() for _ in range(3)]
    assert [injector._random.random() for _ in range(3)] == draws
