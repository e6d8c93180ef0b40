"""``opsfn invoke`` and the local runtime shared with ``opsfn serve``.

Why a local runtime at all: a function must be tried exactly as it runs on the platform - same entry
point, same envelope parsing, same webhook verification - but against the embedded emulator and with no
cloud account. :class:`LocalRuntime` therefore

* builds a fresh emulator and routes every client through it (``shared.http.use_transport``), unless
  credentials or ``OPSFN_ENDPOINT_*`` point at real endpoints (``target="auto"``);
* seeds the emulator with what the template's configuration refers to (the *fixture step*, below);
* gives each invocation the function's environment from ``template.yaml`` on top of the process
  environment, with local defaults for what a developer's shell does not set;
* signs sample webhooks at invocation time with the local development secret, a fresh id and a fresh
  timestamp (:func:`sign_event`), so Standard Webhooks verification runs for real instead of being
  bypassed, and a replayed sample is still accepted.

Fixture step (documented contract of the local runtime): for every environment variable of a function
whose value is an SMN topic URN (``urn:smn:<region>:<project>:<name>``), the topic is created in the
emulator under that project. When ``HUAWEICLOUD_SDK_PROJECT_ID`` is unset, the project of the first such
URN (else :data:`DEFAULT_LOCAL_PROJECT`) is used as the functions' project, so topic and callers agree.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import hmac
import json
import os
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from devkit.template import FunctionSpec, Template, WebhookEvent

if TYPE_CHECKING:
    from shared.config import Settings

__all__ = [
    "DEV_WEBHOOK_SECRET",
    "InvokeError",
    "InvokeResult",
    "LocalRuntime",
    "check_webhook_secrets",
    "function_settings",
    "invoke_file",
    "load_env_vars",
    "log_to_stderr",
    "missing_credentials",
    "sign_event",
    "signing_secret",
    "to_platform",
    "uses_real_endpoints",
    "webhook_body",
]

DEV_WEBHOOK_SECRET = "whsec_" + base64.b64encode(b"opsfn-local-development-secret!!").decode()
"""The documented local development secret; ``OPSFN_WEBHOOK_SECRET`` overrides it. Never for production."""

DEFAULT_LOCAL_PROJECT = "0000000000000000"
_SIGNATURE_HEADERS = ("webhook-id", "webhook-timestamp", "webhook-signature")
_LOCAL_DEFAULTS = {"OPSFN_IDEMPOTENCY_STORE": "memory://"}


class InvokeError(Exception):
    """The invocation could not be set up (unknown function, unreadable event, bad handler)."""


@dataclass(frozen=True)
class InvokeResult:
    """The platform response plus what the CLI prints about it."""

    function: str
    trigger: str
    response: dict[str, Any]
    status: int | None
    duration_ms: float

    @property
    def ok(self) -> bool:
        if self.status is not None:
            return self.status < 400
        return bool(self.response.get("ok", True)) and not self.response.get("records_failed")


def function_settings(env: Mapping[str, str], *prefixes: str) -> Settings:
    """The functions' own :class:`~shared.config.Settings`, read from the variables of ``env`` that start
    with one of ``prefixes``.

    Parsing goes through the functions' reader, so devkit sees a variable exactly as a function does.
    Only the variables devkit uses are read: any other one, say an invalid ``OPSFN_HTTP_TIMEOUT``, is the
    function's to report, not the tool's to refuse.
    """
    from shared.config import Settings

    return Settings.from_env({k: v for k, v in env.items() if k.startswith(prefixes)})


def uses_real_endpoints(env: Mapping[str, str]) -> bool:
    """Real endpoints are meant when an endpoint override or non-demo credentials are configured."""
    from devkit.emulator.credentials import DEMO_HUAWEI_AK, DEMO_TENCENT_SECRET_ID

    settings = function_settings(env, "OPSFN_ENDPOINT_", "HUAWEICLOUD_", "TENCENTCLOUD_")
    ak, sid = settings.huawei_ak, settings.tencent_secret_id
    return bool(
        settings.endpoints or (ak and ak != DEMO_HUAWEI_AK) or (sid and sid != DEMO_TENCENT_SECRET_ID)
    )


def signing_secret(env: Mapping[str, str]) -> str:
    """The secret a local sender signs with: the first of the functions' ``OPSFN_WEBHOOK_SECRET`` list,
    else the documented development secret (the one the local runtime gives the functions then)."""
    secrets = function_settings(env, "OPSFN_WEBHOOK_SECRET").webhook_secrets
    return secrets[0] if secrets else DEV_WEBHOOK_SECRET


def check_webhook_secrets(env: Mapping[str, str]) -> None:
    """Refuse a malformed ``OPSFN_WEBHOOK_SECRET`` before anything is sent or served.

    Found late, it is a traceback in ``opsfn send`` or a 500 for every webhook ``opsfn serve`` answers;
    found here, it is one line naming the variable and which entry is wrong (never its value).
    """
    from shared.verify import sign_standard_webhook

    for index, secret in enumerate(function_settings(env, "OPSFN_WEBHOOK_SECRET").webhook_secrets):
        try:
            sign_standard_webhook(secret, "msg_check", 0, b"")
        except ValueError as exc:
            raise InvokeError(f"OPSFN_WEBHOOK_SECRET entry {index + 1}: {exc}") from None


_CREDENTIALS = {
    "Huawei Cloud": ("HUAWEICLOUD_SDK_AK", "HUAWEICLOUD_SDK_SK", "HUAWEICLOUD_SDK_PROJECT_ID"),
    "Tencent Cloud": ("TENCENTCLOUD_SECRET_ID", "TENCENTCLOUD_SECRET_KEY"),
}


def missing_credentials(env: Mapping[str, str]) -> dict[str, list[str]]:
    """Per cloud, the credential variables that are unset (a cloud with all of them set is left out)."""
    found = {}
    for cloud, names in _CREDENTIALS.items():
        missing = [n for n in names if not env.get(n, "").strip()]
        if missing:
            found[cloud] = missing
    return found


def load_env_vars(path: Path, function: str) -> dict[str, str]:
    """The variables an ``--env-vars`` file gives ``function``, SAM-style: the global ``Parameters``
    object, overridden by the object named after the function. Other functions' sections are ignored."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError, RecursionError) as exc:
        raise InvokeError(f"{path}: cannot read the --env-vars file: {exc}") from None
    if not isinstance(data, dict):
        raise InvokeError(f"{path}: --env-vars must be a JSON object of sections (Parameters, <function>)")
    merged: dict[str, str] = {}
    for section in ("Parameters", function):
        values = data.get(section, {})
        if not isinstance(values, dict):
            raise InvokeError(f"{path}: {section} must be an object of NAME: value")
        for key, value in values.items():
            if not isinstance(value, (str, int, float, bool)):
                raise InvokeError(f"{path}: {section}.{key} must be a string, number or boolean")
            merged[str(key)] = str(value).lower() if isinstance(value, bool) else str(value)
    return merged


# ---------------------------------------------------------------------------------------- webhooks


def _http_body(event: Mapping[str, Any]) -> bytes | None:
    """The raw body of an HTTP envelope (local webhook, FunctionGraph APIG, SCF APIGW), else None."""
    from shared.triggers import EventParseError, parse_event

    try:
        trigger = parse_event(dict(event))
    except EventParseError:
        return None
    return trigger.body if trigger.kind == "http" else None


def webhook_body(data: bytes) -> tuple[bytes, str | None]:
    """``(body, path)`` to send: a sample HTTP event's body and path, else ``data`` itself as the body."""
    try:
        event = json.loads(data)
    except (ValueError, RecursionError):
        return data, None
    if not isinstance(event, dict):
        return data, None
    body = _http_body(event)
    if body is None:
        return data, None
    from shared.triggers import parse_event

    return body, parse_event(event).path or None


def sign_event(
    event: dict[str, Any],
    secret: str,
    *,
    clock: Callable[[], float] = time.time,
    scheme: str = "",
    msg_id: str | None = None,
) -> dict[str, Any]:
    """A copy of an HTTP envelope carrying fresh Standard Webhooks (or, ``scheme="github"``, GitHub
    ``X-Hub-Signature-256``) headers for its exact body bytes; ``msg_id`` repeats a delivery id (a
    sender's redelivery), else a new one is drawn."""
    from shared.verify import sign_standard_webhook

    body = _http_body(event)
    if body is None:
        return event
    signed: dict[str, Any] = json.loads(json.dumps(event))
    headers = {k: v for k, v in (signed.get("headers") or {}).items() if k.lower() not in _SIGNATURE_HEADERS}
    msg_id = msg_id or f"msg_{uuid.uuid4().hex}"
    key = secret.split(",")[0].strip()
    if scheme == "github":
        digest = hmac.new(key.encode(), body, hashlib.sha256).hexdigest()
        headers.update({"X-Hub-Signature-256": f"sha256={digest}", "X-GitHub-Delivery": msg_id})
    else:
        headers.update(sign_standard_webhook(key, msg_id, int(clock()), body))
    signed["headers"] = headers
    return signed


def to_platform(event: dict[str, Any], platform: str) -> dict[str, Any]:
    """Re-wrap a local webhook envelope as the platform's HTTP trigger event (APIG / SCF APIGW).

    Other envelopes are returned unchanged: they already are platform events.
    """
    if event.get("opsfn") != "webhook" or platform == "local":
        return event
    body = _http_body(event) or b""
    request_id = event.get("requestId") or uuid.uuid4().hex
    headers = {str(k).lower(): str(v) for k, v in (event.get("headers") or {}).items()}
    query = dict(event.get("query") or {})
    method = str(event.get("method", "POST")).upper()
    path = str(event.get("path", "/"))
    if platform == "functiongraph":
        return {
            "body": base64.b64encode(body).decode("ascii"),
            "isBase64Encoded": True,
            "httpMethod": method,
            "path": path,
            "headers": headers,
            "queryStringParameters": query,
            "pathParameters": {},
            "requestContext": {"requestId": request_id, "apiId": "opsfn-local", "stage": "RELEASE"},
        }
    if platform == "scf":
        return {
            "requestContext": {
                "serviceId": "service-opsfnlocal",
                "path": path,
                "httpMethod": method,
                "requestId": request_id,
                "sourceIp": "127.0.0.1",
                "stage": "release",
            },
            "headers": headers,
            "body": body.decode("utf-8"),
            "path": path,
            "httpMethod": method,
            "queryString": query,
            "queryStringParameters": query,
            "pathParameters": {},
            "headerParameters": {},
        }
    raise InvokeError(f"unknown platform {platform!r}")


# ------------------------------------------------------------------------------------ local runtime


@dataclass
class LocalRuntime:
    """Emulator, environment and handler loading for local invocations (one per CLI run).

    Invocations are serialised by a lock: each one runs with its own function's environment in
    ``os.environ``, which is process-wide.
    """

    template: Template
    root: Path
    target: str = "auto"
    echo: Callable[[str], None] = field(default=lambda _: None)
    emulator: Any = None
    _apps: dict[str, Any] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _base_env: dict[str, str] = field(default_factory=dict)
    env_overrides: dict[str, str] = field(default_factory=dict)

    @property
    def embedded(self) -> bool:
        return self.emulator is not None

    @contextlib.contextmanager
    def running(self) -> Iterator[LocalRuntime]:
        """Set up the emulator (unless real endpoints are meant) for the duration of the block."""
        from shared.http import use_transport
        from shared.idempotency import reset_store_cache

        real = self.target == "cloud" or (self.target == "auto" and uses_real_endpoints(os.environ))
        self._base_env = self._defaults(real)
        reset_store_cache()
        if real:
            self.echo(_real_target_line(os.environ))
            try:
                yield self
            finally:
                reset_store_cache()
            return
        from devkit.emulator.registry import build_emulator

        self.emulator = build_emulator()
        seeded = self.seed()
        self.echo("target: embedded emulator" + (f" (seeded: {', '.join(seeded)})" if seeded else ""))
        try:
            with use_transport(self.emulator.transport()):
                yield self
        finally:
            self.emulator = None
            reset_store_cache()

    def _topic_urns(self) -> list[str]:
        urns = []
        for fn in self.template.functions.values():
            for value in self.template.environment(fn).values():
                if value.startswith("urn:smn:") and len(value.split(":")) == 5:
                    urns.append(value)
        return urns

    def _project_of_urns(self) -> str:
        """The local project: that of the first SMN topic URN, so topic and callers agree."""
        urns = self._topic_urns()
        return urns[0].split(":")[3] if urns else DEFAULT_LOCAL_PROJECT

    def _defaults(self, real: bool) -> dict[str, str]:
        """Variables set for every invocation where the developer's environment leaves them unset."""
        defaults = dict(_LOCAL_DEFAULTS)
        defaults["OPSFN_WEBHOOK_SECRET"] = DEV_WEBHOOK_SECRET
        if not real:
            from devkit.emulator.credentials import (
                DEMO_HUAWEI_AK,
                DEMO_HUAWEI_SK,
                DEMO_REGION,
                DEMO_TENCENT_SECRET_ID,
                DEMO_TENCENT_SECRET_KEY,
            )

            defaults.update(
                {
                    "HUAWEICLOUD_SDK_AK": DEMO_HUAWEI_AK,
                    "HUAWEICLOUD_SDK_SK": DEMO_HUAWEI_SK,
                    "HUAWEICLOUD_SDK_REGION": DEMO_REGION,
                    "HUAWEICLOUD_SDK_PROJECT_ID": self._project_of_urns(),
                    "TENCENTCLOUD_SECRET_ID": DEMO_TENCENT_SECRET_ID,
                    "TENCENTCLOUD_SECRET_KEY": DEMO_TENCENT_SECRET_KEY,
                }
            )
        return {k: v for k, v in defaults.items() if not os.environ.get(k, "").strip()}

    def seed(self) -> list[str]:
        """The fixture step: create what the template's configuration names (SMN topics), and demo seats
        when a function uses CodeArts IDE (see :mod:`devkit.demo_fixtures`)."""
        smn = self.emulator.service("smn")
        seeded = []
        for urn in dict.fromkeys(self._topic_urns()):
            _, _, region, project, name = urn.split(":")
            backend = smn.backend(project)
            backend.region = region
            backend.create_topic(name)
            seeded.append(f"SMN topic {name}")
        if any("role:te_admin" in fn.policies for fn in self.template.functions.values()):
            from devkit.demo_fixtures import seed_demo_seats

            key = "HUAWEICLOUD_SDK_PROJECT_ID"
            project = os.environ.get(key) or self._base_env.get(key) or self._project_of_urns()
            seeded.append(seed_demo_seats(self.emulator, project))
        return seeded

    def secret(self) -> str:
        return signing_secret(os.environ)

    def function(self, name: str) -> FunctionSpec:
        try:
            return self.template.functions[name]
        except KeyError:
            known = ", ".join(self.template.functions)
            raise InvokeError(f"unknown function {name!r}; the template has: {known}") from None

    def app(self, name: str) -> Any:
        """The function's :class:`~shared.runtime.FunctionApp` (or its plain entry point)."""
        if name not in self._apps:
            import importlib

            fn = self.function(name)
            try:
                module = importlib.import_module(fn.module)
            except Exception as exc:
                raise InvokeError(f"{name}: cannot import {fn.module}: {type(exc).__name__}: {exc}") from exc
            entry = getattr(module, fn.attribute, None)
            if entry is None:
                raise InvokeError(f"{name}: {fn.module} has no {fn.attribute!r}")
            self._apps[name] = getattr(entry, "__self__", entry)
        return self._apps[name]

    def needs_signature(self, name: str, event: Mapping[str, Any]) -> str:
        """The verification scheme of the webhook route (by path) an HTTP envelope goes to ("": none)."""
        routes = [e.properties for e in self.function(name).events.values() if isinstance(e, WebhookEvent)]
        if not routes or _http_body(event) is None:
            return ""
        path = str(event.get("path") or "")
        matching = [r for r in routes if r.path == path] or routes
        return next((str(r.verification) for r in matching if r.verification), "")

    @contextlib.contextmanager
    def _environment(self, fn: FunctionSpec) -> Iterator[None]:
        overlay = {**self._base_env, **self.template.environment(fn), **self.env_overrides}
        saved = {k: os.environ.get(k) for k in overlay}
        os.environ.update(overlay)
        try:
            yield
        finally:
            for key, value in saved.items():
                if value is None:
                    os.environ.pop(key, None)
                else:
                    os.environ[key] = value

    def context(self, name: str, platform: str, fields: Mapping[str, Any]) -> Any:
        from devkit.fake_contexts import FakeFunctionGraphContext, scf_context

        fn = self.function(name)
        timeout = float(fields.get("timeout_seconds", self.template.timeout(fn)))
        request_id = str(fields.get("request_id") or uuid.uuid4().hex)
        if platform == "scf":
            return {
                **scf_context(request_id=request_id, function_name=name, time_limit_ms=int(timeout * 1000)),
                **{k: v for k, v in fields.items() if k not in ("timeout_seconds",)},
            }
        return FakeFunctionGraphContext(
            request_id=request_id,
            function_name=name,
            timeout_seconds=timeout,
            memory_mb=self.template.memory(fn),
            project_id=str(fields.get("project_id", "")),
        )

    def invoke(
        self,
        name: str,
        event: dict[str, Any],
        *,
        platform: str | None = None,
        context_fields: Mapping[str, Any] | None = None,
        sign: bool = True,
    ) -> InvokeResult:
        """Run one invocation of ``name`` on ``event`` the way its platform would."""
        from shared.triggers import EventParseError, parse_event

        fn = self.function(name)
        app = self.app(name)
        if platform is None:
            try:
                detected = parse_event(event).platform
            except EventParseError:
                detected = "local"
            platform = detected
        scheme = self.needs_signature(name, event) if sign else ""
        if scheme:
            event = sign_event(event, self.secret(), scheme=scheme)
        event = to_platform(event, platform)
        try:
            trigger = parse_event(event).source
        except EventParseError:
            trigger = "unknown"
        context = self.context(name, platform, context_fields or {})
        started = time.perf_counter()
        with self._lock, self._environment(fn):
            if hasattr(app, "invoke_local"):
                response = app.invoke_local(event, context, platform)
            else:
                response = app(event, context)
        duration = (time.perf_counter() - started) * 1000
        status = response.get("statusCode", response.get("status")) if isinstance(response, dict) else None
        return InvokeResult(name, trigger, response, int(status) if status is not None else None, duration)


def _real_target_line(env: Mapping[str, str]) -> str:
    """What the real-cloud target has to work with; names the missing credentials instead of assuming."""
    missing = missing_credentials(env)
    if not missing:
        return "target: real cloud endpoints (credentials configured)"
    gaps = "; ".join(f"{cloud}: {', '.join(names)}" for cloud, names in missing.items())
    return f"target: real cloud endpoints - credentials missing ({gaps}); calls to that cloud will be refused"


def log_to_stderr() -> None:
    """Send the functions' JSON log lines to stderr so stdout carries only the CLI's own output."""
    import sys

    from shared.config import SettingError
    from shared.log import configure_logging

    try:
        level = function_settings(os.environ, "OPSFN_LOG_LEVEL").log_level
    except SettingError:  # the functions log at INFO then too, and report the variable themselves
        level = "INFO"
    configure_logging(level, stream=sys.stderr)


def invoke_file(
    template: Template,
    root: Path,
    name: str,
    event_path: Path,
    *,
    platform: str | None = None,
    context_fields: Mapping[str, Any] | None = None,
    target: str = "auto",
    sign: bool = True,
    echo: Callable[[str], None] = lambda _: None,
    env_overrides: Mapping[str, str] | None = None,
) -> InvokeResult:
    """``opsfn invoke``: one invocation against a fresh embedded emulator (or real endpoints)."""
    try:
        event = json.loads(event_path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise InvokeError(f"{event_path}: cannot read the event: {exc}") from None
    except RecursionError:  # not a ValueError: without this, a hostile file is a traceback
        raise InvokeError(f"{event_path}: cannot read the event: JSON nested too deeply") from None
    if not isinstance(event, dict):
        raise InvokeError(f"{event_path}: the event must be a JSON object")
    runtime = LocalRuntime(template, root, target=target, echo=echo, env_overrides=dict(env_overrides or {}))
    runtime.function(name)
    with runtime.running():
        result = runtime.invoke(
            name,
            event,
            platform=None if platform in (None, "") else platform,
            context_fields=context_fields,
            sign=sign,
        )
    echo(
        f"{name} [{result.trigger}] -> {result.status if result.status is not None else '-'} "
        f"in {result.duration_ms:.1f} ms"
    )
    return result
