"""One summary of a list of rotation answers (key_rotation's output), for people and for machines.

The input is what the ``rotate`` step of the ``rotation_sweep`` workflow hands on: a list of rotation answers
(``{"secret_name", "rotation_id", "kind", "strategy", "status", "versions", "message"}``). A single answer,
``{"answers": [...]}``, and a workflow error (``{"error", "step", "input"}``, what an ``OnError`` branch
receives) are accepted too, so the same step can close a sweep that failed half-way.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

from shared.notify import Report

__all__ = ["STATUSES", "RotationAnswer", "RotationAnswers", "summarise"]

STATUSES = ("rotated", "planned", "in_progress", "skipped", "undone", "failed")
_ATTENTION = ("failed", "undone", "in_progress")
_MESSAGE_MAX = 500
_LISTED = 100


class RotationAnswer(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)

    secret_name: str = Field(min_length=1, max_length=64)
    rotation_id: str | None = Field(None, max_length=128)
    kind: str | None = Field(None, max_length=64)
    strategy: str | None = Field(None, max_length=64)
    status: str = Field(min_length=1, max_length=32)
    versions: dict[str, str | None] = Field(default_factory=dict)
    message: str = ""


class RotationAnswers(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)

    answers: list[RotationAnswer] = Field(default_factory=list, max_length=100_000)
    error: Any = None
    step: str | None = None

    @model_validator(mode="before")
    @classmethod
    def _shapes(cls, data: Any) -> Any:
        if isinstance(data, list):
            return {"answers": data}
        if isinstance(data, dict) and "secret_name" in data:
            return {"answers": [data]}
        if isinstance(data, dict) and isinstance(data.get("error"), dict) and "answers" not in data:
            return {**data, "answers": _fan_out_answers(data["error"])}
        return data


def _fan_out_answers(error: dict[str, Any]) -> list[Any]:
    """The rotation answers a failed fan-out still carries: every finished item's output and every failed
    item's own answer (the workflow runner hands both to the ``OnError`` step), so a sweep that failed for
    one secret still reports the others it rotated."""
    outputs = error.get("outputs")
    failed = error.get("failed")
    found = [o for o in outputs if isinstance(o, dict)] if isinstance(outputs, list) else []
    if isinstance(failed, list):
        found += [f["answer"] for f in failed if isinstance(f, dict) and isinstance(f.get("answer"), dict)]
    return [a for a in found if "secret_name" in a and "status" in a]


def summarise(inputs: list[RotationAnswers]) -> tuple[Report, dict[str, Any]]:
    """The report to send and the JSON answer (counts by status, the answers that need a person)."""
    answers = [a for item in inputs for a in item.answers]
    errors = [{"step": item.step, "error": item.error} for item in inputs if item.error is not None]
    counts = Counter(a.status if a.status in STATUSES else "unknown" for a in answers)
    by_status = {s: counts.get(s, 0) for s in (*STATUSES, "unknown") if counts.get(s, 0) or s in STATUSES}
    attention = [a for a in answers if a.status not in ("rotated", "planned", "skipped")]
    shown = ", ".join(f"{by_status[s]} {s}" for s in by_status if by_status[s]) or "nothing to rotate"
    subject = f"opsfn rotation sweep: {shown}" + (" (workflow error)" if errors else "")
    lines = [f"Rotation sweep: {len(answers)} secret(s): {shown}."]
    rotated = [a.secret_name for a in answers if a.status == "rotated"]
    if rotated:  # names only (never values), so the owners can see which credentials changed
        more = f" ... and {len(rotated) - _LISTED} more" if len(rotated) > _LISTED else ""
        lines.append("Rotated: " + ", ".join(rotated[:_LISTED]) + more)
    for error in errors:
        detail = (
            error["error"].get("message", error["error"])
            if isinstance(error["error"], dict)
            else error["error"]
        )
        lines.append(f"The workflow failed at step {error['step'] or '?'}: {str(detail)[:_MESSAGE_MAX]}")
    for a in attention[:_LISTED]:
        lines.append(f"- {a.secret_name} [{a.status}] {a.kind or ''}: {a.message[:_MESSAGE_MAX]}".rstrip())
    if len(attention) > _LISTED:
        lines.append(f"... and {len(attention) - _LISTED} more")
    data = {
        "total": len(answers),
        "by_status": by_status,
        "attention": [a.model_dump() for a in attention[:1000]],
        "errors": errors,
    }
    return Report(subject, "\n".join(lines), data, kind="rotation_summary"), data
