"""Who is still here: the roster a reconcile run compares seat holders against.

Accepted sources, all reduced to a set of active IAM user ids:

* JSON: a list of ids; a list of user objects (``id`` or ``user_id``); or an object with ``users`` holding
  such a list - which is exactly IAM's ``GET /v3/users`` answer, so an exported IAM listing works as is;
* CSV with a header row naming an ``id`` or ``user_id`` column;
* a file path (``file://`` optional) or an ``http(s)://`` URL serving either format;
* the live IAM user list (:func:`load_iam_roster`).

A user object or CSV row with ``enabled``/``active`` false counts as departed (IAM disables users before
deleting them). An empty roster is refused: read from a broken export it would make every seat look
abandoned, and a reconcile run would free them all.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx

from shared.errors import OpsfnError

if TYPE_CHECKING:
    from shared.clients.iam import IamClient

__all__ = ["Roster", "RosterError", "load_iam_roster", "load_roster", "parse_roster"]

_ID_KEYS = ("user_id", "id")
_FLAG_KEYS = ("enabled", "active")
_FALSE = frozenset({"false", "0", "no", "n", "off", "disabled", "inactive"})
_MAX_BYTES = 32 * 1024 * 1024


class RosterError(OpsfnError):
    """The roster could not be read or makes no sense (empty, no id column); nothing must be unbound."""


class Roster:
    """The set of active user ids and where it came from (for the report)."""

    def __init__(self, user_ids: Iterable[str], *, source: str) -> None:
        self.user_ids = frozenset(uid for uid in user_ids if uid)
        self.source = source
        if not self.user_ids:
            raise RosterError(
                f"roster from {source} lists no active users; refusing to treat everyone as gone"
            )

    def __contains__(self, user_id: object) -> bool:
        return user_id in self.user_ids

    def __len__(self) -> int:
        return len(self.user_ids)

    @classmethod
    def from_users(cls, users: Iterable[str | Mapping[str, Any]], *, source: str) -> Roster:
        """From ids or user objects (IAM ``users[]`` entries); disabled users are left out."""
        return cls((uid for uid in map(_active_id, users) if uid), source=source)


def _is_false(value: Any) -> bool:
    if isinstance(value, bool):
        return not value
    return str(value).strip().lower() in _FALSE


def _active_id(user: str | Mapping[str, Any]) -> str | None:
    if isinstance(user, str):
        return user.strip() or None
    if any(key in user and _is_false(user[key]) for key in _FLAG_KEYS):
        return None
    for key in _ID_KEYS:
        value = user.get(key)
        if value:
            return str(value).strip()
    return None


def parse_roster(content: str, *, source: str, fmt: str | None = None) -> Roster:
    """Parse JSON or CSV text; ``fmt`` (``"json"``/``"csv"``) overrides sniffing by the first character."""
    text = content.lstrip("\ufeff")
    kind = fmt or ("json" if text.lstrip()[:1] in ("[", "{") else "csv")
    if kind == "json":
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise RosterError(
                f"roster from {source} is not valid JSON: {exc.msg} at line {exc.lineno}"
            ) from None
        if isinstance(data, Mapping):
            data = data.get("users")
        if not isinstance(data, list):
            raise RosterError(f"roster from {source}: expected a list of users or an object with 'users'")
        if not all(isinstance(u, (str, Mapping)) for u in data):
            raise RosterError(f"roster from {source}: users must be ids or objects")
        return Roster.from_users(data, source=source)
    if kind != "csv":
        raise RosterError(f"unknown roster format {kind!r}")
    rows = csv.DictReader(io.StringIO(text))
    header = [name.strip().lower() for name in rows.fieldnames or []]
    if not any(key in header for key in _ID_KEYS):
        raise RosterError(f"roster from {source}: CSV needs a 'user_id' or 'id' column")
    rows.fieldnames = header
    return Roster.from_users(rows, source=source)


async def load_roster(location: str, *, http: httpx.AsyncClient | None = None) -> Roster:
    """Read a roster from a URL or a file. ``http`` is used for URLs (tests pass one on a mock transport)."""
    if location.startswith(("http://", "https://")):
        return await _fetch(location, http)
    path = Path(location.removeprefix("file://"))
    try:
        if path.stat().st_size > _MAX_BYTES:
            raise RosterError(f"roster file {path} is larger than {_MAX_BYTES} bytes")
        content = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise RosterError(f"cannot read roster file {path}: {exc.strerror}") from None
    fmt = {".json": "json", ".csv": "csv"}.get(path.suffix.lower())
    return parse_roster(content, source=str(path), fmt=fmt)


async def load_iam_roster(iam: IamClient) -> Roster:
    """The account's IAM users (``GET /v3/users``); disabled users count as departed."""
    users = await iam.list_users()
    return Roster.from_users([u.model_dump() for u in users], source="IAM user list")


async def _fetch(url: str, http: httpx.AsyncClient | None) -> Roster:
    # Only scheme, host and path in messages: a roster URL may carry a token in its query string.
    shown = str(httpx.URL(url).copy_with(query=None, fragment=None))
    client = http or httpx.AsyncClient(timeout=httpx.Timeout(15.0, connect=5.0))
    try:
        response = await client.get(url)
    except httpx.HTTPError as exc:
        raise RosterError(f"cannot fetch roster {shown}: {type(exc).__name__}") from None
    finally:
        if http is None:
            await client.aclose()
    if response.status_code != 200:
        raise RosterError(f"cannot fetch roster {shown}: HTTP {response.status_code}")
    media = response.headers.get("content-type", "").split(";")[0].strip().lower()
    fmt = "json" if media.endswith("json") else "csv" if media in ("text/csv", "application/csv") else None
    return parse_roster(response.text, source=shown, fmt=fmt)
