"""Inbound request verification: the emulator rejects exactly what the real gateways reject.

A client that signs wrongly must fail against the emulator, not only in production, so every request to a
service with ``auth="huawei"`` or ``auth="tencent"`` is checked here with the *same* canonicalisation code the
clients use (:mod:`shared.auth`, imported lazily so the emulator framework loads even before a request needs
it). Error codes, messages and shapes are the documented ones:

* Huawei (IAM-authenticated APIs behind the API gateway): HTTP 401 ``APIGW.0301`` "Incorrect IAM
  authentication information: ..." for unknown AKs, bad signatures and bad tokens; ``APIGW.0303`` with
  "signature expired" when ``X-Sdk-Date`` is more than 15 minutes off (platform.md §4, APIG FAQ).
* Tencent: HTTP 200 with ``Response.Error`` - ``AuthFailure.SecretIdNotFound``,
  ``AuthFailure.SignatureFailure``, ``AuthFailure.SignatureExpire`` (5 minutes), ``AuthFailure.TokenFailure``,
  ``AuthFailure.InvalidAuthorization``.

Error messages name the access key id at most (it is an identifier, not a secret), never a secret key or
token.
"""

from __future__ import annotations

import hmac
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl

import httpx

from devkit.emulator.core import PROJECT_EXTENSION, ApiError, Emulator, Service, huawei_error, tencent_error

if TYPE_CHECKING:
    from devkit.emulator.credentials import EmulatorCredentials

__all__ = [
    "HUAWEI_MAX_SKEW_SECONDS",
    "TENCENT_MAX_SKEW_SECONDS",
    "credentials_of",
    "tencent_isolation_key",
    "tencent_v1_params",
    "verify_huawei",
    "verify_tencent",
]

HUAWEI_MAX_SKEW_SECONDS = 15 * 60
TENCENT_MAX_SKEW_SECONDS = 5 * 60

_ACCOUNT = "opsfn_account"
_IAM_PREFIX = "Incorrect IAM authentication information: "


def credentials_of(emulator: Emulator) -> EmulatorCredentials:
    """The emulator's credential store; services that read it need ``configure()`` to have run."""
    if emulator.credentials is None:
        raise RuntimeError("emulator has no credentials; call devkit.emulator.setup.configure() first")
    return emulator.credentials


def _iam_denied(detail: str) -> ApiError:
    return huawei_error(401, "APIGW.0301", _IAM_PREFIX + detail)


# --------------------------------------------------------------------------------------------- Huawei


def verify_huawei(emulator: Emulator, svc: Service[Any], request: httpx.Request) -> str:
    """AK/SK signature (``Authorization: SDK-HMAC-SHA256 ...``) or an IAM token (``X-Auth-Token``).

    Returns the principal: the access key, or ``user@domain`` for a token.
    """
    creds = credentials_of(emulator)
    authorization = request.headers.get("authorization")
    if authorization:
        return _verify_aksk(creds, request, authorization)
    token = request.headers.get("x-auth-token")
    if token:
        return _verify_token(creds, svc, request, token)
    raise _iam_denied("x-auth-token not found")


def _parse_sdk_date(value: str) -> datetime | None:
    try:
        return datetime.strptime(value, "%Y%m%dT%H%M%SZ").replace(tzinfo=timezone.utc)
    except ValueError:
        return None


def _verify_aksk(creds: EmulatorCredentials, request: httpx.Request, authorization: str) -> str:
    from shared.auth import huawei_signature_for_request, parse_huawei_authorization

    try:
        parsed = parse_huawei_authorization(authorization)
    except ValueError:
        # Also covers other algorithms (V11-HMAC-SHA256, SM3...), which the emulator does not implement.
        raise _iam_denied("invalid authorization header format") from None
    key = creds.huawei_key(parsed.access)
    if key is None:
        raise _iam_denied(f"ak {parsed.access} not exist")
    sdk_date = request.headers.get("x-sdk-date", "")
    signed_at = _parse_sdk_date(sdk_date)
    if signed_at is None:
        raise _iam_denied("x-sdk-date not found or not in the format YYYYMMDDTHHMMSSZ")
    now = creds.clock()
    if abs((now - signed_at).total_seconds()) > HUAWEI_MAX_SKEW_SECONDS:
        raise huawei_error(
            401,
            "APIGW.0303",
            "Incorrect app authentication information: signature expired, "
            f"signature time:{sdk_date},server time:{now.strftime('%Y%m%dT%H%M%SZ')}",
        )
    try:
        expected = huawei_signature_for_request(request, key.secret, parsed.signed_headers)
    except ValueError:
        raise _iam_denied("verify aksk signature fail") from None
    if not hmac.compare_digest(expected, parsed.signature):
        raise _iam_denied("verify aksk signature fail")
    if key.temporary:
        presented = request.headers.get("x-security-token", "")
        if not presented:
            raise _iam_denied("x-security-token not found, a temporary ak requires its security token")
        if not key.token_matches(presented):
            raise _iam_denied("verify security token fail")
        if creds.expired(key.expires_at):
            raise _iam_denied(f"security token expires, expires_at: {_iso(key.expires_at)}")
    return key.access


def _verify_token(creds: EmulatorCredentials, svc: Service[Any], request: httpx.Request, value: str) -> str:
    token = creds.token(value)
    if token is None:
        raise _iam_denied("decrypt token fail")
    if creds.expired(token.expires_at):
        raise _iam_denied(f"token expires, expires_at: {_iso(token.expires_at)}")
    if token.project is not None:
        request.extensions[PROJECT_EXTENSION] = token.project.id
    found = svc.match(request.method, request.url.path)
    path_project = found[1].get("project_id") if found else None
    if path_project:
        if token.project is None:
            raise huawei_error(401, "APIG.1003", "Token contains no project information.")
        if token.project.id != path_project:
            raise huawei_error(403, "APIGW.0302", "The IAM user is not authorized to access the API.")
    return f"{token.user.name}@{token.user.domain_name}"


def _iso(moment: datetime | None) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ") if moment else ""


# -------------------------------------------------------------------------------------------- Tencent


def tencent_v1_params(request: httpx.Request) -> dict[str, str]:
    """The v1 request parameters: the query string plus a form-encoded body (POST)."""
    params = dict(parse_qsl(request.url.query.decode(), keep_blank_values=True))
    content_type = request.headers.get("content-type", "")
    if request.method == "POST" and content_type.startswith("application/x-www-form-urlencoded"):
        params.update(parse_qsl(request.content.decode(errors="replace"), keep_blank_values=True))
    return params


def tencent_isolation_key(request: httpx.Request, params: dict[str, str]) -> str:
    """``account/region`` for a Tencent request; pass as ``Service(..., key_fn=tencent_isolation_key)``.

    The account is the one :func:`verify_tencent` resolved from the SecretId (so temporary keys of the same
    account share state); the region comes from ``X-TC-Region`` (v3) or the ``Region`` parameter (v1).
    """
    account = str(request.extensions.get(_ACCOUNT, "anonymous"))
    region = request.headers.get("x-tc-region") or tencent_v1_params(request).get("Region") or "default"
    return f"{account}/{region}"


def verify_tencent(emulator: Emulator, svc: Service[Any], request: httpx.Request) -> str:
    """TC3-HMAC-SHA256 (``Authorization`` header) or signature v1 (``Signature`` parameter).

    Returns the SecretId and records the key's account on the request for :func:`tencent_isolation_key`.
    """
    creds = credentials_of(emulator)
    authorization = request.headers.get("authorization")
    if authorization:
        secret_id = _verify_tc3(creds, request, authorization)
    else:
        params = tencent_v1_params(request)
        if "Signature" not in params:
            raise tencent_error(
                "AuthFailure.InvalidAuthorization",
                "Neither an Authorization header nor a Signature parameter was sent.",
            )
        secret_id = _verify_v1(creds, request, params)
    request.extensions[_ACCOUNT] = creds.tencent_account(secret_id)
    return secret_id


def _check_tencent_key(
    creds: EmulatorCredentials, secret_id: str, timestamp: str, token: str | None
) -> tuple[str, int]:
    """Shared v1/v3 checks; returns the secret key and the parsed timestamp."""
    key = creds.tencent_key(secret_id)
    if key is None:
        raise tencent_error(
            "AuthFailure.SecretIdNotFound", "The SecretId is not found, please ensure it is valid."
        )
    try:
        ts = int(timestamp)
    except ValueError:
        raise tencent_error(
            "AuthFailure.InvalidAuthorization", "The timestamp is missing or not an integer."
        ) from None
    now = creds.clock().timestamp()
    if abs(now - ts) > TENCENT_MAX_SKEW_SECONDS:
        raise tencent_error(
            "AuthFailure.SignatureExpire",
            f"Signature expired. Timestamp {ts}; server time {int(now)}. It must be within 5 minutes.",
        )
    if key.temporary or token:
        if not token or not key.token_matches(token):
            raise tencent_error(
                "AuthFailure.TokenFailure", "The provided token is invalid or does not match the key."
            )
        if creds.expired(key.expires_at):
            raise tencent_error("AuthFailure.TokenFailure", "The temporary credentials have expired.")
    return key.secret_key, ts


_SIGNATURE_FAILURE = (
    "The provided credentials could not be validated. Please check your signature is correct."
)


def _verify_tc3(creds: EmulatorCredentials, request: httpx.Request, authorization: str) -> str:
    from shared.auth import parse_tc3_authorization, tc3_signature_for_request

    try:
        parsed = parse_tc3_authorization(authorization)
    except ValueError:
        raise tencent_error(
            "AuthFailure.InvalidAuthorization", "The Authorization header is malformed."
        ) from None
    secret_key, ts = _check_tencent_key(
        creds, parsed.secret_id, request.headers.get("x-tc-timestamp", ""), request.headers.get("x-tc-token")
    )
    lowered = [h.lower() for h in parsed.signed_headers]
    if "content-type" not in lowered or "host" not in lowered:
        raise tencent_error(
            "AuthFailure.InvalidAuthorization", "SignedHeaders must include content-type and host."
        )
    try:
        expected = tc3_signature_for_request(request, secret_key, parsed.service, parsed.signed_headers, ts)
    except ValueError:
        raise tencent_error("AuthFailure.SignatureFailure", _SIGNATURE_FAILURE) from None
    if not hmac.compare_digest(expected, parsed.signature):
        raise tencent_error("AuthFailure.SignatureFailure", _SIGNATURE_FAILURE)
    return parsed.secret_id


def _verify_v1(creds: EmulatorCredentials, request: httpx.Request, params: dict[str, str]) -> str:
    from shared.auth import tencent_v1_signature

    for name in ("SecretId", "Timestamp", "Nonce"):
        if not params.get(name):
            raise tencent_error("MissingParameter", f"The request is missing a required parameter `{name}`.")
    secret_key, _ = _check_tencent_key(creds, params["SecretId"], params["Timestamp"], params.get("Token"))
    algorithm = "HmacSHA256" if params.get("SignatureMethod") == "HmacSHA256" else "HmacSHA1"
    signed = {k: v for k, v in params.items() if k != "Signature"}
    host = request.headers.get("host") or request.url.netloc.decode()
    expected = tencent_v1_signature(
        secret_key, request.method, host, request.url.path or "/", signed, algorithm
    )
    if not hmac.compare_digest(expected, params["Signature"]):
        raise tencent_error("AuthFailure.SignatureFailure", _SIGNATURE_FAILURE)
    return params["SecretId"]
