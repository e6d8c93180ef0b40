"""Which ``--fault`` targets exist: the emulator's service names and each service's operation names.

Why check: a fault rule for a misspelt service or operation silently never fires, and a resilience test run
against it "passes" while injecting nothing. ``opsfn emulator`` refuses such a rule up front instead.
"""

from __future__ import annotations

from typing import Any

from devkit.emulator.faults import FaultRule

__all__ = ["fault_targets", "unknown_fault_targets"]


def fault_targets(emulator: Any) -> dict[str, set[str]]:
    """Service name -> its operation names (Tencent's: the actions its one route dispatches)."""
    from devkit.emulator.services.tencent_apigw.routes import ACTIONS

    targets: dict[str, set[str]] = {}
    for svc in emulator.services:
        operations = {route.operation for route in svc.routes}
        operations |= {route.operation for _, route in svc.host_routes}
        if svc.name == "tencent_apigw":
            operations |= set(ACTIONS)
        targets[svc.name] = operations
    return targets


def unknown_fault_targets(emulator: Any, rules: list[FaultRule]) -> list[str]:
    """One message per rule naming a service or operation the emulator does not have."""
    targets = fault_targets(emulator)
    problems = []
    for rule in rules:
        if rule.service != "*" and rule.service not in targets:
            problems.append(f"unknown service {rule.service!r}; known: {', '.join(sorted(targets))}")
        elif rule.operation != "*":
            scope = targets if rule.service == "*" else {rule.service: targets[rule.service]}
            if not any(rule.operation in ops for ops in scope.values()):
                problems.append(f"{rule.service}: unknown operation {rule.operation!r}")
    return list(dict.fromkeys(problems))
