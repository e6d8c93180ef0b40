"""Client <-> emulator: API keys (incl. UpdateApiKey rotation), usage plans and API apps.

State conflicts (a key still enabled or bound, a plan in use) are ``ConflictError``; malformed values
(``InvalidParameterValue.*``) are ``BadRequestError``; each check also pins the exact Tencent code.
"""

from __future__ import annotations

import pytest
from tc_helpers import build_tencent_emulator, mock_api

from devkit.emulator.services.tencent_apigw.state import Quotas
from shared.clients.tencent_apigw import TencentApigwClient
from shared.config import Settings
from shared.errors import BadRequestError, ConflictError, NotFoundError, QuotaExceededError


async def test_auto_key_lifecycle_and_rotation(client: TencentApigwClient) -> None:
    key = await client.create_api_key("partner-a")
    secret = key.access_key_secret.get_secret_value()
    assert key.access_key_id.startswith("AKID") and len(secret) >= 30
    assert key.access_key_type == "auto" and key.enabled
    assert secret not in repr(key)

    rotated = await client.update_api_key(key.access_key_id)
    new_secret = rotated.access_key_secret.get_secret_value()
    assert rotated.access_key_id == key.access_key_id and new_secret != secret
    assert (
        await client.describe_api_key(key.access_key_id)
    ).access_key_secret.get_secret_value() == new_secret

    listed = await client.describe_api_keys_status()
    assert listed.total_count == 1
    assert listed.items[0].access_key_secret.get_secret_value() == ""  # the list never shows secrets

    with pytest.raises(BadRequestError) as not_manual:
        await client.update_api_key(key.access_key_id, "MyOwnSecret_123")
    assert not_manual.value.error_code == "InvalidParameterValue"

    with pytest.raises(ConflictError) as enabled:
        await client.delete_api_key(key.access_key_id)
    assert enabled.value.error_code == "UnsupportedOperation.InvalidStatus"
    assert await client.disable_api_key(key.access_key_id) is True
    with pytest.raises(BadRequestError) as twice:
        await client.disable_api_key(key.access_key_id)
    assert twice.value.error_code == "UnsupportedOperation.UnsupportedUpdateApiKey"
    disabled = await client.describe_api_keys_status(filters={"Status": ["0"]})
    assert [k.access_key_id for k in disabled.items] == [key.access_key_id]
    assert await client.enable_api_key(key.access_key_id) is True
    assert await client.disable_api_key(key.access_key_id) is True
    assert await client.delete_api_key(key.access_key_id) is True
    with pytest.raises(NotFoundError) as gone:
        await client.describe_api_key(key.access_key_id)
    assert gone.value.error_code == "ResourceNotFound.InvalidAccessKeyId"


async def test_manual_key_rules(client: TencentApigwClient) -> None:
    key = await client.create_api_key(
        "custom", access_key_type="manual", access_key_id="partner_b", access_key_secret="Secret_0123456789"
    )
    assert key.access_key_id == "partner_b" and key.access_key_type == "manual"
    assert key.access_key_secret.get_secret_value() == "Secret_0123456789"

    with pytest.raises(ConflictError) as duplicate:
        await client.create_api_key(
            "again",
            access_key_type="manual",
            access_key_id="partner_b",
            access_key_secret="Secret_0123456789",
        )
    assert duplicate.value.error_code == "FailedOperation.AccessKeyExist"

    bad = [
        {"access_key_id": "abcd", "access_key_secret": "Secret_0123456789"},  # id shorter than 5
        {"access_key_id": "abc-de", "access_key_secret": "Secret_0123456789"},  # '-' not allowed
        {"access_key_id": "abcde", "access_key_secret": "short_9"},  # secret shorter than 10
        {"access_key_id": "abcde", "access_key_secret": "x" * 51},  # secret longer than 50
        {"access_key_id": "abcde", "access_key_secret": "has space 123"},
    ]
    for fields in bad:
        with pytest.raises(BadRequestError) as exc:
            await client.create_api_key("bad", access_key_type="manual", **fields)
        assert exc.value.error_code == "InvalidParameter.FormatError", fields
    with pytest.raises(BadRequestError) as missing:
        await client.create_api_key("bad", access_key_type="manual", access_key_id="abcdef")
    assert missing.value.error_code == "MissingParameter"

    with pytest.raises(BadRequestError) as needs_secret:
        await client.update_api_key("partner_b")  # a manual key needs the new secret
    assert needs_secret.value.error_code == "MissingParameter"
    with pytest.raises(BadRequestError):
        await client.update_api_key("partner_b", "bad-secret!")
    rotated = await client.update_api_key("partner_b", "Rotated_secret_2")
    assert rotated.access_key_secret.get_secret_value() == "Rotated_secret_2"
    with pytest.raises(BadRequestError) as bad_type:
        await client.create_api_key("x", access_key_type="custom")
    assert bad_type.value.error_code == "InvalidParameterValue.NotInOptions"


async def test_key_quota() -> None:
    emulator = build_tencent_emulator(tencent_apigw_quotas=Quotas(api_keys=2))
    async with TencentApigwClient.from_settings(Settings.from_env(), transport=emulator.transport()) as c:
        await c.create_api_key("a")
        await c.create_api_key("b")
        with pytest.raises(QuotaExceededError) as exc:
            await c.create_api_key("c")
    assert exc.value.error_code == "LimitExceeded.ApiKeyCountLimitExceeded"


async def test_usage_plans_bind_keys_and_environments(client: TencentApigwClient) -> None:
    service = await client.create_service("demo")
    api = await client.create_api(service.service_id, mock_api())
    plan = await client.create_usage_plan("gold", description="g", max_request_num_pre_sec=100)
    assert plan.max_request_num == -1 and plan.max_request_num_pre_sec == 100
    key = await client.create_api_key("k1")
    assert await client.bind_secret_ids(plan.usage_plan_id, [key.access_key_id]) is True
    assert await client.bind_environment([plan.usage_plan_id], service.service_id, "release") is True

    info = await client.describe_usage_plan(plan.usage_plan_id)
    assert info.bind_secret_ids == [key.access_key_id]
    assert [(e.service_id, e.environment_name) for e in info.bind_environments] == [
        (service.service_id, "release")
    ]
    secrets_page = await client.describe_usage_plan_secret_ids(plan.usage_plan_id)
    assert [(s.access_key_id, s.status) for s in secrets_page.items] == [(key.access_key_id, 1)]
    detail = await client.describe_service(service.service_id)
    assert [p.usage_plan_id for p in detail.usage_plan_list] == [plan.usage_plan_id]
    listed = await client.describe_usage_plans_status(filters={"Environment": ["release"]})
    assert [p.usage_plan_id for p in listed.items] == [plan.usage_plan_id]
    assert (
        await client.describe_usage_plans_status(filters={"NotServiceId": [service.service_id]})
    ).items == []
    unbound_keys = await client.describe_api_keys_status(filters={"NotUsagePlanId": [plan.usage_plan_id]})
    assert unbound_keys.total_count == 0

    with pytest.raises(ConflictError) as bound_key:
        await client.delete_api_key(key.access_key_id)  # bound: refused before the enabled check
    assert bound_key.value.error_code == "UnsupportedOperation.ResourceIsInUse"
    with pytest.raises(ConflictError) as again:
        await client.bind_secret_ids(plan.usage_plan_id, [key.access_key_id])
    assert again.value.error_code == "UnsupportedOperation.AlreadyBindUsagePlan"

    # The same key must not sit in two plans bound to the same environment.
    silver = await client.create_usage_plan("silver")
    await client.bind_environment([silver.usage_plan_id], service.service_id, "release")
    with pytest.raises(BadRequestError) as shared_key:
        await client.bind_secret_ids(silver.usage_plan_id, [key.access_key_id])
    assert shared_key.value.error_code == "UnsupportedOperation.UnsupportedBindApiKey"

    # Service-level and API-level plans cannot be mixed in one environment.
    bronze = await client.create_usage_plan("bronze")
    with pytest.raises(BadRequestError) as mixed:
        await client.bind_environment(
            [bronze.usage_plan_id], service.service_id, "release", bind_type="API", api_ids=[api.api_id]
        )
    assert mixed.value.error_code == "UnsupportedOperation.UnsupportedBindEnvironment"
    assert await client.bind_environment(
        [bronze.usage_plan_id], service.service_id, "test", bind_type="API", api_ids=[api.api_id]
    )
    with pytest.raises(ConflictError) as api_bound:
        await client.delete_api(service.service_id, api.api_id)
    # The DeleteApi page prints the truncated "FailedOperation.ApiBindEnvironmen"; the global list has the
    # full name (twice), so the page is the typo.
    assert api_bound.value.error_code == "FailedOperation.ApiBindEnvironment"

    service_level = await client.describe_service_usage_plan(service.service_id)
    assert {(p.usage_plan_id, p.environment, p.api_id) for p in service_level.items} == {
        (plan.usage_plan_id, "release", ""),
        (silver.usage_plan_id, "release", ""),
    }
    every = await client.describe_api_usage_plan(service.service_id)
    assert (bronze.usage_plan_id, "test", api.api_id, "/hello") in {
        (p.usage_plan_id, p.environment, p.api_id, p.path) for p in every.items
    }
    assert every.total_count == 3
    where = await client.describe_usage_plan_environments(bronze.usage_plan_id, bind_type="API")
    assert [(e.service_name, e.environment, e.api_name) for e in where.items] == [("demo", "test", "hello")]
    assert (await client.describe_usage_plan_environments(bronze.usage_plan_id)).total_count == 0

    with pytest.raises(ConflictError) as in_use:
        await client.delete_usage_plan(plan.usage_plan_id)
    assert in_use.value.error_code == "UnsupportedOperation.UsagePlanInUse"
    assert await client.unbind_environment([plan.usage_plan_id], service.service_id, "release")
    assert await client.unbind_secret_ids(plan.usage_plan_id, [key.access_key_id])
    assert await client.delete_usage_plan(plan.usage_plan_id)
    with pytest.raises(NotFoundError) as gone:
        await client.describe_usage_plan(plan.usage_plan_id)
    assert gone.value.error_code == "ResourceNotFound.InvalidUsagePlan"


async def test_usage_plan_validation(client: TencentApigwClient) -> None:
    service = await client.create_service("demo")
    plan = await client.create_usage_plan("p")
    limits = (("max_request_num_pre_sec", 2001), ("max_request_num_pre_sec", 0), ("max_request_num", -2))
    for field, value in limits:
        with pytest.raises(BadRequestError) as exc:
            if field == "max_request_num":
                await client.create_usage_plan("bad", max_request_num=value)
            else:
                await client.create_usage_plan("bad", max_request_num_pre_sec=value)
        assert exc.value.error_code == "InvalidParameterValue.RangeExceeded", (field, value)
    assert (await client.create_usage_plan("max", max_request_num=999_999_999)).max_request_num == 999_999_999
    with pytest.raises(BadRequestError) as env:
        await client.bind_environment([plan.usage_plan_id], service.service_id, "prod")
    assert env.value.error_code == "InvalidParameterValue.InvalidEnv"
    with pytest.raises(BadRequestError) as bind_type:
        await client.bind_environment([plan.usage_plan_id], service.service_id, "test", bind_type="GROUP")
    assert bind_type.value.error_code == "InvalidParameterValue.NotInOptions"
    with pytest.raises(BadRequestError) as no_apis:
        await client.bind_environment([plan.usage_plan_id], service.service_id, "test", bind_type="API")
    assert no_apis.value.error_code == "InvalidParameterValue.InvalidApiIds"
    with pytest.raises(NotFoundError):
        await client.bind_environment(["usagePlan-missing"], service.service_id, "test")
    with pytest.raises(NotFoundError) as no_key:
        await client.bind_secret_ids(plan.usage_plan_id, ["AKIDmissing"])
    assert no_key.value.error_code == "ResourceNotFound.InvalidAccessKeyId"
    key = await client.create_api_key("off")
    await client.disable_api_key(key.access_key_id)
    with pytest.raises(ConflictError) as disabled:
        await client.bind_secret_ids(plan.usage_plan_id, [key.access_key_id])
    assert disabled.value.error_code == "UnsupportedOperation.InvalidStatus"


async def test_usage_plan_and_binding_quotas() -> None:
    quotas = Quotas(usage_plans=2, keys_per_plan=2, plans_per_key=1)
    emulator = build_tencent_emulator(tencent_apigw_quotas=quotas)
    async with TencentApigwClient.from_settings(Settings.from_env(), transport=emulator.transport()) as c:
        first = await c.create_usage_plan("a")
        second = await c.create_usage_plan("b")
        with pytest.raises(QuotaExceededError) as plans:
            await c.create_usage_plan("c")
        assert plans.value.error_code == "LimitExceeded.UsagePlanLimitExceeded"
        keys = [(await c.create_api_key(f"k{i}")).access_key_id for i in range(3)]
        with pytest.raises(QuotaExceededError):
            await c.bind_secret_ids(first.usage_plan_id, keys)  # 3 keys > 2 per plan
        await c.bind_secret_ids(first.usage_plan_id, keys[:1])
        with pytest.raises(QuotaExceededError):
            await c.bind_secret_ids(second.usage_plan_id, keys[:1])  # key already in its 1 plan


async def test_api_apps(client: TencentApigwClient) -> None:
    service = await client.create_service("demo")
    api = await client.create_api(service.service_id, mock_api(auth_type="APP"))
    app = await client.create_api_app("mobile", description="ios")
    old_secret = app.api_app_secret.get_secret_value()
    assert app.api_app_id.startswith("app-") and app.api_app_key and old_secret
    assert old_secret not in repr(app)

    assert await client.update_api_app_key(app.api_app_id, app.api_app_key) is True
    generated = (await client.describe_api_app(app.api_app_id)).api_app_secret.get_secret_value()
    assert generated != old_secret
    assert await client.update_api_app_key(app.api_app_id, app.api_app_key, "ChosenSecret123") is True
    assert (
        await client.describe_api_app(app.api_app_id)
    ).api_app_secret.get_secret_value() == "ChosenSecret123"
    with pytest.raises(BadRequestError) as wrong_key:
        await client.update_api_app_key(app.api_app_id, "APIDnotmine")
    assert wrong_key.value.error_code == "InvalidParameterValue"

    assert await client.bind_api_app(app.api_app_id, service.service_id, api.api_id, "release")
    with pytest.raises(ConflictError) as twice:
        await client.bind_api_app(app.api_app_id, service.service_id, api.api_id, "release")
    assert twice.value.error_code == "UnsupportedOperation.ResourceAssociated"
    bound = await client.describe_api_app_bind_apis_status(app.api_app_id)
    assert [(b.api_id, b.environment_name, b.service_id) for b in bound.items] == [
        (api.api_id, "release", service.service_id)
    ]
    assert (await client.describe_api_apps_status(filters={"ApiAppName": ["mob"]})).total_count == 1
    with pytest.raises(ConflictError) as associated:
        await client.delete_api_app(app.api_app_id)
    assert associated.value.error_code == "UnsupportedOperation.ResourceAssociated"
    assert await client.unbind_api_app(app.api_app_id, service.service_id, api.api_id, "release")
    assert await client.delete_api_app(app.api_app_id)
    with pytest.raises(NotFoundError) as gone:
        await client.describe_api_app(app.api_app_id)
    assert gone.value.error_code == "ResourceNotFound.InvalidApiApp"
