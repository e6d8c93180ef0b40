"""No secret value in any captured log line, exception message or repr, end to end.

``tests/log`` prove the redaction processor on hand-made events; ``tests/auth`` and ``tests/config`` prove
single reprs. This file runs real traffic through the emulator - an IAM password token, temporary AK/SK
with a security token, a CSMS secret written and read back, a refused wrong password - with every logger
(structlog and the stdlib ``httpx``/``httpcore`` loggers) at DEBUG, then logs the objects a function would
naturally log (settings, auth objects, clients, models, request headers, caught errors with traceback)
and scans everything captured for each secret value.
"""

from __future__ import annotations

import io
import logging
import os
from collections.abc import Iterator

import httpx
import pytest

from devkit.emulator.core import Emulator
from devkit.emulator.credentials import DEMO_HUAWEI_AK, DEMO_HUAWEI_SK, DEMO_IAM_PASSWORD
from shared.auth import HuaweiAKSKAuth, IamTokenAuth
from shared.clients.csms import CsmsClient
from shared.clients.iam import IamClient
from shared.config import Settings
from shared.errors import CloudError
from shared.log import configure_logging, forget_secrets, get_logger, register_secret

SECRET_VALUE = "audit-csms-value-7c1f9e"
WRONG_PASSWORD = "Wrong-Passw0rd-audit-31"


@pytest.fixture
def sink(caplog: pytest.LogCaptureFixture) -> Iterator[io.StringIO]:
    stream = io.StringIO()
    configure_logging("DEBUG", stream=stream)
    # After configure_logging (which quiets them), as a developer chasing a bug would do.
    for name in (None, "httpx", "httpcore"):
        caplog.set_level(logging.DEBUG, logger=name)
    yield stream
    forget_secrets()
    configure_logging("INFO")


async def test_a_real_session_leaves_no_secret_in_logs_errors_or_reprs(
    emulator: Emulator,
    emulator_transport: httpx.MockTransport,
    sink: io.StringIO,
    caplog: pytest.LogCaptureFixture,
) -> None:
    assert emulator.credentials is not None
    project = emulator.credentials.projects()[0].id
    env = {**os.environ, "HUAWEICLOUD_SDK_PROJECT_ID": project}
    settings = Settings.from_env(env)
    register_secret(settings.huawei_sk)  # what shared.runtime.context does at cold start
    log = get_logger("audit", function="redaction-e2e")
    leaked: list[str] = [DEMO_HUAWEI_SK, DEMO_IAM_PASSWORD, WRONG_PASSWORD, SECRET_VALUE]
    texts: list[str] = []

    iam_endpoint = settings.endpoint("iam")
    token_auth = IamTokenAuth(
        iam_endpoint,
        username="opsfn-admin",
        password=DEMO_IAM_PASSWORD,
        domain_name="opsfn-demo",
        project_id=project,
        transport=emulator_transport,
    )
    async with CsmsClient.from_settings(settings, transport=emulator_transport) as csms:
        created = await csms.create_secret("audit-db", secret_string=SECRET_VALUE)
        version = await csms.show_secret_version("audit-db")
        assert version.secret_string is not None
        assert version.secret_string.get_secret_value() == SECRET_VALUE  # the value really travelled
        texts += [repr(csms), repr(created), repr(version), str(version), repr(version.model_dump())]
        log.info("secret read", secret=created, version=version, settings=settings)

    async with IamClient.from_settings(settings, transport=emulator_transport) as iam:
        token = await iam.create_token_by_password(
            "opsfn-demo", "opsfn-admin", DEMO_IAM_PASSWORD, project_id=project
        )
        token_value = token.value.get_secret_value()
        assert token_value
        leaked.append(token_value)
        temporary = await iam.create_temporary_access_key_by_token(token_value)
        texts += [repr(token), str(token), repr(temporary), str(temporary), repr(iam)]
        log.info("token issued", token=token, credential=temporary)
        leaked += [temporary.secret.get_secret_value(), temporary.securitytoken.get_secret_value()]
        with pytest.raises(CloudError) as refused:
            await iam.create_token_by_password(
                "opsfn-demo", "opsfn-admin", WRONG_PASSWORD, project_id=project
            )
        texts += [str(refused.value), repr(refused.value)]
        log.error("login refused", error=refused.value, exc_info=refused.value)

    async with httpx.AsyncClient(transport=emulator_transport, auth=token_auth) as plain:
        response = await plain.get(f"https://csms.cn-north-4.myhuaweicloud.com/v1/{project}/secrets")
        assert response.status_code == 200
        log.debug("sent", headers=dict(response.request.headers), auth=token_auth)
        texts.append(repr(token_auth))

    signed = httpx.Request("GET", "https://csms.example.com/v1/x")
    sent = next(
        HuaweiAKSKAuth(DEMO_HUAWEI_AK, DEMO_HUAWEI_SK, security_token="st-audit-0042").auth_flow(signed)
    )
    leaked.append("st-audit-0042")
    log.debug("signed request", headers=sent.headers, authorization=sent.headers["Authorization"])
    texts += [repr(settings), str(settings), repr(settings.huawei_auth())]

    captured = sink.getvalue() + "\n".join(record.getMessage() for record in caplog.records)
    assert "secret read" in captured and "login refused" in captured and "signed request" in captured
    assert any(record.name.startswith("httpx") for record in caplog.records)
    assert DEMO_HUAWEI_AK in captured  # an access key id is not a secret; it proves the lines are complete
    for value in leaked:
        assert len(value) >= 8
        assert value not in captured, "a secret value reached the logs"
        for text in texts:
            assert value not in text, "a secret value is in an exception message or repr"
