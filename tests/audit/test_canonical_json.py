"""The canonical JSON the hash chain covers: exactly json.dumps's bytes, however encoded.

(canonical_json reuses one C encoder per thread instead of building one per call; these
tests hold it to ``json.dumps(sort_keys=True, separators=(",", ":"), ensure_ascii=False)``.)
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import threading
import time
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from incidentflow.audit.events import GENESIS, canonical_json, seal

JSON_VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=20,
)


def dumps(value: object) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


@given(JSON_VALUES)
def test_canonical_json_is_json_dumps_with_the_canonical_options(value: object) -> None:
    assert canonical_json(value) == dumps(value)


def test_an_event_is_hashed_over_json_dumps_bytes() -> None:
    data = {"text": "d\u00e9ploy \u2713", "n": 1.5, "nested": {"b": [1, None], "a": True}}
    spec = ("proc", "1", "f" * 64)
    event = seal("inc-1", 1, "2024-05-01T12:00:00+00:00", "al", "opened", data, spec, GENESIS)
    body = ["inc-1", 1, "2024-05-01T12:00:00+00:00", "al", "opened", data, *spec, GENESIS]
    assert event.hash == hashlib.sha256(dumps(body).encode()).hexdigest()


def test_a_failed_encoding_leaves_the_next_ones_unharmed() -> None:
    circular: dict[str, Any] = {"a": [1]}
    circular["a"].append(circular)
    with pytest.raises(ValueError, match="Circular reference"):
        canonical_json(circular)
    circular["a"].pop()
    assert canonical_json(circular) == '{"a":[1]}'  # not "circular": it was being encoded
    unserialisable: dict[str, Any] = {"a": {"x": 1}, "b": object()}
    with pytest.raises(TypeError, match="not JSON serializable"):
        canonical_json(unserialisable)
    del unserialisable["b"]
    assert canonical_json(unserialisable) == '{"a":{"x":1}}'


class YieldingDict(dict[str, Any]):
    """A mapping whose items() lets other threads run mid-encoding (as any Python code may)."""

    def items(self) -> Any:
        time.sleep(0)
        return super().items()


def test_threads_encoding_one_shared_value_do_not_see_each_other_s_markers() -> None:
    shared = YieldingDict(k=[YieldingDict(n=n) for n in range(20)])
    expected = dumps({"k": [{"n": n} for n in range(20)]})
    results: list[str] = []
    errors: list[BaseException] = []

    def encode() -> None:
        try:
            for _ in range(100):
                results.append(canonical_json(shared))
        except BaseException as error:  # reported below
            errors.append(error)

    threads = [threading.Thread(target=encode) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    assert results == [expected] * 400


SPEC = ("p", "1", "0" * 64)


def test_a_store_writes_the_text_the_hash_covers_not_a_second_encoding() -> None:
    from incidentflow.audit.events import encode_data, event_bytes
    from incidentflow.audit.sqlite import event_row

    data: dict[str, Any] = {"item": "status page", "count": 1}
    event = seal("inc-1", 1, "2024-05-01T12:00:00+00:00", "alice", "checked", data, SPEC, GENESIS)
    sealed = canonical_json(data)
    data["count"] = 2  # a caller's later mistake: the event was sealed with count 1
    stored = event_row(event)[5]
    assert stored == sealed
    assert encode_data(data) == sealed
    assert (
        hashlib.sha256(event_bytes(dataclasses.replace(event, data_json=stored))).hexdigest()
        == event.hash
    )


def test_the_memo_of_sealed_texts_stays_bounded() -> None:
    from incidentflow.audit import events

    for n in range(3 * events._SEALED_MAX):
        seal("inc-1", 1, "2024-05-01T12:00:00+00:00", "a", "noted", {"n": n}, SPEC, GENESIS)
    assert len(events._SEALED) <= events._SEALED_MAX
    fresh = {"n": -1}
    assert events.encode_data(fresh) == '{"n":-1}'  # never sealed: encoded
