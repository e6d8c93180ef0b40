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

from shared.clients.apig import models
from shared.clients.apig._core import INSTANCE_ID_VARIABLE
from shared.clients.apig.apis import ApiOperations
from shared.clients.apig.apps import AppOperations
from shared.clients.apig.groups import GroupOperations
from shared.clients.apig.models import *  # noqa: F403 - the models are part of the package API
from shared.clients.apig.policies import PolicyOperations

__all__ = ["INSTANCE_ID_VARIABLE", "ApigClient"]
__all__ += models.__all__


class ApigClient(GroupOperations, ApiOperations, PolicyOperations, AppOperations):
    """Huawei APIG V2 for one dedicated instance (``instance_id``; discovered when the project has one)."""
