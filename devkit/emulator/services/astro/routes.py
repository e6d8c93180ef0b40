"""Astro Zero's route table: the token endpoint of seed 003 and every method under ``/service/``."""

from __future__ import annotations

from devkit.emulator.core import Route
from devkit.emulator.services.astro import handlers

TOKEN_PATH = "/baas/auth/v1.0/oauth2/token"  # noqa: S105 - a path, not a password
CUSTOM_API = "/service/{rest:path}"

ROUTES = (
    Route("POST", TOKEN_PATH, "GetAccessToken", handlers.issue_token),
    *(
        Route(m, CUSTOM_API, "CustomApi", handlers.custom_api)
        for m in ("GET", "POST", "PUT", "PATCH", "DELETE")
    ),
)
