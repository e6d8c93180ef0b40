"""A stand-in for key_rotation, honouring its job and answer contracts, for workflow tests.

It "rotates" a secret by storing a new CSMS version that becomes SYSCURRENT - the part of a real rotation the
sweep observes - and answers in the contract's format. With ``FAIL_FIRST`` naming secrets, the first attempt
for each of them fails retryably, so redelivery can be exercised.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict

from shared.clients.csms import CsmsClient
from shared.runtime import FunctionApp, Invocation, RecordOutcome

app = FunctionApp("key_rotation")
FAIL_FIRST: set[str] = set()
ATTEMPTS: dict[str, int] = {}


class Job(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)

    secret_name: str
    rotation_id: str | None = None
    mode: str = "apply"
    reason: str | None = None
    kind: str | None = None


@app.batch(model=Job)
async def on_jobs(jobs: list[Job], inv: Invocation) -> list[RecordOutcome]:
    out: list[RecordOutcome] = []
    async with CsmsClient.from_settings(inv.settings) as csms:
        for job in jobs:
            ATTEMPTS[job.secret_name] = ATTEMPTS.get(job.secret_name, 0) + 1
            if job.secret_name in FAIL_FIRST and ATTEMPTS[job.secret_name] == 1:
                out.append(RecordOutcome.failure("injected fault", retryable=True))
                continue
            previous = await csms.show_secret_stage(job.secret_name, "SYSCURRENT")
            new = await csms.create_secret_version(job.secret_name, secret_string='{"rotated": true}')
            answer: dict[str, Any] = {
                "secret_name": job.secret_name,
                "rotation_id": job.rotation_id,
                "kind": job.kind,
                "strategy": None,
                "status": "rotated",
                "versions": {"new": new.id, "previous": previous.version_id},
                "message": "rotated by the stand-in",
            }
            out.append(RecordOutcome.success(answer))
    return out


handler = app.functiongraph_handler
main_handler = app.scf_handler
