"""Hostile bodies to the Huawei APIG management routes get documented 4xx answers, never a 500.

The emulator dispatches in-process (``Emulator.handle``), so an exception in a handler surfaces here as the
exception itself - exactly what uvicorn would turn into a bare 500. Every answer must be a Huawei error
``{"error_code": "APIG.xxxx", "error_msg", "request_id"}`` with a 4xx status.

A resource id sent as an object or array (``"group_id": {}``) is an invalid value like any other
(APIG.2011, ``apig_state.require_id``), not a ``TypeError: unhashable`` in one of the create operations.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from apig_bodies import mock_api
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from devkit.emulator.core import Emulator
from devkit.emulator.credentials import DEMO_HUAWEI_AK, DEMO_HUAWEI_SK, DEMO_REGION
from devkit.emulator.registry import build_emulator
from devkit.emulator.services.apig.state import DEFAULT_INSTANCE_ID, RELEASE_ENV_ID
from shared.config import Settings

PROJECT = "a4a4a4a4a4a4a4a4a4a4a4a4a4a4a4a4"
BASE = f"/v2/{PROJECT}/apigw/instances/{DEFAULT_INSTANCE_ID}"


class Apig:
    """A signed synchronous client on a fresh in-process emulator, with one group and one MOCK API."""

    def __init__(self) -> None:
        cfg = Settings.from_env(
            {
                "HUAWEICLOUD_SDK_AK": DEMO_HUAWEI_AK,
                "HUAWEICLOUD_SDK_SK": DEMO_HUAWEI_SK,
                "HUAWEICLOUD_SDK_REGION": DEMO_REGION,
                "HUAWEICLOUD_SDK_PROJECT_ID": PROJECT,
            }
        )
        self.emulator: Emulator = build_emulator()
        self.http = httpx.Client(
            transport=self.emulator.transport(), auth=cfg.huawei_auth(), base_url=cfg.endpoint("apig")
        )
        self.group_id = self.ok("POST", "/api-groups", {"name": "audit_group"})["id"]
        self.api_id = self.ok("POST", "/apis", mock_api(self.group_id, "audit_api", "/audit"))["id"]

    def send(self, method: str, path: str, content: bytes) -> httpx.Response:
        return self.http.request(
            method, BASE + path, content=content, headers={"Content-Type": "application/json"}
        )

    def ok(self, method: str, path: str, body: dict[str, Any]) -> Any:
        answer = self.send(method, path, json.dumps(body).encode())
        assert answer.status_code in (200, 201), answer.text
        return answer.json()


@pytest.fixture
def apig() -> Iterator[Apig]:
    client = Apig()
    yield client
    client.http.close()


def assert_documented_refusal(answer: httpx.Response) -> dict[str, Any]:
    assert 400 <= answer.status_code < 500, (answer.status_code, answer.text[:300])
    payload: dict[str, Any] = answer.json()
    assert payload["error_code"].startswith("APIG.") and payload["error_msg"] and payload["request_id"]
    return payload


def id_bodies(apig: Apig) -> list[tuple[str, str, dict[str, Any], str]]:
    """(method, path, valid body, id field) for every operation that looks a body id up in the state."""
    return [
        ("POST", "/apis", mock_api(apig.group_id, "other_api", "/other"), "group_id"),
        ("PUT", f"/apis/{apig.api_id}", mock_api(apig.group_id, "audit_api", "/audit"), "group_id"),
        (
            "POST",
            "/apis/action",
            {"action": "online", "env_id": RELEASE_ENV_ID, "api_id": apig.api_id},
            "env_id",
        ),
        (
            "POST",
            "/apis/action",
            {"action": "online", "env_id": RELEASE_ENV_ID, "api_id": apig.api_id},
            "api_id",
        ),
        (
            "POST",
            "/app-auths",
            {"env_id": RELEASE_ENV_ID, "app_ids": ["a" * 32], "api_ids": [apig.api_id]},
            "env_id",
        ),
        ("POST", "/sign-bindings", {"sign_id": "a" * 32, "publish_ids": ["b" * 32]}, "sign_id"),
        ("POST", "/throttle-bindings", {"strategy_id": "a" * 32, "publish_ids": ["b" * 32]}, "strategy_id"),
        ("POST", "/acl-bindings", {"acl_id": "a" * 32, "publish_ids": ["b" * 32]}, "acl_id"),
        ("PUT", f"/apis/publish/{apig.api_id}", {"version_id": "a" * 32}, "version_id"),
    ]


@pytest.mark.parametrize(
    "bad_id", [{}, [1], {"a": 1}, 7, True], ids=["object", "array", "dict", "int", "bool"]
)
def test_non_string_ids_are_apig_2011_not_a_crash(apig: Apig, bad_id: Any) -> None:
    """The object/array cases must not raise ``TypeError: unhashable`` out of the handler."""
    for method, path, body, field in id_bodies(apig):
        answer = apig.send(method, path, json.dumps({**body, field: bad_id}).encode())
        payload = assert_documented_refusal(answer)
        assert (answer.status_code, payload["error_code"]) == (400, "APIG.2011"), (path, field, payload)
        assert field in payload["error_msg"]


@pytest.mark.parametrize(
    ("content", "code"),
    [
        (b"{", "APIG.2011"),
        (b"\xff\xfe", "APIG.2011"),
        (b"[]", "APIG.2000"),
        (b"null", "APIG.2000"),
        (b'"text"', "APIG.2000"),
    ],
)
def test_malformed_bodies_are_parameter_errors(apig: Apig, content: bytes, code: str) -> None:
    for path in ("/api-groups", "/apis", "/envs", "/signs", "/throttles", "/acls", "/apps"):
        payload = assert_documented_refusal(apig.send("POST", path, content))
        assert payload["error_code"] == code, (path, payload)


def test_huge_and_out_of_enum_values_are_refused(apig: Apig) -> None:
    body = mock_api(apig.group_id, "huge_api", "/huge")
    cases: list[tuple[dict[str, Any], str]] = [
        ({"name": "a" * 100_000}, "APIG.2011"),
        ({"req_method": "FETCH"}, "APIG.2011"),
        ({"type": 3}, "APIG.2011"),
        ({"type": 10**30}, "APIG.2011"),
        ({"auth_type": "KERBEROS"}, "APIG.2011"),
        ({"backend_type": "FTP"}, "APIG.2011"),
    ]
    for change, code in cases:
        answer = apig.send("POST", "/apis", json.dumps({**body, **change}).encode())
        payload = assert_documented_refusal(answer)
        assert (answer.status_code, payload["error_code"]) == (400, code), (change, payload)
    for query in ("limit=0", "limit=501", "limit=abc", "offset=x"):
        answer = apig.http.get(BASE + "/apis?" + query)
        assert (answer.status_code, answer.json()["error_code"]) == (400, "APIG.2012"), query
    far = apig.http.get(BASE + "/apis?offset=99999999999999999999")
    assert far.status_code == 200 and far.json()["apis"] == []


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=40),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=10), inner, max_size=3),
    max_leaves=8,
)
CREATE_FIELDS = {
    "/api-groups": ["name", "remark"],
    "/apis": [
        "group_id",
        "name",
        "type",
        "req_protocol",
        "req_method",
        "req_uri",
        "auth_type",
        "backend_type",
        "mock_info",
        "backend_api",
        "req_params",
        "match_mode",
        "cors",
        "tags",
    ],
    "/signs": ["name", "sign_type", "sign_key", "sign_secret", "sign_algorithm"],
    "/throttles": ["name", "api_call_limits", "time_interval", "time_unit", "type", "user_call_limits"],
    "/acls": ["acl_name", "acl_type", "acl_value", "entity_type"],
    "/apps": ["name", "remark", "app_key", "app_secret"],
}


@pytest.fixture(scope="module")
def shared_apig() -> Iterator[Apig]:
    client = Apig()
    yield client
    client.http.close()


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    path=st.sampled_from(sorted(CREATE_FIELDS)),
    data=st.data(),
)
def test_fuzzed_create_bodies_never_crash(shared_apig: Apig, path: str, data: st.DataObject) -> None:
    """Random JSON (right and wrong types, nesting) in the documented fields: a 2xx or a documented 4xx."""
    fields = CREATE_FIELDS[path]
    body = data.draw(st.dictionaries(st.sampled_from(fields), JSON_VALUES, max_size=len(fields)))
    answer = shared_apig.send("POST", path, json.dumps(body).encode())
    if answer.status_code not in (200, 201):
        assert_documented_refusal(answer)


PLACEMENT = {
    "spec_id": "BASIC",
    "vpc_id": "3805a0ae-0a31-4ef1-8bd7-cfcd00d2bb26",
    "subnet_id": "a938121c-10fc-4d80-a3e6-a5b1b0a58c40",
    "security_group_id": "36bd2f68-a5ad-4c2a-8c66-3b3e7c0e0b7a",
    "available_zone_ids": ["cn-north-4a"],
}


def test_instance_creation_requires_the_documented_placement(apig: Apig) -> None:
    """3.24.1 marks spec/VPC/subnet/security group/zones required, not only the name.

    The codes are the section's own examples: 400 APIC.7211 "Parameter value does not match the rules,
    parameter name[...]" and 404 APIC.7301 "Instance spec not found".
    """
    url = f"/v2/{PROJECT}/apigw/instances"
    for name in PLACEMENT:
        body = {"instance_name": "gateway_two", **PLACEMENT}
        del body[name]
        answer = apig.http.post(url, json=body)
        assert (answer.status_code, answer.json()["error_code"]) == (400, "APIC.7211"), name
        assert f"parameter name[{name}]" in answer.json()["error_msg"]
    odd_zone = apig.http.post(
        url, json={"instance_name": "gateway_two", **PLACEMENT, "available_zone_ids": [1]}
    )
    assert odd_zone.json()["error_code"] == "APIC.7211"
    bad_spec = apig.http.post(url, json={"instance_name": "gateway_two", **PLACEMENT, "spec_id": "GIGANTIC"})
    assert (bad_spec.status_code, bad_spec.json()["error_code"]) == (404, "APIC.7301")
    created = apig.http.post(url, json={"instance_name": "gateway_two", **PLACEMENT})
    assert created.status_code == 202 and created.json()["message"] == "success"
    detail = apig.http.get(f"{url}/{created.json()['instance_id']}")
    assert detail.status_code == 200 and detail.json()["spec"] == "BASIC"
    assert apig.http.get(url).json()["total"] == 2


GATEWAY_HEADERS: list[dict[str, str]] = [
    {"Authorization": "x"},
    {"Authorization": "SDK-HMAC-SHA256 Access=, SignedHeaders=, Signature="},
    {
        "Authorization": "SDK-HMAC-SHA256 Access=abc, SignedHeaders=host;x-sdk-date, Signature=00",
        "X-Sdk-Date": "bad",
    },
    {
        "X-Sdk-Date": "20261301T250000Z",
        "Authorization": "SDK-HMAC-SHA256 Access=a, SignedHeaders=x-sdk-date, Signature=z",
    },
    {"X-Apig-AppCode": "\xff\xff"},
    {"X-Forwarded-For": "999.1.1.1, ::1"},
    {"Authorization": "Basic !!!"},
]


def test_served_apis_refuse_hostile_auth_headers_without_crashing(apig: Apig) -> None:
    """The data plane (``/apig-gateway/{group}/{env}/...``): garbage credentials are a 4xx, never a 500."""
    body = {**mock_api(apig.group_id, "app_api", "/app"), "auth_type": "APP"}
    api = apig.ok("POST", "/apis", body)
    apig.ok("POST", "/apis/action", {"action": "online", "env_id": RELEASE_ENV_ID, "api_id": api["id"]})
    raw = httpx.Client(transport=apig.emulator.transport(), base_url="http://gateway.local")
    for headers in GATEWAY_HEADERS:
        for path in ("/app", "/%ff", "/" + "a" * 5000):
            encoded = [(k.encode(), v.encode("latin-1")) for k, v in headers.items()]
            answer = raw.get(f"/apig-gateway/{apig.group_id}/RELEASE{path}", headers=encoded)
            assert 400 <= answer.status_code < 500, (headers, path, answer.status_code)
            assert answer.json()["error_code"].startswith("APIG")
