"""One publish run over a target: plan → snapshot → apply → publish → smoke → done, or roll back.

Every step is safe to repeat: the plan is recomputed from what is deployed, and rollback compares the
current state with the snapshot before each change. With the journal (:mod:`.journal`) written before the
first write, a run interrupted anywhere is recovered by the next delivery: it restores the snapshot, then
runs again from a clean plan, ending fully new (the run succeeds) or fully previous (it fails and rolls back).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from functions.api_publish.journal import Journal
from functions.api_publish.plan import Deployed, Plan, make_plan, markdown
from functions.api_publish.smoke import SmokeCheck
from functions.api_publish.spec import ApiSpec
from functions.api_publish.state import Checkpoint, RestoreReport, Snapshot, no_checkpoint
from shared.errors import CloudError

__all__ = ["RunInput", "Target", "drift", "run"]

RETRYABLE = ("ThrottledError", "ServerError", "CloudConnectionError")


class Target(Protocol):
    """A gateway scope the engine publishes to (``HuaweiTarget``, ``TencentTarget``)."""

    kind: str
    env_names: list[str]

    @property
    def label(self) -> str: ...
    async def prepare(self) -> None: ...
    def canonical(self, spec: ApiSpec) -> ApiSpec: ...
    async def deployed(self) -> list[Deployed]: ...
    async def snapshot(self, plan: Plan, deployed: list[Deployed]) -> Snapshot: ...
    async def apply(self, plan: Plan, checkpoint: Checkpoint) -> None: ...
    async def publish(self, plan: Plan, checkpoint: Checkpoint) -> int: ...
    async def smoke(self, checks: Sequence[SmokeCheck], specs: dict[str, ApiSpec]) -> list[str]: ...
    async def restore(self, snapshot: Snapshot) -> RestoreReport: ...


@dataclass
class RunInput:
    """What one delivery asks for, already validated."""

    commit: str
    desired: list[ApiSpec]
    document: dict[str, Any]
    mode: str = "apply"
    prune: bool = False
    checks: list[SmokeCheck] = field(default_factory=list)


def _key(target: Target, commit: str = "") -> str:
    return f"{commit}|{target.label}|{','.join(target.env_names)}"


def _answer(
    target: Target, inp: RunInput, status: str, http: int, plan: Plan | None, **extra: Any
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "status": status,
        "http_status": http,
        "commit": inp.commit,
        "target": target.label,
        "environments": target.env_names,
    }
    if plan is not None:
        body["summary"] = plan.summary()
        body["plan"] = plan.public()
        body["markdown"] = markdown(plan, target=target.label, environments=target.env_names)
    return {**body, **extra}


async def run(
    target: Target, inp: RunInput, journal: Journal | None, checkpoint: Checkpoint = no_checkpoint
) -> dict[str, Any]:
    """Plan (``mode=plan``) or apply the desired state; the answer carries ``http_status``."""
    await target.prepare()
    key = _key(target, inp.commit)
    if inp.mode == "apply" and journal is not None:
        earlier = journal.read("run", key)
        if earlier is not None and earlier["phase"] in ("done", "rolled_back"):
            answer: dict[str, Any] = earlier["answer"]
            return answer
        if earlier is not None and earlier["phase"] in ("applying", "rolling_back"):
            report = await target.restore(Snapshot.model_validate(earlier["snapshot"]))
            if not report.complete:
                return _answer(
                    target,
                    inp,
                    "recovery_incomplete",
                    503 if report.retryable else 422,
                    None,
                    **report.model_dump(exclude={"retryable"}),
                )
            journal.write("run", key, {"phase": "recovered"})
    deployed = await target.deployed()
    inp.desired = [target.canonical(s) for s in inp.desired]
    plan = make_plan(inp.desired, deployed, prune=inp.prune)
    if inp.mode == "plan" or plan.changes == 0:
        status = "planned" if inp.mode == "plan" else "unchanged"
        answer = _answer(target, inp, status, 200, plan)
        if inp.mode == "apply" and journal is not None:
            _finish(journal, target, inp, "done", answer)
        return answer
    snapshot = await target.snapshot(plan, deployed)
    if journal is not None:
        journal.write(
            "run", key, {"phase": "applying", "snapshot": snapshot.model_dump(), "plan": plan.public()}
        )
    await checkpoint("journaled")
    return await _apply(target, inp, journal, checkpoint, plan, snapshot)


async def _apply(
    target: Target,
    inp: RunInput,
    journal: Journal | None,
    checkpoint: Checkpoint,
    plan: Plan,
    snapshot: Snapshot,
) -> dict[str, Any]:
    specs = {s.name: s for s in inp.desired}
    try:
        await target.apply(plan, checkpoint)
        published = await target.publish(plan, checkpoint)
        failures = await target.smoke(inp.checks, specs)
    except (CloudError, RuntimeError) as exc:
        retry = type(exc).__name__ in RETRYABLE
        return await _roll_back(target, inp, journal, plan, snapshot, [f"{type(exc).__name__}: {exc}"], retry)
    if failures:
        return await _roll_back(target, inp, journal, plan, snapshot, failures, False)
    answer = _answer(target, inp, "applied", 200, plan, published=published)
    if journal is not None:
        _finish(journal, target, inp, "done", answer)
    return answer


async def _roll_back(
    target: Target,
    inp: RunInput,
    journal: Journal | None,
    plan: Plan,
    snapshot: Snapshot,
    failures: list[str],
    transient: bool,
) -> dict[str, Any]:
    """Restore the snapshot. Final (stored) when complete after a smoke or permanent failure; 503 when a
    transient failure or an incomplete rollback leaves something a redelivery can finish or retry."""
    key = _key(target, inp.commit)
    if journal is not None:
        journal.write(
            "run", key, {"phase": "rolling_back", "snapshot": snapshot.model_dump(), "plan": plan.public()}
        )
    report = await target.restore(snapshot)
    details = {"failures": failures, **report.model_dump(exclude={"retryable"})}
    if not report.complete:
        http = 503 if report.retryable else 422
        return _answer(target, inp, "rollback_incomplete", http, plan, **details)
    if transient:
        if journal is not None:
            journal.write("run", key, {"phase": "recovered"})
        return _answer(target, inp, "rolled_back", 503, plan, **details)
    answer = _answer(target, inp, "rolled_back", 422, plan, **details)
    if journal is not None:
        journal.write("run", key, {"phase": "rolled_back", "answer": answer})
    return answer


def _finish(journal: Journal, target: Target, inp: RunInput, phase: str, answer: dict[str, Any]) -> None:
    journal.write("run", _key(target, inp.commit), {"phase": phase, "answer": answer})
    journal.write(
        "applied", _key(target), {"commit": inp.commit, "document": inp.document, "prune": inp.prune}
    )


async def drift(target: Target, journal: Journal, parse: Any) -> dict[str, Any]:
    """Plan the last applied document against the gateway; changes nothing."""
    await target.prepare()
    last = journal.read("applied", _key(target))
    if last is None:
        return {"status": "no_baseline", "target": target.label, "drifted": 0, "dry_run": True}
    desired = [target.canonical(s) for s in parse(last["document"])]
    plan = make_plan(desired, await target.deployed(), prune=bool(last.get("prune")))
    return {
        "status": "drift" if plan.changes else "in_sync",
        "dry_run": True,  # the drift check never changes anything
        "target": target.label,
        "commit": last["commit"],
        "drifted": plan.changes,
        "plan": plan.of("create", "update", "delete")
        and [s for s in plan.public() if s["action"] in ("create", "update", "delete")],
        "markdown": markdown(plan, target=target.label, environments=target.env_names),
    }
