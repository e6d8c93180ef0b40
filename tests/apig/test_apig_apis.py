"""Registering, modifying, listing and deleting API definitions: validation per table 3-149 and errors."""

from __future__ import annotations

from typing import Any

import pytest
from apig_bodies import http_api, mock_api

from devkit.emulator.services.apig.state import RELEASE_ENV_ID, Instance
from shared.clients.apig import ApigClient
from shared.errors import BadRequestError, ConflictError, NotFoundError, QuotaExceededError


@pytest.fixture
async def group_id(apig: ApigClient) -> str:
    return (await apig.create_group("api_group_001")).id


async def test_register_echoes_the_definition(apig: ApigClient, group_id: str) -> None:
    body = http_api(
        group_id,
        req_uri="/users/{userId}",
        req_params=[
            {"name": "userId", "location": "PATH", "type": "STRING"},
            {"name": "query_demo", "location": "QUERY", "type": "STRING", "required": 1},
        ],
        backend_params=[
            {"name": "backQuery", "value": "query_demo", "location": "QUERY", "origin": "REQUEST"}
        ],
        tags=["webApi"],
    )
    api = await apig.create_api(body)
    wire = api.definition
    assert (api.group_name, api.match_mode, wire["status"], wire["cors"]) == (
        "api_group_001",
        "NORMAL",
        1,
        False,
    )
    assert wire["auth_opt"] == {"app_code_auth_type": "DISABLE"}
    assert wire["backend_api"]["vpc_channel_status"] == 2 and len(wire["backend_api"]["id"]) == 32
    path_param, query_param = wire["req_params"]
    assert path_param["required"] == 1 and query_param["required"] == 1, "PATH parameters default to required"
    assert wire["backend_params"][0]["req_param_id"] == query_param["id"]
    assert (await apig.get_api(api.id)).definition == wire


@pytest.mark.parametrize(
    ("change", "field", "code"),
    [
        ({"name": None}, "name", "APIG.2001"),
        ({"req_method": "FETCH"}, "req_method", "APIG.2011"),
        ({"req_protocol": "FTP"}, "req_protocol", "APIG.2011"),
        ({"auth_type": "TOKEN"}, "auth_type", "APIG.2011"),
        ({"backend_type": "GRPC"}, "backend_type", "APIG.2011"),
        ({"match_mode": "PREFIX"}, "match_mode", "APIG.2011"),
        ({"type": 3}, "type", "APIG.2011"),
        ({"type": True}, "type", "APIG.2011"),
        ({"cors": 1}, "cors", "APIG.2011"),
        ({"req_uri": "no-slash"}, "req_uri", "APIG.2011"),
        ({"name": "1starts_with_digit"}, "name", "APIG.2011"),
        ({"auth_type": "AUTHORIZER"}, "authorizer_id", "APIG.2001"),
        ({"auth_opt": {"app_code_auth_type": "QUERY"}}, "app_code_auth_type", "APIG.2011"),
    ],
)
async def test_invalid_fields_are_refused(
    apig: ApigClient, group_id: str, change: dict[str, Any], field: str, code: str
) -> None:
    body = {k: v for k, v in {**mock_api(group_id), **change}.items() if v is not None}
    with pytest.raises(BadRequestError) as err:
        await apig.create_api(body)
    assert err.value.error_code == code
    assert f"parameterName:{field}" in err.value.error_msg


async def test_backend_rules(apig: ApigClient, group_id: str) -> None:
    no_backend = http_api(group_id)
    del no_backend["backend_api"]
    with pytest.raises(BadRequestError) as missing:
        await apig.create_api(no_backend)
    assert "parameterName:backend_api" in missing.value.error_msg
    slow = http_api(group_id)
    slow["backend_api"]["timeout"] = 60001
    with pytest.raises(BadRequestError) as timeout:
        await apig.create_api(slow)
    assert "parameterName:timeout" in timeout.value.error_msg
    with pytest.raises(BadRequestError) as path:
        await apig.create_api(mock_api(group_id, uri="/users/{userId}"))
    assert path.value.error_code == "APIG.2026"
    with pytest.raises(BadRequestError) as mapped:
        await apig.create_api(
            mock_api(
                group_id,
                backend_params=[{"name": "b", "value": "nope", "location": "QUERY", "origin": "REQUEST"}],
            )
        )
    assert mapped.value.error_code == "APIG.2028"


async def test_duplicates_and_missing_group(apig: ApigClient, group_id: str) -> None:
    await apig.create_api(mock_api(group_id))
    with pytest.raises(ConflictError) as name:
        await apig.create_api(mock_api(group_id, uri="/other"))
    assert name.value.error_code == "APIG.3202"
    with pytest.raises(ConflictError) as route:
        await apig.create_api(mock_api(group_id, name="api_other"))
    assert route.value.error_code == "APIG.3301"
    # Same method and path with another match mode is a different API.
    await apig.create_api(mock_api(group_id, name="api_prefix", match_mode="SWA"))
    with pytest.raises(NotFoundError) as group:
        await apig.create_api(mock_api("0" * 32))
    assert group.value.error_code == "APIG.3001"


async def test_quotas(apig: ApigClient, group_id: str, instance: Instance) -> None:
    instance.quotas["API_NUM_LIMIT_PER_GROUP"] = 1
    await apig.create_api(mock_api(group_id))
    with pytest.raises(QuotaExceededError) as per_group:
        await apig.create_api(mock_api(group_id, name="api_two", uri="/two"))
    assert (per_group.value.status, per_group.value.error_code) == (403, "APIG.3125")
    instance.quotas["API_NUM_LIMIT"] = 1
    other = await apig.create_group("api_group_002")
    with pytest.raises(QuotaExceededError) as total:
        await apig.create_api(mock_api(other.id))
    assert total.value.error_code == "APIG.3102"


async def test_modify_keeps_identity_and_needs_republish(apig: ApigClient, group_id: str) -> None:
    api = await apig.create_api(mock_api(group_id))
    await apig.publish_api(api.id)
    definition = {**api.definition, "mock_info": {"result_content": "changed"}, "remark": "v2"}
    updated = await apig.update_api(api.id, definition)
    assert (updated.id, updated.remark, updated.definition["register_time"]) == (
        api.id,
        "v2",
        api.definition["register_time"],
    )
    runtime = await apig.get_runtime_definition(api.id)
    assert runtime.remark is None, "the runtime definition is the published snapshot, not the draft"
    with pytest.raises(NotFoundError):
        await apig.update_api("0" * 32, definition)


async def test_delete_requires_offline(apig: ApigClient, group_id: str) -> None:
    api = await apig.create_api(mock_api(group_id))
    await apig.publish_api(api.id)
    with pytest.raises(ConflictError) as published:
        await apig.delete_api(api.id)
    assert (published.value.status, published.value.error_code) == (403, "APIG.3416")
    await apig.offline_api(api.id)
    await apig.delete_api(api.id)
    with pytest.raises(NotFoundError) as gone:
        await apig.get_api(api.id)
    assert gone.value.error_code == "APIG.3002"


async def test_list_filters(apig: ApigClient, group_id: str) -> None:
    other = (await apig.create_group("api_group_002")).id
    a = await apig.create_api(mock_api(group_id, name="orders_list", uri="/orders"))
    b = await apig.create_api(
        mock_api(
            group_id,
            name="orders_get",
            uri="/orders/{id}",
            req_params=[{"name": "id", "location": "PATH", "type": "STRING"}],
            auth_type="APP",
        )
    )
    c = await apig.create_api(mock_api(other, name="users_list", uri="/users", type=2))
    await apig.publish_api(b.id)

    async def ids(**filters: Any) -> list[str]:
        return [x.id async for x in apig.iter_apis(**filters)]

    assert await ids() == [a.id, b.id, c.id]
    assert await ids(group_id=group_id) == [a.id, b.id]
    assert await ids(name="orders") == [a.id, b.id]
    assert await ids(name="orders", precise=("name",)) == []
    assert await ids(req_uri="/orders", precise=("req_uri",)) == [a.id]
    assert await ids(auth_type="APP") == [b.id]
    assert await ids(type=2) == [c.id]
    assert await ids(env_id=RELEASE_ENV_ID) == [b.id]
    listed = await apig.list_apis(id=b.id)
    assert listed.items[0].publish_ids() == {RELEASE_ENV_ID: listed.items[0].publish_id}
    assert "mock_info" not in listed.items[0].definition, "ApiInfoPerPage has no backend details"
    with pytest.raises(TypeError):
        await apig.list_apis(colour="red")
    with pytest.raises(BadRequestError) as limit:
        await apig.list_apis(limit=501)
    assert limit.value.error_code == "APIG.2012"


async def test_function_backend(apig: ApigClient, group_id: str) -> None:
    urn = "urn:fss:cn-north-4:73d69ae0cfcf460190522d06b60f05ad:function:default:demo"
    func = {"function_urn": urn, "invocation_type": "sync", "network_type": "V1", "timeout": 5000}
    body = mock_api(group_id, backend_type="FUNCTION", func_info=func)
    del body["mock_info"]
    api = await apig.create_api(body)
    assert api.definition["func_info"]["function_urn"] == urn and api.backend_type == "FUNCTION"
    for field, value in (("invocation_type", "later"), ("network_type", "V3"), ("timeout", 0)):
        broken = {**body, "name": "api_broken", "req_uri": "/broken", "func_info": {**func, field: value}}
        with pytest.raises(BadRequestError) as err:
            await apig.create_api(broken)
        assert f"parameterName:{field}" in err.value.error_msg
