"""``Settings.from_env``: the clouds' variable names, endpoints, opsfn's knobs, secrets kept out of sight."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from shared.auth import HuaweiAKSKAuth, TencentTC3Auth
from shared.config import InvalidSettingError, MissingSettingError, Settings

FULL = {
    "HUAWEICLOUD_SDK_AK": "HWAKEXAMPLE",
    "HUAWEICLOUD_SDK_SK": "hw-secret-key-value",
    "HUAWEICLOUD_SDK_SECURITY_TOKEN": "hw-security-token-value",
    "HUAWEICLOUD_SDK_PROJECT_ID": "proj-1",
    "HUAWEICLOUD_SDK_REGION": "ap-southeast-1",
    "TENCENTCLOUD_SECRET_ID": "AKIDEXAMPLE",
    "TENCENTCLOUD_SECRET_KEY": "tc-secret-key-value",
    "TENCENTCLOUD_SESSIONTOKEN": "tc-session-token-value",
    "TENCENTCLOUD_REGION": "shjr",
    "OPSFN_WEBHOOK_SECRET": "whsec-old-value, whsec-new-value",
}
SECRET_VALUES = [
    "hw-secret-key-value",
    "hw-security-token-value",
    "tc-secret-key-value",
    "tc-session-token-value",
    "whsec-old-value",
    "whsec-new-value",
]


def test_defaults_from_an_empty_environment() -> None:
    s = Settings.from_env({})
    assert (s.huawei_ak, s.huawei_sk, s.project_id) == ("", "", "")
    assert s.region == "cn-north-4"
    assert s.log_level == "INFO"
    assert s.idempotency_store == ""  # shared.idempotency's SQLite default applies
    assert s.webhook_secrets == ()
    assert s.http_timeout == 15.0
    assert s.max_concurrency == 8
    assert s.smn_topic_urn == ""


def test_reads_the_clouds_own_variable_names() -> None:
    s = Settings.from_env(FULL)
    assert s.huawei_ak == "HWAKEXAMPLE"
    assert s.huawei_sk == "hw-secret-key-value"
    assert s.huawei_security_token == "hw-security-token-value"
    assert s.project_id == "proj-1"
    assert s.region == "ap-southeast-1"
    assert s.tencent_secret_id == "AKIDEXAMPLE"
    assert s.tencent_secret_key == "tc-secret-key-value"
    assert s.tencent_token == "tc-session-token-value"
    assert s.tencent_region == "shjr"
    assert s.webhook_secrets == ("whsec-old-value", "whsec-new-value")


def test_reads_os_environ_by_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HUAWEICLOUD_SDK_PROJECT_ID", "from-os-environ")
    assert Settings.from_env().project_id == "from-os-environ"


def test_scf_variable_names_are_the_fallback() -> None:
    scf = {
        "TENCENTCLOUD_SECRETID": "AKIDSCF",
        "TENCENTCLOUD_SECRETKEY": "scf-key",
        "TENCENTCLOUD_SESSIONTOKEN": "scf-token",
    }
    s = Settings.from_env(scf)
    assert (s.tencent_secret_id, s.tencent_secret_key, s.tencent_token) == ("AKIDSCF", "scf-key", "scf-token")
    both = {**scf, "TENCENTCLOUD_SECRET_ID": "AKIDEXPLICIT", "TENCENTCLOUD_SECRET_KEY": "explicit-key"}
    s = Settings.from_env(both)
    assert (s.tencent_secret_id, s.tencent_secret_key) == ("AKIDEXPLICIT", "explicit-key")


def test_blank_values_count_as_unset() -> None:
    s = Settings.from_env({"HUAWEICLOUD_SDK_REGION": "  ", "HUAWEICLOUD_SDK_AK": ""})
    assert s.region == "cn-north-4"
    assert s.huawei_ak == ""


@pytest.mark.parametrize(
    ("service", "expected"),
    [
        ("iam", "https://iam.cn-north-4.myhuaweicloud.com"),
        ("ide", "https://ide.cn-north-4.myhuaweicloud.com"),
        ("csms", "https://kms.cn-north-4.myhuaweicloud.com"),
        ("apig", "https://apig.cn-north-4.myhuaweicloud.com"),
        ("smn", "https://smn.cn-north-4.myhuaweicloud.com"),
        ("astro", "https://appcube.cn-north-4.huaweicloud.com"),
        ("tencent_apigw", "https://apigateway.tencentcloudapi.com"),
    ],
)
def test_default_endpoints(service: str, expected: str) -> None:
    assert Settings.from_env({}).endpoint(service) == expected


def test_region_changes_huawei_endpoints() -> None:
    s = Settings.from_env({"HUAWEICLOUD_SDK_REGION": "cn-east-3"})
    assert s.endpoint("csms") == "https://kms.cn-east-3.myhuaweicloud.com"
    assert s.endpoint("APIG") == "https://apig.cn-east-3.myhuaweicloud.com"


def test_tce_api_domain() -> None:
    """The TCE document's host is ``apigateway.api3.finance.cloud.tencent.com`` (digest §4.1)."""
    s = Settings.from_env({"OPSFN_TENCENT_API_DOMAIN": "api3.finance.cloud.tencent.com"})
    assert s.endpoint("tencent_apigw") == "https://apigateway.api3.finance.cloud.tencent.com"


@pytest.mark.parametrize("service", ["iam", "ide", "csms", "apig", "smn", "astro", "tencent_apigw"])
def test_endpoint_overrides(service: str) -> None:
    env = {f"OPSFN_ENDPOINT_{service.upper()}": "http://127.0.0.1:8600/"}
    s = Settings.from_env(env)
    assert s.endpoint(service) == "http://127.0.0.1:8600"
    others = [o for o in ("iam", "ide", "csms", "apig", "smn") if o != service]
    assert all(s.endpoint(o).startswith("https://") for o in others)


def test_unknown_service_is_rejected() -> None:
    with pytest.raises(ValueError, match="unknown service"):
        Settings.from_env({}).endpoint("ecs")


@pytest.mark.parametrize(
    ("env", "variable"),
    [
        ({}, "HUAWEICLOUD_SDK_AK"),
        ({"HUAWEICLOUD_SDK_AK": "HWAK"}, "HUAWEICLOUD_SDK_SK"),
        ({"HUAWEICLOUD_SDK_SK": "only-the-secret-is-set"}, "HUAWEICLOUD_SDK_AK"),
    ],
)
def test_missing_huawei_credential_names_the_variable(env: dict[str, str], variable: str) -> None:
    with pytest.raises(MissingSettingError) as info:
        Settings.from_env(env).huawei_auth()
    assert info.value.variable == variable
    assert variable in str(info.value)
    for value in env.values():
        assert value not in str(info.value)


@pytest.mark.parametrize(
    ("env", "variable"),
    [
        ({}, "TENCENTCLOUD_SECRET_ID"),
        ({"TENCENTCLOUD_SECRET_ID": "AKID"}, "TENCENTCLOUD_SECRET_KEY"),
    ],
)
def test_missing_tencent_credential_names_the_variable(env: dict[str, str], variable: str) -> None:
    with pytest.raises(MissingSettingError, match=variable):
        Settings.from_env(env).tencent_auth()


def test_missing_project_id() -> None:
    with pytest.raises(MissingSettingError, match="HUAWEICLOUD_SDK_PROJECT_ID"):
        Settings.from_env({}).require_project_id()
    assert Settings.from_env(FULL).require_project_id() == "proj-1"


def test_auth_objects_are_built_from_settings() -> None:
    s = Settings.from_env(FULL)
    huawei = s.huawei_auth()
    tencent = s.tencent_auth("apigateway")
    assert isinstance(huawei, HuaweiAKSKAuth)
    assert huawei.ak == "HWAKEXAMPLE"
    assert isinstance(tencent, TencentTC3Auth)


@pytest.mark.parametrize(
    ("env", "variable"),
    [
        ({"OPSFN_HTTP_TIMEOUT": "fast"}, "OPSFN_HTTP_TIMEOUT"),
        ({"OPSFN_HTTP_TIMEOUT": "0"}, "OPSFN_HTTP_TIMEOUT"),
        ({"OPSFN_MAX_CONCURRENCY": "2.5"}, "OPSFN_MAX_CONCURRENCY"),
        ({"OPSFN_MAX_CONCURRENCY": "-1"}, "OPSFN_MAX_CONCURRENCY"),
        ({"OPSFN_LOG_LEVEL": "LOUD"}, "OPSFN_LOG_LEVEL"),
        ({"OPSFN_IDEMPOTENCY_STORE": "postgres://db"}, "OPSFN_IDEMPOTENCY_STORE"),
    ],
)
def test_invalid_knobs_name_the_variable(env: dict[str, str], variable: str) -> None:
    with pytest.raises(InvalidSettingError, match=variable) as info:
        Settings.from_env(env)
    assert info.value.variable == variable


def test_opsfn_knobs() -> None:
    s = Settings.from_env(
        {
            "OPSFN_LOG_LEVEL": "debug",
            "OPSFN_IDEMPOTENCY_STORE": "redis://cache:6379/0",
            "OPSFN_SMN_TOPIC_URN": "urn:smn:cn-north-4:p:alerts",
            "OPSFN_HTTP_TIMEOUT": "2.5",
            "OPSFN_MAX_CONCURRENCY": "16",
            "OPSFN_WEBHOOK_SECRET": "one,,two ,",
        }
    )
    assert s.log_level == "DEBUG"
    assert s.idempotency_store == "redis://cache:6379/0"
    assert s.smn_topic_urn == "urn:smn:cn-north-4:p:alerts"
    assert s.http_timeout == 2.5
    assert s.max_concurrency == 16
    assert s.webhook_secrets == ("one", "two")
    assert Settings.from_env({"OPSFN_IDEMPOTENCY_STORE": "memory://"}).idempotency_store == "memory://"
    assert Settings.from_env({"OPSFN_IDEMPOTENCY_STORE": "sqlite://"}).idempotency_store == "sqlite://"


def test_repr_and_str_hide_secret_values() -> None:
    s = Settings.from_env(FULL)
    for text in (repr(s), str(s), f"{s}", repr([s])):
        for value in SECRET_VALUES:
            assert value not in text
        assert "HWAKEXAMPLE" in text  # identifiers stay readable for debugging
        assert "huawei_sk='***'" in text
    assert "huawei_sk=''" in repr(Settings.from_env({}))  # shows *whether* a secret is set


def test_with_credentials_replaces_keys_and_drops_stale_token() -> None:
    s = Settings.from_env(FULL)
    fresh = s.with_credentials(huawei_ak="TMPAK", huawei_sk="tmp-sk")
    assert (fresh.huawei_ak, fresh.huawei_sk, fresh.huawei_security_token) == ("TMPAK", "tmp-sk", "")
    assert fresh.tencent_token == "tc-session-token-value"  # Tencent untouched
    temp = s.with_credentials(huawei_ak="TMPAK", huawei_sk="tmp-sk", huawei_security_token="tmp-token")
    assert temp.huawei_security_token == "tmp-token"
    assert s.huawei_ak == "HWAKEXAMPLE"  # original unchanged
    tc = s.with_credentials(tencent_secret_id="AKIDNEW", tencent_secret_key="new")
    assert tc.tencent_token == ""


def test_replace() -> None:
    s = Settings.from_env(FULL).replace(region="cn-south-1", endpoints={"iam": "http://iam.local"})
    assert s.endpoint("csms") == "https://kms.cn-south-1.myhuaweicloud.com"
    assert s.endpoint("iam") == "http://iam.local"


def test_function_graph_context_credentials() -> None:
    context = SimpleNamespace(
        getSecurityAccessKey=lambda: "CTXAK",
        getSecuritySecretKey=lambda: "ctx-sk",
        getSecurityToken=lambda: "ctx-token",
        getProjectID=lambda: "ctx-project",
    )
    s = Settings.from_env({}).with_function_context(context)
    assert (s.huawei_ak, s.huawei_sk, s.huawei_security_token) == ("CTXAK", "ctx-sk", "ctx-token")
    assert s.project_id == "ctx-project"
    # An explicit project id wins over the context's.
    assert Settings.from_env(FULL).with_function_context(context).project_id == "proj-1"


def test_function_graph_context_without_agency_keeps_environment_keys() -> None:
    context = SimpleNamespace(
        getSecurityAccessKey=lambda: "",
        getSecuritySecretKey=lambda: "",
        getSecurityToken=lambda: "",
    )
    s = Settings.from_env(FULL).with_function_context(context)
    assert (s.huawei_ak, s.huawei_sk) == ("HWAKEXAMPLE", "hw-secret-key-value")
    assert Settings.from_env(FULL).with_function_context(object()).huawei_ak == "HWAKEXAMPLE"


def test_settings_are_immutable() -> None:
    s = Settings.from_env({})
    with pytest.raises(AttributeError):
        s.region = "x"  # type: ignore[misc]


def test_state_folder_and_store_url() -> None:
    assert Settings.from_env({}).store_url == "sqlite:////tmp/opsfn/idempotency.db"
    state = Settings.from_env({"OPSFN_STATE_DIR": "/var/opsfn"})
    assert state.state_dir == "/var/opsfn"
    assert state.store_url == "sqlite:////var/opsfn/idempotency.db"
    assert state.replace(idempotency_store="sqlite://").store_url == "sqlite:////var/opsfn/idempotency.db"
    redis = Settings.from_env({"OPSFN_IDEMPOTENCY_STORE": "redis://cache:6379/0"})
    assert redis.store_url == "redis://cache:6379/0"


def test_roster_and_cloud_platform() -> None:
    assert Settings.from_env({"OPSFN_ROSTER_URL": " iam "}).roster_url == "iam"
    assert Settings.from_env({}).cloud_platform == ""
    assert Settings.from_env({"RUNTIME_FUNC_NAME": "fn"}).cloud_platform == "functiongraph"
    assert Settings.from_env({"TENCENTCLOUD_RUNENV": "scf"}).cloud_platform == "scf"


SCF_ROLE = {
    "TENCENTCLOUD_SECRET_ID": "AKIDENV",
    "TENCENTCLOUD_SECRET_KEY": "env-secret-key",
    "TENCENTCLOUD_SECRETID": "AKIDROLE",
    "TENCENTCLOUD_SECRETKEY": "role-secret-key",
    "TENCENTCLOUD_SESSIONTOKEN": "role-session-token",
}


def test_scf_role_credentials_win_inside_scf_only() -> None:
    settings = Settings.from_env(SCF_ROLE)
    assert "role-secret-key" not in repr(settings)
    elsewhere = settings.for_invocation("functiongraph", None)
    assert (elsewhere.tencent_secret_id, elsewhere.tencent_secret_key) == ("AKIDENV", "env-secret-key")
    for scf in (
        settings.for_invocation("scf", None),
        settings.replace(cloud_platform="scf").for_invocation("local", None),
    ):
        assert (scf.tencent_secret_id, scf.tencent_secret_key, scf.tencent_token) == (
            "AKIDROLE",
            "role-secret-key",
            "role-session-token",
        )
