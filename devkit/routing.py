"""One path router for everything in devkit that answers HTTP: the emulator's services and ``opsfn serve``.

Templates read like the cloud documents: ``/v1/{project_id}/secrets/{secret_name}``. A ``{name}`` placeholder
matches one path segment; ``{name:path}`` matches the rest of the path (possibly empty, or starting with
``/``); ``{name:kind}`` uses a convertor registered with :func:`register_convertor`. Matching runs on the
raw, still percent-encoded path so that an encoded ``/`` inside one segment (a tag key, a topic URN) stays in
that segment; placeholder values are unquoted only after matching, the way Starlette's convertors do.

A path that exists under another method is reported separately (:attr:`RouteMatch.allowed`), so a caller can
answer 405 with ``Allow`` where its protocol wants that, or treat it as unknown where the cloud does.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Generic, TypeVar
from urllib.parse import unquote

__all__ = ["CONVERTORS", "RouteMatch", "Router", "compile_template", "register_convertor"]

E = TypeVar("E")

_PLACEHOLDER = re.compile(r"\\\{(\w+)(?::(\w+))?\\\}")
CONVERTORS: dict[str, str] = {"": "[^/]+", "path": ".*"}


def register_convertor(name: str, regex: str) -> None:
    """Make ``{param:name}`` match ``regex`` (one service's id shape or closed set of names)."""
    if CONVERTORS.get(name, regex) != regex:
        raise ValueError(f"convertor {name!r} is already registered with another pattern")
    CONVERTORS[name] = regex


def compile_template(template: str) -> re.Pattern[str]:
    """The regular expression for a path template; a trailing ``/`` on the request is tolerated."""

    def placeholder(m: re.Match[str]) -> str:
        kind = m.group(2) or ""
        if kind not in CONVERTORS:
            raise ValueError(f"unknown placeholder convertor {kind!r} in {template!r}")
        return f"(?P<{m.group(1)}>(?:{CONVERTORS[kind]}))"

    body = _PLACEHOLDER.sub(placeholder, re.escape(template.rstrip("/") or "/"))
    return re.compile("^" + body + ("" if template.rstrip("/") == "" else "/?") + "$")


@dataclass(frozen=True)
class _Entry(Generic[E]):
    method: str
    template: str
    pattern: re.Pattern[str]
    endpoint: E


@dataclass(frozen=True)
class RouteMatch(Generic[E]):
    """The endpoint for the method and path with its unquoted parameters, or only the methods that exist."""

    endpoint: E | None
    params: dict[str, str]
    allowed: tuple[str, ...] = ()


class Router(Generic[E]):
    """An ordered table of ``(method, template) -> endpoint``; the first matching entry wins.

    The method ``"*"`` matches every method.
    """

    def __init__(self) -> None:
        self._entries: list[_Entry[E]] = []

    def add(self, method: str, template: str, endpoint: E) -> None:
        self._entries.append(_Entry(method.upper(), template, compile_template(template), endpoint))

    def __iter__(self) -> Iterator[tuple[str, str, E]]:
        return ((e.method, e.template, e.endpoint) for e in self._entries)

    def __len__(self) -> int:
        return len(self._entries)

    def match(self, method: str, raw_path: str) -> RouteMatch[E] | None:
        """The entry for ``method`` and ``raw_path``; ``None`` when no entry has that path at all."""
        allowed: list[str] = []
        for entry in self._entries:
            hit = entry.pattern.match(raw_path)
            if hit is None:
                continue
            if entry.method in (method.upper(), "*"):
                return RouteMatch(entry.endpoint, {k: unquote(v) for k, v in hit.groupdict().items()})
            if entry.method not in allowed:
                allowed.append(entry.method)
        return RouteMatch(None, {}, tuple(allowed)) if allowed else None
