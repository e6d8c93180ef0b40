"""The plan: a semantic diff of desired :class:`ApiSpec` against what is deployed, within one scope.

Identity is the API name (``operationId``): a changed path or method is an *update* of the same API, so
renaming a path never deletes and re-creates it. Nothing is deleted unless ``prune`` is set; without it,
in-scope APIs missing from the document are listed as ``retained``. The order of the actions is part of the
plan: deletes first (they free method + path pairs a create or update may need), then updates, then creates.
A create or update whose route is held by an API the plan does not delete cannot succeed; it is refused
before any change (:class:`PlanConflict`), never discovered half-way.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Literal

from pydantic import BaseModel

from functions.api_publish.spec import ApiSpec

__all__ = ["Action", "Deployed", "Plan", "PlanConflict", "Step", "make_plan", "markdown"]

Action = Literal["create", "update", "delete", "unchanged", "retained"]


class PlanConflict(ValueError):
    """A desired route is held by an API this plan may not remove (out of scope, or ``prune`` is off)."""


class Deployed(BaseModel):
    """One API as the gateway holds it: its id, its canonical spec, and whether the scope owns it."""

    id: str
    spec: ApiSpec
    in_scope: bool = True


class Step(BaseModel):
    """One line of the plan."""

    action: Action
    name: str
    api_id: str = ""
    changes: list[str] = []
    desired: ApiSpec | None = None


class Plan(BaseModel):
    steps: list[Step]

    def of(self, *actions: Action) -> list[Step]:
        return [s for s in self.steps if s.action in actions]

    @property
    def changes(self) -> int:
        """Number of APIs the plan changes (creates, updates, deletes)."""
        return len(self.of("create", "update", "delete"))

    def summary(self) -> dict[str, int]:
        actions: tuple[Action, ...] = ("create", "update", "delete", "unchanged", "retained")
        return {a: len(self.of(a)) for a in actions}

    def public(self) -> list[dict[str, object]]:
        """The steps as JSON for the answer (without the full desired definitions)."""
        return [s.model_dump(include={"action", "name", "api_id", "changes"}) for s in self.steps]


def make_plan(desired: Iterable[ApiSpec], deployed: Iterable[Deployed], *, prune: bool) -> Plan:
    """Order: deletes, updates, creates, then the untouched (unchanged, retained) for the report."""
    wanted = {s.name: s for s in desired}
    have = {d.spec.name: d for d in deployed}
    deletes: list[Step] = []
    updates: list[Step] = []
    creates: list[Step] = []
    untouched: list[Step] = []
    for name, held in have.items():
        if held.in_scope and name not in wanted:
            step = Step(action="delete" if prune else "retained", name=name, api_id=held.id)
            (deletes if prune else untouched).append(step)
    for name, spec in wanted.items():
        current = have.get(name)
        if current is None:
            creates.append(Step(action="create", name=name, desired=spec))
        elif not current.in_scope:
            raise PlanConflict(f"API {name!r} exists but is outside this pipeline's scope")
        elif current.spec != spec:
            changes = current.spec.changed_fields(spec)
            updates.append(Step(action="update", name=name, api_id=current.id, changes=changes, desired=spec))
        else:
            untouched.append(Step(action="unchanged", name=name, api_id=current.id))
    _check_routes(wanted, have, {s.name for s in deletes})
    return Plan(steps=[*deletes, *updates, *creates, *untouched])


def _check_routes(wanted: Mapping[str, ApiSpec], have: Mapping[str, Deployed], deleted: set[str]) -> None:
    """Every desired route must be free once the plan's deletes and moves are done."""
    final = {d.spec.route: name for name, d in have.items() if name not in deleted and name not in wanted}
    for name, spec in wanted.items():
        holder = final.get(spec.route)
        if holder is not None:
            why = "outside the scope" if not have[holder].in_scope else "not in the document (prune is off)"
            raise PlanConflict(f"{spec.method} {spec.path} for {name!r} is held by API {holder!r}, {why}")


def markdown(plan: Plan, *, target: str, environments: Iterable[str]) -> str:
    """A short summary fit for a pull-request comment."""
    counts = plan.summary()
    head = ", ".join(f"{n} to {a}" for a, n in counts.items() if n and a not in ("unchanged", "retained"))
    lines = [
        f"### API publish plan for {target} ({', '.join(environments)})",
        "",
        f"**{head or 'no changes'}**; {counts['unchanged']} unchanged, {counts['retained']} retained.",
    ]
    changed = plan.of("delete", "update", "create")
    if changed:
        lines += ["", "| action | API | changes |", "|---|---|---|"]
        lines += [f"| {s.action} | `{s.name}` | {', '.join(s.changes)} |" for s in changed[:50]]
        if len(changed) > 50:
            lines.append(f"| ... | {len(changed) - 50} more | |")
    return "\n".join(lines)
