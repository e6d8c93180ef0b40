"""Faked Tencent TCE API Gateway, cloud API version 2018-08-08 (``apigateway``), and the gateway itself.

Every cloud-API call is ``POST /`` (or ``GET /``) to one host; the action travels in ``X-TC-Action`` with JSON
parameters (signature v3, TC3-HMAC-SHA256) or in an ``Action`` parameter with flat form/query parameters
(signature v1). The framework verifies either signature before the handler runs (``auth="tencent"``) and
keys the state by account and region (:func:`~devkit.emulator.verification.tencent_isolation_key`).

The package has the shape of every emulated service:

* ``routes`` - the action table: action name -> handler and the parameters it accepts;
* ``handlers/`` - one function per action, one module per topic (services, apis, releases, keys, plans,
  apps; shared lookups in ``common``);
* ``state`` - the backend per account and region, with the quotas of the document's limits table
  (replace them with ``build_emulator(tencent_apigw_quotas=Quotas(...))``);

plus ``protocol`` (the one HTTP route ``/``: parsing v3 and v1 calls, the common checks, the ``Response``
envelope), ``params`` (typed parameter access with Tencent's error codes) and ``gateway`` (a companion
service that serves the published APIs, with key-pair authentication, under the cloud service's lock).
"""

from __future__ import annotations

from datetime import datetime

from devkit.emulator.core import Emulator, Service
from devkit.emulator.services.tencent_apigw.gateway import GATEWAY_PREFIX, make_gateway_service
from devkit.emulator.services.tencent_apigw.protocol import API_VERSION, ROUTES
from devkit.emulator.services.tencent_apigw.routes import ACTIONS, PARAMETERS
from devkit.emulator.services.tencent_apigw.state import DEFAULT_QUOTAS, Quotas, TencentApigwBackend, utc_now
from devkit.emulator.verification import tencent_isolation_key

__all__ = [
    "ACTIONS",
    "API_VERSION",
    "DEFAULT_QUOTAS",
    "GATEWAY_PREFIX",
    "PARAMETERS",
    "Quotas",
    "TencentApigwBackend",
    "make_service",
]


def make_service(emulator: Emulator) -> Service[TencentApigwBackend]:
    """The cloud-API service; also registers the companion service that serves published APIs."""
    quotas = emulator.options.get("tencent_apigw_quotas", DEFAULT_QUOTAS)
    if not isinstance(quotas, Quotas):
        raise TypeError("tencent_apigw_quotas must be a tencent_apigw.Quotas")

    def clock() -> datetime:
        creds = emulator.credentials
        return creds.clock() if creds is not None else utc_now()

    def new_backend(key: str) -> TencentApigwBackend:
        account, _, region = key.partition("/")
        return TencentApigwBackend(account=account, region=region or account, quotas=quotas, clock=clock)

    service: Service[TencentApigwBackend] = Service(
        "tencent_apigw", new_backend, routes=ROUTES, auth="tencent", key_fn=tencent_isolation_key
    )
    emulator.add(make_gateway_service(service))
    return service
