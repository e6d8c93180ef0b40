"""rotation_report entry point: the summary step of the ``rotation_sweep`` workflow.

It receives the list of rotation answers the fan-out step collected and sends one summary to SMN
(``OPSFN_SMN_TOPIC_URN``) and, when ``OPSFN_ASTRO_REPORT_PATH`` is set, to that Astro Zero custom API
(:mod:`shared.notify`). Outside a workflow it reads the same lists from a Kafka topic; a batch of several
lists gets one summary. A channel that fails is named in the answer and logged; the summary is not retried,
because the channels that did receive it would get it twice.
"""

from __future__ import annotations

from typing import Any

from functions.rotation_report.summary import RotationAnswers, summarise
from shared.runtime import FunctionApp, Invocation, RecordOutcome

__all__ = ["app", "handler", "main_handler"]

app = FunctionApp("rotation_report")


@app.batch(model=RotationAnswers)
async def on_answers(items: list[RotationAnswers], inv: Invocation) -> list[RecordOutcome]:
    """One summary of every list in the batch; each record answers with it."""
    from shared.notify import send_report

    report, data = summarise(items)
    notifications = await send_report(inv.settings, report, inv.log)
    inv.log.info("rotation_report.sent", subject=report.subject, notifications=notifications)
    answer: dict[str, Any] = {
        **data,
        "subject": report.subject,
        "text": report.text,
        "notifications": notifications,
    }
    return [RecordOutcome.success(answer) for _ in items]


handler = app.functiongraph_handler
main_handler = app.scf_handler
