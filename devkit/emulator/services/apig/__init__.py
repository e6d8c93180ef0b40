"""Fake Huawei API Gateway (APIG dedicated instance, V2): the management API and the gateway that serves it.

The management service (``/v2/{project_id}/apigw/...``, AK/SK or IAM-token verified, state per project) has
the shape of every emulated service: ``routes`` (the table at the official SDK's paths), ``handlers`` (one
module per resource family, one function per operation) and ``state`` (the per-project backend, with
``wire``, ``bindings``, ``definition`` and ``swagger`` holding what several operations share). ``gateway`` is
the data plane serving published APIs under ``/apig-gateway/{group}/...`` and by the group's sub-domain in
the ``Host`` header; it shares the management service's lock.

Tests and tools reach the state through ``emulator.service("apig").backend(project_id)``: an
:class:`ApigBackend` whose ``http_backend`` callable plays the web backend of every HTTP API (set it to make
smoke tests pass or fail) and whose instances can be seeded directly for large-list tests.
"""

from __future__ import annotations

from devkit.emulator.core import Emulator, Service
from devkit.emulator.services.apig.gateway import GATEWAY_PREFIX, make_gateway_service
from devkit.emulator.services.apig.routes import ROUTES
from devkit.emulator.services.apig.state import DEFAULT_INSTANCE_ID, RELEASE_ENV_ID, ApigBackend, Instance

__all__ = [
    "DEFAULT_INSTANCE_ID",
    "GATEWAY_PREFIX",
    "RELEASE_ENV_ID",
    "ApigBackend",
    "Instance",
    "make_service",
]


def make_service(emulator: Emulator) -> Service[ApigBackend]:
    """Build the ``apig`` management service and add the ``apig-gateway`` data plane beside it."""
    svc: Service[ApigBackend] = Service("apig", ApigBackend, routes=ROUTES, auth="huawei")
    emulator.add(make_gateway_service(emulator, svc))
    return svc
