"""Settings read from the environment, using the clouds' own variable names.

Why the clouds' names: the same function package runs on FunctionGraph, on SCF, under ``opsfn invoke`` and
next to the official SDKs in tests, and all of those already know ``HUAWEICLOUD_SDK_*`` and
``TENCENTCLOUD_*``. Nothing is required at load time: a Huawei-only function must start without Tencent
keys, so a missing credential is reported (by variable name, never by value) only when it is first needed.

Credentials live in plain fields hidden from ``repr`` - a frozen dataclass is cheaper to import than a
pydantic model on the cold-start path, and ``repr`` is the only place a settings object leaks into logs.

==================================  =========================================================================
Variable                            Meaning
==================================  =========================================================================
``HUAWEICLOUD_SDK_AK`` / ``_SK``     Huawei access key pair (inside FunctionGraph prefer the context's
                                    temporary keys, see :meth:`Settings.with_function_context`).
``HUAWEICLOUD_SDK_SECURITY_TOKEN``  Security token that goes with temporary keys.
``HUAWEICLOUD_SDK_PROJECT_ID``      Project id filled into ``/v1/{project_id}/...`` paths.
``HUAWEICLOUD_SDK_REGION``          Region used in default endpoints (default ``cn-north-4``).
``TENCENTCLOUD_SECRET_ID`` / _KEY   Tencent API key pair; inside SCF ``TENCENTCLOUD_SECRETID`` /
                                    ``TENCENTCLOUD_SECRETKEY`` / ``TENCENTCLOUD_SESSIONTOKEN`` are used
                                    when the former are unset.
``TENCENTCLOUD_REGION``             Tencent region (``X-TC-Region``), default ``ap-guangzhou``.
``OPSFN_TENCENT_API_DOMAIN``        Cloud-API domain: ``tencentcloudapi.com`` (public cloud, default) or a
                                    TCE one such as ``api3.finance.cloud.tencent.com``; the APIGW endpoint
                                    is ``https://apigateway.<domain>``.
``OPSFN_ENDPOINT_<SERVICE>``        Base URL override for IAM, IDE, CSMS, APIG, SMN, ASTRO, TENCENT_APIGW.
``OPSFN_LOG_LEVEL``                 Log level name (default ``INFO``).
``OPSFN_IDEMPOTENCY_STORE``         ``sqlite:///path``, ``redis://...`` or ``memory://``; unset or bare
                                    ``sqlite://`` means SQLite at ``$OPSFN_STATE_DIR/idempotency.db``
                                    (:attr:`Settings.store_url`), see :mod:`shared.idempotency`.
``OPSFN_STATE_DIR``                 Writable folder for local state (default ``/tmp/opsfn``, the only
                                    writable place inside a function).
``OPSFN_ROSTER_URL``                Where license_reconcile reads the staff roster (file, URL or ``iam``).
``OPSFN_WEBHOOK_SECRET``            Webhook signing secret(s), comma-separated so a new one can be added
                                    before the old one is retired.
``OPSFN_SMN_TOPIC_URN``             SMN topic for alerts (empty: alerts are only logged).
``OPSFN_ASTRO_CLIENT_ID`` / _SECRET  Astro Zero OAuth2 client credentials for report notifications; or
``OPSFN_ASTRO_CREDENTIALS_SECRET``  a CSMS secret whose value is JSON ``{client_id, client_secret}``.
``OPSFN_ASTRO_REPORT_PATH``         Astro Zero custom API path reports are POSTed to (unset: no Astro Zero).
``OPSFN_ASTRO_TENANT_ID``           Optional ``tenant-id`` header for Astro Zero calls.
``OPSFN_ROTATION_JOBS_URL``         Where secret_tag_watch sends rotation jobs (Kafka REST proxy topic URL);
                                    unset: the jobs are only returned in the answer (workflow fan-out).
``OPSFN_TAGWATCH_TRACE_NAMES``      Comma-separated CTS trace names secret_tag_watch reacts to.
``OPSFN_HTTP_TIMEOUT``              Per-request read timeout in seconds (default 15).
``OPSFN_MAX_CONCURRENCY``           Bound for bulk concurrent calls (default 8).
``OPSFN_GUARDRAIL_*``               publish_guardrail's policy: ``_MODE`` (``audit``/``enforce``),
                                    ``_SIGN_TYPE``, ``_SIGN_ID``, ``_THROTTLE_ID``, ``_ACL_ID`` (README,
                                    "Publish guardrail").
``OPSFN_PUBLISH_CONFIG``            api_publish: JSON object with the request fields a CI push lacks.
``OPSFN_PUBLISH_ALLOWED_HOSTS``     api_publish: comma-separated hosts a document URL may name.
``OPSFN_PUBLISH_TENCENT_KEY``       api_publish smoke checks: Tencent APIGW key pair ``secret_id:secret``.
``OPSFN_PUBLISH_HUAWEI_APP``        api_publish smoke checks: Huawei APIG APP ``app_key:app_secret``.
``RUNTIME_FUNC_NAME`` and others    Set by FunctionGraph (``RUNTIME_*``) or SCF (``TENCENTCLOUD_RUNENV=SCF``)
                                    inside the platform: :attr:`Settings.cloud_platform`.
==================================  =========================================================================

Everything opsfn reads from the environment is read here, once per :meth:`Settings.from_env` call; the
runtime calls it once per invocation and hands the result to every part (logging, the idempotency store,
cold-start checks, webhook verification, the functions).
"""

from __future__ import annotations

import dataclasses
import json
import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypedDict

from shared.errors import OpsfnError

if TYPE_CHECKING:
    from shared.auth import HuaweiAKSKAuth, TencentTC3Auth

__all__ = [
    "HUAWEI_SERVICES",
    "SERVICES",
    "InvalidSettingError",
    "MissingSettingError",
    "SettingError",
    "Settings",
]

HUAWEI_SERVICES = ("iam", "ide", "csms", "apig", "smn", "astro")
_HOST_PREFIX = {"csms": "kms"}
SERVICES = (*HUAWEI_SERVICES, "tencent_apigw")

DEFAULT_REGION = "cn-north-4"
DEFAULT_TENCENT_REGION = "ap-guangzhou"
DEFAULT_TENCENT_DOMAIN = "tencentcloudapi.com"
DEFAULT_IDEMPOTENCY_STORE = ""  # SQLite under the state folder, see Settings.store_url
DEFAULT_STATE_DIR = "/tmp/opsfn"  # noqa: S108 - the only writable folder inside a function

_AK = "HUAWEICLOUD_SDK_AK"
_SK = "HUAWEICLOUD_SDK_SK"
_PROJECT = "HUAWEICLOUD_SDK_PROJECT_ID"
_TC_ID = "TENCENTCLOUD_SECRET_ID"
_TC_KEY = "TENCENTCLOUD_SECRET_KEY"
_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")


class SettingError(OpsfnError):
    """A configuration variable is missing or unusable; the message names the variable, never its value."""


class MissingSettingError(SettingError):
    """A variable needed for the requested operation is unset."""

    def __init__(self, variable: str, purpose: str = "") -> None:
        self.variable = variable
        text = f"environment variable {variable} is not set"
        super().__init__(f"{text} (needed for {purpose})" if purpose else text)


class InvalidSettingError(SettingError):
    """A variable is set to something opsfn cannot use."""

    def __init__(self, variable: str, expected: str) -> None:
        self.variable = variable
        super().__init__(f"environment variable {variable} is invalid: expected {expected}")


def _secret(default: object = "") -> Any:
    """A field kept out of ``repr`` (``__repr__`` shows only whether it is set)."""
    return field(default=default, repr=False)


@dataclass(frozen=True)
class Settings:
    """Everything a function needs to reach its clouds; immutable, so ``replace`` derives variants."""

    huawei_ak: str = ""
    huawei_sk: str = _secret()
    huawei_security_token: str = _secret()
    project_id: str = ""
    region: str = DEFAULT_REGION
    tencent_secret_id: str = ""
    tencent_secret_key: str = _secret()
    tencent_token: str = _secret()
    tencent_region: str = DEFAULT_TENCENT_REGION
    tencent_domain: str = DEFAULT_TENCENT_DOMAIN
    endpoints: Mapping[str, str] = field(default_factory=dict)
    log_level: str = "INFO"
    idempotency_store: str = DEFAULT_IDEMPOTENCY_STORE
    webhook_secrets: tuple[str, ...] = _secret(())
    smn_topic_urn: str = ""
    http_timeout: float = 15.0
    max_concurrency: int = 8
    state_dir: str = DEFAULT_STATE_DIR
    roster_url: str = ""
    apig_instance_id: str = ""
    """The APIG dedicated instance to use; empty: the project's only instance."""
    guardrail_mode: str = "audit"
    """publish_guardrail: ``audit`` reports non-compliant published APIs, ``enforce`` also binds defaults."""
    guardrail_sign_type: str = "hmac"
    """publish_guardrail: the signature key type a published API must have bound."""
    guardrail_sign_id: str = ""
    guardrail_throttle_id: str = ""
    guardrail_acl_id: str = ""
    """publish_guardrail: the policies ``enforce`` binds (an ACL is required only when this id is set)."""
    astro_client_id: str = ""
    astro_client_secret: str = _secret()
    astro_credentials_secret: str = ""
    """A CSMS secret holding ``{"client_id", "client_secret"}`` (used when the two variables are unset)."""
    astro_report_path: str = ""
    astro_tenant_id: str = ""
    rotation_jobs_url: str = ""
    tagwatch_trace_names: tuple[str, ...] = ()
    cloud_platform: str = ""
    """``functiongraph``/``scf`` inside that platform (by its preset variables), else ``""``."""
    scf_role: tuple[str, ...] = _secret(())
    """SCF's execution-role credentials ``(secret_id, secret_key, session_token)`` when both keys are set."""
    publish_config: Mapping[str, Any] = field(default_factory=dict)
    """api_publish's configured request fields (``OPSFN_PUBLISH_CONFIG``, a JSON object)."""
    publish_allowed_hosts: frozenset[str] = frozenset()
    """Lower-case host names api_publish may fetch a document from (any port, https only)."""
    publish_tencent_key: tuple[str, ...] = _secret(())
    """``(secret_id, secret)`` of the Tencent key pair smoke checks sign ``SECRET`` APIs with."""
    publish_huawei_app: tuple[str, ...] = _secret(())
    """``(app_key, app_secret)`` of the Huawei APP smoke checks sign ``APP`` APIs with."""

    def __repr__(self) -> str:
        shown = [f"{f.name}={getattr(self, f.name)!r}" for f in dataclasses.fields(self) if f.repr]
        hidden = [
            f"{f.name}={'***' if getattr(self, f.name) else ''!r}"
            for f in dataclasses.fields(self)
            if not f.repr
        ]
        return f"Settings({', '.join(shown + hidden)})"

    __str__ = __repr__

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        """Read the settings from ``env`` (default ``os.environ``); blank values count as unset."""
        source = os.environ if env is None else env

        def get(*names: str, default: str = "") -> str:
            for name in names:
                value = source.get(name, "").strip()
                if value:
                    return value
            return default

        endpoints = {}
        for service in SERVICES:
            value = get(f"OPSFN_ENDPOINT_{service.upper()}")
            if value:
                endpoints[service] = value.rstrip("/")
        level = get("OPSFN_LOG_LEVEL", default="INFO").upper()
        if level not in _LEVELS:
            raise InvalidSettingError("OPSFN_LOG_LEVEL", "one of " + ", ".join(_LEVELS))
        store = get("OPSFN_IDEMPOTENCY_STORE", default=DEFAULT_IDEMPOTENCY_STORE)
        if store and not store.startswith(("sqlite://", "redis://", "rediss://", "memory://")):
            raise InvalidSettingError("OPSFN_IDEMPOTENCY_STORE", "sqlite:///path, redis://... or memory://")
        secrets = tuple(s.strip() for s in get("OPSFN_WEBHOOK_SECRET").split(",") if s.strip())
        role = (get("TENCENTCLOUD_SECRETID"), get("TENCENTCLOUD_SECRETKEY"), get("TENCENTCLOUD_SESSIONTOKEN"))
        return cls(
            huawei_ak=get(_AK),
            huawei_sk=get(_SK),
            huawei_security_token=get("HUAWEICLOUD_SDK_SECURITY_TOKEN"),
            project_id=get(_PROJECT),
            region=get("HUAWEICLOUD_SDK_REGION", default=DEFAULT_REGION),
            tencent_secret_id=get(_TC_ID, "TENCENTCLOUD_SECRETID"),
            tencent_secret_key=get(_TC_KEY, "TENCENTCLOUD_SECRETKEY"),
            tencent_token=get("TENCENTCLOUD_SESSIONTOKEN", "TENCENTCLOUD_SESSION_TOKEN"),
            tencent_region=get("TENCENTCLOUD_REGION", default=DEFAULT_TENCENT_REGION),
            tencent_domain=get("OPSFN_TENCENT_API_DOMAIN", default=DEFAULT_TENCENT_DOMAIN).strip("."),
            endpoints=endpoints,
            log_level=level,
            idempotency_store=store,
            webhook_secrets=secrets,
            smn_topic_urn=get("OPSFN_SMN_TOPIC_URN"),
            http_timeout=_positive(get("OPSFN_HTTP_TIMEOUT", default="15"), "OPSFN_HTTP_TIMEOUT", float),
            max_concurrency=_positive(
                get("OPSFN_MAX_CONCURRENCY", default="8"), "OPSFN_MAX_CONCURRENCY", int
            ),
            state_dir=get("OPSFN_STATE_DIR", default=DEFAULT_STATE_DIR),
            roster_url=get("OPSFN_ROSTER_URL"),
            apig_instance_id=get("OPSFN_APIG_INSTANCE_ID").strip(),
            **_guardrail(get),
            **_rotation_settings(get),
            cloud_platform=_cloud_platform(get),
            scf_role=role if role[0] and role[1] else (),
            **_publish_settings(get),
        )

    def replace(self, **changes: Any) -> Settings:
        """A copy with ``changes`` applied (field names as in the class)."""
        return dataclasses.replace(self, **changes)

    def with_credentials(
        self,
        *,
        huawei_ak: str | None = None,
        huawei_sk: str | None = None,
        huawei_security_token: str | None = None,
        project_id: str | None = None,
        tencent_secret_id: str | None = None,
        tencent_secret_key: str | None = None,
        tencent_token: str | None = None,
    ) -> Settings:
        """A copy using the given credentials; ``None`` keeps the current value.

        A new Huawei key pair without a token clears the old token, because a token only ever belongs to
        the temporary key pair it was issued with (same for Tencent).
        """
        changes: dict[str, Any] = {}
        if huawei_ak is not None or huawei_sk is not None:
            changes["huawei_security_token"] = ""
        if tencent_secret_id is not None or tencent_secret_key is not None:
            changes["tencent_token"] = ""
        given = {
            "huawei_ak": huawei_ak,
            "huawei_sk": huawei_sk,
            "huawei_security_token": huawei_security_token,
            "project_id": project_id,
            "tencent_secret_id": tencent_secret_id,
            "tencent_secret_key": tencent_secret_key,
            "tencent_token": tencent_token,
        }
        changes.update({k: v for k, v in given.items() if v is not None})
        return dataclasses.replace(self, **changes)

    def with_function_context(self, context: Any) -> Settings:
        """Use FunctionGraph's temporary agency credentials from the handler ``context``, when it has them.

        ``getSecurityAccessKey``/``getSecuritySecretKey``/``getSecurityToken`` return empty strings when
        the function has no agency; the environment's keys are kept then. ``getProjectID`` fills an unset
        project id.
        """

        def call(name: str) -> str:
            method = getattr(context, name, None)
            if not callable(method):
                return ""
            value = method()
            return value.strip() if isinstance(value, str) else ""

        ak, sk, token = call("getSecurityAccessKey"), call("getSecuritySecretKey"), call("getSecurityToken")
        updated = self
        if ak and sk:
            updated = updated.with_credentials(huawei_ak=ak, huawei_sk=sk, huawei_security_token=token)
        if not updated.project_id:
            project = call("getProjectID")
            if project:
                updated = updated.replace(project_id=project)
        return updated

    def for_invocation(self, platform: str, context: Any) -> Settings:
        """The settings of one invocation: the platform's temporary credentials win over long-lived keys.

        FunctionGraph hands the agency's keys through the handler ``context``; SCF through
        ``TENCENTCLOUD_SECRETID``/``SECRETKEY``/``SESSIONTOKEN`` (:attr:`scf_role`), used when the SCF
        entry point was called or the function runs inside SCF.
        """
        settings = self
        if context is not None and callable(getattr(context, "getSecurityAccessKey", None)):
            settings = settings.with_function_context(context)
        if settings.scf_role and (platform == "scf" or settings.cloud_platform == "scf"):
            secret_id, secret_key, token = settings.scf_role
            settings = settings.with_credentials(
                tencent_secret_id=secret_id, tencent_secret_key=secret_key, tencent_token=token
            )
        return settings

    @property
    def store_url(self) -> str:
        """The idempotency store URL, with unset or bare ``sqlite://`` resolved to the state folder's file."""
        url = self.idempotency_store
        if url not in ("", "sqlite://", "sqlite:///"):
            return url
        return "sqlite:///" + os.path.join(self.state_dir, "idempotency.db")

    def endpoint(self, service: str) -> str:
        """Base URL of ``service`` (one of :data:`SERVICES`): the override, else the region's default."""
        key = service.lower()
        if key not in SERVICES:
            raise ValueError(f"unknown service {service!r}; expected one of {', '.join(SERVICES)}")
        override = self.endpoints.get(key)
        if override:
            return override
        if key == "tencent_apigw":
            return f"https://apigateway.{self.tencent_domain}"
        if key == "astro":
            return f"https://appcube.{self.region}.huaweicloud.com"
        # CSMS is served from the KMS host (huaweicloudsdkcsms's region table: kms.{region}).
        host = _HOST_PREFIX.get(key, key)
        return f"https://{host}.{self.region}.myhuaweicloud.com"

    def require_project_id(self) -> str:
        """The project id, or :class:`MissingSettingError` naming ``HUAWEICLOUD_SDK_PROJECT_ID``."""
        _require("project-scoped Huawei APIs", (_PROJECT, self.project_id))
        return self.project_id

    def huawei_auth(self) -> HuaweiAKSKAuth:
        """AK/SK signer for Huawei APIs (with the security token when the keys are temporary)."""
        _require("Huawei API signing", (_AK, self.huawei_ak), (_SK, self.huawei_sk))
        from shared.auth import HuaweiAKSKAuth

        return HuaweiAKSKAuth(
            self.huawei_ak,
            self.huawei_sk,
            security_token=self.huawei_security_token or None,
            project_id=self.project_id or None,
        )

    def tencent_auth(self, service: str = "apigateway") -> TencentTC3Auth:
        """TC3-HMAC-SHA256 signer for Tencent cloud APIs; ``service`` is the credential-scope product name."""
        _require("Tencent API signing", (_TC_ID, self.tencent_secret_id), (_TC_KEY, self.tencent_secret_key))
        from shared.auth import TencentTC3Auth

        return TencentTC3Auth(
            self.tencent_secret_id,
            self.tencent_secret_key,
            service,
            token=self.tencent_token or None,
            region=self.tencent_region,
        )


def _require(purpose: str, *settings: tuple[str, str]) -> None:
    """:class:`MissingSettingError` for the first ``(variable, value)`` whose value is empty."""
    for variable, value in settings:
        if not value:
            raise MissingSettingError(variable, purpose)


_GUARDRAIL_MODES = ("audit", "enforce")
_SIGN_TYPES = ("hmac", "basic", "public_key", "aes")


class _GuardrailVars(TypedDict):
    guardrail_mode: str
    guardrail_sign_type: str
    guardrail_sign_id: str
    guardrail_throttle_id: str
    guardrail_acl_id: str


def _guardrail(get: Callable[..., str]) -> _GuardrailVars:
    """The ``OPSFN_GUARDRAIL_*`` variables, with the two enumerations checked."""
    mode = get("OPSFN_GUARDRAIL_MODE", default="audit").lower()
    if mode not in _GUARDRAIL_MODES:
        raise InvalidSettingError("OPSFN_GUARDRAIL_MODE", "audit or enforce")
    sign_type = get("OPSFN_GUARDRAIL_SIGN_TYPE", default="hmac").lower()
    if sign_type not in _SIGN_TYPES:
        raise InvalidSettingError("OPSFN_GUARDRAIL_SIGN_TYPE", "one of " + ", ".join(_SIGN_TYPES))
    return _GuardrailVars(
        guardrail_mode=mode,
        guardrail_sign_type=sign_type,
        guardrail_sign_id=get("OPSFN_GUARDRAIL_SIGN_ID"),
        guardrail_throttle_id=get("OPSFN_GUARDRAIL_THROTTLE_ID"),
        guardrail_acl_id=get("OPSFN_GUARDRAIL_ACL_ID"),
    )


def _cloud_platform(get: Callable[..., str]) -> str:
    if get("RUNTIME_FUNC_NAME", "RUNTIME_PROJECT_ID", "RUNTIME_CODE_ROOT"):
        return "functiongraph"
    if get("TENCENTCLOUD_RUNENV").upper() == "SCF":
        return "scf"
    return ""


_HOST = re.compile(r"^[a-z0-9]([a-z0-9\-]{0,62})(\.[a-z0-9]([a-z0-9\-]{0,62}))*$")


class _RotationVars(TypedDict):
    astro_client_id: str
    astro_client_secret: str
    astro_credentials_secret: str
    astro_report_path: str
    astro_tenant_id: str
    rotation_jobs_url: str
    tagwatch_trace_names: tuple[str, ...]


def _rotation_settings(get: Callable[..., str]) -> _RotationVars:
    """The secret-rotation side: Astro Zero reports, where rotation jobs go, which CTS traces to watch."""
    return _RotationVars(
        astro_client_id=get("OPSFN_ASTRO_CLIENT_ID"),
        astro_client_secret=get("OPSFN_ASTRO_CLIENT_SECRET"),
        astro_credentials_secret=get("OPSFN_ASTRO_CREDENTIALS_SECRET"),
        astro_report_path=get("OPSFN_ASTRO_REPORT_PATH"),
        astro_tenant_id=get("OPSFN_ASTRO_TENANT_ID"),
        rotation_jobs_url=get("OPSFN_ROTATION_JOBS_URL"),
        tagwatch_trace_names=tuple(
            n.strip() for n in get("OPSFN_TAGWATCH_TRACE_NAMES").split(",") if n.strip()
        ),
    )


def _publish_settings(get: Callable[..., str]) -> dict[str, Any]:
    """api_publish's variables, parsed and validated here so the function never reads the environment."""
    raw = get("OPSFN_PUBLISH_CONFIG")
    config: Any = {}
    if raw:
        try:
            config = json.loads(raw)
        except ValueError:
            config = None
        if not isinstance(config, dict):
            raise InvalidSettingError("OPSFN_PUBLISH_CONFIG", "a JSON object")
    hosts = frozenset(h.strip().lower() for h in get("OPSFN_PUBLISH_ALLOWED_HOSTS").split(",") if h.strip())
    if not all(_HOST.match(h) for h in hosts):
        raise InvalidSettingError("OPSFN_PUBLISH_ALLOWED_HOSTS", "comma-separated host names")
    return {
        "publish_config": config,
        "publish_allowed_hosts": hosts,
        "publish_tencent_key": _pair(get("OPSFN_PUBLISH_TENCENT_KEY"), "OPSFN_PUBLISH_TENCENT_KEY"),
        "publish_huawei_app": _pair(get("OPSFN_PUBLISH_HUAWEI_APP"), "OPSFN_PUBLISH_HUAWEI_APP"),
    }


def _pair(raw: str, variable: str) -> tuple[str, ...]:
    """``id:secret`` as a tuple (empty when unset); the secret may itself contain ``:``."""
    if not raw:
        return ()
    ident, sep, secret = raw.partition(":")
    if not sep or not ident.strip() or not secret.strip():
        raise InvalidSettingError(variable, "id:secret")
    return (ident.strip(), secret.strip())


def _positive(raw: str, variable: str, kind: type[float] | type[int]) -> Any:
    try:
        value = kind(raw)
    except ValueError:
        raise InvalidSettingError(variable, f"a positive {kind.__name__}") from None
    if value <= 0:
        raise InvalidSettingError(variable, f"a positive {kind.__name__}")
    return value
