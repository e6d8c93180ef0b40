"""Client <-> emulator: services, APIs, releases, version switching (Tencent APIGW 2018-08-08).

``InvalidParameterValue.*`` answers are checked as ``CloudError`` with the exact code: ``shared.errors`` does
not yet map that Tencent family to ``BadRequestError`` (reported to its owner).
"""

from __future__ import annotations

import pytest
from tc_helpers import backend_of, build_tencent_emulator, mock_api

from devkit.emulator.core import Emulator
from devkit.emulator.services.tencent_apigw.state import ApiState, Quotas
from shared.clients.tencent_apigw import ApiSpec, RequestConfig, ServiceConfig, TencentApigwClient
from shared.config import Settings
from shared.errors import BadRequestError, CloudError, ConflictError, NotFoundError, QuotaExceededError


async def test_create_describe_modify_and_list_services(client: TencentApigwClient) -> None:
    created = await client.create_service("Orders", "http&https", description="orders api")
    assert created.service_id.startswith("service-")
    assert created.service_name == "orders"  # names are case-insensitive and kept lower-case
    assert created.net_types == ["OUTER"] and created.ip_version == "IPv4"
    assert created.outer_sub_domain.startswith(created.service_id)

    await client.modify_service(created.service_id, description="v2", net_types=["OUTER", "INNER"])
    detail = await client.describe_service(created.service_id)
    assert detail.service_desc == "v2"
    assert detail.net_types == ["INNER", "OUTER"]
    assert detail.available_environments == [] and detail.api_total_count == 0

    other = await client.create_service("billing", "https")
    listed = await client.describe_services_status()
    assert listed.total_count == 2
    assert [s.service_id for s in listed.items] == [created.service_id, other.service_id]
    by_name = await client.describe_services_status(filters={"ServiceName": ["bill"]})
    assert [s.service_id for s in by_name.items] == [other.service_id]  # the filter matches parts of names
    await client.create_service("billing2")
    found = await client.find_service_by_name("Billing")
    assert found is not None and found.service_id == other.service_id
    assert await client.find_service_by_name("bill") is None


async def test_service_validation_errors(client: TencentApigwClient) -> None:
    with pytest.raises(BadRequestError) as bad_name:
        await client.create_service("my_service")  # console rule: letters and digits only
    assert bad_name.value.error_code == "InvalidParameter.FormatError"
    with pytest.raises(BadRequestError) as bad_protocol:
        await client.create_service("demo", "ftp")
    assert bad_protocol.value.error_code == "InvalidParameterValue.NotInOptions"
    with pytest.raises(NotFoundError) as missing:
        await client.describe_service("service-nothere")
    assert missing.value.error_code == "ResourceNotFound.InvalidService"
    created = await client.create_service("demo", "http", net_types=["OUTER", "INNER"])
    with pytest.raises(BadRequestError) as reduce:
        await client.modify_service(created.service_id, net_types=["OUTER"])
    assert reduce.value.error_code == "UnsupportedOperation.ReduceNetTypes"


async def test_service_quota_from_the_limits_table() -> None:
    emulator = build_tencent_emulator(tencent_apigw_quotas=Quotas(services=2))
    async with TencentApigwClient.from_settings(Settings.from_env(), transport=emulator.transport()) as c:
        await c.create_service("one")
        await c.create_service("two")
        with pytest.raises(QuotaExceededError) as exc:
            await c.create_service("three")
    assert exc.value.error_code == "LimitExceeded.ServiceCountLimitExceeded"


async def test_default_quota_is_fifty_services_per_tenant(
    client: TencentApigwClient, tc_emulator: Emulator
) -> None:
    assert backend_of(tc_emulator).quotas.services == 50
    for i in range(50):
        await client.create_service(f"s{i}")
    with pytest.raises(QuotaExceededError):
        await client.create_service("s50")


async def test_mock_and_http_apis(client: TencentApigwClient) -> None:
    service = await client.create_service("demo")
    mock = await client.create_api(service.service_id, mock_api("/hello", auth_type="NONE"))
    assert mock.api_id.startswith("api-") and mock.path == "/hello" and mock.method == "GET"
    assert mock.created_time.endswith("Z")
    http_spec = ApiSpec(
        api_name="users",
        request_config=RequestConfig(path="/users/{id}", method="post"),
        service_type="HTTP",
        service_timeout=30,
        auth_type="SECRET",
        service_config=ServiceConfig(url="http://backend.internal:8080", path="/v1/users", method="POST"),
    )
    http_api = await client.create_api(service.service_id, http_spec)
    detail = await client.describe_api(service.service_id, http_api.api_id)
    assert detail.request_config == RequestConfig(path="/users/{id}", method="POST")
    assert detail.service_config is not None and detail.service_config.url == "http://backend.internal:8080"
    assert detail.auth_type == "SECRET" and detail.service_timeout == 30 and detail.environments == []

    await client.modify_api(service.service_id, mock.api_id, mock_api("/hello", auth_type="NONE", body="v2"))
    assert (await client.describe_api(service.service_id, mock.api_id)).service_mock_return_message == "v2"

    page = await client.describe_apis_status(service.service_id, filters={"AuthType": ["SECRET"]})
    assert page.total_count == 1 and page.items[0].api_id == http_api.api_id
    assert await client.delete_api(service.service_id, mock.api_id) is True
    assert (await client.describe_apis_status(service.service_id)).total_count == 1


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"service_type": "FTP"}, "InvalidParameterValue.NotInOptions"),
        ({"auth_type": "TOKEN"}, "InvalidParameterValue.NotInOptions"),
        ({"service_mock_return_message": None}, "InvalidParameterValue.InvalidServiceMockReturnMessage"),
        ({"service_type": "HTTP"}, "InvalidParameterValue.InvalidServiceConfig"),
        (
            {"request_config": RequestConfig(path="hello", method="GET")},
            "InvalidParameterValue.InvalidApiRequestConfig",
        ),
        ({"request_config": RequestConfig(path="/x", method="FETCH")}, "InvalidParameterValue.InvalidMethod"),
        ({"service_timeout": 0}, "InvalidParameterValue.RangeExceeded"),
        ({"api_name": "x" * 61}, "InvalidParameterValue.LengthExceeded"),
    ],
)
async def test_invalid_api_definitions(
    client: TencentApigwClient, change: dict[str, object], code: str
) -> None:
    service = await client.create_service("demo")
    spec = mock_api().model_copy(update=change)
    with pytest.raises(CloudError) as exc:
        await client.create_api(service.service_id, spec)
    assert exc.value.error_code == code


async def test_duplicate_api_name_and_route_are_conflicts(client: TencentApigwClient) -> None:
    service = await client.create_service("demo")
    await client.create_api(service.service_id, mock_api("/a", name="same"))
    with pytest.raises(ConflictError) as by_name:
        await client.create_api(service.service_id, mock_api("/b", name="same"))
    with pytest.raises(ConflictError) as by_route:
        await client.create_api(service.service_id, mock_api("/a", name="other"))
    assert by_name.value.error_code == by_route.value.error_code == "FailedOperation.ApiError"
    with pytest.raises(NotFoundError) as missing:
        await client.describe_api(service.service_id, "api-missing")
    assert missing.value.error_code == "ResourceNotFound.InvalidApi"


async def test_api_quota_per_service() -> None:
    emulator = build_tencent_emulator(tencent_apigw_quotas=Quotas(apis_per_service=2))
    async with TencentApigwClient.from_settings(Settings.from_env(), transport=emulator.transport()) as c:
        service = await c.create_service("demo")
        await c.create_api(service.service_id, mock_api("/a"))
        await c.create_api(service.service_id, mock_api("/b"))
        with pytest.raises(QuotaExceededError) as exc:
            await c.create_api(service.service_id, mock_api("/c"))
    assert exc.value.error_code == "LimitExceeded.ApiCountLimitExceeded"


async def test_listing_five_thousand_apis_walks_every_page(
    client: TencentApigwClient, tc_emulator: Emulator
) -> None:
    """The listing is served O(page): the fake's cost must not grow with the listing under the client."""
    service = await client.create_service("big")
    state = backend_of(tc_emulator).services[service.service_id]
    first = await client.create_api(service.service_id, mock_api("/api0"))
    template = state.apis[first.api_id]
    for i in range(1, 5000):
        api_id = f"api-{i:08d}"
        state.apis[api_id] = ApiState(
            api_id=api_id,
            name=f"api{i}",
            path=f"/api{i}",
            method="GET",
            auth_type="SECRET",
            service_type="MOCK",
            created=template.created,
            modified=template.modified,
            info=dict(template.info),
        )
    seen = [api.api_id async for api in client.iter_apis(service.service_id)]
    assert len(seen) == 5000 and len(set(seen)) == 5000
    with pytest.raises(BadRequestError) as too_big:
        await client.describe_apis_status(service.service_id, limit=101)
    assert too_big.value.error_code == "InvalidParameterValue.RangeExceeded"


async def test_release_versions_history_and_rollback(client: TencentApigwClient) -> None:
    service = await client.create_service("demo")
    api = await client.create_api(service.service_id, mock_api("/v", auth_type="NONE", body="one"))
    first = await client.release_service(service.service_id, "release", "first")
    assert first.release_desc == "first" and len(first.release_version) == 14
    await client.modify_api(service.service_id, api.api_id, mock_api("/v", auth_type="NONE", body="two"))
    second = await client.release_service(service.service_id, "release", "second")
    assert second.release_version > first.release_version
    await client.release_service(service.service_id, "test", "to test")

    versions = await client.describe_service_release_version(service.service_id)
    assert versions.total_count == 3
    assert versions.items[1].version_name == second.release_version  # newest first
    envs = {e.environment_name: e for e in await client.describe_service_environment_list(service.service_id)}
    assert envs["release"].released and envs["release"].version_name == second.release_version
    assert not envs["prepub"].released
    assert (await client.describe_api(service.service_id, api.api_id)).environments == ["test", "release"]

    assert (
        await client.update_service(service.service_id, "release", first.release_version, "rollback") is True
    )
    envs = {e.environment_name: e for e in await client.describe_service_environment_list(service.service_id)}
    assert envs["release"].version_name == first.release_version
    history = await client.describe_service_environment_release_history(service.service_id, "release")
    assert [v.version_name for v in history.items] == [
        first.release_version,
        second.release_version,
        first.release_version,
    ]
    assert history.items[0].version_desc == "rollback"

    detail = await client.describe_service(service.service_id)
    assert detail.available_environments == ["test", "release"]
    with pytest.raises(BadRequestError) as in_use:
        await client.delete_service(service.service_id)
    assert in_use.value.error_code == "UnsupportedOperation.UnsupportedDeleteService"
    assert await client.unrelease_service(service.service_id, "release") is True
    assert await client.unrelease_service(service.service_id, "test") is True
    assert await client.delete_service(service.service_id) is True


async def test_release_errors(client: TencentApigwClient) -> None:
    service = await client.create_service("demo")
    with pytest.raises(CloudError) as missing_env:
        await client.release_service(service.service_id, "prod", "nope")  # no such environment
    assert missing_env.value.error_code == "InvalidParameterValue.InvalidEnv"
    with pytest.raises(BadRequestError) as no_desc:
        await client.release_service(service.service_id, "release", "")
    assert no_desc.value.error_code == "MissingParameter"
    with pytest.raises(NotFoundError):
        await client.release_service("service-missing", "release", "x")
    with pytest.raises(CloudError) as not_released:
        await client.unrelease_service(service.service_id, "prepub")
    assert not_released.value.error_code == "InvalidParameterValue.InvalidEnvStatus"
    release = await client.release_service(service.service_id, "test", "t")
    with pytest.raises(NotFoundError) as no_version:
        await client.update_service(service.service_id, "test", "19990101000000")
    assert no_version.value.error_code == "ResourceNotFound"
    with pytest.raises(CloudError) as offline:
        await client.update_service(service.service_id, "prepub", release.release_version)
    assert offline.value.error_code == "InvalidParameterValue.InvalidEnvStatus"


async def test_state_is_isolated_per_region(tc_emulator: Emulator) -> None:
    settings = Settings.from_env()
    async with TencentApigwClient.from_settings(settings, transport=tc_emulator.transport()) as gz:
        await gz.create_service("demo")
    other = settings.replace(tencent_region="ap-shanghai")
    async with TencentApigwClient.from_settings(other, transport=tc_emulator.transport()) as sh:
        assert (await sh.describe_services_status()).total_count == 0
