"""The input parameters each action defines (the document's tables), for ``UnknownParameter``.

The real API refuses parameters an action does not define, so a misspelt name fails loudly instead of being
ignored. Only top-level names are checked; ``Action``/``Version``/``Region`` and the v1 signature parameters
are common and never reach this check.
"""

from __future__ import annotations

__all__ = ["PARAMETERS"]

_API_DEFINITION = frozenset(
    {
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
    }
)

PARAMETERS: dict[str, frozenset[str]] = {
    "BindApiApp": frozenset({"ApiAppId", "Environment", "ServiceId", "ApiId"}),
    "BindEnvironment": frozenset({"UsagePlanIds", "BindType", "Environment", "ServiceId", "ApiIds"}),
    "BindSecretIds": frozenset({"UsagePlanId", "AccessKeyIds"}),
    "CreateApi": _API_DEFINITION | {"TargetNamespaceId", "TargetServices", "UserType"},
    "CreateApiApp": frozenset({"ApiAppName", "ApiAppDesc", "Tags", "ProjectId"}),
    "CreateApiKey": frozenset({"SecretName", "AccessKeyType", "AccessKeyId", "AccessKeySecret"}),
    "CreateService": frozenset(
        {
            "ServiceName",
            "ServiceDesc",
            "Protocol",
            "ExclusiveSetName",
            "NetTypes",
            "IpVersion",
            "SetServerName",
            "AppIdType",
            "Tags",
            "InstanceId",
            "ProjectId",
            "TceArch",
        }
    ),
    "CreateUsagePlan": frozenset({"UsagePlanName", "UsagePlanDesc", "MaxRequestNum", "MaxRequestNumPreSec"}),
    "DeleteApi": frozenset({"ServiceId", "ApiId", "InternalReqSource"}),
    "DeleteApiApp": frozenset({"ApiAppId"}),
    "DeleteApiKey": frozenset({"AccessKeyId"}),
    "DeleteService": frozenset({"ServiceId", "SkipVerification"}),
    "DeleteUsagePlan": frozenset({"UsagePlanId"}),
    "DescribeApi": frozenset({"ServiceId", "ApiId"}),
    "DescribeApiApp": frozenset({"ApiAppId"}),
    "DescribeApiAppBindApisStatus": frozenset({"Limit", "Offset", "Filters", "ApiAppId"}),
    "DescribeApiAppsStatus": frozenset({"Limit", "Offset", "Filters"}),
    "DescribeApiBindApiAppsStatus": frozenset({"Limit", "Offset", "Filters", "ServiceId", "ApiIds"}),
    "DescribeApiKey": frozenset({"AccessKeyId"}),
    "DescribeApiKeysStatus": frozenset({"Limit", "Offset", "Filters"}),
    "DescribeApiUsagePlan": frozenset({"ServiceId", "Limit", "Offset"}),
    "DescribeApisStatus": frozenset({"ServiceId", "Offset", "Limit", "Filters"}),
    "DescribeService": frozenset({"ServiceId"}),
    "DescribeServiceEnvironmentList": frozenset({"ServiceId", "Limit", "Offset"}),
    "DescribeServiceEnvironmentReleaseHistory": frozenset(
        {"ServiceId", "EnvironmentName", "Limit", "Offset"}
    ),
    "DescribeServiceReleaseVersion": frozenset({"ServiceId", "Limit", "Offset"}),
    "DescribeServiceUsagePlan": frozenset({"ServiceId", "Limit", "Offset"}),
    "DescribeServicesStatus": frozenset({"Limit", "Offset", "Filters"}),
    "DescribeUsagePlan": frozenset({"UsagePlanId"}),
    "DescribeUsagePlanEnvironments": frozenset({"UsagePlanId", "BindType", "Limit", "Offset"}),
    "DescribeUsagePlanSecretIds": frozenset({"UsagePlanId", "Limit", "Offset"}),
    "DescribeUsagePlansStatus": frozenset({"Limit", "Offset", "Filters"}),
    "DisableApiKey": frozenset({"AccessKeyId"}),
    "EnableApiKey": frozenset({"AccessKeyId"}),
    "ModifyApi": _API_DEFINITION
    | {"ApiId", "AuthRequired", "Base64EncodedTriggerRules", "IsBase64Trigger", "TagSpecifications"},
    "ModifyApiApp": frozenset({"ApiAppId", "ApiAppName", "ApiAppDesc", "ProjectId"}),
    "ModifyService": frozenset(
        {"ServiceId", "ServiceName", "ServiceDesc", "Protocol", "NetTypes", "ProjectId"}
    ),
    "ModifyUsagePlan": frozenset(
        {"UsagePlanId", "UsagePlanName", "UsagePlanDesc", "MaxRequestNum", "MaxRequestNumPreSec"}
    ),
    "ReleaseService": frozenset({"ServiceId", "ApiIds", "EnvironmentName", "ReleaseDesc"}),
    "UnBindEnvironment": frozenset({"BindType", "UsagePlanIds", "Environment", "ServiceId", "ApiIds"}),
    "UnBindSecretIds": frozenset({"UsagePlanId", "AccessKeyIds"}),
    "UnReleaseService": frozenset({"ServiceId", "ApiIds", "EnvironmentName"}),
    "UnbindApiApp": frozenset({"ApiAppId", "Environment", "ServiceId", "ApiId"}),
    "UpdateApiAppKey": frozenset({"ApiAppId", "ApiAppKey", "ApiAppSecret"}),
    "UpdateApiKey": frozenset({"AccessKeyId", "AccessKeySecret"}),
    "UpdateService": frozenset({"ServiceId", "EnvironmentName", "VersionName", "UpdateDesc"}),
}
