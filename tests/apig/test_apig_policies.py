"""Signature keys, throttling policies and ACL policies, and their bindings to publish records."""

from __future__ import annotations

from typing import Any

import pytest
from apig_bodies import mock_api

from devkit.emulator.services.apig.state import Instance
from shared.clients.apig import ApigClient, PublishRecord
from shared.errors import BadRequestError, ConflictError, NotFoundError, QuotaExceededError


@pytest.fixture
async def published(apig: ApigClient) -> PublishRecord:
    group = await apig.create_group("policy_group")
    api = await apig.create_api(mock_api(group.id))
    return await apig.publish_api(api.id)


async def test_signature_key_create_and_rotate(apig: ApigClient) -> None:
    key = await apig.create_signature_key(
        "signature_demo", sign_key="signkeysignkey", sign_secret="signsecretsecretsecret"
    )
    assert (key.sign_type, key.sign_key) == ("hmac", "signkeysignkey")
    assert "signsecret" not in repr(key), "secrets never show in a model's repr"
    chosen = await apig.update_signature_key(
        key.id, "signature_demo", sign_key="signkeyrotated", sign_secret="rotatedsecret0000001"
    )
    assert (chosen.sign_key, chosen.sign_secret.get_secret_value()) == (
        "signkeyrotated",
        "rotatedsecret0000001",
    )
    regenerated = await apig.update_signature_key(key.id, "signature_demo")
    assert regenerated.sign_key != "signkeyrotated", "3.6.2's example: omitted key and secret are regenerated"
    assert len(regenerated.sign_secret.get_secret_value()) == 32
    generated = await apig.create_signature_key("generated_key")
    assert len(generated.sign_key) == 32 and generated.update_time


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"sign_type": "rsa"}, "sign_type"),
        ({"sign_key": "short"}, "sign_key"),
        ({"sign_secret": "short"}, "sign_secret"),
        ({"sign_type": "basic", "sign_key": "1starts_with_digit"}, "sign_key"),
        ({"sign_type": "aes", "sign_key": "x" * 20}, "sign_key"),
        ({"sign_type": "aes", "sign_algorithm": "aes-256-cfb", "sign_key": "k" * 16}, "sign_key"),
        ({"sign_algorithm": "aes-128-cfb"}, "sign_algorithm"),
    ],
)
async def test_signature_key_rules(apig: ApigClient, fields: dict[str, Any], field: str) -> None:
    with pytest.raises(BadRequestError) as err:
        await apig.create_signature_key("bad_key", **fields)
    assert f"parameterName:{field}" in err.value.error_msg


async def test_signature_key_types(apig: ApigClient) -> None:
    aes = await apig.create_signature_key("aes_key", sign_type="aes", sign_algorithm="aes-256-cfb")
    assert len(aes.sign_key) == 32 and len(aes.sign_secret.get_secret_value()) == 16
    basic = await apig.create_signature_key("basic_key", sign_type="basic")
    assert basic.sign_key[0].isalpha()
    public = await apig.create_signature_key(
        "public_key_1",
        sign_type="public_key",
        sign_key="MIIBIjANBgkqhkiG9w0B+/=",
        sign_secret="c2VjcmV0LXZhbHVlLTEyMw==",
    )
    assert public.sign_type == "public_key" and public.sign_algorithm is None


async def test_signature_key_errors(apig: ApigClient, instance: Instance) -> None:
    await apig.create_signature_key("signature_demo")
    with pytest.raises(ConflictError) as dup:
        await apig.create_signature_key("signature_demo")
    assert dup.value.error_code == "APIG.3207"
    with pytest.raises(NotFoundError) as missing:
        await apig.update_signature_key("0" * 32, "signature_x")
    assert missing.value.error_code == "APIG.3017"
    instance.quotas["SIGN_NUM_LIMIT"] = 1
    with pytest.raises(QuotaExceededError) as quota:
        await apig.create_signature_key("signature_two")
    assert quota.value.error_code == "APIG.3105"


async def test_signature_key_bindings_both_ways(apig: ApigClient, published: PublishRecord) -> None:
    key = await apig.create_signature_key("signature_demo")
    unbound = (await apig.list_apis_not_bound_to_key(key.id)).items
    assert [(a.id, a.publish_id) for a in unbound] == [(published.api_id, published.publish_id)]
    bindings = await apig.bind_signature_key(key.id, [published.publish_id])
    assert bindings[0].sign_secret is not None and bindings[0].env_name == "RELEASE"
    again = await apig.bind_signature_key(key.id, [published.publish_id])
    assert again[0].id == bindings[0].id, "binding the same key again is idempotent"
    other = await apig.create_signature_key("signature_other")
    with pytest.raises(BadRequestError):
        await apig.bind_signature_key(other.id, [published.publish_id])
    assert [a.signature_name for a in (await apig.list_apis_not_bound_to_key(other.id)).items] == [
        "signature_demo"
    ]
    by_key = (await apig.list_apis_bound_to_key(key.id)).items
    assert [b.api_id for b in by_key] == [published.api_id] and by_key[0].sign_secret is None
    listed = (await apig.list_signature_keys(name="signature_demo", precise=True)).items
    assert listed[0].bind_num == 1
    with pytest.raises(NotFoundError) as api_id_is_not_a_publish_id:
        await apig.bind_signature_key(key.id, [published.api_id])
    assert api_id_is_not_a_publish_id.value.error_code == "APIG.3015"
    await apig.unbind_signature_key(bindings[0].id)
    with pytest.raises(NotFoundError) as gone:
        await apig.unbind_signature_key(bindings[0].id)
    assert gone.value.error_code == "APIG.3018"
    await apig.bind_signature_key(key.id, [published.publish_id])
    await apig.delete_signature_key(key.id)
    assert (await apig.list_signature_keys_of_api(published.api_id)).total == 0


async def test_throttling_policies(apig: ApigClient, published: PublishRecord) -> None:
    policy = await apig.create_throttle(
        "throttle_demo", api_call_limits=100, time_interval=1, time_unit="SECOND", user_call_limits=50
    )
    assert (policy.type, policy.bind_num) == (1, 0)
    with pytest.raises(BadRequestError) as bad:
        await apig.create_throttle("throttle_bad", api_call_limits=10, time_interval=1, app_call_limits=20)
    assert "parameterName:app_call_limits" in bad.value.error_msg
    with pytest.raises(BadRequestError):
        await apig.create_throttle("throttle_bad", api_call_limits=10, time_interval=1, time_unit="WEEK")
    with pytest.raises(ConflictError) as dup:
        await apig.create_throttle("throttle_demo", api_call_limits=1, time_interval=1)
    assert dup.value.error_code == "APIG.3204"
    binding = (await apig.bind_throttle(policy.id, [published.publish_id]))[0]
    of_api = (await apig.list_throttles_of_api(published.api_id)).items
    assert [(t.id, t.bind_id, t.env_name) for t in of_api] == [(policy.id, binding.id, "RELEASE")]
    assert (await apig.list_apis_not_bound_to_throttle(policy.id)).total == 0
    with pytest.raises(ConflictError) as in_use:
        await apig.delete_throttle(policy.id)
    assert (in_use.value.status, in_use.value.error_code) == (403, "APIG.3451")
    updated = await apig.update_throttle(
        policy.id, "throttle_demo", api_call_limits=200, time_interval=1, time_unit="MINUTE"
    )
    assert (updated.api_call_limits, updated.user_call_limits, updated.bind_num) == (200, None, 1)
    await apig.unbind_throttle(binding.id)
    await apig.delete_throttle(policy.id)
    with pytest.raises(NotFoundError) as gone:
        await apig.get_throttle(policy.id)
    assert gone.value.error_code == "APIG.3005"


async def test_batch_unbind_throttles_reports_failures(apig: ApigClient, published: PublishRecord) -> None:
    policy = await apig.create_throttle("throttle_demo", api_call_limits=10, time_interval=1)
    binding = (await apig.bind_throttle(policy.id, [published.publish_id]))[0]
    result = await apig._call(
        "PUT",
        "/throttle-bindings",
        params={"action": "delete"},
        json={"throttle_bindings": [binding.id, "x"]},
    )
    assert result["success_count"] == 1 and result["failure"][0]["error_code"] == "APIG.3012"


async def test_acl_policies(apig: ApigClient, published: PublishRecord) -> None:
    acl = await apig.create_acl("acl_demo", acl_type="DENY", entity_type="IP", value="10.0.0.0/8,192.168.1.1")
    with pytest.raises(BadRequestError):
        await apig.create_acl("acl_bad", acl_type="DENY", entity_type="IP", value="not-an-ip")
    with pytest.raises(BadRequestError):
        await apig.create_acl("acl_bad", acl_type="BLOCK", entity_type="IP", value="10.0.0.1")
    with pytest.raises(ConflictError) as dup:
        await apig.create_acl("acl_demo", acl_type="PERMIT", entity_type="IP", value="10.0.0.1")
    assert dup.value.error_code == "APIG.3206"
    binding = (await apig.bind_acl(acl.id, [published.publish_id]))[0]
    assert (binding.api_id, binding.acl_id) == (published.api_id, acl.id)
    with pytest.raises(ConflictError) as in_use:
        await apig.delete_acl(acl.id)
    assert in_use.value.error_code == "APIG.3447"
    bound = await apig._call("GET", "/acl-bindings/binded-acls", params={"api_id": published.api_id})
    assert bound["acls"][0]["bind_id"] == binding.id
    for spelling in ("unbound-apis", "unbinded-apis"):
        page = await apig._call("GET", f"/acl-bindings/{spelling}", params={"acl_id": acl.id})
        assert page["total"] == 0
    await apig.unbind_acl(binding.id)
    await apig.delete_acl(acl.id)
    assert (await apig.list_acls()).total == 0
