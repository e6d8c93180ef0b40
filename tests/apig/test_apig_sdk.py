"""Official SDK conformance: ``huaweicloudsdkapig`` 3.1.219 runs a realistic publish/rotation sequence.

The SDK talks to the emulator over a loopback socket, signs with ``BasicCredentials`` exactly as against the
cloud, and deserializes every answer into its own model classes; each step checks the documented status
(through the SDK's ``status_code``) and the fields the functions rely on.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from huaweicloudsdkapig.v2 import (
    ApiActionInfo,
    ApiBatchPublish,
    ApiCreate,
    ApigClient,
    ApiGroupCreate,
    ApiMockCreate,
    AppCreate,
    AppResetCreate,
    AssociateSignatureKeyV2Request,
    BatchPublishOrOfflineApiV2Request,
    ChangeApiVersionV2Request,
    CreateAnAppV2Request,
    CreateApiGroupV2Request,
    CreateApiV2Request,
    CreateOrDeletePublishRecordForApiV2Request,
    CreateSignatureKeyV2Request,
    ListApisV2Request,
    ListApiVersionsV2Request,
    ListEnvironmentsV2Request,
    ListSignatureKeysBindedToApiV2Request,
    ResettingAppSecretV2Request,
    ShowDetailsOfApiV2Request,
    SignApiBinding,
    UpdateApiV2Request,
    UpdateSignatureKeyV2Request,
)
from huaweicloudsdkapig.v2 import ApiVersion as ApiVersionInfo
from huaweicloudsdkapig.v2 import BaseSignature as SignatureCreate
from huaweicloudsdkcore.auth.credentials import BasicCredentials
from huaweicloudsdkcore.exceptions.exceptions import ClientRequestException

from devkit.emulator.core import Emulator
from devkit.emulator.credentials import DEMO_HUAWEI_AK, DEMO_HUAWEI_SK
from devkit.emulator.services.apig.state import DEFAULT_INSTANCE_ID as IID
from devkit.emulator.services.apig.state import RELEASE_ENV_ID

pytestmark = pytest.mark.sdk

PROJECT = "7c9e2a61b04d4c5e8f1a2b3c4d5e6f70"


def sdk_client(base_url: str, sk: str = DEMO_HUAWEI_SK) -> Any:
    credentials = BasicCredentials(DEMO_HUAWEI_AK, sk, PROJECT)
    return ApigClient.new_builder().with_credentials(credentials).with_endpoint(base_url).build()


@pytest.fixture(scope="module")
def server() -> Iterator[tuple[Emulator, str]]:
    """One loopback server for the module: starting uvicorn dominates the cost of these tests."""
    from devkit.emulator.registry import build_emulator
    from devkit.emulator.server import running_server

    emulator = build_emulator()
    with running_server(emulator) as base_url:
        yield emulator, base_url


def mock_definition(group_id: str, content: str) -> Any:
    return ApiCreate(
        group_id=group_id,
        name="sdk_mock_api",
        type=1,
        req_protocol="HTTPS",
        req_method="GET",
        req_uri="/sdk/mock",
        auth_type="APP",
        backend_type="MOCK",
        mock_info=ApiMockCreate(result_content=content),
    )


def test_publish_update_switch_offline_batch_keys_and_apps(server: tuple[Emulator, str]) -> None:
    _, base_url = server
    client = sdk_client(base_url)

    envs = client.list_environments_v2(ListEnvironmentsV2Request(instance_id=IID))
    assert envs.status_code == 200
    assert [e.name for e in envs.envs] == ["RELEASE"] and envs.envs[0].id == RELEASE_ENV_ID

    group = client.create_api_group_v2(
        CreateApiGroupV2Request(instance_id=IID, body=ApiGroupCreate(name="sdk_group", remark="SDK run"))
    )
    assert group.status_code == 201 and len(group.id) == 32 and group.sl_domain.startswith(group.id)

    api = client.create_api_v2(CreateApiV2Request(instance_id=IID, body=mock_definition(group.id, "v1")))
    assert api.status_code == 201
    assert (api.group_id, api.group_name, api.auth_type, api.status) == (group.id, "sdk_group", "APP", 1)
    assert api.mock_info.result_content == "v1" and api.register_time is not None

    first = client.create_or_delete_publish_record_for_api_v2(
        CreateOrDeletePublishRecordForApiV2Request(
            instance_id=IID, body=ApiActionInfo(action="online", env_id=RELEASE_ENV_ID, api_id=api.id)
        )
    )
    assert first.status_code == 201 and first.api_id == api.id and first.env_id == RELEASE_ENV_ID
    assert first.publish_id and first.version_id

    updated = client.update_api_v2(
        UpdateApiV2Request(instance_id=IID, api_id=api.id, body=mock_definition(group.id, "v2"))
    )
    assert updated.status_code == 200 and updated.mock_info.result_content == "v2"

    second = client.create_or_delete_publish_record_for_api_v2(
        CreateOrDeletePublishRecordForApiV2Request(
            instance_id=IID, body=ApiActionInfo(action="online", env_id=RELEASE_ENV_ID, api_id=api.id)
        )
    )
    assert second.publish_id != first.publish_id, "re-publishing creates a new publish record"
    assert second.version_id != first.version_id

    versions = client.list_api_versions_v2(ListApiVersionsV2Request(instance_id=IID, api_id=api.id))
    assert versions.status_code == 200 and versions.total == 2
    in_effect = {v.version_id: v.status for v in versions.api_versions}
    assert in_effect == {second.version_id: 1, first.version_id: 2}

    switched = client.change_api_version_v2(
        ChangeApiVersionV2Request(
            instance_id=IID, api_id=api.id, body=ApiVersionInfo(version_id=first.version_id)
        )
    )
    assert switched.status_code == 200 and switched.version_id == first.version_id
    versions = client.list_api_versions_v2(ListApiVersionsV2Request(instance_id=IID, api_id=api.id))
    assert {v.version_id: v.status for v in versions.api_versions}[first.version_id] == 1

    detail = client.show_details_of_api_v2(ShowDetailsOfApiV2Request(instance_id=IID, api_id=api.id))
    assert detail.run_env_id == RELEASE_ENV_ID and detail.publish_id == switched.publish_id

    offline = client.create_or_delete_publish_record_for_api_v2(
        CreateOrDeletePublishRecordForApiV2Request(
            instance_id=IID, body=ApiActionInfo(action="offline", env_id=RELEASE_ENV_ID, api_id=api.id)
        )
    )
    assert offline.status_code == 201 and offline.api_id == api.id

    batch = client.batch_publish_or_offline_api_v2(
        BatchPublishOrOfflineApiV2Request(
            instance_id=IID,
            action="online",
            body=ApiBatchPublish(apis=[api.id, "0" * 32], env_id=RELEASE_ENV_ID, remark="batch"),
        )
    )
    assert batch.status_code == 200
    assert [s.api_id for s in batch.success] == [api.id]
    assert [(f.api_id, f.error_code) for f in batch.failure] == [("0" * 32, "APIG.3002")]
    publish_id = batch.success[0].publish_id

    listed = client.list_apis_v2(ListApisV2Request(instance_id=IID, group_id=group.id))
    assert listed.total == 1 and listed.apis[0].id == api.id

    key = client.create_signature_key_v2(
        CreateSignatureKeyV2Request(
            instance_id=IID,
            body=SignatureCreate(
                name="sdk_signature", sign_key="signkeysignkey", sign_secret="signsecretsecretsecret"
            ),
        )
    )
    assert key.status_code == 201 and key.sign_type == "hmac" and key.sign_key == "signkeysignkey"
    rotated = client.update_signature_key_v2(
        UpdateSignatureKeyV2Request(
            instance_id=IID,
            sign_id=key.id,
            body=SignatureCreate(
                name="sdk_signature", sign_key="signkeyrotated", sign_secret="rotatedsecret0000001"
            ),
        )
    )
    assert rotated.status_code == 200 and rotated.sign_key == "signkeyrotated" and rotated.id == key.id
    bound = client.associate_signature_key_v2(
        AssociateSignatureKeyV2Request(
            instance_id=IID, body=SignApiBinding(sign_id=key.id, publish_ids=[publish_id])
        )
    )
    assert bound.status_code == 201 and len(bound.bindings) == 1
    assert (bound.bindings[0].api_id, bound.bindings[0].sign_key) == (api.id, "signkeyrotated")
    of_api = client.list_signature_keys_binded_to_api_v2(
        ListSignatureKeysBindedToApiV2Request(instance_id=IID, api_id=api.id)
    )
    assert of_api.total == 1 and of_api.bindings[0].sign_id == key.id

    app = client.create_an_app_v2(
        CreateAnAppV2Request(instance_id=IID, body=AppCreate(name="sdk_app", remark="caller"))
    )
    assert app.status_code == 201 and app.creator == "USER" and len(app.app_secret) == 32
    reset = client.resetting_app_secret_v2(
        ResettingAppSecretV2Request(instance_id=IID, app_id=app.id, body=AppResetCreate())
    )
    assert reset.status_code == 200 and reset.app_key == app.app_key and reset.app_secret != app.app_secret
    chosen = client.resetting_app_secret_v2(
        ResettingAppSecretV2Request(
            instance_id=IID, app_id=app.id, body=AppResetCreate(app_secret="Chosen_secret-01")
        )
    )
    assert chosen.app_secret == "Chosen_secret-01"


def test_sdk_errors_carry_the_documented_codes(server: tuple[Emulator, str]) -> None:
    _, base_url = server
    client = sdk_client(base_url)
    with pytest.raises(ClientRequestException) as missing:
        client.show_details_of_api_v2(ShowDetailsOfApiV2Request(instance_id=IID, api_id="f" * 32))
    assert (missing.value.status_code, missing.value.error_code) == (404, "APIG.3002")
    with pytest.raises(ClientRequestException) as bad_env:
        client.create_or_delete_publish_record_for_api_v2(
            CreateOrDeletePublishRecordForApiV2Request(
                instance_id=IID, body=ApiActionInfo(action="publish", env_id=RELEASE_ENV_ID, api_id="f" * 32)
            )
        )
    assert (bad_env.value.status_code, bad_env.value.error_code) == (400, "APIG.2011")


def test_request_signed_with_a_wrong_key_is_refused(server: tuple[Emulator, str]) -> None:
    """The gateway in front of APIG answers 401 ``APIGW.0301`` for a bad AK/SK signature."""
    _, base_url = server
    client = sdk_client(base_url, sk="Not" + DEMO_HUAWEI_SK[3:])
    with pytest.raises(ClientRequestException) as refused:
        client.list_environments_v2(ListEnvironmentsV2Request(instance_id=IID))
    assert refused.value.status_code == 401
    assert refused.value.error_code == "APIGW.0301"


def test_every_other_answer_deserializes_in_the_sdk(server: tuple[Emulator, str]) -> None:
    """Listings, details, bindings, throttles, ACLs, authorizations, AppCodes, debug and instance calls.

    The SDK parses ``*_time`` fields as datetimes and typed ints/lists strictly enough that a wrong shape
    shows up as a missing attribute or a deserialization error here.
    """
    import huaweicloudsdkapig.v2 as sdk

    _, base_url = server
    client = sdk_client(base_url)

    def call(method: str, request_class: str, **fields: Any) -> Any:
        return getattr(client, method)(getattr(sdk, request_class)(instance_id=IID, **fields))

    instances = client.list_instances_v2(sdk.ListInstancesV2Request())
    assert IID in [i.id for i in instances.instances]
    assert call("show_details_of_instance_v2", "ShowDetailsOfInstanceV2Request").status == "Running"
    configs = call("list_project_cofigs_v2", "ListProjectCofigsV2Request", limit=50)
    assert "API_VERSION_NUM_LIMIT" in {c.config_name for c in configs.configs}

    group = call(
        "create_api_group_v2", "CreateApiGroupV2Request", body=sdk.ApiGroupCreate(name="sdk_group_two")
    )
    renamed = call(
        "update_api_group_v2",
        "UpdateApiGroupV2Request",
        group_id=group.id,
        body=sdk.ApiGroupCreate(name="sdk_group_2", remark="renamed"),
    )
    assert renamed.name == "sdk_group_2" and renamed.update_time is not None
    assert call("list_api_groups_v2", "ListApiGroupsV2Request", name="sdk_group_2").groups[0].id == group.id
    env = call("create_environment_v2", "CreateEnvironmentV2Request", body=sdk.EnvCreate(name="SDK_TEST"))
    variable = call(
        "create_environment_variable_v2",
        "CreateEnvironmentVariableV2Request",
        body=sdk.EnvVariableCreate(
            group_id=group.id, env_id=env.id, variable_name="host", variable_value="h:1"
        ),
    )
    assert variable.variable_name == "host"

    api = call("create_api_v2", "CreateApiV2Request", body=mock_definition(group.id, "hello"))
    record = call(
        "create_or_delete_publish_record_for_api_v2",
        "CreateOrDeletePublishRecordForApiV2Request",
        body=sdk.ApiActionInfo(action="online", env_id=env.id, api_id=api.id),
    )
    runtime = call(
        "list_api_runtime_definition_v2", "ListApiRuntimeDefinitionV2Request", api_id=api.id, env_id=env.id
    )
    assert (runtime.publish_id, runtime.run_env_name) == (record.publish_id, "SDK_TEST")
    version = call(
        "list_api_version_detail_v2", "ListApiVersionDetailV2Request", version_id=record.version_id
    )
    assert version.mock_info.result_content == "hello"
    debug = call(
        "debug_api_v2",
        "DebugApiV2Request",
        api_id=api.id,
        body=sdk.ApiDebugInfo(
            mode="CONSUMER", scheme="HTTPS", method="GET", path="/sdk/mock", stage="SDK_TEST"
        ),
    )
    assert debug.response.startswith("HTTP/1.1 200") and debug.response.endswith("hello")

    key = call(
        "create_signature_key_v2", "CreateSignatureKeyV2Request", body=sdk.BaseSignature(name="sdk_key_two")
    )
    binding = call(
        "associate_signature_key_v2",
        "AssociateSignatureKeyV2Request",
        body=sdk.SignApiBinding(sign_id=key.id, publish_ids=[record.publish_id]),
    ).bindings[0]
    assert binding.binding_time is not None
    keys = call("list_signature_keys_v2", "ListSignatureKeysV2Request", name="sdk_key_two")
    assert keys.signs[0].bind_num == 1
    bound = call(
        "list_apis_binded_to_signature_key_v2", "ListApisBindedToSignatureKeyV2Request", sign_id=key.id
    )
    assert bound.bindings[0].publish_id == record.publish_id
    other = call(
        "create_signature_key_v2", "CreateSignatureKeyV2Request", body=sdk.BaseSignature(name="sdk_key_3")
    )
    unbound = call(
        "list_apis_not_bound_with_signature_key_v2",
        "ListApisNotBoundWithSignatureKeyV2Request",
        sign_id=other.id,
        env_id=env.id,
    )
    assert unbound.apis[0].signature_name == "sdk_key_two"
    assert (
        call(
            "disassociate_signature_key_v2", "DisassociateSignatureKeyV2Request", sign_bindings_id=binding.id
        ).status_code
        == 204
    )

    throttle = call(
        "create_request_throttling_policy_v2",
        "CreateRequestThrottlingPolicyV2Request",
        body=sdk.ThrottleBaseInfo(
            name="sdk_throttle", api_call_limits=100, time_interval=1, time_unit="SECOND"
        ),
    )
    assert throttle.create_time is not None
    applys = call(
        "associate_request_throttling_policy_v2",
        "AssociateRequestThrottlingPolicyV2Request",
        body=sdk.ThrottleApiBindingCreate(strategy_id=throttle.id, publish_ids=[record.publish_id]),
    )
    assert applys.throttle_applys[0].apply_time is not None
    of_api = call(
        "list_request_throttling_policies_binded_to_api_v2",
        "ListRequestThrottlingPoliciesBindedToApiV2Request",
        api_id=api.id,
    )
    assert of_api.throttles[0].bind_id == applys.throttle_applys[0].id

    acl = call(
        "create_acl_strategy_v2",
        "CreateAclStrategyV2Request",
        body=sdk.ApiAclCreate(acl_name="sdk_acl", acl_type="PERMIT", acl_value="10.0.0.1", entity_type="IP"),
    )
    acl_binding = call(
        "create_api_acl_binding_v2",
        "CreateApiAclBindingV2Request",
        body=sdk.AclApiBindingCreate(acl_id=acl.id, publish_ids=[record.publish_id]),
    )
    assert acl_binding.acl_bindings[0].create_time is not None
    acls = call("list_acl_policy_binded_to_api_v2", "ListAclPolicyBindedToApiV2Request", api_id=api.id)
    assert acls.acls[0].acl_name == "sdk_acl"

    app = call("create_an_app_v2", "CreateAnAppV2Request", body=sdk.AppCreate(name="sdk_app_two"))
    updated = call("update_app_v2", "UpdateAppV2Request", app_id=app.id, body=sdk.AppCreate(name="sdk_app_2"))
    assert updated.status_code == 201, "3.12.2 documents 201 for a modify"
    assert call("check_app_v2", "CheckAppV2Request", app_id=app.id).name == "sdk_app_2"
    auths = call(
        "create_authorizing_apps_v2",
        "CreateAuthorizingAppsV2Request",
        body=sdk.ApiAuthCreate(env_id=env.id, app_ids=[app.id], api_ids=[api.id]),
    ).auths
    assert auths[0].auth_result.status == "SUCCESS" and auths[0].auth_time is not None
    of_app = call("list_apis_binded_to_app_v2", "ListApisBindedToAppV2Request", app_id=app.id)
    assert of_app.auths[0].publish_id == record.publish_id
    assert call("list_apps_binded_to_api_v2", "ListAppsBindedToApiV2Request", api_id=api.id).total == 1
    assert (
        call(
            "list_apis_unbinded_to_app_v2",
            "ListApisUnbindedToAppV2Request",
            app_id=app.id,
            env_id=RELEASE_ENV_ID,
        ).total
        == 2
    )
    listed = call("list_apps_v2", "ListAppsV2Request", name="sdk_app_2")
    assert listed.apps[0].bind_num == 1
    code = call("create_app_code_auto_v2", "CreateAppCodeAutoV2Request", app_id=app.id)
    shown = call(
        "show_details_of_app_code_v2", "ShowDetailsOfAppCodeV2Request", app_id=app.id, app_code_id=code.id
    )
    assert shown.status_code == 201 and shown.app_code == code.app_code, "3.12.11 documents 201 for this GET"
    assert call("list_app_codes_v2", "ListAppCodesV2Request", app_id=app.id).total == 1

    offline = call(
        "delete_api_by_version_id_v2", "DeleteApiByVersionIdV2Request", version_id=record.version_id
    )
    assert offline.status_code == 204
