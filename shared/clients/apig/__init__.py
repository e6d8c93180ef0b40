"""Typed async client for Huawei API Gateway (dedicated instance, API V2).

``ApigClient`` is one object with a method per operation; the operations live in modules by resource family
(:mod:`.groups`, :mod:`.apis`, :mod:`.policies`, :mod:`.apps`) on a shared core (:mod:`._core`). Every method
raises a :class:`~shared.errors.CloudError` subclass on failure (``APIG.9008`` on HTTP 500 is
:class:`~shared.errors.ThrottledError` and is retried by the HTTP layer; quota codes become
:class:`~shared.errors.QuotaExceededError`, duplicates and "in use" become
:class:`~shared.errors.ConflictError`). Partial successes are *not* errors: check
``BatchPublishResult.failure`` and ``AppAuthResult.ok``.
"""

from __future__ import annotations

from shared.clients.apig._core import INSTANCE_ID_VARIABLE
from shared.clients.apig.apis import ApiOperations
from shared.clients.apig.apps import AppOperations
from shared.clients.apig.groups import GroupOperations
from shared.clients.apig.models import (
    RELEASE_ENV_ID,
    AclBinding,
    AclPolicy,
    Api,
    ApiGroup,
    ApiOutline,
    ApiVersion,
    App,
    AppAuth,
    AppAuthResult,
    AppCode,
    BatchFailure,
    BatchPublishResult,
    DebugResult,
    Environment,
    EnvVariable,
    Gateway,
    ImportResult,
    Page,
    PublishRecord,
    SignatureKey,
    SignBinding,
    Throttle,
    ThrottleBinding,
)
from shared.clients.apig.policies import PolicyOperations

__all__ = [
    "INSTANCE_ID_VARIABLE",
    "RELEASE_ENV_ID",
    "AclBinding",
    "AclPolicy",
    "Api",
    "ApiGroup",
    "ApiOutline",
    "ApiVersion",
    "ApigClient",
    "App",
    "AppAuth",
    "AppAuthResult",
    "AppCode",
    "BatchFailure",
    "BatchPublishResult",
    "DebugResult",
    "EnvVariable",
    "Environment",
    "Gateway",
    "ImportResult",
    "Page",
    "PublishRecord",
    "SignBinding",
    "SignatureKey",
    "Throttle",
    "ThrottleBinding",
]


class ApigClient(GroupOperations, ApiOperations, PolicyOperations, AppOperations):
    """Huawei APIG V2 for one dedicated instance (``instance_id``; discovered when the project has one)."""
