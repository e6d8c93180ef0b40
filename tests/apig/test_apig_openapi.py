"""OpenAPI (Swagger 2.0 + ``x-apigateway-*``) export and multipart import."""

from __future__ import annotations

import json
from typing import Any

import pytest
from apig_bodies import http_api, mock_api

from shared.clients.apig import ApigClient
from shared.errors import BadRequestError, NotFoundError


def swagger(paths: dict[str, Any], title: str = "imported_group") -> dict[str, Any]:
    return {"swagger": "2.0", "info": {"title": title, "version": "1.0"}, "paths": paths}


async def test_export_then_import_round_trip(apig: ApigClient) -> None:
    group = await apig.create_group("source_group")
    web = await apig.create_api(
        http_api(group.id, auth_type="APP", req_params=[{"name": "q", "location": "QUERY", "type": "STRING"}])
    )
    mock = await apig.create_api(mock_api(group.id, req_method="ANY", match_mode="SWA"))
    await apig.publish_api(web.id)

    published = await apig.export_openapi(group.id)
    assert published["swagger"] == "2.0" and list(published["paths"]) == ["/test/http"]
    operation = published["paths"]["/test/http"]["get"]
    assert operation["security"] == [{"apig-auth-app": []}]
    assert operation["x-apigateway-backend"]["httpEndpoints"]["address"] == "backend.example.com:8443"
    assert operation["parameters"][0] == {"name": "q", "in": "query", "type": "string", "required": False}

    draft = await apig.export_openapi(group.id, define="dev")
    assert set(draft["paths"]) == {"/test/http", "/test/mock"}
    assert "x-apigateway-any-method" in draft["paths"]["/test/mock"]

    target = await apig.create_group("target_group")
    result = await apig.import_openapi(draft, group_id=target.id)
    assert result.group_id == target.id and not result.failure
    assert sorted((s.method, s.action) for s in result.success) == [("ANY", "create"), ("GET", "create")]
    copies = {a.req_uri: a async for a in apig.iter_apis(group_id=target.id)}
    assert copies["/test/http"].auth_type == "APP" and copies["/test/mock"].match_mode == "SWA"
    copied_mock = await apig.get_api(copies["/test/mock"].id)
    assert copied_mock.definition["mock_info"]["result_content"] == "mock success"
    assert mock.id not in {a.id for a in copies.values()}


async def test_import_merge_reports_clashes_and_override_rewrites(apig: ApigClient) -> None:
    group = await apig.create_group("merge_group")
    existing = await apig.create_api(mock_api(group.id, name="api_demo", uri="/test/demo"))
    document = swagger(
        {
            "/test/demo": {"get": {"operationId": "api_demo", "description": "new text"}},
            "/test": {"get": {"operationId": "api_new"}},
        }
    )
    merged = await apig.import_openapi(document, group_id=group.id)
    assert [(f.path, f.error_code) for f in merged.failure] == [("/test/demo", "APIG.3301")]
    assert [(s.path, s.action) for s in merged.success] == [("/test", "create")]
    overridden = await apig.import_openapi(document, group_id=group.id, api_mode="override")
    assert {(s.path, s.action) for s in overridden.success} == {("/test/demo", "update"), ("/test", "update")}
    assert (await apig.get_api(existing.id)).remark == "new text"


async def test_import_into_a_new_group(apig: ApigClient) -> None:
    yaml_text = (
        "swagger: '2.0'\ninfo:\n  title: yaml_group\n  version: '1'\n"
        "paths:\n  /ping:\n    get:\n      operationId: ping_api\n"
    )
    result = await apig.import_openapi(yaml_text, file_name="api.yaml")
    assert (await apig.get_group(result.group_id)).name == "yaml_group"
    with pytest.raises(Exception) as dup:
        await apig.import_openapi(yaml_text)
    assert getattr(dup.value, "error_code", "") == "APIG.3201"


@pytest.mark.parametrize(
    ("content", "code"),
    [
        (b"", "APIG.3609"),
        (b"{not json: [", "APIG.3600"),
        (json.dumps({"openapi": "3.0.0", "info": {}, "paths": {}}).encode(), "APIG.3601"),
        (json.dumps({"swagger": "2.0", "paths": []}).encode(), "APIG.3602"),
    ],
)
async def test_import_rejects_bad_files(apig: ApigClient, content: bytes, code: str) -> None:
    group = await apig.create_group("bad_file_group")
    with pytest.raises(BadRequestError) as err:
        await apig.import_openapi(content, group_id=group.id)
    assert err.value.error_code == code


async def test_export_errors(apig: ApigClient) -> None:
    with pytest.raises(NotFoundError) as group:
        await apig.export_openapi("0" * 32)
    assert group.value.error_code == "APIG.3001"
    real = await apig.create_group("export_group")
    with pytest.raises(BadRequestError) as env:
        await apig.export_openapi(real.id, env_id=None)
    assert "parameterName:env_id" in env.value.error_msg, (
        "3.17.1's example: env_id is needed unless define=dev"
    )
    with pytest.raises(NotFoundError):
        await apig.import_openapi(swagger({}), group_id="0" * 32)
