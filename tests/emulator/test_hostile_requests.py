"""The emulator answers hostile requests with the service's documented 4xx, never a crash.

``Emulator.handle`` deliberately has no catch-all (a bug should be loud in tests), so an exception from
request parsing would reach the caller in-process and be a 500 over the socket. Three inputs are pinned
because naive parsing crashes on them: JSON nested a few thousand levels deep (``RecursionError`` in a
body parser and in SMN's ``message_structure``), a numeric string with more than 4300 digits, and a
Unicode digit such as ``"²"`` (``str.isdigit`` is true, ``int`` fails) in CSMS ``limit``/``offset``/
``marker`` and version ids. The sweep at the end throws a fixed catalogue of malformed bodies, wrongly
typed fields and odd query values at every IAM, SMN, IDE and CSMS route and requires an answer below 500
each time.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from devkit.emulator.core import Emulator
from devkit.emulator.credentials import DEMO_HUAWEI_AK, DEMO_HUAWEI_SK
from shared.auth import HuaweiAKSKAuth

DEEP = b'{"a":' * 5000
SERVICES = ("iam", "smn", "ide", "csms")


@pytest.fixture
def client(emulator: Emulator) -> Iterator[httpx.Client]:
    assert emulator.credentials is not None
    project = emulator.credentials.projects()[0].id
    with httpx.Client(
        transport=emulator.transport(),
        base_url="https://x.cn-north-4.myhuaweicloud.com",
        auth=HuaweiAKSKAuth(DEMO_HUAWEI_AK, DEMO_HUAWEI_SK),
        headers={"X-Project-Id": project},
    ) as signed:
        signed.headers["X-Audit-Project"] = project
        yield signed


def _project(client: httpx.Client) -> str:
    return client.headers["X-Audit-Project"]


def _error_code(response: httpx.Response) -> str:
    body: dict[str, Any] = response.json()
    inner = body.get("error")
    if isinstance(inner, dict):
        return str(inner.get("error_code") or inner.get("code"))
    return str(body.get("error_code") or body.get("code"))


@pytest.mark.parametrize(
    ("method", "path", "status", "code"),
    [
        ("POST", "/v3/auth/tokens", 400, "400"),
        ("POST", "/v2/{p}/notifications/topics", 400, "SMN.0021"),
        ("POST", "/v2/licenses", 400, "IDE.00000097"),
        ("POST", "/v1/{p}/secrets", 400, "CSMS.0004"),
        ("POST", "/v1/{p}/csms/resource_instances/action", 400, "CSMS.0004"),
    ],
)
def test_deeply_nested_json_is_the_services_own_validation_error(
    client: httpx.Client, method: str, path: str, status: int, code: str
) -> None:
    response = client.request(
        method, path.format(p=_project(client)), content=DEEP, headers={"Content-Type": "application/json"}
    )
    assert (response.status_code, _error_code(response)) == (status, code)


def test_deeply_nested_smn_message_structure_is_smn_0021(client: httpx.Client) -> None:
    project = _project(client)
    urn = client.post(f"/v2/{project}/notifications/topics", json={"name": "audit"}).json()["topic_urn"]
    response = client.post(
        f"/v2/{project}/notifications/topics/{urn}/publish", json={"message_structure": '{"d":' * 5000}
    )
    assert (response.status_code, _error_code(response)) == (400, "SMN.0021")


@pytest.mark.parametrize("number", ["²", "٣", "9" * 40, "9" * 5000])
def test_odd_numerals_in_csms_are_csms_0002(client: httpx.Client, number: str) -> None:
    """Seed 001: limit "1-1000", offset "必须为数字，不能为负数" - an unusable number is a parameter error."""
    project = _project(client)
    assert client.post(f"/v1/{project}/secrets", json={"name": "s1", "secret_string": "v"}).status_code == 200
    action = f"/v1/{project}/csms/resource_instances/action"
    for answer in (
        client.get(f"/v1/{project}/secrets", params={"limit": number}),
        client.get(f"/v1/{project}/secrets/s1/versions", params={"marker": f"v{number}"}),
        client.post(action, json={"action": "filter", "limit": number}),
        client.post(action, json={"action": "filter", "offset": number}),
    ):
        assert (answer.status_code, _error_code(answer)) == (400, "CSMS.0002"), answer.text


@pytest.mark.parametrize("number", ["²", "9" * 5000])
def test_odd_version_ids_are_not_found(client: httpx.Client, number: str) -> None:
    project = _project(client)
    client.post(f"/v1/{project}/secrets", json={"name": "s1", "secret_string": "v"})
    answer = client.get(f"/v1/{project}/secrets/s1/versions/v{number}")
    assert answer.status_code < 500 and _error_code(answer) == "CSMS.0005"


BODIES = [b"{", b"[]", b"null", b'"s"', b"123", b"\xff\xfe", DEEP, b'{"x": NaN}', b"1e999999"]
WRONG_VALUES: list[Any] = [None, [], {}, "x", -1, 10**30, 1.5, True, "ß" * 5000]
FIELDS = [
    "auth",
    "name",
    "message",
    "subject",
    "count",
    "period_num",
    "is_auto_pay",
    "machine_code",
    "secret_string",
    "secret_binary",
    "version_stages",
    "tags",
    "matches",
    "limit",
    "offset",
    "action",
    "key",
    "value",
    "expire_time",
    "recovery_window_in_days",
]
QUERY = {"limit": ["abc", "-1", "²", "9" * 5000, ""], "offset": ["1e5", "\x00"], "status": ["??"]}


def _routes(emulator: Emulator, project: str, topic: str) -> list[tuple[str, str]]:
    fill = {"project_id": project, "topic_urn": topic, "secret_name": "s1", "version_id": "v1"}
    found = []
    for name in SERVICES:
        for route in emulator.service(name).routes:
            template = route.pattern.pattern.removeprefix("^").removesuffix("/?$")
            path = re.sub(r"\(\?P<(\w+)>\[\^/\]\+\)", lambda m: fill.get(m.group(1), "zz"), template)
            found.append((route.method, path.replace("\\", "")))
    return found


def test_every_route_answers_hostile_input_below_500(emulator: Emulator, client: httpx.Client) -> None:
    project = _project(client)
    topic = client.post(f"/v2/{project}/notifications/topics", json={"name": "t1"}).json()["topic_urn"]
    client.post(f"/v1/{project}/secrets", json={"name": "s1", "secret_string": "v"})
    routes = _routes(emulator, project, topic)
    assert len(routes) >= 30  # the sweep really covers the four services
    failures: list[str] = []

    def check(method: str, path: str, **kwargs: Any) -> None:
        try:
            status = client.request(method, path, **kwargs).status_code
        except Exception as exc:  # any escape is the defect being looked for
            failures.append(f"{method} {path} {str(kwargs)[:60]}: {type(exc).__name__}")
            return
        if status >= 500:
            failures.append(f"{method} {path} {str(kwargs)[:60]}: HTTP {status}")

    for method, path in routes:
        for body in BODIES:
            check(method, path, content=body, headers={"Content-Type": "application/json"})
        for field in FIELDS:
            for value in WRONG_VALUES:
                check(method, path, json={field: value})
        for name, values in QUERY.items():
            for value in values:
                check(method, path, params={name: value})
    assert failures == []
