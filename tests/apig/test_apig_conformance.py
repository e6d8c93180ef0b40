"""APIG answers against the documented status codes and the official SDK's field names.

A raw-HTTP scenario (no opsfn client in the loop) drives ~60 management operations through their happy
path. Every 2xx answer is then checked two ways, independently of the client tests:

* its status equals the success status of the matching row of the seed's endpoint table (digest section
  2.1: 201 for creates, 204 for deletes, and the exceptions 3.5.8 batch publish 200, 3.12.2 modify APP
  "201 OK", 3.12.9 auto AppCode 201 and 3.12.11 *get* AppCode 201);
* every JSON field name, recursively through nested objects and lists, is one the SDK's response model of
  that operation declares (``<Operation>Response.attribute_map``): a misspelt or invented field would be
  silently dropped by the SDK and only fail against the real cloud.

Answers the seed's response tables (and the SDK) define narrower than a neighbour's: 3.24.11 list items
are the ``RespInstanceBase`` summary (no description, maintenance window, version, features); 3.14.5 ACL
detail has no ``bind_num``; 3.5.11 runtime definition has none of the 3.5.5 bookkeeping fields (status,
arrange_necessary, group_version, register/update time).
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import huaweicloudsdkapig.v2 as sdk
import pytest

from devkit.emulator.credentials import DEMO_HUAWEI_AK, DEMO_HUAWEI_SK, DEMO_REGION
from devkit.emulator.registry import build_emulator
from devkit.emulator.services.apig.state import DEFAULT_INSTANCE_ID, RELEASE_ENV_ID
from shared.config import Settings

pytestmark = pytest.mark.sdk  # conformance against the official SDKs' own models

PROJECT = "c4c4c4c4c4c4c4c4c4c4c4c4c4c4c4c4"
ROOT = f"/v2/{PROJECT}/apigw"
BASE = f"{ROOT}/instances/{DEFAULT_INSTANCE_ID}"
DIGEST = Path("/work/shared/reference/huawei-apig.md")
ROW = re.compile(r"^\| (3\.\d+\.\d+) \|[^|]*\|[^|]*\| (GET|POST|PUT|DELETE) \| `([^`]+)` \| (\d{3})")


@functools.cache
def documented_rows() -> tuple[tuple[str, str, re.Pattern[str], int], ...]:
    rows = []
    for line in DIGEST.read_text(encoding="utf-8").splitlines():
        m = ROW.match(line)
        if m:
            regex = "^" + re.sub(r"\\\{\w+\\\}", "[^/]+", re.escape(m.group(3))) + "$"
            rows.append((m.group(1), m.group(2), re.compile(regex), int(m.group(4))))
    return tuple(rows)


def documented_status(method: str, path: str) -> tuple[str, int]:
    """The section and success status of the row for this call; literal segments win over placeholders."""
    candidates = [(s, st, p) for s, m, p, st in documented_rows() if m == method and p.match(path)]
    assert candidates, f"{method} {path} matches no documented endpoint"
    section, status, _ = max(candidates, key=lambda c: c[2].pattern.count("[^/]+") * -1)
    return section, status


class Recorder:
    """Runs the emulator in-process and keeps (operation, method, path, status, body) of every answer."""

    def __init__(self) -> None:
        self.emulator = build_emulator()
        self.calls: list[tuple[str, str, str, int, Any]] = []
        cfg = Settings.from_env(
            {
                "HUAWEICLOUD_SDK_AK": DEMO_HUAWEI_AK,
                "HUAWEICLOUD_SDK_SK": DEMO_HUAWEI_SK,
                "HUAWEICLOUD_SDK_REGION": DEMO_REGION,
                "HUAWEICLOUD_SDK_PROJECT_ID": PROJECT,
            }
        )
        self.http = httpx.Client(
            transport=httpx.MockTransport(self.handle), auth=cfg.huawei_auth(), base_url=cfg.endpoint("apig")
        )

    def handle(self, request: httpx.Request) -> httpx.Response:
        response = self.emulator.handle(request)
        found = self.emulator.service("apig").match(request.method, request.url.path)
        operation = found[0].operation if found else ""
        body = json.loads(response.content) if response.content else None
        self.calls.append((operation, request.method, request.url.path, response.status_code, body))
        return response

    def do(self, method: str, path: str, body: Any = None, **params: Any) -> Any:
        answer = self.http.request(method, BASE + path, json=body, params=params or None)
        assert answer.status_code < 300, (method, path, answer.status_code, answer.text[:400])
        return answer.json() if answer.content else None


def run_scenario(r: Recorder) -> None:
    r.http.get(f"{ROOT}/instances")
    r.do("GET", "")
    r.do("GET", "/project/configs")
    group = r.do("POST", "/api-groups", {"name": "conf_group", "remark": "audit"})
    gid = group["id"]
    r.do("PUT", f"/api-groups/{gid}", {"name": "conf_group", "remark": "changed"})
    r.do("GET", f"/api-groups/{gid}")
    r.do("GET", "/api-groups")
    env = r.do("POST", "/envs", {"name": "CONF_ENV", "remark": "e"})
    r.do("PUT", f"/envs/{env['id']}", {"name": "CONF_ENV", "remark": "e2"})
    r.do("GET", "/envs")
    var = r.do(
        "POST",
        "/env-variables",
        {"group_id": gid, "env_id": env["id"], "variable_name": "host", "variable_value": "a.example.com"},
    )
    r.do("GET", f"/env-variables/{var['id']}")
    r.do("GET", "/env-variables", group_id=gid)
    api_body = {
        "group_id": gid,
        "name": "conf_api",
        "type": 1,
        "req_protocol": "HTTPS",
        "req_method": "GET",
        "req_uri": "/conf",
        "auth_type": "APP",
        "backend_type": "MOCK",
        "mock_info": {"result_content": "ok"},
        "req_params": [{"name": "q", "type": "STRING", "location": "QUERY"}],
    }
    api = r.do("POST", "/apis", api_body)
    aid = api["id"]
    r.do("PUT", f"/apis/{aid}", {**api_body, "remark": "v2"})
    r.do("GET", f"/apis/{aid}")
    r.do("GET", "/apis", group_id=gid)
    record = r.do("POST", "/apis/action", {"action": "online", "env_id": RELEASE_ENV_ID, "api_id": aid})
    r.do("POST", "/apis/action", {"action": "online", "env_id": env["id"], "api_id": aid})
    r.do("GET", f"/apis/publish/{aid}", env_id=RELEASE_ENV_ID)
    r.do("PUT", f"/apis/publish/{aid}", {"version_id": record["version_id"]})
    r.do("GET", f"/apis/runtime/{aid}")
    r.do("GET", f"/apis/versions/{record['version_id']}")
    r.do(
        "POST",
        f"/apis/debug/{aid}",
        {"mode": "DEVELOPER", "scheme": "HTTPS", "method": "GET", "path": "/conf", "stage": "RELEASE"},
    )
    r.do("POST", "/apis/publish", {"apis": [aid], "env_id": env["id"]}, action="online")
    publish_id = r.do("GET", f"/apis/{aid}")["publish_id"].split("|")[0]

    sign = r.do("POST", "/signs", {"name": "conf_sign", "sign_type": "hmac"})
    r.do("PUT", f"/signs/{sign['id']}", {"name": "conf_sign", "sign_type": "hmac", "sign_key": "k" * 12})
    r.do("GET", "/signs")
    binding = r.do("POST", "/sign-bindings", {"sign_id": sign["id"], "publish_ids": [publish_id]})
    r.do("GET", "/sign-bindings/binded-signs", api_id=aid)
    r.do("GET", "/sign-bindings/binded-apis", sign_id=sign["id"])
    r.do("GET", "/sign-bindings/unbinded-apis", sign_id=sign["id"], env_id=RELEASE_ENV_ID)
    r.do("DELETE", f"/sign-bindings/{binding['bindings'][0]['id']}")

    throttle = r.do(
        "POST",
        "/throttles",
        {"name": "conf_thr", "api_call_limits": 10, "time_interval": 1, "time_unit": "SECOND"},
    )
    tid = throttle["id"]
    r.do(
        "PUT",
        f"/throttles/{tid}",
        {"name": "conf_thr", "api_call_limits": 20, "time_interval": 1, "time_unit": "SECOND"},
    )
    r.do("GET", f"/throttles/{tid}")
    r.do("GET", "/throttles")
    applied = r.do("POST", "/throttle-bindings", {"strategy_id": tid, "publish_ids": [publish_id]})
    r.do("GET", "/throttle-bindings/binded-apis", throttle_id=tid)
    r.do("GET", "/throttle-bindings/unbinded-apis", throttle_id=tid)
    r.do("GET", "/throttle-bindings/binded-throttles", api_id=aid)
    r.do("DELETE", f"/throttle-bindings/{applied['throttle_applys'][0]['id']}")

    acl = r.do(
        "POST",
        "/acls",
        {"acl_name": "conf_acl", "acl_type": "PERMIT", "acl_value": "10.0.0.1", "entity_type": "IP"},
    )
    r.do(
        "PUT",
        f"/acls/{acl['id']}",
        {"acl_name": "conf_acl", "acl_type": "DENY", "acl_value": "10.0.0.2", "entity_type": "IP"},
    )
    r.do("GET", f"/acls/{acl['id']}")
    r.do("GET", "/acls")
    acl_binding = r.do("POST", "/acl-bindings", {"acl_id": acl["id"], "publish_ids": [publish_id]})
    r.do("GET", "/acl-bindings/binded-apis", acl_id=acl["id"])
    r.do("GET", "/acl-bindings/unbound-apis", acl_id=acl["id"])
    r.do("GET", "/acl-bindings/binded-acls", api_id=aid)
    r.do("DELETE", f"/acl-bindings/{acl_binding['acl_bindings'][0]['id']}")

    app = r.do("POST", "/apps", {"name": "conf_app", "remark": "a"})
    app_id = app["id"]
    r.do("PUT", f"/apps/{app_id}", {"name": "conf_app", "remark": "b"})
    r.do("GET", f"/apps/{app_id}")
    r.do("GET", f"/apps/validation/{app_id}")
    r.do("GET", "/apps")
    r.do("PUT", f"/apps/secret/{app_id}", {})
    code = r.do("PUT", f"/apps/{app_id}/app-codes")
    r.do("GET", f"/apps/{app_id}/app-codes/{code['id']}")
    r.do("GET", f"/apps/{app_id}/app-codes")
    r.do("POST", f"/apps/{app_id}/app-codes", {"app_code": "A" * 64})
    r.do("DELETE", f"/apps/{app_id}/app-codes/{code['id']}")
    auths = r.do("POST", "/app-auths", {"env_id": RELEASE_ENV_ID, "app_ids": [app_id], "api_ids": [aid]})
    r.do("GET", "/app-auths/binded-apis", app_id=app_id)
    r.do("GET", "/app-auths/binded-apps", api_id=aid)
    r.do("GET", "/app-auths/unbound-apis", app_id=app_id, env_id=RELEASE_ENV_ID)
    r.do("DELETE", f"/app-auths/{auths['auths'][0]['id']}")

    r.do("POST", "/apis/publish", {"apis": [aid], "env_id": env["id"]}, action="offline")
    r.do("DELETE", f"/apis/versions/{record['version_id']}")
    r.do("DELETE", f"/apps/{app_id}")
    r.do("DELETE", f"/acls/{acl['id']}")
    r.do("DELETE", f"/throttles/{tid}")
    r.do("DELETE", f"/signs/{sign['id']}")
    r.do("DELETE", f"/apis/{aid}")
    r.do("DELETE", f"/env-variables/{var['id']}")
    r.do("DELETE", f"/envs/{env['id']}")
    r.do("DELETE", f"/api-groups/{gid}")


@pytest.fixture(scope="module")
def recorded() -> Iterator[list[tuple[str, str, str, int, Any]]]:
    recorder = Recorder()
    run_scenario(recorder)
    yield recorder.calls
    recorder.http.close()


def test_the_scenario_covers_the_operations_the_functions_need(
    recorded: list[tuple[str, str, str, int, Any]],
) -> None:
    operations = {c[0] for c in recorded if c[3] < 300}
    assert len(operations) >= 60, sorted(operations)


def test_success_statuses_are_the_documented_ones(recorded: list[tuple[str, str, str, int, Any]]) -> None:
    wrong = []
    for operation, method, path, status, _ in recorded:
        section, expected = documented_status(method, path)
        if status != expected:
            wrong.append((section, operation, status, expected))
    assert wrong == []


def declared_fields(type_name: str) -> dict[str, str] | None:
    """``{json_key: type}`` of an SDK model class, or None for a primitive/unknown type."""
    model = getattr(sdk, type_name, None)
    if model is None or not hasattr(model, "attribute_map"):
        return None
    return {model.attribute_map[a]: t for a, t in model.openapi_types.items()}


def undeclared(value: Any, type_name: str, where: str) -> list[str]:
    if type_name.startswith("list[") and isinstance(value, list):
        inner = type_name[5:-1]
        return [u for item in value[:3] for u in undeclared(item, inner, where + "[]")]
    fields = declared_fields(type_name)
    if fields is None or not isinstance(value, dict):
        return []
    out = [f"{where}.{k}" for k in value if k not in fields]
    for key, item in value.items():
        if key in fields:
            out += undeclared(item, fields[key], f"{where}.{key}")
    return out


def test_every_answer_field_is_declared_by_the_sdk_model(
    recorded: list[tuple[str, str, str, int, Any]],
) -> None:
    checked = 0
    problems: list[str] = []
    for operation, _, _, status, body in recorded:
        if status >= 300 or not isinstance(body, dict):
            continue
        response_type = f"{operation}Response"
        assert declared_fields(response_type) is not None, response_type
        problems += undeclared(body, response_type, operation)
        checked += 1
    assert checked >= 50
    assert problems == [], "\n".join(problems)
