"""ListResourceInstances (seed 001): tag AND/OR, ``matches``, ``count``, string ``limit``/``offset``, paging,
the answer's shape and every validation error."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from devkit.emulator.core import Emulator
from shared.clients.csms import CsmsClient
from shared.errors import BadRequestError

ACTION = "/v1/{project}/csms/resource_instances/action"


async def _seed(csms: CsmsClient) -> dict[str, str]:
    """Five secrets: name -> id, tagged for the AND/OR cases."""
    tags = {
        "app-db": {"env": "prod", "team": "data"},
        "app-cache": {"env": "prod", "team": "web"},
        "billing-db": {"env": "dev", "team": "data"},
        "web-token": {"env": "staging"},
        "untagged": {},
    }
    ids = {}
    for name, pairs in tags.items():
        secret = await csms.create_secret(name, secret_string="v")
        ids[name] = secret.id
        if pairs:
            await csms.batch_create_or_delete_tags(secret.id, "create", pairs)
    return ids


async def _found(csms: CsmsClient, **kwargs: Any) -> list[str]:
    return [r.resource_name async for r in csms.iter_resource_instances(**kwargs)]


async def _post(raw: httpx.AsyncClient, csms: CsmsClient, body: Any) -> httpx.Response:
    return await raw.post(ACTION.format(project=csms.project_id), json=body)


async def test_keys_are_anded_and_values_ored(csms: CsmsClient) -> None:
    await _seed(csms)
    assert await _found(csms, tags={"env": ["prod"]}) == ["app-cache", "app-db"]
    assert await _found(csms, tags={"env": ["prod", "dev"]}) == ["app-cache", "app-db", "billing-db"]
    assert await _found(csms, tags={"env": ["prod", "dev"], "team": ["data"]}) == ["app-db", "billing-db"]
    assert await _found(csms, tags={"env": ["prod"], "team": ["nobody"]}) == []
    assert await _found(csms, tags={"missing": ["x"]}) == []


async def test_an_empty_values_list_means_the_key_is_present(csms: CsmsClient) -> None:
    await _seed(csms)
    assert await _found(csms, tags={"team": []}) == ["app-cache", "app-db", "billing-db"]
    assert await _found(csms, tags={"env": [], "team": ["web"]}) == ["app-cache"]


async def test_matches_is_a_fuzzy_name_search_and_combines_with_tags(csms: CsmsClient) -> None:
    await _seed(csms)
    assert await _found(csms, name_contains="db") == ["app-db", "billing-db"]
    assert await _found(csms, name_contains="APP") == ["app-cache", "app-db"]
    assert await _found(csms, name_contains="db", tags={"env": ["prod"]}) == ["app-db"]
    assert await _found(csms, name_contains="zzz") == []


async def test_an_empty_match_value_returns_nothing(csms: CsmsClient) -> None:
    """Seed 001: "为空返回空值" - an empty ``matches`` value answers an empty result, not everything."""
    await _seed(csms)
    page = await csms.list_resource_instances(name_contains="")
    assert page.resources == [] and page.total_count == 0
    assert await csms.count_resource_instances(name_contains="") == 0


async def test_count_answers_only_total_count(csms: CsmsClient, raw: httpx.AsyncClient) -> None:
    await _seed(csms)
    assert await csms.count_resource_instances() == 5
    assert await csms.count_resource_instances(tags={"env": ["prod"]}) == 2
    response = await _post(raw, csms, {"action": "count", "tags": [{"key": "team", "values": []}]})
    assert response.json() == {"total_count": 3}
    ignored = await _post(raw, csms, {"action": "count", "limit": "0", "offset": "-5"})
    assert ignored.json() == {"total_count": 5}  # "无需设置此参数": count ignores limit and offset


async def test_resource_shape(csms: CsmsClient, raw: httpx.AsyncClient) -> None:
    ids = await _seed(csms)
    response = await _post(
        raw, csms, {"action": "filter", "matches": [{"key": "resource_name", "value": "app-db"}]}
    )
    body = response.json()
    assert set(body) == {"resources", "total_count"} and body["total_count"] == 1
    (resource,) = body["resources"]
    assert set(resource) == {"resource_id", "resource_name", "resource_detail", "tags", "sys_tags"}
    assert resource["resource_id"] == ids["app-db"] and resource["resource_name"] == "app-db"
    assert resource["tags"] == [{"key": "env", "value": "prod"}, {"key": "team", "value": "data"}]
    assert resource["sys_tags"] == []
    detail = resource["resource_detail"]
    times = {"create_time", "update_time", "scheduled_delete_time"}
    assert set(detail) == {"id", "name", "state", "kms_key_id", "description", *times}
    assert (detail["id"], detail["name"], detail["state"]) == (ids["app-db"], "app-db", "ENABLED")
    assert detail["scheduled_delete_time"] is None
    untagged = await _post(raw, csms, {"matches": [{"key": "resource_name", "value": "untagged"}]})
    assert untagged.json()["resources"][0]["tags"] == []


async def test_pending_delete_secrets_are_listed_with_their_state(csms: CsmsClient) -> None:
    await _seed(csms)
    await csms.schedule_secret_deletion("web-token", 7)
    page = await csms.list_resource_instances(tags={"env": ["staging"]})
    detail = page.resources[0].resource_detail
    assert detail is not None and detail.state == "PENDING_DELETE" and detail.scheduled_delete_time


async def test_limit_and_offset_travel_as_strings(csms: CsmsClient, emulator: Emulator) -> None:
    seen: list[dict[str, Any]] = []

    def spy(call: Any) -> None:
        if call.operation == "ListResourceInstances":
            seen.append(json.loads(call.body))

    emulator.before_dispatch.append(spy)
    await csms.list_resource_instances(limit=5, offset=10)
    assert seen[0]["limit"] == "5" and seen[0]["offset"] == "10" and seen[0]["action"] == "filter"


async def test_default_limit_is_10_and_offset_0(csms: CsmsClient, raw: httpx.AsyncClient) -> None:
    for i in range(12):
        await csms.create_secret(f"s{i:02d}", secret_string="v")
    body = (await _post(raw, csms, {})).json()
    assert [r["resource_name"] for r in body["resources"]] == [f"s{i:02d}" for i in range(10)]
    assert body["total_count"] == 12
    numeric = (await _post(raw, csms, {"limit": 2, "offset": 11})).json()
    assert [r["resource_name"] for r in numeric["resources"]] == ["s11"]


async def test_paging_edges(csms: CsmsClient) -> None:
    empty = await csms.list_resource_instances()
    assert empty.resources == [] and empty.total_count == 0
    assert await _found(csms) == []
    for i in range(6):
        await csms.create_secret(f"p{i}", secret_string="v")
    exact = await csms.list_resource_instances(limit=6)
    assert len(exact.resources) == 6 and exact.total_count == 6
    partial = await csms.list_resource_instances(limit=4, offset=4)
    assert [r.resource_name for r in partial.resources] == ["p4", "p5"] and partial.total_count == 6
    beyond = await csms.list_resource_instances(limit=4, offset=60)
    assert beyond.resources == [] and beyond.total_count == 6
    assert await _found(csms, page_size=3) == [f"p{i}" for i in range(6)]
    assert await _found(csms, page_size=6) == [f"p{i}" for i in range(6)]
    assert await _found(csms, page_size=4) == [f"p{i}" for i in range(6)]


async def test_iteration_walks_every_page_of_a_tag_filter(csms: CsmsClient) -> None:
    for i in range(25):
        secret = await csms.create_secret(f"k{i:02d}", secret_string="v")
        await csms.create_secret_tag(secret.id, "rotate", "yes" if i % 2 else "no")
    found = await _found(csms, tags={"rotate": ["yes"]}, page_size=4)
    assert found == [f"k{i:02d}" for i in range(25) if i % 2]


@pytest.mark.parametrize(
    "body",
    [
        {"action": "list"},
        {"limit": "0"},
        {"limit": "1001"},
        {"limit": "-1"},
        {"limit": "ten"},
        {"limit": "1.5"},
        {"offset": "-1"},
        {"offset": "x"},
        {"tags": [{"key": "", "values": ["a"]}]},
        {"tags": [{"key": "k" * 37, "values": []}]},
        {"tags": [{"key": "k", "values": ["v" * 44]}]},
        {"tags": [{"key": "a=b", "values": []}]},
        {"tags": [{"key": "k", "values": ["a*"]}]},
        {"tags": [{"key": "k\n", "values": []}]},
        {"tags": [{"key": "k", "values": []}, {"key": "k", "values": []}]},
        {"tags": [{"key": "k", "values": ["a", "a"]}]},
        {"tags": [{"key": f"k{i}", "values": []} for i in range(21)]},
        {"matches": [{"key": "resource_id", "value": "x"}]},
        {"matches": [{"key": "resource_name", "value": "x" * 256}]},
        {"sequence": "too-short"},
    ],
)
async def test_invalid_values_answer_csms_0002(csms: CsmsClient, raw: httpx.AsyncClient, body: Any) -> None:
    response = await _post(raw, csms, body)
    assert response.status_code == 400
    assert response.json()["error"]["error_code"] == "CSMS.0002"


@pytest.mark.parametrize(
    "body",
    [
        [],
        {"tags": {"k": "v"}},
        {"tags": ["k"]},
        {"tags": [{"key": "k", "values": "v"}]},
        {"matches": "name"},
        {"limit": ["1"]},
        {"limit": True},
    ],
)
async def test_wrongly_shaped_bodies_answer_csms_0004(
    csms: CsmsClient, raw: httpx.AsyncClient, body: Any
) -> None:
    response = await _post(raw, csms, body)
    assert (response.status_code, response.json()["error"]["error_code"]) == (400, "CSMS.0004")


async def test_limits_at_the_edges_are_accepted(csms: CsmsClient, raw: httpx.AsyncClient) -> None:
    for body in (
        {"limit": "1"},
        {"limit": "1000"},
        {"offset": "0"},
        {"tags": [{"key": "键" * 36, "values": ["值" * 43, ""]}]},
        {"tags": [{"key": f"k{i}", "values": []} for i in range(20)]},
        {"matches": [{"key": "resource_name", "value": "x" * 255}]},
        {"sequence": "919c82d4-8046-4722-9094-35c3c6524cff"},
    ):
        assert (await _post(raw, csms, body)).status_code == 200, body


async def test_only_the_literal_resource_instances_segment_is_an_action(
    csms: CsmsClient, raw: httpx.AsyncClient
) -> None:
    response = await raw.post(f"/v1/{csms.project_id}/csms/instances/action", json={})
    assert response.json()["error"]["error_code"] == "CSMS.0003"


async def test_client_rejects_nothing_the_service_would_accept(csms: CsmsClient) -> None:
    with pytest.raises(BadRequestError) as err:
        await csms.list_resource_instances(limit=1001)
    assert err.value.error_code == "CSMS.0002" and err.value.status == 400
