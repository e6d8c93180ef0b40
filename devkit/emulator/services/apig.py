"""Huawei API Gateway (APIG dedicated instance, V2): the management API and the gateway that serves it.

``make_service`` builds the management service (``/v2/{project_id}/apigw/...``, AK/SK or IAM-token verified,
state per project) from one module per resource family, and adds the data-plane service that serves
published APIs under ``/apig-gateway/{group}/...`` (see :mod:`devkit.emulator.services.apig_gateway`).

Tests and tools reach the state through ``emulator.service("apig").backend(project_id)``: an
:class:`~devkit.emulator.services.apig_state.ApigBackend` whose ``http_backend`` callable plays the web
backend of every HTTP API (set it to make smoke tests pass or fail) and whose instances can be seeded
directly for large-list tests.
"""

from __future__ import annotations

from devkit.emulator.core import Emulator, Service
from devkit.emulator.services import (
    apig_apis,
    apig_apps,
    apig_groups,
    apig_openapi,
    apig_policies,
    apig_publish,
    apig_signs,
)
from devkit.emulator.services.apig_gateway import make_gateway_service
from devkit.emulator.services.apig_state import ApigBackend

__all__ = ["make_service"]


def make_service(emulator: Emulator) -> Service[ApigBackend]:
    svc: Service[ApigBackend] = Service("apig", ApigBackend, auth="huawei")
    for module in (apig_publish, apig_openapi, apig_groups, apig_apis, apig_signs, apig_policies, apig_apps):
        module.register(svc)
    # Both planes share the management service's lock (see Service): a gateway call never sees half a write.
    emulator.add(make_gateway_service(emulator, svc))
    return svc
