"""The timer pipeline: the user text fills the model, the handler runs once per firing.

Timer triggers are synchronous and not retried by the platform, so failures are answered (and logged),
never raised. With an ``idempotency_key`` a firing the platform delivers twice runs once; the key space is
the one the other triggers use (:mod:`shared.runtime.stored`).
"""

from __future__ import annotations

from typing import Any

from shared.runtime.context import Invocation
from shared.runtime.errors import answer_for
from shared.runtime.idempotent import IdempotentCalls, outcome_label
from shared.runtime.inputs import BadInput, decode_json, validate_model
from shared.runtime.responses import to_json_data
from shared.runtime.specs import TimerSpec

__all__ = ["TimerSpec", "run_timer", "timer_input"]


def timer_input(body: bytes) -> Any:
    """The timer's user text as model input: ``{}`` when empty, the JSON object when it is one, else
    ``{"message": text}`` - so a model with a ``message`` field accepts plain-text timers
    (``timer_event_txt.json`` sends ``"Hello world"``)."""
    text = body.decode("utf-8", "replace").strip()
    if not text:
        return {}
    try:
        data = decode_json(body)
    except BadInput:
        return {"message": text}
    return data if isinstance(data, dict) else {"message": data}


async def run_timer(spec: TimerSpec, inv: Invocation, calls: IdempotentCalls) -> tuple[dict[str, Any], str]:
    """Run the timer handler; ``(response, outcome)``."""
    try:
        item = validate_model(spec.model, timer_input(inv.trigger.body))
        async with await calls.claim(inv, calls.key(spec.idempotency_key, item), item) as lock:
            if lock.replayed:
                return {"ok": True, "result": lock.stored, "replayed": True}, "replayed"
            result = to_json_data(await calls.call(inv, spec.handler, item, inv))
            lock.keep(result)
        return {"ok": True, "result": result}, "ok"
    except BadInput as exc:
        return {"ok": False, "status": 400, **exc.body()}, "rejected"
    except Exception as exc:
        answer = answer_for(exc)
        if answer.log_traceback:
            inv.log.exception("timer handler failed")
        return {"ok": False, "status": answer.status, **answer.body}, outcome_label(answer.status)
