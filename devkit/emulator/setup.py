"""Attach credentials, request verifiers and fault injection to an :class:`Emulator`.

Kept apart from the core so that the sans-IO router stays free of policy: tests can build a bare
``Emulator`` with one service and no verification, while ``build_emulator()`` gets the full behaviour of the
real clouds through :func:`configure`.
"""

from __future__ import annotations

from collections.abc import Iterable

from devkit.emulator.core import Emulator
from devkit.emulator.credentials import EmulatorCredentials
from devkit.emulator.faults import FaultInjector, parse_fault_spec
from devkit.emulator.verification import verify_huawei, verify_tencent

__all__ = ["configure"]


def configure(
    emulator: Emulator,
    *,
    credentials: EmulatorCredentials | None = None,
    faults: FaultInjector | Iterable[str] | None = None,
    seed: int | None = None,
    **options: object,
) -> Emulator:
    """Install credentials (``EmulatorCredentials.from_env()`` by default), verifiers and faults.

    ``faults`` is an injector, or fault spec strings as given to ``opsfn emulator --fault``; ``seed`` seeds
    the injector so that a run replays identically. Remaining keyword ``options`` (for example
    ``ide_quota``) are kept in ``emulator.options`` for the services to read when they are built.
    """
    emulator.credentials = credentials if credentials is not None else EmulatorCredentials.from_env()
    emulator.verifiers["huawei"] = verify_huawei
    emulator.verifiers["tencent"] = verify_tencent
    if isinstance(faults, FaultInjector):
        if seed is not None:
            faults.reseed(seed)
        injector = faults
    else:
        injector = FaultInjector(seed)
        for spec in faults or ():
            injector.extend(parse_fault_spec(spec))
    emulator.faults = injector
    emulator.options.update(options)
    return emulator
