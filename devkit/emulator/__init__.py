"""A stateful, moto-style emulator of the Huawei Cloud and Tencent Cloud APIs opsfn uses.

``build_emulator()`` returns an :class:`~devkit.emulator.core.Emulator` with every service registered;
``emulator.transport()`` plugs it into httpx in-process, ``devkit.emulator.server`` serves it on a port.
"""

from devkit.emulator.core import Emulator
from devkit.emulator.registry import build_emulator

__all__ = ["Emulator", "build_emulator"]
