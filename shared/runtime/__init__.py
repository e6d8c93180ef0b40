"""The handler runtime function authors use: one :class:`FunctionApp` per function.

Example::

    app = FunctionApp("license_purchase")

    @app.http(model=PurchaseRequest, verify="standard_webhooks", idempotency_key=lambda m: m.request_id)
    async def on_request(req: PurchaseRequest, inv: Invocation) -> PurchaseResult: ...

    @app.batch(model=PurchaseRequest, idempotency_key=lambda m: m.request_id)
    async def on_batch(items: list[PurchaseRequest], inv: Invocation) -> list[RecordOutcome]: ...

    handler = app.functiongraph_handler      # FunctionGraph: index.handler
    main_handler = app.scf_handler           # SCF: index.main_handler

The package's modules, by what they hold:

* :mod:`~shared.runtime.app` - :class:`FunctionApp`: registration, entry points, dispatch, summary line;
* :mod:`~shared.runtime.context` - :class:`Invocation` and what is read from the platform's context;
* :mod:`~shared.runtime.idempotent` - the one claim → call → complete-or-release helper every pipeline
  uses (time budget, key rule, outcome label);
* :mod:`~shared.runtime.http`, :mod:`~shared.runtime.batch`, :mod:`~shared.runtime.timer` - the pipelines,
  each imported when its first event arrives;
* :mod:`~shared.runtime.specs` - the registered handlers (function, model, options) per trigger kind;
* :mod:`~shared.runtime.inputs` - JSON decoding and model validation (400 answers);
* :mod:`~shared.runtime.errors` - exceptions → caller-facing answers;
* :mod:`~shared.runtime.responses` - :class:`HttpResponse`, :class:`RecordOutcome`, batch results;
* :mod:`~shared.runtime.stored` - what is kept under one idempotency key, read back by every trigger.
"""

from __future__ import annotations

from shared.runtime.app import FunctionApp, InvocationOutput, RedeliveryRequested
from shared.runtime.context import Invocation
from shared.runtime.errors import HttpError
from shared.runtime.responses import HttpResponse, RecordOutcome

__all__ = [
    "FunctionApp",
    "HttpError",
    "HttpResponse",
    "Invocation",
    "InvocationOutput",
    "RecordOutcome",
    "RedeliveryRequested",
]
