"""APPs, secret resets, AppCodes and APP authorizations (grant with per-pair results, revoke, lists)."""

from __future__ import annotations

import pytest
from apig_bodies import mock_api

from devkit.emulator.services.apig.state import RELEASE_ENV_ID, Instance
from shared.clients.apig import ApigClient
from shared.errors import BadRequestError, CloudError, ConflictError, NotFoundError, QuotaExceededError


async def test_app_lifecycle(apig: ApigClient) -> None:
    app = await apig.create_app("app_demo", remark="Demo app")
    assert (app.creator, app.status, len(app.app_key)) == ("USER", 1, 32)
    assert len(app.app_secret.get_secret_value()) == 32 and app.app_secret.get_secret_value() not in repr(app)
    updated = await apig.update_app(app.id, "app_demo_2", remark="renamed")
    assert (updated.name, updated.app_key) == ("app_demo_2", app.app_key)
    assert (await apig.get_app(app.id)).remark == "renamed"
    assert await apig.verify_app(app.id) and not await apig.verify_app("0" * 32)
    assert [a.bind_num for a in (await apig.list_apps(name="app_demo_2", precise=True)).items] == [0]
    await apig.delete_app(app.id)
    with pytest.raises(NotFoundError) as gone:
        await apig.get_app(app.id)
    assert gone.value.error_code == "APIG.3004"


async def test_app_errors(apig: ApigClient, instance: Instance) -> None:
    await apig.create_app("app_demo", app_key="custom_key_0001")
    with pytest.raises(ConflictError) as name:
        await apig.create_app("app_demo")
    assert name.value.error_code == "APIG.3203"
    with pytest.raises(ConflictError) as key:
        await apig.create_app("app_other", app_key="custom_key_0001")
    assert key.value.error_code == "APIG.3310"
    with pytest.raises(BadRequestError):
        await apig.create_app("app_other", app_secret="short")
    instance.quotas["APP_NUM_LIMIT"] = 1
    with pytest.raises(QuotaExceededError) as quota:
        await apig.create_app("app_third")
    assert quota.value.error_code == "APIG.3103"


async def test_reset_secret(apig: ApigClient, instance: Instance) -> None:
    app = await apig.create_app("app_demo")
    generated = await apig.reset_app_secret(app.id)
    assert generated.app_key == app.app_key
    assert generated.app_secret.get_secret_value() != app.app_secret.get_secret_value()
    chosen = await apig.reset_app_secret(app.id, "Chosen_secret-01")
    assert chosen.app_secret.get_secret_value() == "Chosen_secret-01"
    for bad in ("short", "-starts-with-dash", "x" * 65, "has space inside"):
        with pytest.raises(BadRequestError) as err:
            await apig.reset_app_secret(app.id, bad)
        assert "parameterName:app_secret" in err.value.error_msg
        assert bad not in str(err.value), "a refused secret is never echoed in the error"
    instance.quotas["APP_KEY_SECRET_SWITCH"] = 2
    with pytest.raises(CloudError) as switch:
        await apig.reset_app_secret(app.id, "Another_secret-02")
    assert (switch.value.status, switch.value.error_code) == (412, "APIG.3458")
    assert (await apig.reset_app_secret(app.id)).app_secret.get_secret_value() != "Chosen_secret-01"
    with pytest.raises(NotFoundError):
        await apig.reset_app_secret("0" * 32)


async def test_app_codes(apig: ApigClient, instance: Instance) -> None:
    app = await apig.create_app("app_demo")
    generated = await apig.create_app_code(app.id)
    assert len(generated.app_code.get_secret_value()) == 64
    explicit = await apig.create_app_code(app.id, "A" * 64)
    with pytest.raises(BadRequestError):
        await apig.create_app_code(app.id, "too+short")
    assert {c.id for c in (await apig.list_app_codes(app.id)).items} == {generated.id, explicit.id}
    detail = await apig._call("GET", f"/apps/{app.id}/app-codes/{explicit.id}")
    assert detail["app_id"] == app.id
    await apig.delete_app_code(app.id, explicit.id)
    with pytest.raises(NotFoundError) as gone:
        await apig.delete_app_code(app.id, explicit.id)
    assert gone.value.error_code == "APIG.3082"
    instance.quotas["APP_CODE_NUM_LIMIT"] = 1
    with pytest.raises(QuotaExceededError) as quota:
        await apig.create_app_code(app.id)
    assert quota.value.error_code == "APIG.3131"


async def test_authorization_partial_success_and_listings(apig: ApigClient) -> None:
    group = await apig.create_group("auth_group")
    api = await apig.create_api(mock_api(group.id, auth_type="APP"))
    other = await apig.create_api(mock_api(group.id, name="api_other", uri="/other", auth_type="APP"))
    record = await apig.publish_api(api.id)
    app = await apig.create_app("app_demo")

    results = await apig.authorize_apps([api.id, "0" * 32], [app.id])
    assert [(r.api_id, r.auth_result.status, r.ok) for r in results] == [
        (api.id, "SUCCESS", True),
        ("0" * 32, "FAILED", False),
    ]
    assert results[1].auth_result.error_code == "APIG.3002"
    again = await apig.authorize_apps([api.id], [app.id])
    assert again[0].auth_result.status == "SKIPPED" and again[0].id == results[0].id

    of_app = (await apig.list_apis_of_app(app.id)).items
    assert [(a.api_id, a.env_name, a.publish_id) for a in of_app] == [(api.id, "RELEASE", record.publish_id)]
    assert [a.app_id for a in (await apig.list_apps_of_api(api.id)).items] == [app.id]
    not_yet = (await apig.list_apis_not_authorized(app.id)).items
    assert [(a.id, a.publish_id) for a in not_yet] == [(other.id, "")], "unpublished APIs show empty ids"
    assert (await apig.list_apps(name="app_demo")).items[0].bind_num == 1

    await apig.revoke_authorization(results[0].id or "")
    with pytest.raises(NotFoundError) as gone:
        await apig.revoke_authorization(results[0].id or "")
    assert gone.value.error_code == "APIG.3009"
    with pytest.raises(NotFoundError) as no_app:
        await apig.authorize_apps([api.id], ["0" * 32])
    assert no_app.value.error_code == "APIG.3004"
    with pytest.raises(NotFoundError) as no_env:
        await apig.authorize_apps([api.id], [app.id], "0" * 32)
    assert no_env.value.error_code == "APIG.3003"
    seed_spelling = await apig._call(
        "GET", "/app-auths/unbound-apis", params={"app_id": app.id, "env_id": RELEASE_ENV_ID}
    )
    assert seed_spelling["total"] == 2, (
        "the seed's unbound-apis and the SDK's unbinded-apis are the same list"
    )
