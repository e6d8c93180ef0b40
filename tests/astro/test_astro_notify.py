"""Astro Zero notifications against the emulated service: token exchange, caching, refresh, refusals."""

from __future__ import annotations

import io
import json

import httpx
import pytest

from devkit.emulator.core import Emulator
from devkit.emulator.services.astro import DEMO_CLIENT_SECRET, TOKEN_PATH, AstroBackend
from shared.clients.astro import AstroClient, AstroConfigurationError, custom_api_path
from shared.config import Settings
from shared.log import get_logger
from shared.notify import Report, send_report
from tests.astro.conftest import ENDPOINT, REPORT_PATH

REPORT = Report("rotation sweep: 2 rotated", "2 rotated, 0 failed", {"rotated": 2}, kind="rotation_summary")


async def test_a_report_reaches_the_custom_api_with_a_valid_token(
    astro_env: Settings, astro: AstroBackend
) -> None:
    outcome = await send_report(astro_env, REPORT, get_logger("test"))
    assert outcome == {"smn": "not configured", "astro": "sent"}
    [call] = astro.calls_to(REPORT_PATH)
    assert (call.method, call.status) == ("POST", 200)
    assert call.body == {
        "kind": "rotation_summary",
        "subject": REPORT.subject,
        "text": REPORT.text,
        "report": {"rotated": 2},
    }
    assert astro.token_requests == 1


async def test_the_token_is_cached_across_calls(astro_env: Settings, astro: AstroBackend) -> None:
    from shared.clients.astro import AstroClient

    async with AstroClient.connect(astro_env, astro_env.astro_client_id, DEMO_CLIENT_SECRET) as client:
        for _ in range(3):
            answer = await client.call("POST", REPORT_PATH, {"n": 1})
            assert answer["resCode"] == "0"
    assert astro.token_requests == 1 and [c.status for c in astro.calls] == [200, 200, 200]


async def test_an_expired_token_is_refreshed_once(astro_env: Settings, astro: AstroBackend) -> None:
    async with AstroClient.connect(astro_env, astro_env.astro_client_id, DEMO_CLIENT_SECRET) as client:
        await client.call("POST", REPORT_PATH, {"n": 1})
        astro.expire_tokens()  # the server expires it early; the client still holds it as valid
        await client.call("POST", REPORT_PATH, {"n": 2})
    assert astro.token_requests == 2
    assert [(c.body, c.status) for c in astro.calls] == [({"n": 1}, 200), ({"n": 2}, 401), ({"n": 2}, 200)]


async def test_a_token_refused_again_after_the_refresh_is_not_refreshed_twice(
    astro_env: Settings, astro: AstroBackend
) -> None:
    astro.token_lifetime = 0  # every token the server issues is already expired on its own clock
    outcome = await send_report(astro_env, REPORT, get_logger("test"))
    assert outcome["astro"].startswith("failed: astro error HTTP 401 invalid_token")
    assert astro.token_requests == 2 and [c.status for c in astro.calls] == [401, 401]


async def test_a_wrong_client_secret_is_a_clear_configuration_error(
    monkeypatch: pytest.MonkeyPatch, astro_env: Settings, astro: AstroBackend, log_lines: io.StringIO
) -> None:
    wrong = "WrongAstroSecretValue-do-not-log-1234"
    settings = astro_env.replace(astro_client_secret=wrong)
    outcome = await send_report(settings, REPORT, get_logger("test"))
    assert outcome["astro"] == (
        "failed: Astro Zero refused the client credentials (invalid_client): check OPSFN_ASTRO_CLIENT_ID / "
        "OPSFN_ASTRO_CLIENT_SECRET (or OPSFN_ASTRO_CREDENTIALS_SECRET)"
    )
    assert astro.calls == [] and astro.token_requests == 1
    async with AstroClient.connect(settings, settings.astro_client_id, wrong) as client:
        with pytest.raises(AstroConfigurationError) as caught:
            await client.call("POST", REPORT_PATH, {})
    logged = log_lines.getvalue()
    assert "report not delivered" in logged and "AstroConfigurationError" in logged
    for text in (logged, str(caught.value), repr(caught.value), repr(client.auth), json.dumps(outcome)):
        assert wrong not in text and DEMO_CLIENT_SECRET not in text


async def test_credentials_from_a_csms_secret(
    monkeypatch: pytest.MonkeyPatch, astro_env: Settings, astro: AstroBackend, log_lines: io.StringIO
) -> None:
    from shared.clients.csms import CsmsClient

    astro.register_client("from-csms", "CsmsHeldAstroSecret-0123456789")
    monkeypatch.setenv("HUAWEICLOUD_SDK_PROJECT_ID", "0a1b2c3d4e5f60718293a4b5c6d7e8f9")
    monkeypatch.delenv("OPSFN_ASTRO_CLIENT_ID")
    monkeypatch.delenv("OPSFN_ASTRO_CLIENT_SECRET")
    monkeypatch.setenv("OPSFN_ASTRO_CREDENTIALS_SECRET", "astro-client")
    settings = Settings.from_env()
    value = json.dumps({"client_id": "from-csms", "client_secret": "CsmsHeldAstroSecret-0123456789"})
    async with CsmsClient.from_settings(settings) as csms:
        await csms.create_secret("astro-client", secret_string=value)
    assert await send_report(settings, REPORT, get_logger("test")) == {
        "smn": "not configured",
        "astro": "sent",
    }
    assert [c.status for c in astro.calls] == [200]
    assert "CsmsHeldAstroSecret" not in log_lines.getvalue()


async def test_a_csms_secret_in_the_wrong_shape_is_a_configuration_error(
    monkeypatch: pytest.MonkeyPatch, astro_env: Settings, astro: AstroBackend
) -> None:
    from shared.clients.csms import CsmsClient

    monkeypatch.setenv("HUAWEICLOUD_SDK_PROJECT_ID", "0a1b2c3d4e5f60718293a4b5c6d7e8f9")
    settings = astro_env.replace(
        astro_client_id="",
        astro_client_secret="",
        astro_credentials_secret="bad",
        project_id=Settings.from_env().project_id,
    )
    async with CsmsClient.from_settings(settings) as csms:
        await csms.create_secret("bad", secret_string="just-a-password-value")
    outcome = await send_report(settings, REPORT, get_logger("test"))
    assert "must hold JSON" in outcome["astro"] and "just-a-password" not in outcome["astro"]
    assert astro.calls == []


@pytest.mark.parametrize(
    "path", ["service/x", "/", "/service/../baas/auth", "/service/a?b=1", "/service/a#frag", "/service//x"]
)
def test_a_report_path_that_could_address_something_else_is_refused(path: str) -> None:
    with pytest.raises(AstroConfigurationError):
        custom_api_path(path)


def test_a_report_path_is_quoted_segment_by_segment() -> None:
    assert custom_api_path("/service/ns__app/1.0.0/ré ports") == "/service/ns__app/1.0.0/r%C3%A9%20ports"


@pytest.mark.parametrize(
    ("form", "content_type", "status", "error"),
    [
        (
            {"grant_type": "client_credentials", "client_id": "opsfn-demo-client"},
            None,
            400,
            "invalid_request",
        ),
        (
            {"grant_type": "password", "client_id": "a", "client_secret": "b"},
            None,
            400,
            "unsupported_grant_type",
        ),
        (
            {"grant_type": "client_credentials", "client_id": "nobody", "client_secret": "x"},
            None,
            401,
            "invalid_client",
        ),
        ({"grant_type": "client_credentials"}, "application/json", 400, "invalid_request"),
    ],
)
def test_the_token_endpoint_refuses_like_an_oauth_server(
    emulator: Emulator, form: dict[str, str], content_type: str | None, status: int, error: str
) -> None:
    with httpx.Client(transport=emulator.transport(), base_url=ENDPOINT) as http:
        if content_type is None:
            response = http.post(TOKEN_PATH, data=form)
        else:
            response = http.post(TOKEN_PATH, content=json.dumps(form), headers={"content-type": content_type})
    assert response.status_code == status and response.json()["error"] == error


def test_the_token_endpoint_answers_a_bearer_token_with_its_lifetime(emulator: Emulator) -> None:
    form = {
        "grant_type": "client_credentials",
        "client_id": "opsfn-demo-client",
        "client_secret": DEMO_CLIENT_SECRET,
    }
    with httpx.Client(transport=emulator.transport(), base_url=ENDPOINT) as http:
        token = http.post(TOKEN_PATH, data=form).json()
        assert token["token_type"] == "Bearer" and token["expires_in"] == 3600
        ok = http.get("/service/ns__app/1.0.0/ping", headers={"access-token": token["access_token"]})
        refused = http.get("/service/ns__app/1.0.0/ping", headers={"access-token": "forged"})
    assert ok.status_code == 200 and ok.json()["resCode"] == "0"
    assert refused.status_code == 401 and refused.json()["error"] == "invalid_token"
