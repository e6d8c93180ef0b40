"""Fake platform contexts for ``opsfn invoke``, the benchmarks and the tests.

They live in ``devkit`` because only development tooling builds contexts: on the platform, FunctionGraph and
SCF pass their own, so the function packages do not carry these.

:class:`FakeFunctionGraphContext` implements the documented context methods (``reference/platform.md``
§1) with the remaining-time rule of the OTC mock: ``timeout*1000 + start_ms - now_ms``.
:func:`scf_context` builds the dict SCF passes as ``context``.
"""

from __future__ import annotations

import time
import uuid
from typing import Any

__all__ = ["FakeFunctionGraphContext", "scf_context"]


class FakeFunctionGraphContext:
    """A FunctionGraph ``context`` with configurable agency credentials, project and timeout."""

    def __init__(
        self,
        *,
        request_id: str | None = None,
        function_name: str = "opsfn-local",
        timeout_seconds: float = 30.0,
        security_access_key: str = "",
        security_secret_key: str = "",
        security_token: str = "",
        project_id: str = "",
        user_data: dict[str, str] | None = None,
        memory_mb: int = 256,
        version: str = "latest",
        alias: str = "",
    ) -> None:
        self._request_id = request_id or uuid.uuid4().hex
        self._function_name = function_name
        self._timeout = timeout_seconds
        self._start = time.monotonic()
        self._ak = security_access_key
        self._sk = security_secret_key
        self._token = security_token
        self._project_id = project_id
        self._user_data = dict(user_data or {})
        self._memory = memory_mb
        self._version = version
        self._alias = alias

    def __repr__(self) -> str:  # credentials never appear in a repr
        return f"FakeFunctionGraphContext(request_id={self._request_id!r}, function={self._function_name!r})"

    def getRequestID(self) -> str:
        return self._request_id

    def getRemainingTimeInMilliSeconds(self) -> int:
        elapsed = time.monotonic() - self._start
        return max(0, int((self._timeout - elapsed) * 1000))

    def getSecurityAccessKey(self) -> str:
        return self._ak

    def getSecuritySecretKey(self) -> str:
        return self._sk

    def getSecurityToken(self) -> str:
        return self._token

    def getProjectID(self) -> str:
        return self._project_id

    def getUserData(self, key: str, default: str = "") -> str:
        return self._user_data.get(key, default)

    def getFunctionName(self) -> str:
        return self._function_name

    def getRunningTimeInSeconds(self) -> int:
        return int(self._timeout)

    def getMemorySize(self) -> int:
        return self._memory

    def getVersion(self) -> str:
        return self._version

    def getAlias(self) -> str:
        return self._alias

    def getLogger(self) -> Any:
        import logging

        return logging.getLogger(f"functiongraph.{self._function_name}")


def scf_context(
    *, request_id: str | None = None, function_name: str = "opsfn-local", time_limit_ms: int = 30_000
) -> dict[str, Any]:
    """The dict an SCF Python handler receives as ``context`` (field names from SCF doc 583/9210)."""
    return {
        "request_id": request_id or str(uuid.uuid4()),
        "function_name": function_name,
        "function_version": "$LATEST",
        "namespace": "default",
        "memory_limit_in_mb": 128,
        "time_limit_in_ms": time_limit_ms,
        "tencentcloud_region": "ap-guangzhou",
        "tencentcloud_appid": "1250000000",
        "tencentcloud_uin": "100000000001",
    }
