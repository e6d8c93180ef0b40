"""Request bodies shared by the APIG tests (valid definitions the document's examples are trimmed from)."""

from __future__ import annotations

from typing import Any


def mock_api(group_id: str, name: str = "api_mock", uri: str = "/test/mock", **extra: Any) -> dict[str, Any]:
    """A valid register-API body with a MOCK backend (the document's 3.5.1 mock example, trimmed)."""
    body: dict[str, Any] = {
        "group_id": group_id,
        "name": name,
        "type": 1,
        "req_protocol": "HTTPS",
        "req_method": "GET",
        "req_uri": uri,
        "auth_type": "NONE",
        "backend_type": "MOCK",
        "mock_info": {"result_content": "mock success"},
    }
    body.update(extra)
    return body


def http_api(group_id: str, name: str = "api_http", uri: str = "/test/http", **extra: Any) -> dict[str, Any]:
    """A valid register-API body with a web (HTTP) backend."""
    body = mock_api(group_id, name, uri, backend_type="HTTP")
    del body["mock_info"]
    body["backend_api"] = {
        "url_domain": "backend.example.com:8443",
        "req_protocol": "HTTPS",
        "req_method": "GET",
        "req_uri": "/benchmark",
        "timeout": 5000,
    }
    body.update(extra)
    return body
