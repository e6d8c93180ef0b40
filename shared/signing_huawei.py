"""Huawei Cloud ``SDK-HMAC-SHA256`` request signing (AK/SK and API Gateway APP authentication).

The algorithm is the one Huawei's gateways verify (API signing guide, ``huaweicloudsdkcore`` signer): a
canonical request of six newline-joined parts, hashed, prefixed by the algorithm and ``X-Sdk-Date``, and
HMAC-SHA256-ed with the secret key. The pure functions here are shared by the outbound
:class:`HuaweiAKSKAuth`, the emulator's request verification and the inbound APIG backend-signature check in
``shared.verify``, so that signer and verifier can never drift apart.

The signer works on the bytes httpx will actually send (raw path, raw query, raw header values, the body),
because a signature over anything else is a signature over a request nobody sends.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import re
from collections.abc import Callable, Generator, Iterable, Mapping, Sequence
from datetime import datetime, timezone
from typing import NamedTuple
from urllib.parse import quote, unquote, unquote_plus

import httpx

from shared.signing_fast import HmacSha256, header_triple, stamp_headers

__all__ = [
    "EMPTY_SHA256",
    "HUAWEI_ALGORITHM",
    "Clock",
    "HuaweiAKSKAuth",
    "HuaweiAuthorization",
    "SignatureFormatError",
    "huawei_canonical_request",
    "huawei_request_parts",
    "huawei_signature",
    "huawei_signature_for_request",
    "parse_huawei_authorization",
    "utc_now",
]

HUAWEI_ALGORITHM = "SDK-HMAC-SHA256"
EMPTY_SHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
_DATE_FORMAT = "%Y%m%dT%H%M%SZ"
_CONTENT_SHA256 = "x-sdk-content-sha256"

# Headers a proxy or the HTTP/2 layer may drop or rewrite; signing them would make the signature depend on
# the route the request takes, so they are left out (the verifier only checks the headers we list). The
# official signers do not sign Content-Length either: they add it after signing.
_UNSIGNABLE = frozenset(
    {
        "authorization",
        "connection",
        "content-length",
        "keep-alive",
        "proxy-authorization",
        "proxy-connection",
        "te",
        "trailer",
        "transfer-encoding",
        "upgrade",
    }
)

Clock = Callable[[], datetime]


class SignatureFormatError(ValueError):
    """An ``Authorization`` header (or a signed request) is not in the shape the scheme requires."""


class HuaweiAuthorization(NamedTuple):
    """The parts of ``SDK-HMAC-SHA256 Access=..., SignedHeaders=..., Signature=...``."""

    algorithm: str
    access: str
    signed_headers: tuple[str, ...]
    signature: str


def utc_now() -> datetime:
    """The default clock: an aware UTC datetime."""
    return datetime.now(timezone.utc)


_UNRESERVED = re.compile(r"[A-Za-z0-9_.~-]*").fullmatch
_PLAIN_PATH = re.compile(r"[A-Za-z0-9_.~/-]*").fullmatch


@functools.lru_cache(maxsize=4096)
def _quote_slow(text: str) -> str:
    return quote(text, safe="~")


def _quote(text: str) -> str:
    # Most path segments, parameter names and values are plain; skip urllib for them (signing hot path).
    return text if _UNRESERVED(text) else _quote_slow(text)


@functools.lru_cache(maxsize=1024)
def _canonical_uri(path: str) -> str:
    # Unquote first so that an already-encoded path and a raw one sign the same; "%2F" therefore becomes a
    # separator, exactly as the gateway sees it.
    plain = _PLAIN_PATH(path)
    uri = path if plain else "/".join([_quote(segment) for segment in unquote(path).split("/")])
    return uri if uri.endswith("/") else uri + "/"


def _canonical_query(query_pairs: Iterable[tuple[str, str]]) -> str:
    # Sorted on the raw (decoded) key and value, then encoded: what both Huawei signers do.
    return "&".join([f"{_quote(k)}={_quote(v)}" for k, v in sorted(query_pairs)])


_PLAIN_QUERY = re.compile(r"[A-Za-z0-9_.~=&-]*").fullmatch


def _canonical_query_raw(raw_query: str) -> str:
    """The canonical query straight from the query string as sent.

    Fast path for the common all-unreserved query (nothing to decode or encode); sorting is still on the
    (key, value) pairs, not on the ``k=v`` strings, which would order ``a-b`` before ``a``.
    """
    if _PLAIN_QUERY(raw_query):
        pairs = []
        for part in raw_query.split("&"):
            if part:
                key, _, value = part.partition("=")
                if "=" in value:
                    break
                pairs.append((key, value))
        else:
            return "&".join([f"{k}={v}" for k, v in sorted(pairs)])
    return _canonical_query(_parse_query(raw_query))


def _parse_query(raw_query: str) -> list[tuple[str, str]]:
    """``parse_qsl(keep_blank_values=True)`` semantics (``+`` is a space), without its per-call overhead."""
    pairs = []
    for part in raw_query.split("&"):
        if not part:
            continue
        key, _, value = part.partition("=")
        if "%" in key or "+" in key:
            key = unquote_plus(key, errors="replace")
        if "%" in value or "+" in value:
            value = unquote_plus(value, errors="replace")
        pairs.append((key, value))
    return pairs


def _canonical(
    method: str,
    path: str,
    canonical_query: str,
    lowered: Mapping[str, str],
    signed_headers: Sequence[str],
    body_hash: str,
) -> str:
    try:
        header_block = "".join([f"{name}:{lowered[name].strip()}\n" for name in signed_headers])
    except KeyError as missing:
        raise SignatureFormatError(
            f"signed header {missing.args[0]!r} is not present in the request"
        ) from None
    return (
        f"{method.upper()}\n{_canonical_uri(path)}\n{canonical_query}\n"
        f"{header_block}\n{';'.join(signed_headers)}\n{body_hash}"
    )


def huawei_canonical_request(
    method: str,
    path: str,
    query_pairs: Iterable[tuple[str, str]],
    headers: Mapping[str, str],
    signed_headers: Sequence[str],
    body_hash: str,
) -> str:
    """Build the canonical request.

    ``path`` may be raw or percent-encoded; ``query_pairs`` are decoded ``(key, value)`` pairs (repeat a
    key for repeated parameters, ``""`` for a parameter without value); ``headers`` is looked up
    case-insensitively for every name in ``signed_headers`` (which must be lower-case); ``body_hash`` is
    the hex SHA-256 of the body or the ``X-Sdk-Content-Sha256`` value.
    """
    lowered = {name.lower(): value for name, value in headers.items()}
    return _canonical(method, path, _canonical_query(query_pairs), lowered, signed_headers, body_hash)


def huawei_signature(sk: str | bytes, sdk_date: str, canonical_request: str) -> str:
    """Hex HMAC-SHA256 of the string to sign built from ``canonical_request`` and ``X-Sdk-Date``."""
    key = sk.encode() if isinstance(sk, str) else sk
    digest = hashlib.sha256(canonical_request.encode("utf-8", "surrogateescape")).hexdigest()
    string_to_sign = f"{HUAWEI_ALGORITHM}\n{sdk_date}\n{digest}"
    return hmac.digest(key, string_to_sign.encode(), "sha256").hex()


def request_body(request: httpx.Request) -> bytes:
    """The body bytes to sign, reading a not-yet-read stream (every signer here needs the whole body)."""
    try:
        return request.content
    except httpx.RequestNotRead:
        return request.read()


def _header_values(request: httpx.Request) -> dict[str, str]:
    raw = request.headers.raw
    headers = {
        name.decode("latin-1").lower(): value.decode("utf-8", "surrogateescape") for name, value in raw
    }
    if len(headers) != len(raw):  # a repeated header: join its values in order, as a proxy would
        headers = {}
        for raw_name, raw_value in raw:
            name = raw_name.decode("latin-1").lower()
            value = raw_value.decode("utf-8", "surrogateescape")
            headers[name] = f"{headers[name]},{value}" if name in headers else value
    return headers


def _body_hash(request: httpx.Request, headers: Mapping[str, str]) -> str:
    override = headers.get(_CONTENT_SHA256)
    if override:
        return override.strip()
    body = request_body(request)
    return hashlib.sha256(body).hexdigest() if body else EMPTY_SHA256


def _path_and_query(request: httpx.Request) -> tuple[str, list[tuple[str, str]]]:
    raw_path, _, raw_query = request.url.raw_path.partition(b"?")
    return raw_path.decode("ascii") or "/", _parse_query(raw_query.decode("latin-1")) if raw_query else []


def huawei_request_parts(
    request: httpx.Request,
) -> tuple[str, list[tuple[str, str]], dict[str, str], str]:
    """Split a request into (raw path, decoded query pairs, headers by lower-case name, body hash).

    Header values are decoded from the wire bytes as UTF-8 (lossless via ``surrogateescape``), repeated
    headers are joined with ``,``; the body hash honours ``X-Sdk-Content-Sha256`` (e.g. ``UNSIGNED-PAYLOAD``).
    """
    headers = _header_values(request)
    path, query = _path_and_query(request)
    return path, query, headers, _body_hash(request, headers)


def huawei_signature_for_request(request: httpx.Request, sk: str, signed_headers: Sequence[str]) -> str:
    """The signature ``request`` must carry when signed with ``sk`` over ``signed_headers``.

    Used by verifiers: recompute this and compare (constant time) with the ``Signature`` parsed from the
    request's ``Authorization`` header. ``X-Sdk-Date`` must be present and signed.
    """
    path, query, headers, body_hash = huawei_request_parts(request)
    sdk_date = headers.get("x-sdk-date")
    if not sdk_date:
        raise SignatureFormatError("the request has no X-Sdk-Date header")
    canonical = huawei_canonical_request(request.method, path, query, headers, signed_headers, body_hash)
    return huawei_signature(sk, sdk_date.strip(), canonical)


def authorization_fields(value: str, algorithm: str) -> dict[str, str]:
    """The ``key=value`` fields of ``<algorithm> k=v, k=v, ...``.

    Huawei's ``SDK-HMAC-SHA256`` and Tencent's ``TC3-HMAC-SHA256`` headers have this same shape; one parser
    keeps their verifiers equally strict about it.
    """
    scheme, _, rest = value.strip().partition(" ")
    if scheme != algorithm:
        raise SignatureFormatError("unsupported signing algorithm")
    fields: dict[str, str] = {}
    for item in rest.split(","):
        key, sep, val = item.strip().partition("=")
        if not sep:
            raise SignatureFormatError("malformed Authorization component")
        fields[key] = val
    return fields


def parse_huawei_authorization(value: str) -> HuaweiAuthorization:
    """Parse ``SDK-HMAC-SHA256 Access=AK, SignedHeaders=a;b, Signature=hex``."""
    fields = authorization_fields(value, HUAWEI_ALGORITHM)
    try:
        access, signed, signature = fields["Access"], fields["SignedHeaders"], fields["Signature"]
    except KeyError:
        raise SignatureFormatError("Authorization lacks Access, SignedHeaders or Signature") from None
    names = tuple(signed.split(";"))
    if not access or not signature or not all(names):
        raise SignatureFormatError("Authorization has an empty Access, SignedHeaders or Signature")
    if any(name != name.lower() for name in names):
        raise SignatureFormatError("SignedHeaders must be lower-case")
    return HuaweiAuthorization(HUAWEI_ALGORITHM, access, names, signature)


class HuaweiAKSKAuth(httpx.Auth):
    """Sign every request with ``SDK-HMAC-SHA256`` (AK/SK, temporary AK/SK, or an APIG APP key/secret).

    All headers present are signed (lower-cased, sorted) except names containing ``_`` (the core SDK skips
    them, and gateways drop them) and hop-by-hop headers; the body is hashed unless the caller set
    ``X-Sdk-Content-Sha256``. ``X-Sdk-Date`` is refreshed on every send so a retried request is re-signed.
    """

    requires_request_body = True

    def __init__(
        self,
        ak: str,
        sk: str,
        security_token: str | None = None,
        clock: Clock | None = None,
        project_id: str | None = None,
    ) -> None:
        if not ak or not sk:
            raise ValueError("both the access key and the secret key are required")
        self.ak = ak
        # HMAC keyed once; each signature copies its two hash states (a third of the cost of keying per call).
        self._mac = HmacSha256(sk.encode())
        self._security_token = security_token
        self._clock = clock or utc_now
        self._project_id = project_id
        # Date, Host and the hex signature are ASCII by construction; these are known now, the signed header
        # names (in Authorization) per request.
        self._ascii = all(part.isascii() for part in (ak, security_token or "", project_id or ""))
        self._date_cache: tuple[int, str] = (-1, "")

    def __repr__(self) -> str:
        # Never show the secret key or the token.
        return f"HuaweiAKSKAuth(ak={self.ak!r})"

    def _date(self) -> str:
        # strftime is a measurable share of a signature and many requests fall in the same second. One tuple
        # (not two attributes) so concurrent threads never pair a second with another second's text.
        second = int(self._clock().timestamp())
        cached_second, text = self._date_cache
        if second != cached_second:
            text = datetime.fromtimestamp(second, timezone.utc).strftime(_DATE_FORMAT)
            self._date_cache = (second, text)
        return text

    def sign(self, request: httpx.Request) -> None:
        """Add ``X-Sdk-Date`` (and token/project headers) and ``Authorization`` to ``request`` in place."""
        values = _header_values(request)
        added = [("X-Sdk-Date", self._date())]
        if self._security_token:
            added.append(("X-Security-Token", self._security_token))
        if self._project_id:
            added.append(("X-Project-Id", self._project_id))
        if "host" not in values:
            added.append(("Host", request.url.netloc.decode("ascii")))
        for name, value in added:
            values[name.lower()] = value
        raw_path, _, raw_query = request.url.raw_path.partition(b"?")
        query = _canonical_query_raw(raw_query.decode("latin-1")) if raw_query else ""
        signed = sorted([name for name in values if "_" not in name and name not in _UNSIGNABLE])
        body_hash = _body_hash(request, values)
        canonical = _canonical(
            request.method, raw_path.decode("ascii") or "/", query, values, signed, body_hash
        )
        digest = hashlib.sha256(canonical.encode("utf-8", "surrogateescape")).hexdigest()
        signature = self._mac.hexdigest(f"{HUAWEI_ALGORITHM}\n{added[0][1]}\n{digest}".encode())
        authorization = f"{HUAWEI_ALGORITHM} Access={self.ak}, SignedHeaders={';'.join(signed)}, "
        added.append(("Authorization", f"{authorization}Signature={signature}"))
        # One pass over the header list for all of them (three __setitem__ scans cost a fifth of a signature).
        stamps = [header_triple(name, value) for name, value in added]
        stamp_headers(request.headers, stamps, None, self._ascii and authorization.isascii())

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        self.sign(request)
        yield request
