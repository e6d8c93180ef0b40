"""Per-request building blocks the outbound signers share to keep a signature in the low microseconds.

Two costs dominate a naive signer once the canonical request is built: keying an HMAC (OpenSSL 3 looks the
digest up by name on every ``hmac.digest`` call, over a microsecond) and ``httpx.Headers.__setitem__``
(encode, lower-case, scan the whole list, per header). So:

* :class:`HmacSha256` keys HMAC-SHA256 once (RFC 2104 inner and outer SHA-256 states) and each message
  costs two state copies and two short hashes;
* :func:`stamp_headers` writes several headers into a request in one pass over httpx's header list, with
  the exact result of setting them one by one through the public API. It relies on the list layout httpx
  has used since 0.18; :data:`HEADER_LIST_LAYOUT_OK` is checked once at import and, when a future httpx
  stores headers differently, the public API is used instead (slower, never wrong).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

import httpx

__all__ = [
    "HEADER_LIST_LAYOUT_OK",
    "HeaderTriple",
    "HmacSha256",
    "header_entries",
    "header_triple",
    "stamp_headers",
]

_BLOCK = 64  # SHA-256 block size in bytes
_INNER_PAD = bytes(range(256)).translate(bytes(b ^ 0x36 for b in range(256)))
_OUTER_PAD = bytes(range(256)).translate(bytes(b ^ 0x5C for b in range(256)))


class HmacSha256:
    """HMAC-SHA256 keyed once: :meth:`hexdigest` equals ``hmac.new(key, message, "sha256").hexdigest()``.

    Holds derived key material only; it never appears in a repr.
    """

    __slots__ = ("_inner", "_outer")

    def __init__(self, key: bytes) -> None:
        if len(key) > _BLOCK:
            key = hashlib.sha256(key).digest()
        key = key.ljust(_BLOCK, b"\0")
        self._inner = hashlib.sha256(key.translate(_INNER_PAD))
        self._outer = hashlib.sha256(key.translate(_OUTER_PAD))

    def __repr__(self) -> str:
        return "HmacSha256(<keyed>)"

    def after(self, prefix: bytes) -> HmacSha256:
        """The MAC of messages that start with ``prefix``: ``after(p).hexdigest(m) == hexdigest(p + m)``.

        For a prefix many messages share (a signer's fixed first lines): it is hashed once, not per message.
        """
        clone = object.__new__(HmacSha256)
        clone._inner = self._inner.copy()
        clone._inner.update(prefix)
        clone._outer = self._outer
        return clone

    def hexdigest(self, message: bytes) -> str:
        """Hex HMAC-SHA256 of ``message``."""
        inner, outer = self.states()
        inner.update(message)
        outer.update(inner.digest())
        return outer.hexdigest()

    def states(self) -> tuple[hashlib._Hash, hashlib._Hash]:
        """Fresh copies of the keyed inner and outer states, for a caller that runs the two steps inline:
        ``inner.update(message)``, ``outer.update(inner.digest())``, then ``outer.hexdigest()``."""
        return self._inner.copy(), self._outer.copy()


HeaderTriple = tuple[bytes, bytes, bytes]
"""``(name as given, lower-case name, value)`` bytes: one entry of httpx's header list."""


def _layout_ok() -> bool:
    """Whether ``Headers._list`` holds ``(raw name, lower-case name, value)`` triples, as we write them."""
    probe = httpx.Headers({"X-Probe": "v"})
    return getattr(probe, "_list", None) == [(b"X-Probe", b"x-probe", b"v")] and probe.raw == [
        (b"X-Probe", b"v")
    ]


HEADER_LIST_LAYOUT_OK = _layout_ok()


def header_entries(headers: httpx.Headers) -> dict[bytes, HeaderTriple]:
    """The last entry of each lower-case header name, in one pass (what a dict built in order would keep).

    Fewer entries than headers means a name is repeated. Also the index :func:`stamp_headers` takes.
    """
    if HEADER_LIST_LAYOUT_OK:
        return {entry[1]: entry for entry in headers._list}
    return {name.lower(): (name, name.lower(), value) for name, value in headers.raw}


def header_triple(name: str, value: str, encoding: str = "utf-8") -> HeaderTriple:
    """The entry ``headers[name] = value`` stores: name, lower-case name and value encoded as httpx does."""
    raw_name = name.encode(encoding)
    return raw_name, raw_name.lower(), value.encode(encoding)


def _writable(headers: httpx.Headers, stamps: Sequence[HeaderTriple], ascii_stamps: bool) -> bool:
    """Whether writing UTF-8 ``stamps`` into the list gives the bytes (or the error) ``__setitem__`` would.

    httpx fixes ``_encoding`` to ``"ascii"`` once anything reads the headers as text (``OpsfnAsyncClient``
    copies them before every send, which does); ASCII stamps are then the same bytes, and anything else goes
    through the public API so that it fails as it always did.
    """
    if not HEADER_LIST_LAYOUT_OK:
        return False
    encoding = headers._encoding
    if encoding is None or encoding == "utf-8":
        return True
    if encoding != "ascii":
        return False
    return ascii_stamps or all(name.isascii() and value.isascii() for name, _, value in stamps)


def stamp_headers(
    headers: httpx.Headers,
    stamps: Sequence[HeaderTriple],
    index: dict[bytes, HeaderTriple] | None = None,
    ascii_stamps: bool = False,
) -> None:
    """Set every header of ``stamps`` (in order) exactly as ``headers[name] = value`` each would.

    That is: the first header of the same (case-insensitive) name is replaced in place, later ones of that
    name are removed, and a name not present is appended, in the order of ``stamps``. ``index``, from
    :func:`header_entries` on these headers unchanged since (and updated here), saves the pass that looks
    for the names when none is repeated: a new name is appended, an identical entry left as it is.
    ``stamps`` must be UTF-8 (the encoding of a request's headers unless a caller chose another);
    ``ascii_stamps=True`` is the caller's word that they are all ASCII, saving the check.
    """
    if index is not None and HEADER_LIST_LAYOUT_OK:
        encoding = headers._encoding
        entries = headers._list
        if (encoding is None or (ascii_stamps and encoding == "ascii")) and len(index) == len(entries):
            get = index.get  # every name once: a new one is appended, an identical entry left alone
            for position, stamp in enumerate(stamps):
                current = get(stamp[1])
                if current is None:
                    index[stamp[1]] = stamp
                    entries.append(stamp)
                elif current != stamp:
                    _stamp_by_scan(entries, stamps[position:])
                    return
            return
    if not _writable(headers, stamps, ascii_stamps):
        for name, _, value in stamps:
            headers[name.decode()] = value.decode()
        return
    _stamp_by_scan(headers._list, stamps)


def _stamp_by_scan(entries: list[HeaderTriple], stamps: Sequence[HeaderTriple]) -> None:
    """The general case (repeated names, no index): one pass that rebuilds the list."""
    pending = {stamp[1]: stamp for stamp in stamps}
    stamped = frozenset(pending)
    kept = []
    for entry in entries:
        if entry[1] not in stamped:
            kept.append(entry)
        elif entry[1] in pending:  # the first of a stamped name takes the stamp; later ones go
            kept.append(pending.pop(entry[1]))
    kept.extend(pending.values())
    entries[:] = kept
