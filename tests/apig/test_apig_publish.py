"""Publishing, batch publishing, versions, rollback, runtime definitions and debug (smoke tests)."""

from __future__ import annotations

import httpx
import pytest
from apig_bodies import http_api, mock_api

from devkit.emulator.core import json_response
from devkit.emulator.services.apig.state import RELEASE_ENV_ID, ApigBackend, Instance
from shared.clients.apig import ApigClient
from shared.errors import BadRequestError, NotFoundError, ThrottledError


@pytest.fixture
async def group_id(apig: ApigClient) -> str:
    return (await apig.create_group("publish_group")).id


async def test_publish_creates_versions_and_new_publish_records(apig: ApigClient, group_id: str) -> None:
    api = await apig.create_api(mock_api(group_id))
    first = await apig.publish_api(api.id, remark="first")
    second = await apig.publish_api(api.id, remark="second")
    assert first.publish_id != second.publish_id and first.version_id != second.version_id
    versions = (await apig.list_versions(api.id)).items
    assert [(v.version_id, v.in_effect, v.env_name) for v in versions] == [
        (second.version_id, True, "RELEASE"),
        (first.version_id, False, "RELEASE"),
    ]
    detail = await apig.get_api(api.id)
    assert detail.publish_ids() == {RELEASE_ENV_ID: second.publish_id}


async def test_publish_into_a_missing_environment(apig: ApigClient, group_id: str) -> None:
    api = await apig.create_api(mock_api(group_id))
    with pytest.raises(NotFoundError) as err:
        await apig.publish_api(api.id, "0" * 32)
    assert (err.value.status, err.value.error_code) == (404, "APIG.3003")
    with pytest.raises(NotFoundError) as missing_api:
        await apig.publish_api("0" * 32)
    assert missing_api.value.error_code == "APIG.3002"
    with pytest.raises(NotFoundError) as not_published:
        await apig.offline_api(api.id)
    assert not_published.value.error_code == "APIG.3015"


async def test_batch_publish_reports_partial_failure(apig: ApigClient, group_id: str) -> None:
    ok_api = await apig.create_api(mock_api(group_id))
    result = await apig.batch_publish([ok_api.id, "0" * 32], remark="Published to the production environment")
    assert not result.ok
    assert [s.api_id for s in result.success] == [ok_api.id]
    assert [(f.api_id, f.error_code) for f in result.failure] == [("0" * 32, "APIG.3002")]
    missing_env = await apig.batch_publish([ok_api.id], "0" * 32)
    assert [f.error_code for f in missing_env.failure] == ["APIG.3003"] and not missing_env.success
    offline = await apig.batch_offline([ok_api.id, ok_api.id])
    assert len(offline.success) == 1 and offline.failure[0].error_code == "APIG.3015"
    with pytest.raises(ValueError, match="1000"):
        await apig.batch_publish(["x"] * 1001)


async def test_batch_action_must_be_online_or_offline(apig: ApigClient) -> None:
    with pytest.raises(BadRequestError) as err:
        await apig._call("POST", "/apis/publish", params={"action": "publish"}, json={"apis": []})
    assert err.value.error_code == "APIG.2011"


async def test_switch_version_rolls_back_and_offline_by_version(
    apig: ApigClient, group_id: str, instance: Instance
) -> None:
    api = await apig.create_api(mock_api(group_id))
    v1 = await apig.publish_api(api.id)
    await apig.update_api(api.id, {**api.definition, "mock_info": {"result_content": "v2"}})
    v2 = await apig.publish_api(api.id)
    assert (await apig.get_version(v2.version_id)).definition["mock_info"]["result_content"] == "v2"
    rolled = await apig.switch_version(api.id, v1.version_id)
    assert (rolled.version_id, rolled.publish_id) == (v1.version_id, v2.publish_id)
    assert [v.in_effect for v in (await apig.list_versions(api.id)).items] == [False, True]
    debug = await apig.debug_api(api.id, "GET", "/test/mock")
    assert (debug.status_code, debug.body) == (200, "mock success"), "RELEASE serves the rolled-back version"
    with pytest.raises(NotFoundError) as unknown:
        await apig.switch_version(api.id, "0" * 32)
    assert unknown.value.error_code == "APIG.3022"
    with pytest.raises(NotFoundError) as stale:
        await apig.offline_version(v2.version_id)
    assert stale.value.error_code == "APIG.3015", "only the version in effect can be taken offline"
    await apig.offline_version(v1.version_id)
    assert (api.id, RELEASE_ENV_ID) not in instance.publishes
    revived = await apig.switch_version(api.id, v2.version_id)
    assert revived.publish_id != v2.publish_id, "switching an offline API publishes it again"


async def test_switch_version_with_empty_body_is_the_documented_2000(apig: ApigClient, group_id: str) -> None:
    """3.5.10 marks ``version_id`` optional, yet its example shows an empty body failing with APIG.2000."""
    api = await apig.create_api(mock_api(group_id))
    with pytest.raises(BadRequestError) as err:
        await apig._call("PUT", f"/apis/publish/{api.id}")
    assert err.value.error_code == "APIG.2000"


async def test_version_history_is_capped_per_environment(
    apig: ApigClient, group_id: str, instance: Instance
) -> None:
    api = await apig.create_api(mock_api(group_id))
    records = [await apig.publish_api(api.id) for _ in range(12)]
    versions = (await apig.list_versions(api.id)).items
    assert len(versions) == 10 == instance.quotas["API_VERSION_NUM_LIMIT"]
    assert versions[0].version_id == records[-1].version_id and versions[0].in_effect


async def test_runtime_definition(apig: ApigClient, group_id: str) -> None:
    api = await apig.create_api(mock_api(group_id))
    with pytest.raises(NotFoundError):
        await apig.get_runtime_definition(api.id)
    record = await apig.publish_api(api.id)
    runtime = await apig.get_runtime_definition(api.id)
    assert (runtime.publish_id, runtime.run_env_name) == (record.publish_id, "RELEASE")
    assert "mock_info" not in runtime.definition and runtime.definition["sl_domain"].startswith(group_id)


async def test_bindings_follow_republish_and_go_with_offline(apig: ApigClient, group_id: str) -> None:
    api = await apig.create_api(mock_api(group_id))
    first = await apig.publish_api(api.id)
    key = await apig.create_signature_key("signature_demo")
    await apig.bind_signature_key(key.id, [first.publish_id])
    second = await apig.publish_api(api.id)
    bound = (await apig.list_signature_keys_of_api(api.id)).items
    assert [b.publish_id for b in bound] == [second.publish_id]
    await apig.offline_api(api.id)
    assert (await apig.list_signature_keys_of_api(api.id)).total == 0


async def test_debug_smoke_test_against_a_pluggable_backend(
    apig: ApigClient, group_id: str, backend: ApigBackend
) -> None:
    api = await apig.create_api(http_api(group_id))
    not_published = await apig.debug_api(api.id, "GET", "/test/http")
    assert not_published.status_code == 404 and "APIGW.0101" in not_published.body
    await apig.publish_api(api.id)
    seen: list[httpx.Request] = []

    def healthy(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return json_response(200, {"status": "ok"})

    backend.http_backend = healthy
    passed = await apig.debug_api(api.id, "GET", "/test/http", query={"q": "1"})
    assert passed.status_code == 200 and '"ok"' in passed.body
    assert str(seen[0].url) == "https://backend.example.com:8443/benchmark?q=1"
    assert passed.request.startswith("GET /test/http?q=1 HTTP/1.1\r\nHost: ")

    backend.http_backend = lambda request: json_response(503, {"error": "down"})
    failed = await apig.debug_api(api.id, "GET", "/test/http")
    assert failed.status_code == 503

    def unreachable(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused", request=request)

    backend.http_backend = unreachable
    down = await apig.debug_api(api.id, "GET", "/test/http")
    assert down.status_code == 502 and "APIGW.0201" in down.body
    draft = await apig.debug_api(api.id, "GET", "/wrong/path", mode="DEVELOPER")
    assert draft.status_code == 404


async def test_debug_validation(apig: ApigClient, group_id: str) -> None:
    api = await apig.create_api(mock_api(group_id))
    with pytest.raises(BadRequestError) as mode:
        await apig.debug_api(api.id, "GET", "/test/mock", mode="MARKET")
    assert "parameterName:mode" in mode.value.error_msg
    with pytest.raises(BadRequestError):
        await apig.debug_api(api.id, "ANY", "/test/mock")
    with pytest.raises(BadRequestError):
        await apig.debug_api(api.id, "GET", "/test/mock", headers={"X-Stage": "TEST"})
    with pytest.raises(NotFoundError) as missing:
        await apig.debug_api("0" * 32, "GET", "/")
    assert missing.value.error_code == "APIG.3002"


async def test_apig_9008_on_http_500_is_throttling(apig: ApigClient, backend: ApigBackend) -> None:
    """APIG sheds load with HTTP 500 + APIG.9008: GETs are retried, a plain POST surfaces ThrottledError."""
    backend.throttle_next = 2
    assert (await apig.list_groups()).total == 0
    assert backend.throttle_next == 0
    backend.throttle_next = 10
    with pytest.raises(ThrottledError) as err:
        await apig.create_group("never_created")
    assert (err.value.status, err.value.error_code) == (500, "APIG.9008")


async def test_api_changes_leave_cts_shaped_traces(
    apig: ApigClient, group_id: str, backend: ApigBackend
) -> None:
    """What ``publish_guardrail`` consumes: CTS traces named as APIG records them (platform.md §6)."""
    api = await apig.create_api(mock_api(group_id))
    record = await apig.publish_api(api.id)
    await apig.switch_version(api.id, record.version_id)
    await apig.batch_offline([api.id])
    names = [(t["trace_name"], t["resource_type"], t["resource_id"]) for t in backend.traces]
    assert names == [
        ("createApi", "Api", api.id),
        ("publishApi", "Api", api.id),
        ("switchApiVersion", "Api", api.id),
        ("batchPublishOrOfflineApi", "Api", api.id),
    ]
    published = backend.traces[1]
    assert published["service_type"] == "APIG" and published["response"]["publish_id"] == record.publish_id
    assert published["user"]["access_key_id"] and published["request"]["env_id"] == RELEASE_ENV_ID
