"""Routing, 404s, the service registry, snapshot/reset/restore and per-project isolation."""

from __future__ import annotations

import copy
import types

import httpx
import pytest

from devkit.emulator import registry
from devkit.emulator.core import Call, Emulator, Service, huawei_error, json_response
from devkit.emulator.services.smn import SmnService


def _echo_service() -> Service[dict[str, int]]:
    service: Service[dict[str, int]] = Service("echo", lambda key: {"calls": 0}, auth="none")

    @service.route("GET", "/v1/{project_id}/items/{item_id}", "GetItem")
    def get_item(call: Call, backend: dict[str, int]) -> httpx.Response:
        backend["calls"] += 1
        return json_response(
            200, {"item": call.path_params["item_id"], "key": call.key, "op": call.operation}
        )

    @service.route("DELETE", "/v1/{project_id}/items/{item_id}", "DeleteItem")
    def delete_item(call: Call, backend: dict[str, int]) -> httpx.Response:
        raise huawei_error(409, "APIG.3416", "in use")

    return service


def test_route_placeholders_percent_decoding_and_trailing_slash() -> None:
    emulator = Emulator([_echo_service()])
    response = emulator.handle(httpx.Request("GET", "https://x/v1/p1/items/a%20b/"))
    assert response.json() == {"item": "a b", "key": "p1", "op": "GetItem"}
    assert response.headers["X-Request-Id"]


def test_unknown_path_and_wrong_method_are_404_apigw_0101() -> None:
    emulator = Emulator([_echo_service()])
    for request in (
        httpx.Request("GET", "https://x/v1/p1/other"),
        httpx.Request("PUT", "https://x/v1/p1/items/a"),
    ):
        response = emulator.handle(request)
        assert response.status_code == 404
        assert response.json()["error_code"] == "APIGW.0101"


def test_handler_errors_come_back_in_the_service_shape() -> None:
    response = Emulator([_echo_service()]).handle(httpx.Request("DELETE", "https://x/v1/p1/items/a"))
    assert response.status_code == 409
    body = response.json()
    assert (body["error_code"], body["error_msg"]) == ("APIG.3416", "in use")
    assert body["request_id"] == response.headers["X-Request-Id"]


def test_isolation_key_falls_back_to_the_project_header() -> None:
    service: Service[None] = Service("hdr", lambda key: None, auth="none")

    @service.route("GET", "/v2/things", "ListThings")
    def things(call: Call, backend: None) -> httpx.Response:
        return json_response(200, {"key": call.key})

    emulator = Emulator([service])
    assert emulator.handle(httpx.Request("GET", "https://x/v2/things")).json() == {"key": "default"}
    request = httpx.Request("GET", "https://x/v2/things", headers={"X-Project-Id": "p9"})
    assert emulator.handle(request).json() == {"key": "p9"}


def test_a_project_scoped_token_selects_the_project_when_the_path_has_none(emulator: Emulator) -> None:
    service: Service[None] = Service("scoped", lambda key: None)  # auth="huawei"

    @service.route("GET", "/v9/whoami", "WhoAmI")
    def whoami(call: Call, backend: None) -> httpx.Response:
        return json_response(200, {"key": call.key})

    emulator.add(service)
    creds = emulator.credentials
    assert creds is not None
    token = creds.issue_token(creds.default_user, ("password",), project=creds.project(project_id="p" * 32))
    request = httpx.Request("GET", "https://x/v9/whoami", headers={"X-Auth-Token": token.value})
    assert emulator.handle(request).json() == {"key": "p" * 32}


def test_snapshot_restore_and_reset() -> None:
    service = _echo_service()
    emulator = Emulator([service])
    emulator.handle(httpx.Request("GET", "https://x/v1/p1/items/a"))
    snap = emulator.snapshot()
    emulator.handle(httpx.Request("GET", "https://x/v1/p1/items/a"))
    assert service.backend("p1") == {"calls": 2}
    emulator.restore(snap)
    assert service.backend("p1") == {"calls": 1}
    emulator.reset()
    assert service.backends() == {}


def test_build_emulator_registers_my_services_with_configuration(emulator: Emulator) -> None:
    names = [svc.name for svc in emulator.services]
    assert names[:2] == ["iam", "smn"]
    assert emulator.credentials is not None and emulator.faults is not None
    assert set(emulator.verifiers) == {"huawei", "tencent"}


def test_registry_fails_loudly_on_a_service_that_does_not_import(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(registry, "SERVICE_MODULES", ("smn",))
    assert [svc.name for svc in registry.build_emulator().services] == ["smn"]
    monkeypatch.setattr(registry, "SERVICE_MODULES", ("smn", "not_written"))
    with pytest.raises(ModuleNotFoundError):
        registry.build_emulator()

    # A module that exists but fails to import must fail loudly as well.
    def failing_import(name: str) -> types.ModuleType:
        raise ImportError(f"cannot import name 'x' from {name}")

    monkeypatch.setattr("devkit.emulator.registry.importlib.import_module", failing_import)
    monkeypatch.setattr(registry, "SERVICE_MODULES", ("smn",))
    with pytest.raises(ImportError):
        registry.build_emulator()


def test_options_reach_the_services(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(registry, "SERVICE_MODULES", ("smn",))
    emulator = registry.build_emulator(ide_quota=3, seed=1)
    assert emulator.options == {"ide_quota": 3}


def test_state_is_isolated_per_project_and_snapshots_copy_it(
    signed: httpx.Client, emulator: Emulator
) -> None:
    a, b = "a" * 32, "b" * 32
    assert signed.post(f"/v2/{a}/notifications/topics", json={"name": "alerts"}).status_code == 201
    assert signed.get(f"/v2/{b}/notifications/topics").json()["topic_count"] == 0
    smn = emulator.service("smn")
    assert isinstance(smn, SmnService)
    snap = emulator.snapshot()
    urn = signed.get(f"/v2/{a}/notifications/topics").json()["topics"][0]["topic_urn"]
    signed.post(f"/v2/{a}/notifications/topics/{urn}/publish", json={"message": "m"})
    assert len(smn.messages()) == 1
    emulator.restore(snap)
    assert smn.messages() == []
    assert copy.deepcopy(smn.backend(a)).topics.keys() == {"alerts"}
    emulator.reset()
    assert signed.get(f"/v2/{a}/notifications/topics").json()["topic_count"] == 0
