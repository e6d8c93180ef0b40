"""Fake Huawei IAM (``huaweicloudsdkiam`` v3): tokens, projects, temporary AK/SK (platform.md §7).

Four operations are what opsfn and the official SDKs need:

* ``POST /v3/auth/tokens`` - password or agency (``assume_role``) token; 201 with the token in the
  ``X-Subject-Token`` header and
  ``token{methods, issued_at, expires_at, user, project|domain, roles, catalog}``
  in the body (``?nocatalog=true`` drops the catalog). Valid 24 h.
* ``GET /v3/projects`` - the caller's projects, ``name`` filter (the core SDK resolves project ids this way).
* ``GET /v3/users`` - the users of the caller's domain (``name``/``enabled``/``domain_id`` filters), which
  the seat reconciliation reads as its roster.
* ``POST /v3.0/OS-CREDENTIAL/securitytokens`` - temporary AK/SK + security token by token or by agency;
  201 with ``credential{access, secret, securitytoken, expires_at}``, ``duration_seconds`` 900-86400
  (default 900).

IAM's Keystone-compatible API answers errors as ``{"error": {"code": <status>, "message", "title"}}``,
not in the gateway's flat shape. Everything issued goes into ``emulator.credentials``, so requests signed
with it are accepted by the verifier until it expires. The service itself is registered with
``auth="none"`` because password login carries the credentials in the body; the other operations verify
the caller themselves (token or AK/SK), as the real IAM does.

The package has the shape of every emulated service: ``routes`` (the table), ``handlers`` (one function per
operation), ``state`` (the directory over the emulator's credential store).
"""

from __future__ import annotations

from devkit.emulator.core import Emulator, Service
from devkit.emulator.services.iam.handlers import MAX_DURATION, MIN_DURATION, iam_error
from devkit.emulator.services.iam.routes import ROUTES
from devkit.emulator.services.iam.state import IamDirectory

__all__ = ["MAX_DURATION", "MIN_DURATION", "IamDirectory", "IamService", "iam_error", "make_service"]


class IamService(Service[IamDirectory]):
    """IAM's handlers all see one directory: IAM's data is not per project.

    The directory is not kept among the per-key backends, so snapshots and ``reset()`` leave the credential
    store alone: issued tokens and keys outlive them, like the long-term keys from the environment.
    """

    def __init__(self, emulator: Emulator) -> None:
        super().__init__("iam", lambda _key: self.directory, routes=ROUTES, auth="none")
        self.directory = IamDirectory(emulator, self)

    def backend(self, key: str) -> IamDirectory:
        return self.directory


def make_service(emulator: Emulator) -> IamService:
    """Build the ``iam`` service; its state lives in ``emulator.credentials``."""
    return IamService(emulator)
