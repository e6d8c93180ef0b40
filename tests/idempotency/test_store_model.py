"""Every store behaves exactly like a reference model of the four operations (hypothesis).

The reference is a dict with the documented claim condition (absent, expired, or a timed-out
``INPROGRESS`` lock) and token-conditional update/delete; random operation sequences must give the same
answers and the same final records on the memory, SQLite and Redis stores.
"""

from __future__ import annotations

import uuid
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from shared.idempotency import COMPLETED, INPROGRESS, IdempotencyRecord, IdempotencyStore

KEYS = ["a", "b"]
TOKENS = ["t1", "t2", "t3"]

records = st.builds(
    IdempotencyRecord,
    key=st.sampled_from(KEYS),
    status=st.sampled_from([INPROGRESS, COMPLETED]),
    expiry=st.integers(5, 30).map(float),
    token=st.sampled_from(TOKENS),
    payload_hash=st.sampled_from(["", "h1"]),
    in_progress_expiry=st.none() | st.integers(0, 30).map(float),
    response=st.none() | st.sampled_from(['{"a":1}', '"x"']),
)
operations = st.lists(
    st.one_of(
        # A record is always written before its own expiry (the claim computes expiry = now + ttl);
        # Redis turns the remainder into a native TTL, kept >= 5 real seconds so it never fires mid-test.
        st.tuples(st.just("put"), records, st.integers(0, 30).map(float)).filter(
            lambda t: t[2] + 5 <= t[1].expiry
        ),
        st.tuples(st.just("update"), records, st.just(0.0)),
        st.tuples(st.just("delete"), st.sampled_from(KEYS), st.sampled_from(TOKENS)),
        st.tuples(st.just("get"), st.sampled_from(KEYS), st.just(None)),
    ),
    max_size=25,
)


class Reference:
    def __init__(self) -> None:
        self.data: dict[str, IdempotencyRecord] = {}

    def put(self, record: IdempotencyRecord, now: float) -> bool:
        current = self.data.get(record.key)
        if current is not None and current.is_live(now):
            return False
        self.data[record.key] = record
        return True

    def update(self, record: IdempotencyRecord) -> bool:
        current = self.data.get(record.key)
        if current is None or current.token != record.token:
            return False
        self.data[record.key] = record
        return True

    def delete(self, key: str, token: str) -> bool:
        current = self.data.get(key)
        if current is None or current.token != token:
            return False
        del self.data[key]
        return True


def _scoped(store: IdempotencyStore, prefix: str, record: IdempotencyRecord) -> IdempotencyRecord:
    return IdempotencyRecord(**{**record.__dict__, "key": prefix + record.key})


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ops=operations)
def test_store_matches_the_reference_model(store, ops):
    prefix = uuid.uuid4().hex + ":"  # each example gets fresh keys in the shared store
    model = Reference()
    for op, arg, extra in ops:
        got: Any
        if op == "put":
            want, got = model.put(arg, extra), store.put_if_absent(_scoped(store, prefix, arg), extra)
        elif op == "update":
            # Redis derives its TTL from the caller's clock; keep "now" before every expiry so the native
            # TTL never removes a record the model still has.
            want, got = model.update(arg), store.update(_scoped(store, prefix, arg), now=0.0)
        elif op == "delete":
            want, got = model.delete(arg, extra), store.delete(prefix + arg, extra)
        else:
            ref = model.data.get(arg)
            want = None if ref is None else ref.__dict__
            stored = store.get(prefix + arg)
            got = None if stored is None else {**stored.__dict__, "key": stored.key[len(prefix) :]}
        assert got == want, (op, arg, extra)
