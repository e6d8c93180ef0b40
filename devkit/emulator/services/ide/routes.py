"""CodeArts IDE's route table: method, path as printed in seed 000, operation name, handler."""

from __future__ import annotations

from devkit.emulator.core import Route
from devkit.emulator.services.ide import handlers

ROUTES = (
    Route("POST", "/v2/licenses", "CreateLicenses", handlers.buy),
    Route("GET", "/v2/licenses", "ListLicenses", handlers.list_licenses),
    Route("POST", "/v2/licenses/{id}/bind-user", "BindLicenseUser", handlers.bind),
    Route("DELETE", "/v2/licenses/{id}/unbind-user", "UnbindLicenseUser", handlers.unbind),
)
