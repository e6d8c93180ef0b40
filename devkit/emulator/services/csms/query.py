"""ListResourceInstances (``POST /v1/{project_id}/csms/resource_instances/action``) exactly as seed 001 says.

Request rules (seed 001 tables 3-5):

- ``action`` is ``filter`` (default) or ``count``; ``count`` answers only ``total_count`` and ignores
  ``limit``/``offset`` ("无需设置此参数").
- ``limit`` is a *string* ``"1"``-``"1000"``, default ``"10"``; ``offset`` a string of a non-negative number,
  default ``"0"``. A JSON number is accepted too, as the service's string fields are lenient about it.
- ``tags``: ``[{key, values[]}]``; at most 20 keys, keys non-empty, unique, ≤ 36 characters; values unique
  within a key, ≤ 43 characters; no ASCII 0-31, ``* < > \\ =``. Keys are AND-ed, values within a key OR-ed,
  an empty ``values`` list means "has the key".
- ``matches``: ``[{key: "resource_name", value}]``, fuzzy (substring, case-insensitive) on the secret name,
  value ≤ 255 characters; an empty value matches nothing ("为空返回空值").
- ``sequence``: optional 36-byte request serial number.

Answer: ``{"resources": [ActionResources], "total_count"}`` where ActionResources is ``resource_id``,
``resource_name``, ``resource_detail`` (the reduced Secret of table 8), ``tags`` and ``sys_tags`` (empty
arrays when none). Order is by secret name so ``offset`` paging is stable.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from devkit.emulator.services.csms import rules
from devkit.emulator.services.csms.state import CsmsBackend

MAX_LIMIT = 1000
DEFAULT_LIMIT = 10
MAX_FILTER_KEYS = 20
MAX_MATCH_VALUE = 255


@dataclass(frozen=True)
class Query:
    action: str
    limit: int
    offset: int
    tags: tuple[tuple[str, tuple[str, ...]], ...]
    matches: tuple[str, ...]


def _numeric(raw: Any, field: str, default: int) -> int:
    if raw is None:
        return default
    if isinstance(raw, bool) or not isinstance(raw, (str, int)):
        rules.bad_body(f"{field} must be a string")
    text = str(raw)
    if not rules.is_number(text):
        rules.invalid(f"{field} must be a non-negative number")
    return int(text)


def _tags(raw: Any) -> tuple[tuple[str, tuple[str, ...]], ...]:
    if raw is None:
        return ()
    if not isinstance(raw, list):
        rules.bad_body("tags must be an array")
    if len(raw) > MAX_FILTER_KEYS:
        rules.invalid(f"tags can hold at most {MAX_FILTER_KEYS} keys")
    out: list[tuple[str, tuple[str, ...]]] = []
    seen: set[str] = set()
    for item in raw:
        if not isinstance(item, dict):
            rules.bad_body("each tag must be an object")
        key = rules.check_tag_key(item.get("key"))
        if key in seen:
            rules.invalid(f"duplicate tag key: {key}")
        seen.add(key)
        values = item.get("values")
        if values is None:
            values = []
        if not isinstance(values, list):
            rules.bad_body("tag values must be an array")
        checked = [rules.check_tag_value(v) for v in values]
        if len(set(checked)) != len(checked):
            rules.invalid(f"duplicate value for tag key: {key}")
        out.append((key, tuple(checked)))
    return tuple(out)


def _matches(raw: Any) -> tuple[str, ...]:
    if raw is None:
        return ()
    if not isinstance(raw, list):
        rules.bad_body("matches must be an array")
    out: list[str] = []
    for item in raw:
        if not isinstance(item, dict):
            rules.bad_body("each match must be an object")
        if item.get("key") != "resource_name":
            rules.invalid("matches key must be resource_name")
        value = item.get("value", "")
        if value is None:
            value = ""
        if not isinstance(value, str):
            rules.bad_body("matches value must be a string")
        if len(value) > MAX_MATCH_VALUE:
            rules.invalid(f"matches value is longer than {MAX_MATCH_VALUE} characters")
        out.append(value)
    return tuple(out)


def parse(body: dict[str, Any]) -> Query:
    """Validate the request body; every violation is ``CSMS.0002`` (value) or ``CSMS.0004`` (shape)."""
    action = body.get("action")
    if action is None:
        action = "filter"
    if action not in ("filter", "count"):
        rules.invalid("action must be filter or count")
    rules.check_sequence(body)
    limit, offset = DEFAULT_LIMIT, 0
    if action == "filter":
        limit = _numeric(body.get("limit"), "limit", DEFAULT_LIMIT)
        if not 1 <= limit <= MAX_LIMIT:
            rules.invalid(f"limit must be between 1 and {MAX_LIMIT}")
        offset = _numeric(body.get("offset"), "offset", 0)
    return Query(action, limit, offset, _tags(body.get("tags")), _matches(body.get("matches")))


def _selected(backend: CsmsBackend, query: Query) -> list[str] | None:
    """Names that pass the filters, sorted; ``None`` means "every secret" (no filter given)."""
    if not query.tags and not query.matches:
        return None
    if any(not value for value in query.matches):
        return []
    candidates: set[str] | None = None
    for key, values in sorted(query.tags, key=lambda kv: len(backend.tag_index.get(kv[0], {}))):
        found = backend.tagged(key, values)
        candidates = found if candidates is None else candidates & found
        if not candidates:
            return []
    pool = sorted(candidates) if candidates is not None else backend.names.slice(0, len(backend.names))
    needles = [m.lower() for m in query.matches]
    return [name for name in pool if all(n in name.lower() for n in needles)]


def _resource(backend: CsmsBackend, name: str) -> dict[str, Any]:
    secret = backend.secrets[name]
    return {
        "resource_id": secret.id,
        "resource_name": secret.name,
        "resource_detail": secret.detail(),
        "tags": secret.tag_list(),
        "sys_tags": [],
    }


def run(backend: CsmsBackend, query: Query) -> dict[str, Any]:
    """Answer a parsed query; with no filter the page is a slice of the sorted names (O(page))."""
    selected = _selected(backend, query)
    total = len(backend.names) if selected is None else len(selected)
    if query.action == "count":
        return {"total_count": total}
    stop = query.offset + query.limit
    page = backend.names.slice(query.offset, stop) if selected is None else selected[query.offset : stop]
    return {"resources": [_resource(backend, n) for n in page], "total_count": total}
