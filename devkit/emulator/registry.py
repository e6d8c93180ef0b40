"""Which service modules make up the emulator, in routing order.

Each module named here defines ``make_service(emulator) -> Service`` (it may read ``emulator.credentials``
or other services, e.g. CSMS publishing to SMN).
"""

from __future__ import annotations

import importlib

from devkit.emulator.core import Emulator

SERVICE_MODULES = ("iam", "smn", "ide", "csms", "apig", "tencent_apigw")


def build_emulator(**options: object) -> Emulator:
    """Create an emulator with every service; ``options`` go to :func:`devkit.emulator.setup.configure`."""
    from devkit.emulator.setup import configure

    emulator = Emulator()
    configure(emulator, **options)
    for name in SERVICE_MODULES:
        module = importlib.import_module(f"devkit.emulator.services.{name}")
        emulator.add(module.make_service(emulator))
    return emulator
