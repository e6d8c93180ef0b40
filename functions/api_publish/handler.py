"""api_publish entry points: the CI webhook (plan or apply one commit) and the drift timer.

==============================  ======  ===================================================================
outcome                         status  stored for redeliveries?
==============================  ======  ===================================================================
planned / applied / unchanged   200     yes: a redelivered commit gets this answer and changes nothing
smoke failed, rolled back       422     yes: the same commit would fail the same way
bad request, document refused   4xx     yes (the body is at fault)
transient failure, rolled back  503     no: the sender retries; the journal makes the retry safe
rollback incomplete, retryable  503     no: the next delivery finishes the rollback first
==============================  ======  ===================================================================

Configuration (read by :class:`shared.config.Settings`): ``OPSFN_WEBHOOK_SECRET`` is checked by the
sender's own scheme (GitHub ``X-Hub-Signature-256`` HMAC, GitLab ``X-Gitlab-Token``, CodeArts Repo
``X-Devcloud-Token``; see :func:`shared.verify.verify_ci_push`), ``OPSFN_PUBLISH_CONFIG`` (the request
fields a push payload lacks), ``OPSFN_PUBLISH_ALLOWED_HOSTS`` (hosts a document URL may name),
``OPSFN_PUBLISH_TENCENT_KEY`` / ``OPSFN_PUBLISH_HUAWEI_APP`` (smoke-check signing), ``OPSFN_SMN_TOPIC_URN``
(drift reports).
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from functions.api_publish.models import Delivery, DriftInput, PublishRequest
from shared.config import Settings
from shared.runtime import FunctionApp, HttpError, HttpResponse, Invocation

__all__ = ["app", "handler", "main_handler"]

PACKAGE_ROOT = Path(__file__).resolve().parent
app = FunctionApp("api_publish", idempotency_wait=60.0)


def _request(delivery: Delivery, settings: Settings) -> PublishRequest:
    """The full request: the plain body, or the configured fields with the pushed commit."""
    data: dict[str, Any] = dict(delivery.request)
    if delivery.form != "plain":
        data = copy.deepcopy(dict(settings.publish_config))
        document = data.get("document")
        if isinstance(document, dict) and isinstance(document.get("url"), str):
            document["url"] = document["url"].replace("{commit}", delivery.commit)
        data["commit"] = delivery.commit
    try:
        return PublishRequest.model_validate(data)
    except ValidationError as exc:
        fields = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors()[:10])
        raise HttpError(400, f"invalid publish request: {fields}", code="invalid_request") from None


@app.http(model=Delivery, verify="ci_push", idempotency_key=lambda d: d.key())
async def on_webhook(delivery: Delivery, inv: Invocation) -> HttpResponse:
    """One push or plain request: plan it, or apply, publish, smoke-test and (on failure) roll back."""
    from functions.api_publish.engine import RunInput, run
    from functions.api_publish.journal import Journal
    from functions.api_publish.plan import PlanConflict
    from functions.api_publish.source import SourceError, load_document
    from functions.api_publish.spec import DocumentError, parse_document
    from functions.api_publish.targets import open_target

    if delivery.deletes_branch:
        return HttpResponse(200, {"status": "ignored", "message": "branch deletion: nothing to publish"})
    request = _request(delivery, inv.settings)
    try:
        document = await load_document(request.document, PACKAGE_ROOT, inv.settings.publish_allowed_hosts)
        desired = parse_document(document)
    except SourceError as exc:
        raise HttpError(exc.status, str(exc), code="document_refused") from None
    except DocumentError as exc:
        raise HttpError(422, str(exc), code="invalid_document") from None
    _check_scope(request, desired)
    journal = Journal(inv.store())
    inp = RunInput(request.commit, desired, document, request.mode, request.prune, request.smoke)
    try:
        async with open_target(request.target, request.scope, inv.settings) as target:
            answer = await run(target, inp, journal)
    except PlanConflict as exc:
        raise HttpError(409, str(exc), code="plan_conflict") from None
    except LookupError as exc:
        raise HttpError(422, str(exc), code="unknown_environment") from None
    status = int(answer.pop("http_status"))
    headers = {"Retry-After": "30"} if status == 503 else {}
    inv.log.info("api_publish.done", status=answer["status"], commit=request.commit)
    return HttpResponse(status, answer, headers)


def _check_scope(request: PublishRequest, desired: list[Any]) -> None:
    """Every API of the document must be inside the scope, and every smoke check name one of them."""
    names = {s.name for s in desired}
    outside = sorted(n for n in names if not n.startswith(request.scope.name_prefix))
    if outside:
        raise HttpError(
            422,
            f"APIs outside the scope prefix {request.scope.name_prefix!r}: {outside[:10]}",
            code="out_of_scope",
        )
    unknown = sorted({c.api for c in request.smoke} - names)
    if unknown:
        raise HttpError(
            422, f"smoke checks name APIs not in the document: {unknown[:10]}", code="invalid_request"
        )


@app.timer(model=DriftInput)
async def on_timer(params: DriftInput, inv: Invocation) -> dict[str, Any]:
    """Plan the last applied document against the gateway and report drift to SMN; changes nothing."""
    from functions.api_publish.engine import drift
    from functions.api_publish.journal import Journal
    from functions.api_publish.spec import parse_document
    from functions.api_publish.targets import open_target

    target_spec = params.target
    if target_spec is None:
        try:
            target_spec = DriftInput.model_validate(dict(inv.settings.publish_config)).target
        except ValidationError:
            raise HttpError(500, "OPSFN_PUBLISH_CONFIG holds no valid target", code="configuration") from None
    if target_spec is None:
        raise HttpError(
            400, "no target: give one in the timer input or OPSFN_PUBLISH_CONFIG", code="invalid_request"
        )
    journal = Journal(inv.store())
    async with open_target(target_spec, params.scope, inv.settings) as target:
        report = await drift(target, journal, parse_document)
    if report["drifted"] and inv.settings.smn_topic_urn:
        await _notify(inv, report)
    return report


async def _notify(inv: Invocation, report: dict[str, Any]) -> None:
    from shared.clients.smn import SmnClient

    topic = inv.settings.smn_topic_urn
    async with SmnClient.for_topic(inv.settings, topic) as smn:
        await smn.publish(topic, report["markdown"], subject=f"API drift on {report['target']}")


handler = app.functiongraph_handler
main_handler = app.scf_handler
