"""The action table: every emulated action of API version 2018-08-08, its handler and its input parameters.

All cloud-API calls arrive on ``/`` (see :mod:`.protocol`) and are dispatched on the action name through this
table. The parameter names are the document's request tables: the real API refuses a parameter an action
does not define (``UnknownParameter``), so a misspelt name fails loudly instead of being ignored. Only
top-level names are listed; ``Action``/``Version``/``Region`` and the v1 signature parameters are common and
never reach this check.

Adding an action: write the handler in the topic's module under ``handlers/`` and add its row here.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from devkit.emulator.services.tencent_apigw.handlers import apis, apps, keys, plans, releases, services
from devkit.emulator.services.tencent_apigw.handlers.common import Action

__all__ = ["ACTIONS", "API_DEFINITION", "PARAMETERS", "ActionSpec"]


@dataclass(frozen=True)
class ActionSpec:
    """One action: the function that answers it and the top-level parameters it accepts."""

    handler: Action
    parameters: frozenset[str]


def _action(handler: Action, names: str, base: Iterable[str] = ()) -> ActionSpec:
    """A row: the handler, its parameter names separated by spaces, plus ``base`` (a shared definition)."""
    return ActionSpec(handler, frozenset(names.split()) | frozenset(base))


API_DEFINITION = (
    "ApiBusinessType",
    "ApiDesc",
    "ApiName",
    "ApiType",
    "AuthRelationApiId",
    "AuthType",
    "ConstantParameters",
    "EIAMAppId",
    "EIAMAppType",
    "EIAMAuthType",
    "EnableCORS",
    "EventBusId",
    "InternalReqSource",
    "IsBase64Encoded",
    "IsDebugAfterCharge",
    "IsDeleteResponseErrorCodes",
    "MicroServices",
    "OauthConfig",
    "Protocol",
    "RequestConfig",
    "RequestParameters",
    "ResponseErrorCodes",
    "ResponseFailExample",
    "ResponseSuccessExample",
    "ResponseType",
    "ServiceConfig",
    "ServiceId",
    "ServiceMockReturnMessage",
    "ServiceParameters",
    "ServiceScfFunctionName",
    "ServiceScfFunctionNamespace",
    "ServiceScfFunctionQualifier",
    "ServiceScfFunctionType",
    "ServiceScfIsIntegratedResponse",
    "ServiceTimeout",
    "ServiceTsfHealthCheckConf",
    "ServiceTsfLoadBalanceConf",
    "ServiceType",
    "ServiceWebsocketCleanupFunctionName",
    "ServiceWebsocketCleanupFunctionNamespace",
    "ServiceWebsocketCleanupFunctionQualifier",
    "ServiceWebsocketRegisterFunctionName",
    "ServiceWebsocketRegisterFunctionNamespace",
    "ServiceWebsocketRegisterFunctionQualifier",
    "ServiceWebsocketTransportFunctionName",
    "ServiceWebsocketTransportFunctionNamespace",
    "ServiceWebsocketTransportFunctionQualifier",
    "TargetServicesHealthCheckConf",
    "TargetServicesLoadBalanceConf",
    "TokenTimeout",
)
"""The API definition CreateApi and ModifyApi share (each adds a few parameters of its own)."""


ACTIONS: dict[str, ActionSpec] = {
    # services
    "CreateService": _action(
        services.create_service,
        "AppIdType ExclusiveSetName InstanceId IpVersion NetTypes ProjectId Protocol ServiceDesc ServiceName"
        " SetServerName Tags TceArch",
    ),
    "ModifyService": _action(
        services.modify_service, "NetTypes ProjectId Protocol ServiceDesc ServiceId ServiceName"
    ),
    "DeleteService": _action(services.delete_service, "ServiceId SkipVerification"),
    "DescribeService": _action(services.describe_service, "ServiceId"),
    "DescribeServicesStatus": _action(services.describe_services_status, "Filters Limit Offset"),
    # apis
    "CreateApi": _action(apis.create_api, "TargetNamespaceId TargetServices UserType", API_DEFINITION),
    "ModifyApi": _action(
        apis.modify_api,
        "ApiId AuthRequired Base64EncodedTriggerRules IsBase64Trigger TagSpecifications",
        API_DEFINITION,
    ),
    "DeleteApi": _action(apis.delete_api, "ApiId InternalReqSource ServiceId"),
    "DescribeApi": _action(apis.describe_api, "ApiId ServiceId"),
    "DescribeApisStatus": _action(apis.describe_apis_status, "Filters Limit Offset ServiceId"),
    # releases
    "ReleaseService": _action(releases.release_service, "ApiIds EnvironmentName ReleaseDesc ServiceId"),
    "UnReleaseService": _action(releases.unrelease_service, "ApiIds EnvironmentName ServiceId"),
    "UpdateService": _action(releases.update_service, "EnvironmentName ServiceId UpdateDesc VersionName"),
    "DescribeServiceReleaseVersion": _action(
        releases.describe_service_release_version, "Limit Offset ServiceId"
    ),
    "DescribeServiceEnvironmentReleaseHistory": _action(
        releases.describe_service_environment_release_history, "EnvironmentName Limit Offset ServiceId"
    ),
    "DescribeServiceEnvironmentList": _action(
        releases.describe_service_environment_list, "Limit Offset ServiceId"
    ),
    # keys
    "CreateApiKey": _action(keys.create_api_key, "AccessKeyId AccessKeySecret AccessKeyType SecretName"),
    "UpdateApiKey": _action(keys.update_api_key, "AccessKeyId AccessKeySecret"),
    "EnableApiKey": _action(keys.enable_api_key, "AccessKeyId"),
    "DisableApiKey": _action(keys.disable_api_key, "AccessKeyId"),
    "DeleteApiKey": _action(keys.delete_api_key, "AccessKeyId"),
    "DescribeApiKey": _action(keys.describe_api_key, "AccessKeyId"),
    "DescribeApiKeysStatus": _action(keys.describe_api_keys_status, "Filters Limit Offset"),
    # plans
    "CreateUsagePlan": _action(
        plans.create_usage_plan, "MaxRequestNum MaxRequestNumPreSec UsagePlanDesc UsagePlanName"
    ),
    "ModifyUsagePlan": _action(
        plans.modify_usage_plan, "MaxRequestNum MaxRequestNumPreSec UsagePlanDesc UsagePlanId UsagePlanName"
    ),
    "DeleteUsagePlan": _action(plans.delete_usage_plan, "UsagePlanId"),
    "DescribeUsagePlan": _action(plans.describe_usage_plan, "UsagePlanId"),
    "DescribeUsagePlansStatus": _action(plans.describe_usage_plans_status, "Filters Limit Offset"),
    "BindSecretIds": _action(plans.bind_secret_ids, "AccessKeyIds UsagePlanId"),
    "UnBindSecretIds": _action(plans.unbind_secret_ids, "AccessKeyIds UsagePlanId"),
    "DescribeUsagePlanSecretIds": _action(plans.describe_usage_plan_secret_ids, "Limit Offset UsagePlanId"),
    "DescribeUsagePlanEnvironments": _action(
        plans.describe_usage_plan_environments, "BindType Limit Offset UsagePlanId"
    ),
    "DescribeServiceUsagePlan": _action(plans.describe_service_usage_plan, "Limit Offset ServiceId"),
    "DescribeApiUsagePlan": _action(plans.describe_api_usage_plan, "Limit Offset ServiceId"),
    "BindEnvironment": _action(plans.bind_environment, "ApiIds BindType Environment ServiceId UsagePlanIds"),
    "UnBindEnvironment": _action(
        plans.unbind_environment, "ApiIds BindType Environment ServiceId UsagePlanIds"
    ),
    # apps
    "CreateApiApp": _action(apps.create_api_app, "ApiAppDesc ApiAppName ProjectId Tags"),
    "UpdateApiAppKey": _action(apps.update_api_app_key, "ApiAppId ApiAppKey ApiAppSecret"),
    "ModifyApiApp": _action(apps.modify_api_app, "ApiAppDesc ApiAppId ApiAppName ProjectId"),
    "DeleteApiApp": _action(apps.delete_api_app, "ApiAppId"),
    "DescribeApiApp": _action(apps.describe_api_app, "ApiAppId"),
    "DescribeApiAppsStatus": _action(apps.describe_api_apps_status, "Filters Limit Offset"),
    "BindApiApp": _action(apps.bind_api_app, "ApiAppId ApiId Environment ServiceId"),
    "UnbindApiApp": _action(apps.unbind_api_app, "ApiAppId ApiId Environment ServiceId"),
    "DescribeApiAppBindApisStatus": _action(
        apps.describe_api_app_bind_apis_status, "ApiAppId Filters Limit Offset"
    ),
    "DescribeApiBindApiAppsStatus": _action(
        apps.describe_api_bind_api_apps_status, "ApiIds Filters Limit Offset ServiceId"
    ),
}

PARAMETERS: dict[str, frozenset[str]] = {name: spec.parameters for name, spec in ACTIONS.items()}
"""Each action's parameter names, for tests and tools that only need the schema."""
