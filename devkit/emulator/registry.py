"""Which service packages make up the emulator, in routing order.

Each package named here defines ``make_service(emulator) -> Service`` (it may read ``emulator.credentials``
or other services, e.g. CSMS publishing to SMN). A service that fails to import fails the whole build.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterable
from typing import TYPE_CHECKING

from devkit.emulator.core import Emulator

if TYPE_CHECKING:
    from devkit.emulator.credentials import EmulatorCredentials
    from devkit.emulator.faults import FaultInjector

SERVICE_MODULES = ("iam", "smn", "ide", "csms", "apig", "tencent_apigw", "astro")


def build_emulator(
    *,
    credentials: EmulatorCredentials | None = None,
    faults: FaultInjector | Iterable[str] | None = None,
    seed: int | None = None,
    **options: object,
) -> Emulator:
    """Create an emulator with every service; arguments go to :func:`devkit.emulator.setup.configure`."""
    from devkit.emulator.setup import configure

    emulator = Emulator()
    configure(emulator, credentials=credentials, faults=faults, seed=seed, **options)
    for name in SERVICE_MODULES:
        module = importlib.import_module(f"devkit.emulator.services.{name}")
        emulator.add(module.make_service(emulator))
    return emulator
