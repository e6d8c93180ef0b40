"""Typed async client for the Tencent TCE API Gateway cloud API, version 2018-08-08 (``apigateway``).

Every call is ``POST /`` with the action in ``X-TC-Action``, the version in ``X-TC-Version``, the region in
``X-TC-Region`` and the parameters as JSON, signed with TC3-HMAC-SHA256 (:class:`shared.auth.TencentTC3Auth`).
Tencent answers errors - throttling included - as HTTP 200 with ``Response.Error``; :func:`shared.http.
request_json` turns those into the typed :class:`shared.errors.CloudError` subclasses by code family
(``ResourceNotFound.*`` -> ``NotFoundError``, ``LimitExceeded.*`` -> ``QuotaExceededError``,
``RequestLimitExceeded*`` -> ``ThrottledError`` and retried for the read-only ``Describe*`` calls).

The models use the wire names as aliases (``service_id`` <-> ``ServiceId``) and ignore fields they do not
name, so new fields from the service never break a caller. Secrets (``AccessKeySecret``, ``ApiAppSecret``) are
``SecretStr``: they do not appear in reprs or logs; call ``.get_secret_value()`` where the value is needed.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Annotated, Any, ClassVar, Generic, TypeVar

import httpx
from pydantic import AliasChoices, BaseModel, BeforeValidator, ConfigDict, Field, SecretStr
from pydantic.alias_generators import to_pascal

from shared.clients.base import ServiceClient, without_none
from shared.errors import ServerError
from shared.http import paginate

if TYPE_CHECKING:
    from typing_extensions import Self

    from shared.config import Settings

__all__ = [
    "API_VERSION",
    "ENVIRONMENTS",
    "ApiApp",
    "ApiAppBinding",
    "ApiDetail",
    "ApiKey",
    "ApiSpec",
    "ApiSummary",
    "CreatedApi",
    "CreatedService",
    "EnvironmentStatus",
    "Page",
    "PlanBindingInfo",
    "ReleaseResult",
    "ReleaseVersion",
    "RequestConfig",
    "ServiceConfig",
    "ServiceDetail",
    "ServiceSummary",
    "ServiceUsagePlan",
    "TencentApigwClient",
    "UsagePlan",
    "UsagePlanSecret",
    "UsagePlanSummary",
]

API_VERSION = "2018-08-08"
SIGNING_SERVICE = "apigateway"
ENVIRONMENTS = ("test", "prepub", "release")
MAX_PAGE = 100

T = TypeVar("T")
M = TypeVar("M", bound="TencentModel")


def _as_list(value: Any) -> Any:
    """The document types some list fields as String (DescribeService); accept ``"a,b"`` as well."""
    if value is None:
        return []
    if isinstance(value, str):
        return [part for part in value.split(",") if part]
    return value


def _none_as_empty(value: Any) -> Any:
    return "" if value is None else value


StrList = Annotated[list[str], BeforeValidator(_as_list)]
Text = Annotated[str, BeforeValidator(_none_as_empty)]


class TencentModel(BaseModel):
    """Wire names are PascalCase aliases; unknown fields are ignored; instances are immutable."""

    model_config = ConfigDict(
        defer_build=True, alias_generator=to_pascal, populate_by_name=True, extra="ignore", frozen=True
    )

    def wire(self) -> dict[str, Any]:
        """The request parameters: wire names, unset optional fields left out."""
        return self.model_dump(by_alias=True, exclude_none=True, mode="json")


class Page(TencentModel, Generic[T]):
    """One page of a listing: the items and the ``TotalCount`` of the whole (filtered) listing."""

    total_count: int
    items: list[T]


# ---------------------------------------------------------------------------------------------- services


class CreatedService(TencentModel):
    service_id: str
    service_name: Text = ""
    service_desc: Text = ""
    outer_sub_domain: Text = ""
    inner_sub_domain: Text = ""
    created_time: Text = ""
    net_types: StrList = Field(default_factory=list)
    ip_version: Text = ""


class ServiceSummary(TencentModel):
    """The ``Service`` structure of DescribeServicesStatus."""

    service_id: str
    service_name: Text = ""
    service_desc: Text = ""
    protocol: Text = ""
    net_types: StrList = Field(default_factory=list)
    ip_version: Text = ""
    available_environments: StrList = Field(default_factory=list)
    outer_sub_domain: Text = ""
    inner_sub_domain: Text = ""
    created_time: Text = ""
    modified_time: Text = ""


class ApiSummary(TencentModel):
    """``DesApisStatus`` (DescribeApisStatus) and ``ApiIdStatus`` (DescribeService)."""

    service_id: Text = ""
    api_id: str
    api_name: Text = ""
    api_desc: Text = ""
    path: Text = ""
    method: Text = ""
    auth_type: Text = ""
    api_type: Text = ""
    protocol: Text = ""
    created_time: Text = ""
    modified_time: Text = ""


class ServiceUsagePlan(TencentModel):
    """``UsagePlan`` as listed by DescribeService: a plan bound to one environment of the service."""

    environment: Text = ""
    usage_plan_id: str
    usage_plan_name: Text = ""
    usage_plan_desc: Text = ""
    max_request_num_pre_sec: int | None = None


class ServiceDetail(TencentModel):
    """DescribeService (fields directly inside ``Response``)."""

    service_id: str
    service_name: Text = ""
    service_desc: Text = ""
    protocol: Text = ""
    available_environments: StrList = Field(default_factory=list)
    net_types: StrList = Field(default_factory=list)
    outer_sub_domain: Text = ""
    internal_sub_domain: Text = ""
    ip_version: Text = ""
    api_total_count: int = 0
    api_id_status_set: list[ApiSummary] = Field(default_factory=list)
    usage_plan_total_count: int = 0
    usage_plan_list: list[ServiceUsagePlan] = Field(default_factory=list)
    created_time: Text = ""
    modified_time: Text = ""


# ------------------------------------------------------------------------------------------------- APIs


class RequestConfig(TencentModel):
    """The frontend path and method of an API."""

    path: str
    method: str


class ServiceConfig(TencentModel):
    """The HTTP backend: ``Url`` is ``scheme://host[:port]``, ``Path`` starts with ``/``."""

    url: str | None = None
    path: str | None = None
    method: str | None = None
    product: str | None = None
    uniq_vpc_id: str | None = None
    upstream_id: str | None = None


class ApiSpec(TencentModel):
    """A full API definition for CreateApi/ModifyApi (ModifyApi replaces the whole definition).

    ``service_type`` is ``MOCK`` (needs ``service_mock_return_message``) or ``HTTP`` (needs
    ``service_config``), among others; ``auth_type`` is ``NONE``, ``SECRET``, ``APP`` or ``OAUTH``.
    """

    request_config: RequestConfig
    service_type: str
    service_timeout: int = 15
    protocol: str = "HTTP"
    api_name: str | None = None
    api_desc: str | None = None
    auth_type: str = "NONE"
    api_type: str | None = None
    service_config: ServiceConfig | None = None
    service_mock_return_message: str | None = None
    enable_cors: bool | None = Field(default=None, serialization_alias="EnableCORS")
    request_parameters: list[dict[str, Any]] | None = None
    constant_parameters: list[dict[str, Any]] | None = None
    service_parameters: list[dict[str, Any]] | None = None
    response_type: str | None = None
    response_success_example: str | None = None
    response_fail_example: str | None = None


class CreatedApi(TencentModel):
    """``CreateApiRsp``: the document names the time ``CreateTime``, the official SDK ``CreatedTime``."""

    api_id: str
    path: Text = ""
    method: Text = ""
    created_time: Text = Field(default="", validation_alias=AliasChoices("CreatedTime", "CreateTime"))


class ApiDetail(TencentModel):
    """``ApiInfo`` (DescribeApi): the definition plus the environments it is released to."""

    service_id: Text = ""
    service_name: Text = ""
    api_id: str
    api_name: Text = ""
    api_desc: Text = ""
    auth_type: Text = ""
    api_type: Text = ""
    protocol: Text = ""
    request_config: RequestConfig | None = None
    service_type: Text = ""
    service_timeout: int | None = None
    service_config: ServiceConfig | None = None
    service_mock_return_message: Text = ""
    environments: StrList = Field(default_factory=list)
    created_time: Text = ""
    modified_time: Text = ""


# --------------------------------------------------------------------------------------------- releases


class ReleaseResult(TencentModel):
    release_desc: Text = ""
    release_version: str


class ReleaseVersion(TencentModel):
    """``ServiceReleaseHistoryInfo``; ``release_time`` is a plain string, not ISO 8601."""

    version_name: str
    version_desc: Text = ""
    release_time: Text = ""


class EnvironmentStatus(TencentModel):
    environment_name: str
    url: Text = ""
    status: int = 0
    version_name: Text = ""

    @property
    def released(self) -> bool:
        return self.status == 1


# ------------------------------------------------------------------------------------------------- keys


class ApiKey(TencentModel):
    """A key pair; list answers carry no secret (empty ``access_key_secret``)."""

    access_key_id: str
    access_key_secret: SecretStr = SecretStr("")
    access_key_type: Text = ""
    secret_name: Text = ""
    status: int = 0
    created_time: Text = ""
    modified_time: Text = ""

    @property
    def enabled(self) -> bool:
        return self.status == 1


class PlanEnvironment(TencentModel):
    environment_name: Text = ""
    service_id: Text = ""


class UsagePlan(TencentModel):
    """``UsagePlanInfo``; ``-1`` limits mean unlimited."""

    usage_plan_id: str
    usage_plan_name: Text = ""
    usage_plan_desc: Text = ""
    max_request_num: int = -1
    max_request_num_pre_sec: int = -1
    bind_secret_ids: StrList = Field(default_factory=list)
    bind_environments: list[PlanEnvironment] = Field(default_factory=list)
    created_time: Text = ""
    modified_time: Text = ""


class UsagePlanSummary(TencentModel):
    usage_plan_id: str
    usage_plan_name: Text = ""
    usage_plan_desc: Text = ""
    max_request_num: int = -1
    max_request_num_pre_sec: int = -1
    created_time: Text = ""
    modified_time: Text = ""


class UsagePlanSecret(TencentModel):
    access_key_id: str
    secret_name: Text = ""
    status: int = 0


class PlanBindingInfo(TencentModel):
    """``ApiUsagePlan`` / ``UsagePlanEnvironment``: one binding of a usage plan to a service environment.

    ``api_id`` is empty for a service-level binding; ``usage_plan_id`` is empty in
    DescribeUsagePlanEnvironments, which is asked about one plan.
    """

    service_id: Text = ""
    service_name: Text = ""
    api_id: Text = ""
    api_name: Text = ""
    path: Text = ""
    method: Text = ""
    environment: Text = ""
    usage_plan_id: Text = ""
    usage_plan_name: Text = ""
    max_request_num: int | None = None
    max_request_num_pre_sec: int | None = None
    in_use_request_num: int | None = None


class ApiApp(TencentModel):
    api_app_id: str
    api_app_name: Text = ""
    api_app_desc: Text = ""
    api_app_key: Text = ""
    api_app_secret: SecretStr = SecretStr("")
    created_time: Text = ""
    modified_time: Text = ""


class ApiAppBinding(TencentModel):
    api_app_id: str
    api_app_name: Text = ""
    api_id: Text = ""
    api_name: Text = ""
    service_id: Text = ""
    environment_name: Text = ""
    authorized_time: Text = ""
    api_region: Text = ""


# ----------------------------------------------------------------------------------------------- client

Filters = Mapping[str, Sequence[str]]


def _filters(filters: Filters | None) -> list[dict[str, Any]] | None:
    if not filters:
        return None
    return [{"Name": name, "Values": list(values)} for name, values in filters.items()]


def _page(result: Mapping[str, Any], field: str, model: type[M]) -> Page[M]:
    items = [model.model_validate(item) for item in result.get(field) or []]
    return Page[M](total_count=int(result.get("TotalCount") or 0), items=items)


def _plan_binding(
    usage_plan_ids: Sequence[str],
    service_id: str,
    environment: str,
    bind_type: str,
    api_ids: Sequence[str] | None,
) -> dict[str, Any]:
    """The parameters BindEnvironment and UnBindEnvironment share (the unbind must mirror the bind)."""
    return {
        "UsagePlanIds": list(usage_plan_ids),
        "BindType": bind_type,
        "Environment": environment,
        "ServiceId": service_id,
        "ApiIds": list(api_ids) if api_ids is not None else None,
    }


def _app_binding(api_app_id: str, service_id: str, api_id: str, environment: str) -> dict[str, str]:
    """The parameters BindApiApp and UnbindApiApp share."""
    return {"ApiAppId": api_app_id, "ServiceId": service_id, "ApiId": api_id, "Environment": environment}


class TencentApigwClient(ServiceClient):
    """One async method per action; ``iter_*`` helpers walk every page of a listing.

    Read-only ``Describe*`` calls are marked retry-safe (a throttled or dropped one is repeated); mutating
    calls are not, because a retried CreateService would create a second service.
    """

    service: ClassVar[str] = "tencent_apigw"

    def __init__(self, http: httpx.AsyncClient, *, region: str, project_id: str = "") -> None:
        super().__init__(http, project_id=project_id)
        self.region = region

    @classmethod
    def auth_for(cls, settings: Settings) -> httpx.Auth | None:
        auth: httpx.Auth = settings.tencent_auth(SIGNING_SERVICE)
        return auth

    @classmethod
    def from_settings(cls, settings: Settings, *, transport: httpx.AsyncBaseTransport | None = None) -> Self:
        return cls(cls.http_for(settings, transport=transport), region=settings.tencent_region)

    async def call(
        self, action: str, params: Mapping[str, Any] | None = None, *, retry_safe: bool = False
    ) -> dict[str, Any]:
        """Run one action and return the fields inside ``Response`` (``RequestId`` included)."""
        body = without_none(params or {})
        headers = {"X-TC-Action": action, "X-TC-Version": API_VERSION, "X-TC-Region": self.region}
        data = await self._request("POST", "/", json=body, headers=headers, retry_safe=retry_safe)
        response = data.get("Response") if isinstance(data, dict) else None
        if not isinstance(response, dict):
            raise ServerError(f"{action}: the answer has no Response object", service=self.service)
        return response

    async def _describe(self, action: str, params: Mapping[str, Any] | None = None) -> dict[str, Any]:
        return await self.call(action, params, retry_safe=True)

    async def _result(self, action: str, params: Mapping[str, Any], *, retry_safe: bool = False) -> Any:
        return (await self.call(action, params, retry_safe=retry_safe)).get("Result")

    async def _succeeded(self, action: str, params: Mapping[str, Any]) -> bool:
        """Mutations whose ``Result`` is the service's boolean "done" flag."""
        return bool(await self._result(action, params))

    async def _listing(
        self,
        action: str,
        field: str,
        model: type[M],
        scope: Mapping[str, Any],
        offset: int | None,
        limit: int,
        filters: Filters | None = None,
    ) -> Page[M]:
        """One page of a retry-safe ``Describe*`` listing.

        ``scope`` holds what the listing is of (``ServiceId``...); ``Offset``, ``Limit`` and ``Filters``
        follow (``None`` ones are not sent). The answer's ``Result`` holds ``TotalCount`` and the items
        under ``field``, parsed as ``model``.
        """
        params = {**scope, "Offset": offset, "Limit": limit, "Filters": _filters(filters)}
        response = await self._describe(action, params)
        return _page(response.get("Result") or {}, field, model)

    @staticmethod
    def _iterate(
        describe: Callable[..., Awaitable[Page[M]]], page_size: int, *args: Any, **kwargs: Any
    ) -> AsyncIterator[M]:
        """Every item of the listing ``describe(*args, offset=..., limit=..., **kwargs)``, page by page."""

        async def fetch_page(offset: int, limit: int) -> tuple[Sequence[M], int | None]:
            page = await describe(*args, offset=offset, limit=limit, **kwargs)
            return page.items, page.total_count

        return paginate(fetch_page, limit=min(page_size, MAX_PAGE))

    # ------------------------------------------------------------------------------------ services

    async def create_service(
        self,
        name: str,
        protocol: str = "http&https",
        *,
        description: str | None = None,
        net_types: Sequence[str] | None = None,
        ip_version: str | None = None,
    ) -> CreatedService:
        response = await self.call(
            "CreateService",
            {
                "ServiceName": name,
                "Protocol": protocol,
                "ServiceDesc": description,
                "NetTypes": list(net_types) if net_types is not None else None,
                "IpVersion": ip_version,
            },
        )
        return CreatedService.model_validate(response)

    async def modify_service(
        self,
        service_id: str,
        *,
        name: str | None = None,
        description: str | None = None,
        protocol: str | None = None,
        net_types: Sequence[str] | None = None,
    ) -> None:
        await self.call(
            "ModifyService",
            {
                "ServiceId": service_id,
                "ServiceName": name,
                "ServiceDesc": description,
                "Protocol": protocol,
                "NetTypes": list(net_types) if net_types is not None else None,
            },
        )

    async def delete_service(self, service_id: str) -> bool:
        return await self._succeeded("DeleteService", {"ServiceId": service_id})

    async def describe_service(self, service_id: str) -> ServiceDetail:
        return ServiceDetail.model_validate(
            await self._describe("DescribeService", {"ServiceId": service_id})
        )

    async def describe_services_status(
        self, *, filters: Filters | None = None, offset: int = 0, limit: int = 20
    ) -> Page[ServiceSummary]:
        return await self._listing(
            "DescribeServicesStatus", "ServiceSet", ServiceSummary, {}, offset, limit, filters
        )

    async def find_service_by_name(self, name: str) -> ServiceSummary | None:
        """The service named exactly ``name`` (names are case-insensitive), or ``None``.

        The ``ServiceName`` filter matches parts of names, like the console's search, so the candidates are
        compared here; with several services of the same name the oldest listed wins.
        """
        async for service in self.iter_services(filters={"ServiceName": [name]}):
            if service.service_name.lower() == name.lower():
                return service
        return None

    def iter_services(
        self, *, filters: Filters | None = None, page_size: int = MAX_PAGE
    ) -> AsyncIterator[ServiceSummary]:
        return self._iterate(self.describe_services_status, page_size, filters=filters)

    # ---------------------------------------------------------------------------------------- APIs

    async def create_api(self, service_id: str, spec: ApiSpec) -> CreatedApi:
        result = await self._result("CreateApi", {"ServiceId": service_id, **spec.wire()})
        return CreatedApi.model_validate(result)

    async def modify_api(self, service_id: str, api_id: str, spec: ApiSpec) -> None:
        await self.call("ModifyApi", {"ServiceId": service_id, "ApiId": api_id, **spec.wire()})

    async def delete_api(self, service_id: str, api_id: str) -> bool:
        return await self._succeeded("DeleteApi", {"ServiceId": service_id, "ApiId": api_id})

    async def describe_api(self, service_id: str, api_id: str) -> ApiDetail:
        result = await self._result(
            "DescribeApi", {"ServiceId": service_id, "ApiId": api_id}, retry_safe=True
        )
        return ApiDetail.model_validate(result)

    async def describe_apis_status(
        self, service_id: str, *, filters: Filters | None = None, offset: int = 0, limit: int = 20
    ) -> Page[ApiSummary]:
        return await self._listing(
            "DescribeApisStatus",
            "ApiIdStatusSet",
            ApiSummary,
            {"ServiceId": service_id},
            offset,
            limit,
            filters,
        )

    def iter_apis(
        self, service_id: str, *, filters: Filters | None = None, page_size: int = MAX_PAGE
    ) -> AsyncIterator[ApiSummary]:
        return self._iterate(self.describe_apis_status, page_size, service_id, filters=filters)

    # ------------------------------------------------------------------------------------ releases

    async def release_service(self, service_id: str, environment: str, description: str) -> ReleaseResult:
        result = await self._result(
            "ReleaseService",
            {"ServiceId": service_id, "EnvironmentName": environment, "ReleaseDesc": description},
        )
        return ReleaseResult.model_validate(result)

    async def unrelease_service(self, service_id: str, environment: str) -> bool:
        params = {"ServiceId": service_id, "EnvironmentName": environment}
        return await self._succeeded("UnReleaseService", params)

    async def update_service(
        self, service_id: str, environment: str, version_name: str, description: str | None = None
    ) -> bool:
        """Switch ``environment`` to a previously released version (rollback)."""
        params = {
            "ServiceId": service_id,
            "EnvironmentName": environment,
            "VersionName": version_name,
            "UpdateDesc": description,
        }
        return await self._succeeded("UpdateService", params)

    async def describe_service_environment_list(self, service_id: str) -> list[EnvironmentStatus]:
        scope = {"ServiceId": service_id}
        page = await self._listing(
            "DescribeServiceEnvironmentList", "EnvironmentList", EnvironmentStatus, scope, None, MAX_PAGE
        )
        return page.items

    async def describe_service_release_version(
        self, service_id: str, *, offset: int = 0, limit: int = 20
    ) -> Page[ReleaseVersion]:
        return await self._listing(
            "DescribeServiceReleaseVersion",
            "VersionList",
            ReleaseVersion,
            {"ServiceId": service_id},
            offset,
            limit,
        )

    async def describe_service_environment_release_history(
        self, service_id: str, environment: str, *, offset: int = 0, limit: int = 20
    ) -> Page[ReleaseVersion]:
        return await self._listing(
            "DescribeServiceEnvironmentReleaseHistory",
            "VersionList",
            ReleaseVersion,
            {"ServiceId": service_id, "EnvironmentName": environment},
            offset,
            limit,
        )

    # ---------------------------------------------------------------------------------------- keys

    async def create_api_key(
        self,
        name: str,
        *,
        access_key_type: str = "auto",
        access_key_id: str | None = None,
        access_key_secret: str | None = None,
    ) -> ApiKey:
        """Create a key pair; ``manual`` keys take 5-50 / 10-50 characters of ``[A-Za-z0-9_]``."""
        params = {
            "SecretName": name,
            "AccessKeyType": access_key_type,
            "AccessKeyId": access_key_id,
            "AccessKeySecret": access_key_secret,
        }
        return ApiKey.model_validate(await self._result("CreateApiKey", params))

    async def update_api_key(self, access_key_id: str, access_key_secret: str | None = None) -> ApiKey:
        """Replace the secret (required for ``manual`` keys, generated for ``auto`` ones); the id stays."""
        params = {"AccessKeyId": access_key_id, "AccessKeySecret": access_key_secret}
        return ApiKey.model_validate(await self._result("UpdateApiKey", params))

    async def enable_api_key(self, access_key_id: str) -> bool:
        return await self._succeeded("EnableApiKey", {"AccessKeyId": access_key_id})

    async def disable_api_key(self, access_key_id: str) -> bool:
        return await self._succeeded("DisableApiKey", {"AccessKeyId": access_key_id})

    async def delete_api_key(self, access_key_id: str) -> bool:
        return await self._succeeded("DeleteApiKey", {"AccessKeyId": access_key_id})

    async def describe_api_key(self, access_key_id: str) -> ApiKey:
        """The only action that returns an existing key's secret."""
        result = await self._result("DescribeApiKey", {"AccessKeyId": access_key_id}, retry_safe=True)
        return ApiKey.model_validate(result)

    async def describe_api_keys_status(
        self, *, filters: Filters | None = None, offset: int = 0, limit: int = 20
    ) -> Page[ApiKey]:
        return await self._listing("DescribeApiKeysStatus", "ApiKeySet", ApiKey, {}, offset, limit, filters)

    def iter_api_keys(
        self, *, filters: Filters | None = None, page_size: int = MAX_PAGE
    ) -> AsyncIterator[ApiKey]:
        return self._iterate(self.describe_api_keys_status, page_size, filters=filters)

    # --------------------------------------------------------------------------------- usage plans

    async def create_usage_plan(
        self,
        name: str,
        *,
        description: str | None = None,
        max_request_num: int | None = None,
        max_request_num_pre_sec: int | None = None,
    ) -> UsagePlan:
        params = {
            "UsagePlanName": name,
            "UsagePlanDesc": description,
            "MaxRequestNum": max_request_num,
            "MaxRequestNumPreSec": max_request_num_pre_sec,
        }
        return UsagePlan.model_validate(await self._result("CreateUsagePlan", params))

    async def describe_usage_plan(self, usage_plan_id: str) -> UsagePlan:
        result = await self._result("DescribeUsagePlan", {"UsagePlanId": usage_plan_id}, retry_safe=True)
        return UsagePlan.model_validate(result)

    async def delete_usage_plan(self, usage_plan_id: str) -> bool:
        return await self._succeeded("DeleteUsagePlan", {"UsagePlanId": usage_plan_id})

    async def describe_usage_plans_status(
        self, *, filters: Filters | None = None, offset: int = 0, limit: int = 20
    ) -> Page[UsagePlanSummary]:
        return await self._listing(
            "DescribeUsagePlansStatus", "UsagePlanStatusSet", UsagePlanSummary, {}, offset, limit, filters
        )

    def iter_usage_plans(
        self, *, filters: Filters | None = None, page_size: int = MAX_PAGE
    ) -> AsyncIterator[UsagePlanSummary]:
        return self._iterate(self.describe_usage_plans_status, page_size, filters=filters)

    async def bind_environment(
        self,
        usage_plan_ids: Sequence[str],
        service_id: str,
        environment: str,
        *,
        bind_type: str = "SERVICE",
        api_ids: Sequence[str] | None = None,
    ) -> bool:
        """Bind plans to a service environment (``SERVICE``) or to APIs in it (``API`` + ``api_ids``)."""
        params = _plan_binding(usage_plan_ids, service_id, environment, bind_type, api_ids)
        return await self._succeeded("BindEnvironment", params)

    async def unbind_environment(
        self,
        usage_plan_ids: Sequence[str],
        service_id: str,
        environment: str,
        *,
        bind_type: str = "SERVICE",
        api_ids: Sequence[str] | None = None,
    ) -> bool:
        params = _plan_binding(usage_plan_ids, service_id, environment, bind_type, api_ids)
        return await self._succeeded("UnBindEnvironment", params)

    async def bind_secret_ids(self, usage_plan_id: str, access_key_ids: Sequence[str]) -> bool:
        params = {"UsagePlanId": usage_plan_id, "AccessKeyIds": list(access_key_ids)}
        return await self._succeeded("BindSecretIds", params)

    async def unbind_secret_ids(self, usage_plan_id: str, access_key_ids: Sequence[str]) -> bool:
        params = {"UsagePlanId": usage_plan_id, "AccessKeyIds": list(access_key_ids)}
        return await self._succeeded("UnBindSecretIds", params)

    async def describe_usage_plan_secret_ids(
        self, usage_plan_id: str, *, offset: int = 0, limit: int = 20
    ) -> Page[UsagePlanSecret]:
        return await self._listing(
            "DescribeUsagePlanSecretIds",
            "AccessKeyList",
            UsagePlanSecret,
            {"UsagePlanId": usage_plan_id},
            offset,
            limit,
        )

    async def describe_usage_plan_environments(
        self, usage_plan_id: str, *, bind_type: str = "SERVICE", offset: int = 0, limit: int = 20
    ) -> Page[PlanBindingInfo]:
        """Where one plan is bound: service environments (``SERVICE``) or APIs in them (``API``)."""
        scope = {"UsagePlanId": usage_plan_id, "BindType": bind_type}
        return await self._listing(
            "DescribeUsagePlanEnvironments", "EnvironmentList", PlanBindingInfo, scope, offset, limit
        )

    async def describe_service_usage_plan(
        self, service_id: str, *, offset: int = 0, limit: int = 20
    ) -> Page[PlanBindingInfo]:
        """The service-level usage plans of a service, per environment."""
        scope = {"ServiceId": service_id}
        return await self._listing(
            "DescribeServiceUsagePlan", "ServiceUsagePlanList", PlanBindingInfo, scope, offset, limit
        )

    async def describe_api_usage_plan(
        self, service_id: str, *, offset: int = 0, limit: int = 20
    ) -> Page[PlanBindingInfo]:
        """The usage plans bound to a service and its APIs."""
        scope = {"ServiceId": service_id}
        return await self._listing(
            "DescribeApiUsagePlan", "ApiUsagePlanList", PlanBindingInfo, scope, offset, limit
        )

    # ---------------------------------------------------------------------------------------- apps

    async def create_api_app(self, name: str, *, description: str | None = None) -> ApiApp:
        params = {"ApiAppName": name, "ApiAppDesc": description}
        return ApiApp.model_validate(await self._result("CreateApiApp", params))

    async def update_api_app_key(
        self, api_app_id: str, api_app_key: str, api_app_secret: str | None = None
    ) -> bool:
        """Rotate an app's secret (generated when ``api_app_secret`` is omitted); re-read with describe."""
        params = {"ApiAppId": api_app_id, "ApiAppKey": api_app_key, "ApiAppSecret": api_app_secret}
        return await self._succeeded("UpdateApiAppKey", params)

    async def describe_api_app(self, api_app_id: str) -> ApiApp:
        result = await self._result("DescribeApiApp", {"ApiAppId": api_app_id}, retry_safe=True)
        apps = _page(result or {}, "ApiAppSet", ApiApp).items
        if not apps:
            raise ServerError(f"DescribeApiApp returned no app for {api_app_id}", service=self.service)
        return apps[0]

    async def describe_api_apps_status(
        self, *, filters: Filters | None = None, offset: int = 0, limit: int = 20
    ) -> Page[ApiApp]:
        return await self._listing("DescribeApiAppsStatus", "ApiAppSet", ApiApp, {}, offset, limit, filters)

    async def delete_api_app(self, api_app_id: str) -> bool:
        return await self._succeeded("DeleteApiApp", {"ApiAppId": api_app_id})

    async def bind_api_app(self, api_app_id: str, service_id: str, api_id: str, environment: str) -> bool:
        params = _app_binding(api_app_id, service_id, api_id, environment)
        return await self._succeeded("BindApiApp", params)

    async def unbind_api_app(self, api_app_id: str, service_id: str, api_id: str, environment: str) -> bool:
        params = _app_binding(api_app_id, service_id, api_id, environment)
        return await self._succeeded("UnbindApiApp", params)

    async def describe_api_app_bind_apis_status(
        self, api_app_id: str, *, filters: Filters | None = None, offset: int = 0, limit: int = 20
    ) -> Page[ApiAppBinding]:
        return await self._listing(
            "DescribeApiAppBindApisStatus",
            "ApiAppApiSet",
            ApiAppBinding,
            {"ApiAppId": api_app_id},
            offset,
            limit,
            filters,
        )
