"""APIG's route table: method, path as the official SDK (``huaweicloudsdkapig`` v2) declares it, operation
name, handler.

The paths match seed 002 chapter 3 too, except two listings the seed spells ``unbound-apis`` where the SDK and
the seed's own chapter 4 use ``unbinded-apis``: both spellings are served.
"""

from __future__ import annotations

from devkit.emulator.core import Route
from devkit.emulator.services.apig.handlers import (
    acls,
    apis,
    apps,
    auths,
    debug,
    environments,
    groups,
    instances,
    openapi,
    publish,
    signs,
    throttles,
)

INSTANCES = "/v2/{project_id}/apigw/instances"
BASE = INSTANCES + "/{instance_id}"

ROUTES = (
    # publishing, versions, debug
    Route("POST", BASE + "/apis/action", "CreateOrDeletePublishRecordForApiV2", publish.publish_action),
    Route("POST", BASE + "/apis/publish", "BatchPublishOrOfflineApiV2", publish.batch_publish),
    Route("GET", BASE + "/apis/publish/{api_id}", "ListApiVersionsV2", publish.list_versions),
    Route("PUT", BASE + "/apis/publish/{api_id}", "ChangeApiVersionV2", publish.switch_version),
    Route("GET", BASE + "/apis/runtime/{api_id}", "ListApiRuntimeDefinitionV2", publish.runtime_definition),
    Route("GET", BASE + "/apis/versions/{version_id}", "ListApiVersionDetailV2", publish.version_detail),
    Route("DELETE", BASE + "/apis/versions/{version_id}", "DeleteApiByVersionIdV2", publish.offline_version),
    Route("POST", BASE + "/apis/debug/{api_id}", "DebugApiV2", debug.debug),
    # OpenAPI
    Route("POST", BASE + "/openapi/export", "ExportApiDefinitionsV2", openapi.export_apis),
    Route("POST", BASE + "/openapi/import", "ImportApiDefinitionsV2", openapi.import_apis),
    # instances and quotas
    Route("GET", INSTANCES, "ListInstancesV2", instances.list_instances),
    Route("POST", INSTANCES, "CreateInstanceV2", instances.create_instance),
    Route("GET", INSTANCES + "/{instance_id}", "ShowDetailsOfInstanceV2", instances.show_instance),
    Route("DELETE", INSTANCES + "/{instance_id}", "DeleteInstancesV2", instances.delete_instance),
    Route("GET", BASE + "/project/configs", "ListProjectCofigsV2", instances.list_configs),
    # API groups
    Route("POST", BASE + "/api-groups", "CreateApiGroupV2", groups.create_group),
    Route("PUT", BASE + "/api-groups/{group_id}", "UpdateApiGroupV2", groups.update_group),
    Route("GET", BASE + "/api-groups/{group_id}", "ShowDetailsOfApiGroupV2", groups.show_group),
    Route("DELETE", BASE + "/api-groups/{group_id}", "DeleteApiGroupV2", groups.delete_group),
    Route("GET", BASE + "/api-groups", "ListApiGroupsV2", groups.list_groups),
    # environments and their variables
    Route("POST", BASE + "/envs", "CreateEnvironmentV2", environments.create_env),
    Route("PUT", BASE + "/envs/{env_id}", "UpdateEnvironmentV2", environments.update_env),
    Route("DELETE", BASE + "/envs/{env_id}", "DeleteEnvironmentV2", environments.delete_env),
    Route("GET", BASE + "/envs", "ListEnvironmentsV2", environments.list_envs),
    Route("POST", BASE + "/env-variables", "CreateEnvironmentVariableV2", environments.create_variable),
    Route(
        "GET",
        BASE + "/env-variables/{env_variable_id}",
        "ShowDetailsOfEnvironmentVariableV2",
        environments.show_variable,
    ),
    Route(
        "PUT",
        BASE + "/env-variables/{env_variable_id}",
        "UpdateEnvironmentVariableV2",
        environments.update_variable,
    ),
    Route(
        "DELETE",
        BASE + "/env-variables/{env_variable_id}",
        "DeleteEnvironmentVariableV2",
        environments.delete_variable,
    ),
    Route("GET", BASE + "/env-variables", "ListEnvironmentVariablesV2", environments.list_variables),
    # API definitions
    Route("POST", BASE + "/apis", "CreateApiV2", apis.create_api),
    Route("PUT", BASE + "/apis/{api_id}", "UpdateApiV2", apis.update_api),
    Route("GET", BASE + "/apis/{api_id}", "ShowDetailsOfApiV2", apis.show_api),
    Route("DELETE", BASE + "/apis/{api_id}", "DeleteApiV2", apis.delete_api),
    Route("GET", BASE + "/apis", "ListApisV2", apis.list_apis),
    # signature keys and their bindings
    Route("POST", BASE + "/signs", "CreateSignatureKeyV2", signs.create_sign),
    Route("PUT", BASE + "/signs/{sign_id}", "UpdateSignatureKeyV2", signs.update_sign),
    Route("DELETE", BASE + "/signs/{sign_id}", "DeleteSignatureKeyV2", signs.delete_sign),
    Route("GET", BASE + "/signs", "ListSignatureKeysV2", signs.list_signs),
    Route("POST", BASE + "/sign-bindings", "AssociateSignatureKeyV2", signs.bind_sign),
    Route(
        "DELETE",
        BASE + "/sign-bindings/{sign_bindings_id}",
        "DisassociateSignatureKeyV2",
        signs.unbind_sign,
    ),
    Route("GET", BASE + "/sign-bindings/binded-signs", "ListSignatureKeysBindedToApiV2", signs.signs_of_api),
    Route("GET", BASE + "/sign-bindings/binded-apis", "ListApisBindedToSignatureKeyV2", signs.apis_of_sign),
    Route(
        "GET",
        BASE + "/sign-bindings/unbinded-apis",
        "ListApisNotBoundWithSignatureKeyV2",
        signs.apis_without_sign,
    ),
    # request throttling policies and their bindings
    Route("POST", BASE + "/throttles", "CreateRequestThrottlingPolicyV2", throttles.create_throttle),
    Route(
        "PUT", BASE + "/throttles/{throttle_id}", "UpdateRequestThrottlingPolicyV2", throttles.update_throttle
    ),
    Route(
        "GET",
        BASE + "/throttles/{throttle_id}",
        "ShowDetailsOfRequestThrottlingPolicyV2",
        throttles.show_throttle,
    ),
    Route(
        "DELETE",
        BASE + "/throttles/{throttle_id}",
        "DeleteRequestThrottlingPolicyV2",
        throttles.delete_throttle,
    ),
    Route("GET", BASE + "/throttles", "ListRequestThrottlingPolicyV2", throttles.list_throttles),
    Route("POST", BASE + "/throttle-bindings", "AssociateRequestThrottlingPolicyV2", throttles.bind_throttle),
    Route(
        "DELETE",
        BASE + "/throttle-bindings/{throttle_binding_id}",
        "DisassociateRequestThrottlingPolicyV2",
        throttles.unbind_throttle,
    ),
    Route(
        "PUT",
        BASE + "/throttle-bindings",
        "BatchDisassociateThrottlingPolicyV2",
        throttles.batch_unbind_throttles,
    ),
    Route(
        "GET",
        BASE + "/throttle-bindings/binded-apis",
        "ListApisBindedToRequestThrottlingPolicyV2",
        throttles.apis_of_throttle,
    ),
    Route(
        "GET",
        BASE + "/throttle-bindings/unbinded-apis",
        "ListApisUnbindedToRequestThrottlingPolicyV2",
        throttles.apis_without_throttle,
    ),
    Route(
        "GET",
        BASE + "/throttle-bindings/binded-throttles",
        "ListRequestThrottlingPoliciesBindedToApiV2",
        throttles.throttles_of_api,
    ),
    # access control policies and their bindings
    Route("POST", BASE + "/acls", "CreateAclStrategyV2", acls.create_acl),
    Route("PUT", BASE + "/acls/{acl_id}", "UpdateAclStrategyV2", acls.update_acl),
    Route("DELETE", BASE + "/acls/{acl_id}", "DeleteAclV2", acls.delete_acl),
    Route("PUT", BASE + "/acls", "BatchDeleteAclV2", acls.batch_delete_acls),
    Route("GET", BASE + "/acls/{acl_id}", "ShowDetailsOfAclPolicyV2", acls.show_acl),
    Route("GET", BASE + "/acls", "ListAclStrategiesV2", acls.list_acls),
    Route("POST", BASE + "/acl-bindings", "CreateApiAclBindingV2", acls.bind_acl),
    Route("DELETE", BASE + "/acl-bindings/{acl_bindings_id}", "DeleteApiAclBindingV2", acls.unbind_acl),
    Route("PUT", BASE + "/acl-bindings", "BatchDeleteApiAclBindingV2", acls.batch_unbind_acls),
    Route("GET", BASE + "/acl-bindings/binded-apis", "ListApisBindedToAclPolicyV2", acls.apis_of_acl),
    Route("GET", BASE + "/acl-bindings/unbound-apis", "ListApisUnbindedToAclPolicyV2", acls.apis_without_acl),
    Route(
        "GET", BASE + "/acl-bindings/unbinded-apis", "ListApisUnbindedToAclPolicyV2", acls.apis_without_acl
    ),
    Route("GET", BASE + "/acl-bindings/binded-acls", "ListAclPolicyBindedToApiV2", acls.acls_of_api),
    # APPs and their AppCodes
    Route("POST", BASE + "/apps", "CreateAnAppV2", apps.create_app),
    Route("PUT", BASE + "/apps/{app_id}", "UpdateAppV2", apps.update_app),
    Route("DELETE", BASE + "/apps/{app_id}", "DeleteAppV2", apps.delete_app),
    Route("GET", BASE + "/apps/{app_id}", "ShowDetailsOfAppV2", apps.show_app),
    Route("GET", BASE + "/apps/validation/{app_id}", "CheckAppV2", apps.check_app),
    Route("PUT", BASE + "/apps/secret/{app_id}", "ResettingAppSecretV2", apps.reset_secret),
    Route("GET", BASE + "/apps", "ListAppsV2", apps.list_apps),
    Route("POST", BASE + "/apps/{app_id}/app-codes", "CreateAppCodeV2", apps.create_app_code),
    Route("PUT", BASE + "/apps/{app_id}/app-codes", "CreateAppCodeAutoV2", apps.generate_app_code),
    Route(
        "GET", BASE + "/apps/{app_id}/app-codes/{app_code_id}", "ShowDetailsOfAppCodeV2", apps.show_app_code
    ),
    Route("DELETE", BASE + "/apps/{app_id}/app-codes/{app_code_id}", "DeleteAppCodeV2", apps.delete_app_code),
    Route("GET", BASE + "/apps/{app_id}/app-codes", "ListAppCodesV2", apps.list_app_codes),
    # APP authorizations
    Route("POST", BASE + "/app-auths", "CreateAuthorizingAppsV2", auths.grant),
    Route("DELETE", BASE + "/app-auths/{app_auth_id}", "CancelingAuthorizationV2", auths.revoke),
    Route("GET", BASE + "/app-auths/binded-apis", "ListApisBindedToAppV2", auths.apis_of_app),
    Route("GET", BASE + "/app-auths/binded-apps", "ListAppsBindedToApiV2", auths.apps_of_api),
    Route("GET", BASE + "/app-auths/unbound-apis", "ListApisUnbindedToAppV2", auths.apis_without_app),
    Route("GET", BASE + "/app-auths/unbinded-apis", "ListApisUnbindedToAppV2", auths.apis_without_app),
)
