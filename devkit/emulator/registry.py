"""Which service modules make up the emulator, in routing order.

Each module named here defines ``make_service(emulator) -> Service`` (it may read ``emulator.credentials``
or other services, e.g. CSMS publishing to SMN).
"""

from __future__ import annotations

import importlib
import importlib.util
from collections.abc import Iterable
from typing import TYPE_CHECKING

from devkit.emulator.core import Emulator

if TYPE_CHECKING:
    from devkit.emulator.credentials import EmulatorCredentials
    from devkit.emulator.faults import FaultInjector

SERVICE_MODULES = ("iam", "smn", "ide", "csms", "apig", "tencent_apigw")


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
        module_name = f"devkit.emulator.services.{name}"
        # While the services are being written in parallel a module may not exist yet; skip only that case.
        # An existing module that fails to import must fail loudly, so the import itself is not guarded.
        if importlib.util.find_spec(module_name) is None:
            continue
        module = importlib.import_module(module_name)
        emulator.add(module.make_service(emulator))
    return emulator
