"""IAM's route table: method, path as printed in the IAM API reference, operation name, handler."""

from __future__ import annotations

from devkit.emulator.core import Route
from devkit.emulator.services.iam import handlers

ROUTES = (
    Route("POST", "/v3/auth/tokens", "KeystoneCreateUserToken", handlers.create_token),
    Route("GET", "/v3/projects", "KeystoneListProjects", handlers.list_projects),
    Route("GET", "/v3/users", "KeystoneListUsers", handlers.list_users),
    Route(
        "POST",
        "/v3.0/OS-CREDENTIAL/securitytokens",
        "CreateTemporaryAccessKeyByToken",
        handlers.create_security_token,
    ),
    Route("GET", "/v3/auth/domains", "KeystoneListAuthDomains", handlers.list_auth_domains),
    Route("GET", "/v3/auth/projects", "KeystoneListAuthProjects", handlers.list_auth_projects),
)
