"""CodeArts IDE's operations, one function each: validate per the schema tables, answer per seed 000.

Validation failures are ``IDE.00000097`` (HTTP 400) "Input parameter verification failed: ...".
"""

from __future__ import annotations

import re
from typing import Any

import httpx

from devkit.emulator.core import ApiError, Call, huawei_error, json_response
from devkit.emulator.services.ide.state import KNOWN_SPECS, STATUS_CODES, IdeBackend

__all__ = ["bind", "buy", "list_licenses", "unbind", "valid_license_id"]

VALIDATION = "IDE.00000097"

_LICENSE_ID = re.compile(r"[0-9A-Za-z-]+")
_ALNUM = re.compile(r"[0-9A-Za-z]+")
_MACHINE_CODE = re.compile(r"[0-9A-Za-z]{64}")


def valid_license_id(value: str) -> bool:
    """Digits, letters and ``-`` with exactly 32 letters/digits (a UUID, or its 32 hex digits alone)."""
    return bool(_LICENSE_ID.fullmatch(value)) and sum(ch != "-" for ch in value) == 32


def buy(call: Call, backend: IdeBackend) -> httpx.Response:
    """``POST /v2/licenses``: one order of 1-10 licences (table 4-1)."""
    spec, count, auto_pay, auto_renew, auto_bind = _validate_buy(call.json(error=_invalid))
    caller = backend.user_of(call.principal)
    result = backend.buy(spec, count, caller, auto_pay=auto_pay, auto_renew=auto_renew, auto_bind=auto_bind)
    return _success(result)


def list_licenses(call: Call, backend: IdeBackend) -> httpx.Response:
    """``GET /v2/licenses``: one page of licences, filtered by id, user or status word."""
    query = call.query
    license_id = query.get("id") or None
    if license_id is not None and not _LICENSE_ID.fullmatch(license_id):
        raise _invalid("id may contain only letters, digits and '-'")
    user_id = query.get("user_id") or None
    if user_id is not None and not _ALNUM.fullmatch(user_id):
        raise _invalid("user_id may contain only letters and digits")
    status_word = query.get("status") or None
    if status_word is not None and status_word not in STATUS_CODES:
        raise _invalid("status must be one of FREEZE, DELETED, NORMAL, UNPAID")
    status = STATUS_CODES[status_word] if status_word else None
    limit = _int_param(query, "limit", 15, 1, 100)
    offset = _int_param(query, "offset", 0, 0, None)
    page, total = backend.list_page(
        license_id=license_id, user_id=user_id, status=status, limit=limit, offset=offset
    )
    return _success(_list_result(backend, [backend.item(rec) for rec in page], total, offset))


def bind(call: Call, backend: IdeBackend) -> httpx.Response:
    """``POST /v2/licenses/{id}/bind-user``: bind a licence to a machine and a user (default: the caller)."""
    license_id = _path_id(call)
    body = call.json(error=_invalid)
    if not isinstance(body, dict):
        raise _invalid("request body must be a JSON object")
    machine_code = body.get("machine_code")
    if not isinstance(machine_code, str) or not _MACHINE_CODE.fullmatch(machine_code):
        raise _invalid("machine_code must be 64 letters and digits")
    user = body.get("user_id", backend.user_of(call.principal))
    if not isinstance(user, str) or not _ALNUM.fullmatch(user):
        raise _invalid("user_id may contain only letters and digits")
    ok = backend.bind(license_id, machine_code, user)
    return json_response(200, {"result": ok, "status": "success" if ok else "error"})


def unbind(call: Call, backend: IdeBackend) -> httpx.Response:
    """``DELETE /v2/licenses/{id}/unbind-user``: free the licence."""
    return _success(backend.unbind(_path_id(call)))


def _invalid(msg: str) -> ApiError:
    return huawei_error(400, VALIDATION, f"Input parameter verification failed: {msg}")


def _success(result: Any) -> httpx.Response:
    return json_response(200, {"result": result, "status": "success"})


def _list_result(backend: IdeBackend, items: list[dict[str, Any]], total: int, offset: int) -> dict[str, Any]:
    """The table's spelling (``iterms``, string ``total_count``), or the example's when configured."""
    if backend.list_spelling == "example":
        return {
            "size": len(items),
            "total_items_count": total,
            "items_before": offset,
            "items": items,
            "empty": not items,
        }
    return {
        "size": len(items),
        "total_count": str(total),
        "iterms_before": offset,
        "iterms": items,
        "empty": not items,
    }


def _path_id(call: Call) -> str:
    license_id = call.path_params["id"]
    if not valid_license_id(license_id):
        raise _invalid("id must be 32 letters and digits, optionally with '-'")
    return license_id


def _require_bool(body: dict[str, Any], name: str) -> bool:
    value = body.get(name, False)
    if not isinstance(value, bool):
        raise _invalid(f"{name} must be a boolean")
    return value


def _require_int(body: dict[str, Any], name: str) -> int:
    value = body.get(name)
    if value is None:
        raise _invalid(f"{name} is required")
    if isinstance(value, bool) or not isinstance(value, int):
        raise _invalid(f"{name} must be an integer")
    return value


def _validate_buy(body: Any) -> tuple[str, int, bool, bool, bool]:
    """Check a purchase body against table 4-1; returns spec, count, auto_pay, auto_renew, auto_bind."""
    if not isinstance(body, dict):
        raise _invalid("request body must be a JSON object")
    spec = body.get("spec_code")
    if not isinstance(spec, str) or not spec:
        raise _invalid("spec_code is required")
    if spec not in KNOWN_SPECS:
        raise _invalid(f"unknown spec_code {spec[:64]!r}")
    if body.get("charging_mode", "prePaid") != "prePaid":
        raise _invalid("charging_mode only supports prePaid")
    if body.get("period_type", "month") != "month":
        raise _invalid("period_type only supports month")
    if _require_int(body, "period_num") != 1:
        raise _invalid("period_num only supports 1")
    count = _require_int(body, "count")
    if not 1 <= count <= 10:
        raise _invalid("count must be an integer from 1 to 10")
    return (
        spec,
        count,
        _require_bool(body, "is_auto_pay"),
        _require_bool(body, "is_auto_renew"),
        _require_bool(body, "is_auto_bind"),
    )


def _int_param(query: dict[str, str], name: str, default: int, low: int, high: int | None) -> int:
    raw = query.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise _invalid(f"{name} must be an integer") from None
    if value < low or (high is not None and value > high):
        raise _invalid(f"{name} must be between {low} and {high}" if high else f"{name} must be >= {low}")
    return value
