"""JSON log lines and redaction: no secret value may appear in any captured line."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator
from typing import Any

import pytest

from shared import log as opsfn_log
from shared.errors import CloudError
from shared.log import (
    MASK,
    bind_context,
    clear_context,
    configure_logging,
    get_logger,
    is_secret_key,
    redact,
    register_secret,
)

SECRETS = ("sk-AbCdEf0123456789", 'p@ss"w0rd\\with-escapes', "rotating-secret-42", "token-xyz-98765")


class Captured:
    def __init__(self, buffer: io.StringIO) -> None:
        self.buffer = buffer

    @property
    def text(self) -> str:
        return self.buffer.getvalue()

    def lines(self) -> list[dict[str, Any]]:
        return [json.loads(line) for line in self.text.splitlines() if line.strip()]

    def assert_clean(self) -> None:
        for secret in SECRETS:
            assert secret not in self.text
            assert json.dumps(secret)[1:-1] not in self.text


@pytest.fixture
def captured() -> Iterator[Captured]:
    buffer = io.StringIO()
    configure_logging("DEBUG", buffer)
    clear_context()
    yield Captured(buffer)
    clear_context()
    opsfn_log.forget_secrets()
    configure_logging("INFO")


def test_json_line_shape_and_bound_context(captured: Captured) -> None:
    bind_context(function="license_purchase", request_id="req-1", trigger="webhook", event_id="evt-9")
    get_logger("opsfn.test").info("seat bought", license_id="L1", count=2)
    (line,) = captured.lines()
    assert line["event"] == "seat bought"
    assert line["level"] == "info"
    assert line["timestamp"].endswith("Z")
    assert "T" in line["timestamp"]
    assert line["logger"] == "opsfn.test"
    assert (line["function"], line["request_id"], line["trigger"], line["event_id"]) == (
        "license_purchase",
        "req-1",
        "webhook",
        "evt-9",
    )
    assert (line["license_id"], line["count"]) == ("L1", 2)


def test_clear_context(captured: Captured) -> None:
    bind_context(request_id="r1", trigger="timer")
    clear_context(["trigger"])
    get_logger().info("a")
    clear_context()
    get_logger().info("b")
    first, second = captured.lines()
    assert first["request_id"] == "r1"
    assert "trigger" not in first
    assert "request_id" not in second


def test_level_filtering_applies_to_existing_loggers(captured: Captured) -> None:
    logger = get_logger("early")
    logger.debug("visible")
    configure_logging("WARNING", captured.buffer)
    logger.info("hidden")
    logger.warning("shown")
    assert [line["event"] for line in captured.lines()] == ["visible", "shown"]


def test_secret_named_keys_are_masked_at_any_depth(captured: Captured) -> None:
    get_logger().info(
        "call",
        headers={"Authorization": SECRETS[0], "X-Auth-Token": SECRETS[3], "Content-Type": "application/json"},
        body={"auth": {"identity": {"password": {"user": {"name": "ops", "password": SECRETS[1]}}}}},
        keys=[{"sign_secret": SECRETS[2], "name": "key-1"}, ("nested", {"app_secret": SECRETS[0]})],
        AccessKeySecret=SECRETS[2],
        sk=SECRETS[0],
    )
    captured.assert_clean()
    (line,) = captured.lines()
    assert line["headers"] == {
        "Authorization": MASK,
        "X-Auth-Token": MASK,
        "Content-Type": "application/json",
    }
    # A secret-named key hides its whole subtree (IAM's "password": {"user": {...}} object included).
    assert line["body"]["auth"]["identity"] == {"password": MASK}
    assert line["keys"][0] == {"sign_secret": MASK, "name": "key-1"}
    assert line["keys"][1] == ["nested", {"app_secret": MASK}]
    assert line["AccessKeySecret"] == MASK
    assert line["sk"] == MASK


def test_registered_values_are_masked_everywhere(captured: Captured) -> None:
    for secret in SECRETS:
        register_secret(secret)
    logger = get_logger()
    logger.info(f"loaded {SECRETS[0]} from CSMS")
    logger.info(
        "nested", data={"ok": [f"prefix-{SECRETS[2]}-suffix", {"deep": SECRETS[3]}]}, raw=SECRETS[1].encode()
    )

    class Opaque:
        def __repr__(self) -> str:
            return f"Opaque(key={SECRETS[1]!r})"

    logger.info("object", thing=Opaque())
    captured.assert_clean()
    lines = captured.lines()
    assert lines[0]["event"] == f"loaded {MASK} from CSMS"
    assert lines[1]["data"] == {"ok": [f"prefix-{MASK}-suffix", {"deep": MASK}]}
    assert MASK in lines[2]["thing"]


def test_exception_text_and_tracebacks_are_masked(captured: Captured) -> None:
    register_secret(SECRETS[0])
    logger = get_logger()
    try:
        raise RuntimeError(f"signing failed with {SECRETS[0]}")
    except RuntimeError:
        logger.exception("boom")
    error = CloudError(f"bad key {SECRETS[0]}", status=401, error_code="APIGW.0301")
    logger.error("cloud", error=error)
    try:
        raise ValueError(f"password={SECRETS[0]}")
    except ValueError as exc:
        logger.warning("caught", exc_info=exc)
    captured.assert_clean()
    lines = captured.lines()
    assert "RuntimeError" in lines[0]["exception"]
    assert MASK in lines[0]["exception"]
    assert lines[1]["error"] == f"CloudError: cloud error HTTP 401 APIGW.0301: bad key {MASK}"
    assert "ValueError" in lines[2]["exception"]


def test_short_values_are_not_registered(captured: Captured) -> None:
    register_secret("ab")
    register_secret(None)
    register_secret("")
    get_logger().info("about ab")
    assert captured.lines()[0]["event"] == "about ab"


def test_bytes_secret_registration(captured: Captured) -> None:
    register_secret(SECRETS[2].encode())
    get_logger().info("x", note=f"has {SECRETS[2]}")
    captured.assert_clean()


def test_overlapping_secrets_leave_no_fragment(captured: Captured) -> None:
    register_secret("abcd1234")
    register_secret("abcd1234efgh5678")
    get_logger().info("both abcd1234efgh5678 and abcd1234")
    assert captured.lines()[0]["event"] == f"both {MASK} and {MASK}"


def test_empty_secret_fields_are_left_alone(captured: Captured) -> None:
    get_logger().info("x", password="", token=None)
    (line,) = captured.lines()
    assert line["password"] == ""
    assert line["token"] is None


@pytest.mark.parametrize(
    "key",
    [
        "secret",
        "client_secret",
        "AccessKeySecret",
        "SecretKey",
        "secret_key",
        "password",
        "Password",
        "passwd",
        "token",
        "access_token",
        "securitytoken",
        "X-Auth-Token",
        "x-security-token",
        "X-Subject-Token",
        "authorization",
        "Authorization",
        "sign_secret",
        "app_secret",
        "sk",
        "SK",
        "huawei_sk",
        "private_key",
        "PrivateKey",
        "secret_string",
        "webhook_secrets",
        "api_key",
        "cookie",
    ],
)
def test_secret_keys(key: str) -> None:
    assert is_secret_key(key)


@pytest.mark.parametrize(
    "key",
    [
        "secret_name",
        "SecretName",
        "secret_id",
        "SecretId",
        "tencent_secret_id",
        "secret_urn",
        "version_id",
        "token_expires_at",
        "token_type",
        "name",
        "ak",
        "skip",
        "task",
        "event",
        "request_id",
    ],
)
def test_non_secret_keys(key: str) -> None:
    assert not is_secret_key(key)


def test_redact_does_not_mutate_its_input() -> None:
    data = {"password": "x1234", "list": [{"token": "y1234"}]}
    redacted = redact(data)
    assert redacted == {"password": MASK, "list": [{"token": MASK}]}
    assert data == {"password": "x1234", "list": [{"token": "y1234"}]}


def test_redact_survives_cycles() -> None:
    data: dict[str, Any] = {}
    data["self"] = data
    assert MASK in json.dumps(redact(data))


def test_httpx_loggers_are_quieted() -> None:
    configure_logging("DEBUG", io.StringIO())
    try:
        assert logging.getLogger("httpx").level == logging.WARNING
        assert logging.getLogger("httpcore").level == logging.WARNING
    finally:
        configure_logging("INFO")


def test_unknown_level_is_rejected() -> None:
    with pytest.raises(ValueError):
        configure_logging("LOUD", io.StringIO())


def test_first_use_configures_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    buffer = io.StringIO()
    monkeypatch.setattr(opsfn_log, "_configured", False)
    monkeypatch.setattr(opsfn_log._stream, "target", buffer)
    monkeypatch.setenv("OPSFN_LOG_LEVEL", "not-a-level")
    monkeypatch.setattr("sys.stdout", buffer)
    try:
        get_logger("auto").info("still logged")
        get_logger("auto").debug("below INFO")
    finally:
        configure_logging("INFO")
    events = [json.loads(line)["event"] for line in buffer.getvalue().splitlines()]
    assert events == ["still logged"]


def test_default_stream_follows_stdout_so_a_closed_earlier_stdout_is_never_written(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A CLI runner or test harness swaps sys.stdout and closes its own: loggers configured while it was
    in place must write to whatever stdout is now, not raise 'I/O operation on closed file'."""
    import sys

    import structlog

    from shared.log import configure_logging

    swapped = io.StringIO()
    monkeypatch.setattr(sys, "stdout", swapped)
    configure_logging("INFO")
    swapped.close()
    now = io.StringIO()
    monkeypatch.setattr(sys, "stdout", now)
    structlog.get_logger("opsfn.test").info("after the swap")
    assert "after the swap" in now.getvalue()
