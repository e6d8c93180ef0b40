"""api_publish's configuration (read once by Settings) and per-sender verification of CI push webhooks."""

from __future__ import annotations

import json
import logging
import uuid
from typing import Any

import pytest

from functions.api_publish.handler import app
from shared.config import InvalidSettingError, Settings
from shared.verify import WebhookVerificationError, verify_ci_push
from tests.api_publish.conftest import SECRET, Env, api_doc, github_event

GITLAB_PUSH = {"object_kind": "push", "checkout_sha": "c" * 40, "after": "c" * 40, "project": {"id": 7}}
CODEARTS_PUSH = {"object_kind": "push", "after": "d" * 40, "ref": "refs/heads/master", "project_id": 453489}


def token_event(body: dict[str, Any], header: str, token: str | None) -> dict[str, Any]:
    """A push as GitLab or CodeArts Repo sends it: the shared secret itself in ``header``."""
    headers = {"Content-Type": "application/json", "X-Gitlab-Event": "Push Hook"}
    if token is not None:
        headers[header] = token
    return {
        "opsfn": "webhook",
        "method": "POST",
        "path": "/hooks/api/publish",
        "headers": headers,
        "query": {},
        "body": json.dumps(body),
        "isBase64Encoded": False,
    }


def answer(event: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    response = app.invoke_local(event)
    return int(response["statusCode"]), json.loads(response["body"])


@pytest.fixture
def configured(env: Env, monkeypatch: pytest.MonkeyPatch) -> Env:
    config = env.request(api_doc(2), "unused")
    del config["commit"]
    monkeypatch.setenv("OPSFN_PUBLISH_CONFIG", json.dumps(config))
    return env


# ------------------------------------------------------------------------------------------ settings


def test_settings_parse_the_publish_variables_once() -> None:
    settings = Settings.from_env(
        {
            "OPSFN_PUBLISH_CONFIG": '{"target": {"cloud": "tencent"}}',
            "OPSFN_PUBLISH_ALLOWED_HOSTS": " Raw.GitHubusercontent.com, git.example.org ,",
            "OPSFN_PUBLISH_TENCENT_KEY": "AKID1:s3cr:et",
            "OPSFN_PUBLISH_HUAWEI_APP": "appkey:appsecret",
        }
    )
    assert settings.publish_config == {"target": {"cloud": "tencent"}}
    assert settings.publish_allowed_hosts == {"raw.githubusercontent.com", "git.example.org"}
    assert settings.publish_tencent_key == ("AKID1", "s3cr:et")
    assert settings.publish_huawei_app == ("appkey", "appsecret")
    assert "s3cr:et" not in repr(settings) and "appsecret" not in repr(settings)
    assert Settings.from_env({}).publish_config == {} and not Settings.from_env({}).publish_allowed_hosts


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("OPSFN_PUBLISH_CONFIG", "{not json SECRETVALUE"),
        ("OPSFN_PUBLISH_CONFIG", '["SECRETVALUE"]'),
        ("OPSFN_PUBLISH_ALLOWED_HOSTS", "ok.example.com, https://SECRETVALUE/x"),
        ("OPSFN_PUBLISH_TENCENT_KEY", "SECRETVALUE"),
        ("OPSFN_PUBLISH_HUAWEI_APP", ":SECRETVALUE"),
    ],
)
def test_malformed_publish_variables_name_the_variable_never_the_value(variable: str, value: str) -> None:
    with pytest.raises(InvalidSettingError) as caught:
        Settings.from_env({variable: value})
    assert caught.value.variable == variable and variable in str(caught.value)
    assert "SECRETVALUE" not in str(caught.value)


def test_malformed_config_is_a_500_naming_the_variable(configured: Env, monkeypatch: Any) -> None:
    monkeypatch.setenv("OPSFN_PUBLISH_CONFIG", '{"target": SECRETVALUE')
    status, body = answer(github_event(GITLAB_PUSH))
    assert status == 500 and "OPSFN_PUBLISH_CONFIG" in json.dumps(body), body
    assert "SECRETVALUE" not in json.dumps(body) and configured.writes() == 0


# ---------------------------------------------------------------------------------- CI senders


@pytest.mark.parametrize(
    ("header", "push"), [("X-Gitlab-Token", GITLAB_PUSH), ("X-Devcloud-Token", CODEARTS_PUSH)]
)
def test_token_senders_with_the_secret_are_applied(
    configured: Env, header: str, push: dict[str, Any]
) -> None:
    status, body = answer(token_event(push, header, SECRET))
    assert status == 200 and body["status"] == "applied" and body["commit"] == push["after"], body
    assert set(configured.online()) == {"shop_item0", "shop_item1"}


@pytest.mark.parametrize("header", ["X-Gitlab-Token", "X-Devcloud-Token"])
@pytest.mark.parametrize("token", ["forged-token", "", None, SECRET + "x"])
def test_forged_or_missing_tokens_are_401_and_change_nothing(
    configured: Env, header: str, token: str | None, caplog: pytest.LogCaptureFixture, capsys: Any
) -> None:
    caplog.set_level(logging.DEBUG)
    status, body = answer(token_event(GITLAB_PUSH, header, token))
    assert status == 401 and body["error"] == "unauthorized", body
    assert configured.writes() == 0 and not configured.online()
    out = capsys.readouterr()
    for text in (caplog.text, out.out, out.err, json.dumps(body)):
        assert SECRET not in text and (not token or token not in text)


def test_github_push_keeps_the_hmac_and_a_forged_one_is_401(configured: Env) -> None:
    push = {"ref": "refs/heads/main", "after": "e" * 40, "repository": {"full_name": "acme/apis"}}
    assert answer(github_event(push, secret="wrong"))[0] == 401
    assert configured.writes() == 0
    status, body = answer(github_event(push))
    assert status == 200 and body["status"] == "applied", body


def test_a_token_header_never_rescues_a_forged_github_signature() -> None:
    body = b'{"after": "1"}'
    headers = {"X-Hub-Signature-256": "sha256=" + "00" * 32, "X-Gitlab-Token": SECRET}
    with pytest.raises(WebhookVerificationError):
        verify_ci_push(body, headers, [SECRET])
    assert verify_ci_push(body, {"x-gitlab-token": SECRET}, ["old", SECRET]) == ("gitlab", "")
    assert verify_ci_push(body, {"X-Devcloud-Token": f" {SECRET} "}, [SECRET]) == ("codearts", "")
    with pytest.raises(WebhookVerificationError, match="missing"):
        verify_ci_push(body, {"X-Request-Id": str(uuid.uuid4())}, [SECRET])


def test_a_yaml_document_is_refused_with_415_saying_convert_to_json(env: Env, tmp_path: Any) -> None:
    from functions.api_publish.source import SourceError, load_path

    (tmp_path / "openapi.yaml").write_text("swagger: '2.0'\npaths: {}\n")
    with pytest.raises(SourceError) as caught:
        load_path("openapi.yaml", tmp_path)
    assert caught.value.status == 415 and "convert to JSON" in str(caught.value)
    assert env.writes() == 0


@pytest.mark.parametrize("target", [True, 7, "shop", ["shop"], None])
def test_a_target_of_the_wrong_type_is_a_400_with_field_messages(env: Env, target: Any) -> None:
    """The idempotency key is taken before the body is validated; a hostile ``target`` must still end in
    the validation answer, never a 500."""
    body = {"commit": "a" * 40, "document": {"inline": api_doc(1)}, "target": target, "mode": "plan"}
    answer = app.invoke_local(github_event(body))
    assert answer["statusCode"] == 400, answer
    assert "target" in answer["body"]
    assert env.writes() == 0
