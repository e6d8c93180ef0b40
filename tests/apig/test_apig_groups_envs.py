"""Instances, API groups, environments and environment variables through the typed client."""

from __future__ import annotations

import pytest
from apig_bodies import mock_api

from devkit.emulator.services.apig.state import DEFAULT_INSTANCE_ID, RELEASE_ENV_ID, ApigBackend, Instance
from shared.clients.apig import ApigClient
from shared.errors import BadRequestError, ConflictError, NotFoundError, QuotaExceededError


async def test_instance_is_discovered_when_not_configured(apig: ApigClient) -> None:
    apig.instance_id = ""
    assert await apig.resolve_instance_id() == DEFAULT_INSTANCE_ID
    gateway = await apig.get_instance()
    assert (gateway.id, gateway.status) == (DEFAULT_INSTANCE_ID, "Running")


async def test_unknown_instance_is_404(apig: ApigClient) -> None:
    apig.instance_id = "0" * 32
    with pytest.raises(NotFoundError) as err:
        await apig.list_groups()
    assert err.value.error_code == "APIG.3030"


async def test_group_lifecycle(apig: ApigClient) -> None:
    group = await apig.create_group("api_group_001", remark="API group 1")
    assert group.sl_domain == f"{group.id}.apic.opsfn.local" and group.status == 1
    assert (await apig.get_group(group.id)).remark == "API group 1"
    renamed = await apig.update_group(group.id, "api_group_002", remark="renamed")
    assert renamed.name == "api_group_002"
    assert (await apig.find_group("api_group_002")) is not None
    assert (await apig.find_group("api_group")) is None, "precise search must not match a prefix"
    fuzzy = await apig.list_groups(name="group_00")
    assert [g.id for g in fuzzy.items] == [group.id]
    await apig.delete_group(group.id)
    with pytest.raises(NotFoundError) as err:
        await apig.get_group(group.id)
    assert err.value.error_code == "APIG.3001"


async def test_group_errors(apig: ApigClient, instance: Instance) -> None:
    await apig.create_group("dup_group")
    with pytest.raises(ConflictError) as dup:
        await apig.create_group("dup_group")
    assert (dup.value.status, dup.value.error_code) == (400, "APIG.3201")
    with pytest.raises(BadRequestError) as bad:
        await apig.create_group("x")
    assert bad.value.error_code == "APIG.2011"
    instance.quotas["APIGROUP_NUM_LIMIT"] = 1
    with pytest.raises(QuotaExceededError) as quota:
        await apig.create_group("second_group")
    assert (quota.value.status, quota.value.error_code) == (403, "APIG.3101")


async def test_group_with_apis_cannot_be_deleted(apig: ApigClient) -> None:
    group = await apig.create_group("busy_group")
    await apig.create_api(mock_api(group.id))
    with pytest.raises(ConflictError) as err:
        await apig.delete_group(group.id)
    assert (err.value.status, err.value.error_code) == (403, "APIG.3415")


async def test_environments(apig: ApigClient, instance: Instance) -> None:
    release = await apig.find_env("RELEASE")
    assert release is not None and release.id == RELEASE_ENV_ID
    dev = await apig.create_env("DEV", remark="Development environment")
    assert (await apig.update_env(dev.id, "DEV_2")).name == "DEV_2"
    with pytest.raises(ConflictError) as dup:
        await apig.create_env("DEV_2")
    assert dup.value.error_code == "APIG.3205"
    with pytest.raises(BadRequestError):
        await apig.create_env("1bad")
    with pytest.raises(BadRequestError):
        await apig.delete_env(RELEASE_ENV_ID)
    instance.quotas["ENVIRONMENT_NUM_LIMIT"] = 1
    with pytest.raises(QuotaExceededError) as quota:
        await apig.create_env("TEST")
    assert quota.value.error_code == "APIG.3104"
    group = await apig.create_group("env_group")
    api = await apig.create_api(mock_api(group.id))
    await apig.publish_api(api.id, dev.id)
    with pytest.raises(ConflictError) as busy:
        await apig.delete_env(dev.id)
    assert busy.value.error_code == "APIG.3418"
    await apig.offline_api(api.id, dev.id)
    await apig.delete_env(dev.id)
    assert [e.name for e in (await apig.list_envs()).items] == ["RELEASE"]


async def test_environment_variables(apig: ApigClient, backend: ApigBackend) -> None:
    group = await apig.create_group("var_group")
    var = await apig.create_variable(group.id, RELEASE_ENV_ID, "backend_host", "10.0.0.1:8080")
    with pytest.raises(ConflictError) as dup:
        await apig.create_variable(group.id, RELEASE_ENV_ID, "backend_host", "x")
    assert dup.value.error_code == "APIG.3303"
    with pytest.raises(NotFoundError) as env:
        await apig.create_variable(group.id, "0" * 32, "other_var", "x")
    assert env.value.error_code == "APIG.3003"
    with pytest.raises(BadRequestError):
        await apig.create_variable(group.id, RELEASE_ENV_ID, "bad name", "x")
    assert (await apig.update_variable(var.id, "10.0.0.2:8080")).variable_value == "10.0.0.2:8080"
    listed = await apig.list_variables(group.id, env_id=RELEASE_ENV_ID)
    assert [v.variable_name for v in listed.items] == ["backend_host"]
    await apig.delete_variable(var.id)
    with pytest.raises(NotFoundError) as gone:
        await apig.delete_variable(var.id)
    assert gone.value.error_code == "APIG.3011"
