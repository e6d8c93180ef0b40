"""The wire conventions every APIG V2 operation shares: answers, errors, body validation and list paging.

Validation answers follow the error table of the APIG V2 reference: a missing required field is
``APIG.2001``, a value outside its enum or pattern ``APIG.2011``, a bad paging parameter ``APIG.2012``, a
quota reached 403 with the kind's ``APIG.31xx`` code and a name clash 400 with the kind's ``APIG.32xx`` code.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

import httpx

from devkit.emulator.core import ApiError, Call, huawei_error, json_response
from devkit.emulator.services.apig.state import Table, new_id

if TYPE_CHECKING:
    from devkit.emulator.services.apig.state import Instance


def ok(body: Any) -> httpx.Response:
    return json_response(200, body)


def created(body: Any) -> httpx.Response:
    return json_response(201, body)


def no_content() -> httpx.Response:
    return httpx.Response(204, headers={"X-Request-Id": new_id()})


def missing(name: str) -> ApiError:
    return huawei_error(
        400,
        "APIG.2001",
        f"The request parameters must be specified,parameterName:{name}. "
        "Please refer to the support documentation",
    )


def bad_value(name: str, code: str = "APIG.2011") -> ApiError:
    return huawei_error(
        400, code, f"Invalid parameter value,parameterName:{name}. Please refer to the support documentation"
    )


def quota_check(inst: Instance, quota: str, used: int, code: str, what: str) -> None:
    """403 with the ``APIG.31xx`` code once ``used`` reaches the quota (quota errors are not retryable)."""
    if used >= inst.quotas[quota]:
        raise huawei_error(403, code, f"The number of {what} exceeds the maximum allowed limit.")


# ---- request validation ----


def error_fields(exc: ApiError) -> dict[str, str]:
    """The code and message of an error, for the per-item ``failure`` entries of batch answers."""
    err = exc.response.json()
    return {"error_code": err["error_code"], "error_msg": err["error_msg"]}


def body_of(call: Call) -> dict[str, Any]:
    data = call.json()
    if not isinstance(data, dict):
        raise huawei_error(400, "APIG.2000", "Parameter error: the request body must be a JSON object")
    return data


def require_query(query: dict[str, str], name: str) -> str:
    value = query.get(name)
    if not value:
        raise missing(name)
    return value


def check_list(value: Any, name: str) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise bad_value(name)
    return value


def require(body: dict[str, Any], name: str) -> Any:
    value = body.get(name)
    if value is None or value == "" or value == []:
        raise missing(name)
    return value


def require_id(body: dict[str, Any], name: str) -> str:
    """A required resource id: anything but a string (``{}``, ``[1]``, ``7``) is APIG.2011, never a crash.

    Ids are dictionary keys in the state, so an object or array that slipped through as an id would raise
    ``TypeError: unhashable`` (a 500 from our own code) instead of the documented validation error.
    """
    value = require(body, name)
    if not isinstance(value, str):
        raise bad_value(name)
    return value


def check_enum(body: dict[str, Any], name: str, allowed: Iterable[Any], *, required: bool = False) -> Any:
    """Validate an enumerated field; the document answers APIG.2011 for a value outside the enum."""
    value = body.get(name)
    if value is None:
        if required:
            raise missing(name)
        return None
    # Compare type too: in Python ``True == 1``, but the service refuses ``"type": true`` for an Integer enum.
    if not any(type(value) is type(option) and value == option for option in allowed):
        raise bad_value(name)
    return value


def check_pattern(
    body: dict[str, Any], name: str, pattern: str, *, required: bool = False, label: str | None = None
) -> Any:
    value = body.get(name)
    if value is None or value == "":
        if required:
            raise missing(label or name)
        return None
    if not isinstance(value, str) or not re.fullmatch(pattern, value):
        raise bad_value(label or name)
    return value


def check_unique_name(
    table: Table, name: str, own_id: str | None, code: str, what: str, *, field: str = "name"
) -> None:
    """400 with the kind's ``APIG.32xx`` code when another row has ``name``; a row may keep its own."""
    clash = table.find(**{field: name})
    if clash is not None and clash["id"] != own_id:
        raise huawei_error(400, code, f"The {what} name already exists,name:{name}")


def check_length(body: dict[str, Any], name: str, maximum: int) -> None:
    value = body.get(name)
    if value is not None and (not isinstance(value, str) or len(value) > maximum):
        raise bad_value(name)


def check_named(
    body: dict[str, Any],
    table: Table,
    own_id: str | None,
    pattern: str,
    remark_max: int,
    code: str,
    what: str,
) -> str:
    """The ``name`` and ``remark`` of a named resource: pattern, remark length, name unique in ``table``."""
    name = check_pattern(body, "name", pattern, required=True)
    check_length(body, "remark", remark_max)
    check_unique_name(table, name, own_id, code, what)
    return str(name)


# Name patterns from the document (section 6.1). \u4e00-\u9fff stands for "Chinese characters".
NAME_3_64 = r"[A-Za-z\u4e00-\u9fff][A-Za-z0-9_\u4e00-\u9fff]{2,63}"
GROUP_NAME = r"[A-Za-z0-9\u4e00-\u9fff][A-Za-z0-9_\-./()（）:：、\u4e00-\u9fff]{2,254}"
ENV_NAME = r"[A-Za-z][A-Za-z0-9_]{2,63}"


def paging(call: Call) -> tuple[int, int]:
    """``offset`` (negative becomes 0) and ``limit`` (1-500, default 20) as every V2 list documents."""
    query = call.query
    try:
        offset = int(query.get("offset", "0") or "0")
    except ValueError:
        raise bad_value("offset", "APIG.2012") from None
    try:
        limit = int(query.get("limit", "20") or "20")
    except ValueError:
        raise bad_value("limit", "APIG.2012") from None
    if limit < 1 or limit > 500:
        raise bad_value("limit", "APIG.2012")
    return max(offset, 0), limit


def page(call: Call, key: str, rows: list[Any], view: Callable[[Any], dict[str, Any]]) -> httpx.Response:
    """One page of ``rows`` (already filtered); only the rows on the page are rendered."""
    offset, limit = paging(call)
    chunk = rows[offset : offset + limit]
    return ok({"total": len(rows), "size": len(chunk), key: [view(r) for r in chunk]})


def public(row: dict[str, Any]) -> dict[str, Any]:
    """A stored row without the emulator's private ``_`` fields."""
    return {k: v for k, v in row.items() if not k.startswith("_")}


def text_filter(value: str | None, actual: Any, *, precise: bool) -> bool:
    """Fuzzy (substring) match unless the field is named in ``precise_search``."""
    if not value:
        return True
    actual_text = "" if actual is None else str(actual)
    return actual_text == value if precise else value in actual_text


def precise_fields(call: Call) -> set[str]:
    return {p.strip() for p in call.query.get("precise_search", "").split(",") if p.strip()}


def listed(call: Call, table: Table, *, name_field: str = "name", exact: tuple[str, ...] = ()) -> list[Any]:
    """The rows a ``List*V2`` call selects: ``id`` exact, ``name`` fuzzy unless ``precise_search`` names it.

    Signature keys, throttling and ACL policies, apps and groups all filter this way (the ACL list reads
    ``name`` against ``acl_name``); ``exact`` adds the list's further exact-match query fields.
    """
    q = call.query
    precise = "name" in precise_fields(call)
    return [
        row
        for row in table
        if text_filter(q.get("id"), row["id"], precise=True)
        and text_filter(q.get("name"), row[name_field], precise=precise)
        and all(text_filter(q.get(k), row[k], precise=True) for k in exact)
    ]
