"""The store contract: the tests every event store must pass, to run against your own store.

incidentflow runs these tests against :class:`~incidentflow.MemoryStore`,
:class:`~incidentflow.SQLiteStore` and the drills' store; a store you write (PostgreSQL,
say) passes them too before an :class:`~incidentflow.Engine` relies on it. Subclass
:class:`StoreContract`, plus one mixin per optional capability your store has, name the
class ``Test...`` and give it a ``make_store`` fixture::

    import pytest
    from incidentflow.testing.store_contract import OpenedSinceContract, StoreContract

    from mypackage import PostgresStore


    class TestPostgresStore(StoreContract, OpenedSinceContract):
        @pytest.fixture
        def make_store(self, postgres_dsn):
            return lambda: PostgresStore(postgres_dsn, schema=fresh_schema())

``make_store`` returns a function that makes a store over a new, empty backing each
time it is called (a new file, a new schema, ...). The mixins:

- :class:`OpenedSinceContract`: the store is an :class:`~incidentflow.IndexedStore`;
- :class:`IncidentIndexContract`: it is an :class:`~incidentflow.IncidentIndex`;
- :class:`SharedBackingContract`: several instances (processes) can share one backing,
  which outlives them; define ``reopen(store)``;
- :class:`TamperContract`: define ``tamper(store, incident_id, seq)``, which changes a
  stored event behind the store's back, to show that verification reads what is stored;
- :class:`CrashContract`: a process killed with SIGKILL in the middle of appends leaves
  whole batches only; set ``crash_factory`` (see the class);
from incidentflow.audit.specs import SpecArchive, StoredSpec, digest_of
- :class:`BatchContract`: the store is a :class:`~incidentflow.BatchStore` (group commit:
  ``append_many``);
- :class:`DueIndexContract`: it is a :class:`~incidentflow.DueIndexStore` (workers claim
  due incidents from it);
- :class:`ChangeFeedContract`: it is a :class:`~incidentflow.ChangeFeed` (it says which
  incidents changed since an earlier look);
- :class:`RowsContract`: it is a :class:`~incidentflow.audit.rows.RowStore` (its events
  read as stored rows, for verification without decoding).

A test checks that the mixins match the protocols the store implements, so that no
capability goes untested. Each test is written against :class:`Model`, the trivially
correct store (a dict of lists), which also drives a Hypothesis test of random appends.

pytest and Hypothesis are test dependencies (``pip install incidentflow[test]``); only
this module needs them, ``incidentflow.testing`` does not import it.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import queue
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, ClassVar, overload

# The ignores let `mypy --strict src` pass where the test extra is not installed.
try:
    import pytest  # type: ignore[import-not-found, unused-ignore]
    from hypothesis import given, settings  # type: ignore[import-not-found, unused-ignore]
    from hypothesis import strategies as st  # type: ignore[import-not-found, unused-ignore]
except ImportError as _error:  # pragma: no cover - exercised by a test with pytest hidden
    raise ImportError(
        "incidentflow.testing.store_contract needs pytest and hypothesis: "
        "pip install incidentflow[test]"
    ) from _error

from datetime import UTC, datetime

from incidentflow.audit import crash_writer
from incidentflow.audit.events import (
    GENESIS,
    Event,
    StoredRow,
    encode_data,
    event_bytes,
    seal,
    verify_chain,
)
from incidentflow.audit.rows import RowStore
from incidentflow.audit.specs import SpecArchive, StoredSpec, digest_of
from incidentflow.audit.store import (
    Append,
    BatchStore,
    ChangeFeed,
    ChangeMark,
    DueIndexStore,
    IncidentIndex,
    IndexedStore,
    Store,
)
from incidentflow.audit.verify import check_store, verify_store
from incidentflow.errors import ConcurrencyError, StoreClosed

__all__ = [
    "BatchContract",
    "ChangeFeedContract",
    "CrashContract",
    "DueIndexContract",
    "IncidentIndexContract",
    "Model",
    "OpenedSinceContract",
    "RowsContract",
    "SharedBackingContract",
    "SpecArchiveContract",
    "StoreContract",
    "StoreFactory",
    "TamperContract",
    "assert_matches",
    "continue_log",
    "sealed",
]

StoreFactory = Callable[[], Store]
"""Makes a store over a new, empty backing each time it is called."""

SPEC = crash_writer.SPEC
"""The (name, version, digest) of the events the contract writes."""
TIME = "2024-05-01T12:00:00.250000+00:00"
ACTOR = "contract"


# --- events ----------------------------------------------------------------------------


def sealed(
    incident_id: str,
    first_seq: int,
    datas: Sequence[Mapping[str, Any]],
    prev_hash: str = GENESIS,
    *,
    time: str = TIME,
    actor: str = ACTOR,
) -> list[Event]:
    """Events of ``incident_id`` from seq ``first_seq``, one per ``datas`` item, chained
    from ``prev_hash`` (event 1 is ``opened``, the others ``noted``)."""
    events = []
    for seq, data in enumerate(datas, first_seq):
        kind = "opened" if seq == 1 else "noted"
        event = seal(incident_id, seq, time, actor, kind, data, SPEC, prev_hash)
        events.append(event)
        prev_hash = event.hash
    return events


def continue_log(
    log: Sequence[Event], incident_id: str, count: int = 1, *, tag: str = ""
) -> list[Event]:
    """``count`` events that continue ``log`` (the incident's events so far)."""
    first = len(log) + 1
    texts = [{"text": f"{tag}{seq}"} for seq in range(first, first + count)]
    return sealed(incident_id, first, texts, log[-1].hash if log else GENESIS)


# --- the model --------------------------------------------------------------------------


class Model:
    """The trivially correct store: a dict of lists, and the order incidents opened in.

    ``keeps_every_incident=False`` models a store that holds only the latest incident
    (opening one forgets the others), as the drills' store does.
    """

    def __init__(self, *, keeps_every_incident: bool = True) -> None:
        self.keeps_every_incident = keeps_every_incident
        self.logs: dict[str, list[Event]] = {}
        self.opened: list[str] = []

    def version(self, incident_id: str) -> int:
        """The incident's last seq (0 if it has no events)."""
        return len(self.logs.get(incident_id, ()))

    def log(self, incident_id: str) -> list[Event]:
        """The incident's events (none if unknown)."""
        return list(self.logs.get(incident_id, ()))

    def append(self, incident_id: str, expected_version: int, events: Sequence[Event]) -> None:
        """What :meth:`Store.append` does with a well-formed batch."""
        current = self.version(incident_id)
        if current != expected_version:
            raise ConcurrencyError(incident_id, expected_version, current)
        if expected_version == 0:
            if not self.keeps_every_incident:
                self.logs.clear()
            self.logs[incident_id] = []
            self.opened.append(incident_id)
        self.logs[incident_id].extend(events)

    def write(self, store: Store, incident_id: str, count: int = 1, *, tag: str = "") -> None:
        """Append ``count`` events to ``incident_id`` in the model and in ``store``."""
        log = self.log(incident_id)
        batch = continue_log(log, incident_id, count, tag=tag)
        store.append(incident_id, len(log), batch)
        self.append(incident_id, len(log), batch)


def assert_matches(store: Store, model: Model, incident_ids: Sequence[str] = ()) -> None:
    """``store`` reads back what ``model`` holds: every incident in opening order, each
    one's events (also after every seq), every event grouped by incident, the dense index
    if it has one; the events equal, with the same canonical bytes and data encoding.
    ``incident_ids``: ids to read as well (incidents the store must not have)."""
    assert store.incident_ids() == list(model.logs)
    for incident_id in dict.fromkeys([*model.logs, *incident_ids]):
        expected = model.log(incident_id)
        got = store.events(incident_id)
        _assert_same_events(got, expected)
        for after in range(-1, len(expected) + 2):
            assert store.events(incident_id, after) == expected[max(after, 0) :], (
                f"events({incident_id!r}, after={after})"
            )
    groups: dict[str, list[Event]] = {}
    for incident_id, run in itertools.groupby(store.all_events(), lambda e: e.incident_id):
        assert incident_id not in groups, f"all_events(): {incident_id!r}'s events are split"
        groups[incident_id] = list(run)
    assert groups.keys() == model.logs.keys()
    for incident_id, group in groups.items():
        _assert_same_events(group, model.logs[incident_id])
    if isinstance(store, IncidentIndex):
        positions = [(n, iid) for n, iid in enumerate(model.opened, 1)]
        if not model.keeps_every_incident:
            positions = [(n, iid) for n, iid in positions if iid in model.logs]
        assert store.incident_index() == (positions, len(model.opened))


def _assert_same_events(got: Sequence[Event], expected: Sequence[Event]) -> None:
    assert list(got) == list(expected)
    for mine, theirs in zip(got, expected, strict=True):
        # The hash covers these bytes: a store must give back exactly what it was given.
        assert event_bytes(mine) == event_bytes(theirs), mine
        assert encode_data(mine.data) == encode_data(theirs.data), mine


def _next_two(log: list[Event]) -> list[Event]:
    return continue_log(log, "inc-1", 2)


_NOT_A_CONTINUATION: dict[str, Callable[[list[Event]], tuple[str, int, list[Event]]]] = {
    # (incident_id, expected_version, events) for an append to "inc-1", at version 2
    "no events": lambda log: ("inc-1", 2, []),
    "another incident's event": lambda log: (
        "inc-1",
        2,
        [_next_two(log)[0], *sealed("inc-2", 4, [{}])],
    ),
    "filed under another id": lambda log: ("inc-2", 0, continue_log([], "inc-1")),
    "a gap in the seqs": lambda log: ("inc-1", 2, [_next_two(log)[0], *sealed("inc-1", 5, [{}])]),
    "seqs out of order": lambda log: ("inc-1", 2, _next_two(log)[::-1]),
    "a repeated seq": lambda log: ("inc-1", 2, [_next_two(log)[0]] * 2),
    "seqs that start elsewhere": lambda log: ("inc-1", 1, _next_two(log)),
    "a negative version": lambda log: ("inc-2", -1, continue_log([], "inc-2")),
    "one event, not the next": lambda log: ("inc-1", 1, _next_two(log)[:1]),
    "one event at a negative version": lambda log: ("inc-2", -1, sealed("inc-2", 0, [{}])),
}
"""Batches that do not continue their incident, each built from inc-1's two events."""


# --- the contract every store passes -----------------------------------------------------


class _Contract:
    """What the contract's classes share: the settings a subclass may change."""

    keeps_every_incident: ClassVar[bool] = True
    """False for a store that holds only the latest incident (opening one forgets the others)."""
    threads: ClassVar[int] = 4
    """Threads (and, for a shared backing, instances) that race in the concurrency tests."""
    rounds: ClassVar[int] = 12
    """Versions they race for."""

    def model(self) -> Model:
        """An empty model of this store."""
        return Model(keeps_every_incident=self.keeps_every_incident)


class StoreContract(_Contract):
    """The tests every :class:`~incidentflow.Store` must pass.

    Subclass it (with a ``Test`` name) and define the ``make_store`` fixture; see the
    module for the optional capabilities. Class attributes tune it:
    ``keeps_every_incident``, ``threads``, ``rounds`` and ``model_examples``.
    """

    model_examples: ClassVar[int] = 30
    """Random sequences of appends the Hypothesis test tries."""

    @pytest.fixture
    def make_store(self) -> StoreFactory:
        """Override: a function that makes a store over a new, empty backing per call."""
        raise NotImplementedError(f"{type(self).__name__} must define the make_store fixture")

    @pytest.fixture
    def new_store(self, make_store: StoreFactory) -> Iterator[StoreFactory]:
        """``make_store``, with every store it made closed after the test."""
        made: list[Store] = []

        def make() -> Store:
            made.append(make_store())
            return made[-1]

        yield make
        for store in made:
            store.close()

    @pytest.fixture
    def store(self, new_store: StoreFactory) -> Store:
        """A new, empty store."""
        return new_store()

    # --- the interface

    def test_is_a_store_with_the_capabilities_its_tests_declare(self, store: Store) -> None:
        assert isinstance(store, Store)
        for protocol, mixin in (
            (IndexedStore, OpenedSinceContract),
            (IncidentIndex, IncidentIndexContract),
            (SpecArchive, SpecArchiveContract),
            (BatchStore, BatchContract),
            (DueIndexStore, DueIndexContract),
            (ChangeFeed, ChangeFeedContract),
            (RowStore, RowsContract),
        ):
            has, tested = isinstance(store, protocol), isinstance(self, mixin)
            assert has == tested, (
                f"the store {'is' if has else 'is not'} an {protocol.__name__}: "
                f"{'add' if has else 'remove'} {mixin.__name__} "
                f"{'to' if has else 'from'} {type(self).__name__}'s bases"
            )

    def test_a_new_store_is_empty(self, store: Store) -> None:
        assert_matches(store, self.model(), ["nothing-here"])

    # --- appends and reads

    def test_appended_events_read_back_in_seq_order(self, store: Store) -> None:
        model = self.model()
        model.write(store, "inc-1", 3)
        assert_matches(store, model)
        model.write(store, "inc-1", 2)  # a second batch continues the first
        model.write(store, "inc-1", 1)
        assert_matches(store, model)
        assert [e.seq for e in store.events("inc-1")] == [1, 2, 3, 4, 5, 6]

    def test_events_come_back_with_the_bytes_that_were_hashed(self, store: Store) -> None:
        incident_id = "inc-\u00e9\u4e8b\U0001f525"
        datas: list[dict[str, Any]] = [
            {"text": "opened", "z": 1, "a": 2},  # keys are sorted in the canonical form
            {
                "text": 'line\nbreak\ttab "quoted" back\\slash \x00 \x1f \u2028 \U0001f600',
                "nested": {"list": [1, 2.5, -0.0, None, True, False, ""], "empty": {}},
                "big": 2**70,
                "float": 1e-07,
                "large": 1e16,
                "integral_float": 2.0,
                "": "empty key",
            },
            {"unicode_key_\u00fc": ["\u00fc", "\ufeff", "\U0010ffff"]},
        ]
        batch = sealed(incident_id, 1, datas, time="2024-05-01T12:00:00.000001-07:30")
        store.append(incident_id, 0, batch)
        model = self.model()
        model.append(incident_id, 0, batch)
        assert_matches(store, model)
        assert type(store.events(incident_id)[1].data["big"]) is int
        assert type(store.events(incident_id)[1].data["integral_float"]) is float
        assert verify_store(store).ok

    def test_incidents_are_listed_in_opening_order(self, store: Store) -> None:
        model = self.model()
        for incident_id in ["inc-b", "inc-c", "inc-a"]:  # neither sorted nor reversed
            model.write(store, incident_id, 2)
        model.write(store, model.opened[-1], 1)
        assert_matches(store, model, model.opened)
        if self.keeps_every_incident:
            model.write(store, "inc-b", 1)  # a later append does not move an incident
            model.write(store, "inc-c", 3)
            assert store.incident_ids() == ["inc-b", "inc-c", "inc-a"]
        assert_matches(store, model, model.opened)

    # --- refusals write nothing

    def test_a_stale_or_early_version_is_refused_and_writes_nothing(self, store: Store) -> None:
        model = self.model()
        model.write(store, "inc-1", 3)
        log = model.log("inc-1")
        for version in (0, 1, 2, 4, 7):
            batch = sealed("inc-1", version + 1, [{"text": "late"}])
            with pytest.raises(ConcurrencyError) as refused:
                store.append("inc-1", version, batch)
            assert (refused.value.incident_id, refused.value.expected, refused.value.actual) == (
                "inc-1",
                version,
                3,
            )
        with pytest.raises(ConcurrencyError) as refused:  # an incident that has no events
            store.append("inc-2", 1, sealed("inc-2", 2, [{"text": "no"}], log[-1].hash))
        assert refused.value.actual == 0
        assert_matches(store, model, ["inc-2"])
        model.write(store, "inc-1", 1)  # the right version still goes through
        assert_matches(store, model, ["inc-2"])

    def test_the_second_opening_of_an_incident_is_refused(self, store: Store) -> None:
        model = self.model()
        model.write(store, "inc-1", 2, tag="first-")
        with pytest.raises(ConcurrencyError) as refused:
            store.append("inc-1", 0, continue_log([], "inc-1", 3, tag="second-"))
        assert (refused.value.expected, refused.value.actual) == (0, 2)
        assert_matches(store, model)

    @pytest.mark.parametrize("case", sorted(_NOT_A_CONTINUATION))
    def test_a_batch_that_does_not_continue_the_incident_is_refused(
        self, store: Store, case: str
    ) -> None:
        model = self.model()
        model.write(store, "inc-1", 2)
        incident_id, version, batch = _NOT_A_CONTINUATION[case](model.log("inc-1"))
        with pytest.raises(ValueError, match=r"\S"):
            store.append(incident_id, version, batch)
        assert_matches(store, model, ["inc-2"])
        model.write(store, "inc-1", 2)
        assert_matches(store, model, ["inc-2"])

    def test_a_batch_that_fails_while_being_read_writes_nothing(self, store: Store) -> None:
        model = self.model()
        for incident_id in ("inc-new", "inc-old"):
            if incident_id == "inc-old":
                model.write(store, incident_id, 2)
            log = model.log(incident_id)
            failing = _FailingBatch(continue_log(log, incident_id, 4), fail_at=2)
            with pytest.raises(_BatchReadError):
                store.append(incident_id, len(log), failing)
            assert_matches(store, model, ["inc-new"])
            model.write(store, incident_id, 4)  # the same version, now whole
            assert_matches(store, model)

    # --- verification

    def test_verification_finds_a_clean_store_clean(self, store: Store) -> None:
        model = self.model()
        for n, incident_id in enumerate(["inc-1", "inc-2", "inc-3"], 1):
            model.write(store, incident_id, n)
        check = check_store(store)
        assert check.report.ok, check.report.problems
        assert check.report.checked == len(model.logs)
        assert check.report.events == sum(len(log) for log in model.logs.values())
        assert dict(check.heads) == {
            iid: (log[-1].seq, log[-1].hash) for iid, log in model.logs.items()
        }
        for incident_id in model.logs:
            assert verify_store(store, incident_id).ok

    # --- concurrency

    def test_threads_racing_for_each_version_have_one_winner(self, store: Store) -> None:
        _assert_one_winner_per_version([store] * self.threads, "inc-race", self.rounds)
        assert verify_store(store).ok

    # --- close

    def test_close_is_idempotent_and_every_later_call_raises(self, store: Store) -> None:
        model = self.model()
        model.write(store, "inc-1", 2)
        with ThreadPoolExecutor(max_workers=1) as other_thread:
            assert other_thread.submit(store.events, "inc-1").result() == model.log("inc-1")
            store.close()
            store.close()
            calls: dict[str, Callable[[], object]] = {
                "append": lambda: store.append(
                    "inc-1", 2, continue_log(model.log("inc-1"), "inc-1")
                ),
                "events": lambda: store.events("inc-1"),
                "incident_ids": store.incident_ids,
                "all_events": lambda: list(store.all_events()),
            }
            if isinstance(store, IndexedStore):
                calls["opened_since"] = lambda: store.opened_since(0)
            if isinstance(store, IncidentIndex):
                calls["incident_index"] = store.incident_index
            runners: dict[str, Callable[[Callable[[], object]], object]] = {
                "": lambda call: call(),
                " in another thread that had used it": lambda call: other_thread.submit(
                    call
                ).result(),
            }
            for name, call in calls.items():
                for where, run in runners.items():
                    with contextlib.suppress(StoreClosed):
                        run(call)
                        pytest.fail(f"{name}() after close() did not raise StoreClosed{where}")
            store.close()

    # --- random sequences against the model

    def test_random_appends_match_the_model(self, new_store: StoreFactory) -> None:
        @settings(max_examples=self.model_examples, deadline=None)
        @given(steps=st.lists(_STEP, max_size=10))
        def run(steps: list[tuple[str, int, int, list[dict[str, Any]]]]) -> None:
            store = new_store()
            model = self.model()
            position, seen = 0, 0
            for incident_id, delta, after, datas in steps:
                log = model.log(incident_id)
                version = len(log) + delta if len(log) + delta >= 0 else len(log) + 1
                prev = log[-1].hash if log and version == len(log) else GENESIS
                batch = sealed(incident_id, version + 1, datas, prev)
                if version == len(log):
                    store.append(incident_id, version, batch)
                    model.append(incident_id, version, batch)
                else:
                    with pytest.raises(ConcurrencyError) as refused:
                        store.append(incident_id, version, batch)
                    assert (refused.value.expected, refused.value.actual) == (version, len(log))
                assert store.events(incident_id, after) == model.log(incident_id)[max(after, 0) :]
                if isinstance(store, IndexedStore):
                    new, position = store.opened_since(position)
                    assert new == model.opened[seen:]
                    seen = len(model.opened)
            assert_matches(store, model, _IDS)
            assert verify_store(store).ok
            store.close()

        run()


class OpenedSinceContract(_Contract):
    """For an :class:`~incidentflow.IndexedStore`: ``opened_since()`` lists each new
    incident once, in opening order, and only once its events can be read."""

    def test_opened_since_lists_each_new_incident_once(self, store: IndexedStore) -> None:
        model = Model()
        ids, position = store.opened_since(0)
        assert ids == []
        for incident_id in ["inc-b", "inc-a"]:
            model.write(store, incident_id, 2)
        ids, after_two = store.opened_since(position)
        assert ids == ["inc-b", "inc-a"]
        assert after_two >= position
        assert store.opened_since(after_two) == ([], after_two)
        model.write(store, "inc-b", 1)  # appends to known incidents are not openings
        with pytest.raises(ConcurrencyError):  # nor is a refused opening
            store.append("inc-a", 0, continue_log([], "inc-a"))
        with pytest.raises(ValueError, match=r"\S"):
            store.append("inc-x", 0, continue_log([], "inc-y"))
        assert store.opened_since(after_two) == ([], after_two)
        model.write(store, "inc-c", 1)
        ids, after_three = store.opened_since(after_two)
        assert ids == ["inc-c"]
        assert after_three >= after_two
        assert store.opened_since(0)[0] == ["inc-b", "inc-a", "inc-c"]
        assert store.opened_since(position)[0] == ["inc-b", "inc-a", "inc-c"]

    def test_an_incident_is_listed_only_once_its_events_can_be_read(
        self, store: IndexedStore
    ) -> None:
        opening = [f"inc-{n:02d}" for n in range(24)]
        done = threading.Event()

        def open_all() -> None:
            try:
                for incident_id in opening:
                    store.append(incident_id, 0, continue_log([], incident_id, 2))
            finally:
                done.set()

        writer = threading.Thread(target=open_all)
        writer.start()
        found: list[str] = []
        position = 0
        try:
            while True:
                finished = done.is_set()  # read before the last poll, which then sees all
                new, position = store.opened_since(position)
                for incident_id in new:
                    assert len(store.events(incident_id)) == 2, incident_id
                found += new
                if finished:
                    break
        finally:
            writer.join()
        assert found == opening


class IncidentIndexContract(_Contract):
    """For an :class:`~incidentflow.IncidentIndex`: positions 1, 2, 3, ... in opening
    order, none skipped (not even by a refused opening), and the highest one handed out."""

    def test_positions_are_dense_and_refusals_take_none(self, store: IncidentIndex) -> None:
        assert isinstance(store, Store)
        assert store.incident_index() == ([], 0)
        model = Model()
        model.write(store, "inc-b", 1)
        with pytest.raises(ConcurrencyError):
            store.append("inc-b", 0, continue_log([], "inc-b"))
        with pytest.raises(ConcurrencyError):
            store.append("inc-c", 3, sealed("inc-c", 4, [{}]))
        with pytest.raises(_BatchReadError):
            store.append("inc-d", 0, _FailingBatch(continue_log([], "inc-d", 2), fail_at=1))
        model.write(store, "inc-a", 2)
        assert store.incident_index() == ([(1, "inc-b"), (2, "inc-a")], 2)
        assert_matches(store, model, ["inc-c", "inc-d"])


class SharedBackingContract(_Contract):
    """For a store whose backing outlives an instance and can be shared by several
    instances (in several processes): define ``reopen(store)``, another instance over the
    backing of ``store``."""

    def reopen(self, store: Store) -> Store:
        """Override: a new store instance over the same backing as ``store``."""
        raise NotImplementedError(f"{type(self).__name__} must define reopen(store)")

    @pytest.fixture
    def reopened(self) -> Iterator[Callable[[Store], Store]]:
        """``reopen``, with every instance closed after the test."""
        made: list[Store] = []

        def reopen(store: Store) -> Store:
            made.append(self.reopen(store))
            return made[-1]

        yield reopen
        for store in made:
            store.close()

    def test_events_outlive_the_instance(
        self, store: Store, reopened: Callable[[Store], Store]
    ) -> None:
        model = Model()
        for incident_id in ["inc-b", "inc-a"]:
            model.write(store, incident_id, 3)
        store.close()
        again = reopened(store)
        assert_matches(again, model)
        model.write(again, "inc-b", 1)
        model.write(again, "inc-c", 1)
        assert_matches(reopened(store), model)

    def test_instances_see_each_other(
        self, store: Store, reopened: Callable[[Store], Store]
    ) -> None:
        other = reopened(store)
        model = Model()
        known = store.opened_since(0)[1] if isinstance(store, IndexedStore) else 0
        model.write(store, "inc-1", 2)
        assert_matches(other, model)
        with pytest.raises(ConcurrencyError):  # the other's version check sees this one's
            other.append("inc-1", 0, continue_log([], "inc-1"))
        model.write(other, "inc-1", 1)
        model.write(other, "inc-2", 1)
        assert_matches(store, model)
        if isinstance(store, IndexedStore):
            assert store.opened_since(known)[0] == ["inc-1", "inc-2"]
        other.close()  # closing one instance leaves the others open
        model.write(store, "inc-2", 1)
        assert_matches(store, model)

    def test_an_instance_sees_the_writes_another_made_after_its_own(
        self, store: Store, reopened: Callable[[Store], Store]
    ) -> None:
        # A store may remember what it wrote last (SQLite does, to skip a query): only
        # while nobody else writes.
        other = reopened(store)
        model = Model()
        model.write(store, "inc-1")
        model.write(other, "inc-1", 2)
        with pytest.raises(ConcurrencyError) as refused:
            store.append("inc-1", 1, continue_log(model.log("inc-1")[:1], "inc-1"))
        assert (refused.value.expected, refused.value.actual) == (1, 3)
        model.write(store, "inc-1")
        model.write(other, "inc-1")
        model.write(store, "inc-1")
        assert_matches(store, model)
        assert_matches(other, model)

    def test_instances_racing_for_each_version_have_one_winner(
        self, store: Store, reopened: Callable[[Store], Store]
    ) -> None:
        instances = [store, *(reopened(store) for _ in range(self.threads - 1))]
        _assert_one_winner_per_version(instances, "inc-race", self.rounds)
        assert verify_store(store).ok


def stored_spec(name: str, version: str, body: str = "") -> StoredSpec:
    """A process version to keep (its text need not be a valid spec: a store keeps text)."""
    text = f"metadata: {{name: {name}, version: '{version}'}}\n{body}"
    return StoredSpec(name, version, digest_of(text), text)


class SpecArchiveContract(_Contract):
    """For a :class:`~incidentflow.SpecArchive`: it keeps every process version once, by
    digest, in the order first kept, refuses a text that is not its digest's, and (with
    :class:`SharedBackingContract`) the versions outlive the instance."""

    def test_versions_are_kept_once_each_in_the_order_first_kept(self, store: SpecArchive) -> None:
        assert store.stored_specs() == []
        v2, v1 = stored_spec("major", "2.0.0"), stored_spec("major", "1.0.0")
        edited = stored_spec("major", "1.0.0", "# edited without a new version\n")
        other = stored_spec("minor", "1.0.0", "unicode: \u00e9\u6f22 \U0001f6a8\n")
        for spec in (v2, v1, v2, edited, other, v1):
            store.keep_spec(spec)
        assert store.stored_specs() == [v2, v1, edited, other]  # same text back, byte for byte

    def test_a_text_that_is_not_its_digests_is_refused_and_kept_nowhere(
        self, store: SpecArchive
    ) -> None:
        good = stored_spec("major", "1.0.0")
        forged = StoredSpec("major", "1.0.0", good.digest, good.text + "# changed\n")
        with pytest.raises(ValueError, match="not the text of that version"):
            store.keep_spec(forged)
        assert store.stored_specs() == []
        store.keep_spec(good)
        assert store.stored_specs() == [good]

    def test_kept_versions_outlive_the_instance(self, store: Store) -> None:
        assert isinstance(store, SpecArchive)
        spec = stored_spec("major", "1.0.0")
        store.keep_spec(spec)
        if isinstance(self, SharedBackingContract):
            again = self.reopen(store)
            try:
                assert isinstance(again, SpecArchive)
                assert again.stored_specs() == [spec]
                again.keep_spec(stored_spec("major", "2.0.0"))
            finally:
                again.close()
        assert store.stored_specs()[0] == spec
        store.close()
        with pytest.raises(StoreClosed):
            store.stored_specs()


class TamperContract(_Contract):
    """For a store whose backing can be changed behind its back: define ``tamper(store,
    incident_id, seq)``, which changes that event's stored data as someone with access to
    the backing would. Verification must then report that event, and only it: the store
    reads what is stored (no copy kept aside)."""

    def tamper(self, store: Store, incident_id: str, seq: int) -> None:
        """Override: change the stored ``data`` of event ``seq`` of ``incident_id``."""
        raise NotImplementedError(f"{type(self).__name__} must define tamper()")

    def test_verification_finds_a_changed_event(self, store: Store) -> None:
        keeps = self.keeps_every_incident
        model = Model(keeps_every_incident=keeps)
        if keeps:
            model.write(store, "inc-bystander", 4)
        model.write(store, "inc-victim", 5)
        assert verify_store(store).ok
        self.tamper(store, "inc-victim", 3)
        report = verify_store(store)
        assert [(p.incident_id, p.seq, p.problem) for p in report.problems] == [
            ("inc-victim", 3, "modified")
        ]
        assert verify_store(store, "inc-victim").problems == report.problems
        if keeps:
            assert verify_store(store, "inc-bystander").ok


class CrashContract(_Contract):
    """For a durable store: a writer killed (SIGKILL) in the middle of its appends leaves
    whole batches only, keeps every batch it reported committed, and the next writer goes
    on from there.

    Set ``crash_factory`` to ``"module:callable"``: ``callable(location)`` opens the store
    at ``location`` (a string), in the test process and in the killed child process, which
    imports it (with the test process's ``sys.path``). ``crash_location(tmp_path)`` is
    where the backing goes; by default a file in ``tmp_path``.
    """

    crash_factory: ClassVar[str] = ""
    crash_batch: ClassVar[int] = 5
    """Events per append in the killed writer."""
    crash_commits: ClassVar[int] = 20
    """Appends the writer reports committed before each kill."""
    crash_rounds: ClassVar[int] = 2

    def crash_location(self, tmp_path: Path) -> str:
        """Where the store under test keeps its events (override for a server store)."""
        return str(tmp_path / "crash-store")

    @pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs POSIX signals")
    def test_a_killed_writer_leaves_whole_batches(self, tmp_path: Path) -> None:
        if not self.crash_factory:
            pytest.fail(f"{type(self).__name__} must set crash_factory", pytrace=False)
        location = self.crash_location(tmp_path)
        reported: list[int] = []
        writer = [self.crash_factory, location, str(self.crash_batch)]
        for _ in range(self.crash_rounds):
            reported += _kill_a_writer(writer, self.crash_commits)
        store = crash_writer.open_store(self.crash_factory, location)
        try:
            log = store.events(crash_writer.INCIDENT)
            assert [e.seq for e in log] == list(range(1, len(log) + 1))
            assert len(log) % self.crash_batch == 0, "a batch was half-written"
            assert len(log) >= max(reported), "a batch reported committed was lost"
            if isinstance(store, BatchStore):
                # one append_many per batch: both incidents, and the due index, or neither
                assert [e.seq for e in store.events(crash_writer.COMPANION)] == [
                    e.seq for e in log
                ], "a batch of two incidents was half-written"
                assert store.incident_ids() == [crash_writer.INCIDENT, crash_writer.COMPANION]
                if isinstance(store, DueIndexStore):
                    due = store.next_due([crash_writer.SPEC[0]])
                    assert due == crash_writer.due_of(len(log)), "the due index is out of step"
            else:
                assert store.incident_ids() == [crash_writer.INCIDENT]
            report = verify_store(store)
            assert report.ok, report.problems
            store.append(crash_writer.INCIDENT, len(log), continue_log(log, crash_writer.INCIDENT))
        finally:
            store.close()


class BatchContract(_Contract):
    """For a :class:`~incidentflow.BatchStore`: ``append_many`` commits every incident at
    its version in one transaction, and a stale incident fails alone."""

    def test_a_batch_writes_every_incident_at_its_version(self, store: BatchStore) -> None:
        model = self.model()
        model.write(store, "inc-1", 2)
        batch = [
            Append("inc-1", 2, continue_log(model.log("inc-1"), "inc-1", 2)),
            Append("inc-2", 0, continue_log([], "inc-2", 1)),
        ]
        assert store.append_many(batch) == []
        for incident_id, version, events, _ in batch:
            model.append(incident_id, version, events)
        assert_matches(store, model)
        assert store.append_many([]) == []

    def test_a_stale_incident_fails_alone_and_the_others_are_kept(self, store: BatchStore) -> None:
        model = self.model()
        model.write(store, "inc-1", 2)
        stale = continue_log(model.log("inc-1")[:1], "inc-1", tag="stale:")  # based on v1
        model.write(store, "inc-2", 1)
        batch = [
            Append("inc-1", 1, stale),
            Append("inc-3", 0, continue_log([], "inc-3")),
            Append("inc-2", 1, continue_log(model.log("inc-2"), "inc-2")),
            Append("inc-4", 0, continue_log([], "inc-4")),
        ]
        expected = []
        for incident_id, version, events, _ in batch:  # what the model keeps and refuses
            try:
                model.append(incident_id, version, events)
            except ConcurrencyError as error:
                expected.append((error.incident_id, error.expected, error.actual))
        refused = store.append_many(batch)
        assert [(e.incident_id, e.expected, e.actual) for e in refused] == expected
        assert ("inc-1", 1, model.version("inc-1")) in expected
        assert_matches(store, model)
        again = [Append("inc-4", 0, continue_log([], "inc-4", tag="again:"))]  # a second opening
        assert [(e.incident_id, e.expected, e.actual) for e in store.append_many(again)] == [
            ("inc-4", 0, 1)
        ]
        assert_matches(store, model)

    @pytest.mark.parametrize("mistake", ["not a continuation", "an incident named twice"])
    def test_a_malformed_batch_writes_nothing(self, store: BatchStore, mistake: str) -> None:
        model = self.model()
        model.write(store, "inc-1", 2)
        good = Append("inc-2", 0, continue_log([], "inc-2"))
        if mistake == "not a continuation":
            bad = Append("inc-1", 1, continue_log(model.log("inc-1"), "inc-1"))
        else:
            bad = Append("inc-2", 0, continue_log([], "inc-2", tag="again:"))
        with pytest.raises(ValueError, match=r"inc-1|twice"):
            store.append_many([good, bad])
        assert_matches(store, model, ["inc-2"])

    def test_a_batch_given_as_a_generator_is_written_whole(self, store: BatchStore) -> None:
        # (against the type, but easy to pass: a store that reads the batch twice, to check
        # it and then to write it, must not find it empty the second time)
        model = self.model()
        ids = ["inc-1", "inc-2", "inc-3"] if self.keeps_every_incident else ["inc-1"]
        batch = [Append(i, 0, continue_log([], i)) for i in ids]
        assert store.append_many(a for a in batch) == []  # type: ignore[arg-type]
        for incident_id, version, events, _ in batch:
            model.append(incident_id, version, events)
        assert_matches(store, model)

    def test_threads_racing_with_batches_have_one_winner_per_incident(
        self, store: BatchStore
    ) -> None:
        ids = ["inc-1", "inc-2", "inc-3"] if self.keeps_every_incident else ["inc-1"]
        model = self.model()
        for incident_id in ids:
            model.write(store, incident_id)
        barrier = threading.Barrier(self.threads, timeout=60)

        def race(k: int) -> list[str]:
            logs = {i: store.events(i) for i in ids}
            barrier.wait()
            batch = [
                Append(i, len(log), continue_log(log, i, tag=f"{k}:")) for i, log in logs.items()
            ]
            refused = {e.incident_id for e in store.append_many(batch)}
            return [i for i in ids if i not in refused]

        with ThreadPoolExecutor(max_workers=self.threads) as pool:
            won = [
                i for f in [pool.submit(race, k) for k in range(self.threads)] for i in f.result()
            ]
        assert sorted(won) == ids, "each incident's version has exactly one winner"
        for incident_id in ids:
            assert [e.seq for e in store.events(incident_id)] == [1, 2]
        assert verify_store(store).ok


_PAST = datetime(2000, 1, 1, tzinfo=UTC)
_FUTURE = datetime(2100, 1, 1, tzinfo=UTC)


class DueIndexContract(_Contract):
    """For a :class:`~incidentflow.DueIndexStore`: the index follows every append in its
    transaction, claims see only due incidents of the processes asked for, claimed
    incidents are not claimed again until the claim ends, and a claim that raises
    writes nothing."""

    process: ClassVar[str] = SPEC[0]

    def claimed(self, store: DueIndexStore, limit: int = 100) -> list[str]:
        """The ids a claim now gets (the claim changes nothing)."""
        with store.claim_due([self.process], limit, _PAST.replace(year=2050)) as claim:
            return sorted(claim.incident_ids)

    def test_a_plain_append_marks_the_incident_to_look_at_now(self, store: DueIndexStore) -> None:
        assert self.claimed(store) == []
        assert store.next_due([self.process]) is None
        Model().write(store, "inc-1")
        assert self.claimed(store) == ["inc-1"]
        assert store.next_due(["another-process"]) is None
        with store.claim_due(["another-process"], 10) as claim:
            assert claim.incident_ids == []

    def test_a_batch_records_each_incident_s_due_time(self, store: DueIndexStore) -> None:
        refused = store.append_many(
            [
                Append("inc-past", 0, continue_log([], "inc-past"), _PAST),
                Append("inc-future", 0, continue_log([], "inc-future"), _FUTURE),
                Append("inc-never", 0, continue_log([], "inc-never"), None),
            ]
        )
        assert refused == []
        assert self.claimed(store) == ["inc-past"]
        assert store.next_due([self.process]) == _PAST
        log = store.events("inc-past")
        store.append_many([Append("inc-past", 1, continue_log(log, "inc-past"), None)])
        assert self.claimed(store) == []
        assert store.next_due([self.process]) == _FUTURE

    def test_a_claim_commits_its_writes_with_it_or_not_at_all(self, store: DueIndexStore) -> None:
        model = self.model()
        model.write(store, "inc-1")
        model.write(store, "inc-2")

        def fail_in_a_claim() -> None:
            with store.claim_due([self.process], 10) as claim:
                log = model.log("inc-1")
                added = claim.append_many([Append("inc-1", 1, continue_log(log, "inc-1"), None)])
                assert added == []
                claim.set_due("inc-2", _FUTURE)
                raise _BatchReadError("the worker fails before its claim ends")

        with pytest.raises(_BatchReadError):
            fail_in_a_claim()
        assert_matches(store, model)
        assert self.claimed(store) == ["inc-1", "inc-2"]
        with store.claim_due([self.process], 10) as claim:
            assert claim.events({"inc-1": 0, "inc-2": 1, "inc-none": 0}) == {
                "inc-1": model.log("inc-1"),
                "inc-2": [],
                "inc-none": [],
            }
            refused = claim.append_many(
                [Append("inc-1", 1, continue_log(model.log("inc-1"), "inc-1"), None)]
            )
            assert refused == []
            claim.set_due("inc-2", _FUTURE)
        model.append("inc-1", 1, continue_log(model.log("inc-1"), "inc-1"))
        assert_matches(store, model)
        assert self.claimed(store) == []
        assert store.next_due([self.process]) == _FUTURE

    def test_an_append_after_a_claim_that_raised_sees_what_is_stored(
        self, store: DueIndexStore
    ) -> None:
        model = self.model()
        store.append_many([Append("inc-1", 0, continue_log([], "inc-1"), _PAST)])
        model.append("inc-1", 0, store.events("inc-1"))

        def fail_in_a_claim() -> None:
            with store.claim_due([self.process], 10) as claim:
                later = [Append("inc-1", 1, continue_log(model.log("inc-1"), "inc-1"), _FUTURE)]
                assert claim.append_many(later) == []
                claim.set_due("inc-1", None)
                raise _BatchReadError("the worker fails before its claim ends")

        with pytest.raises(_BatchReadError):
            fail_in_a_claim()
        assert store.next_due([self.process]) == _PAST
        batch = continue_log(model.log("inc-1"), "inc-1", tag="again ")
        assert store.append_many([Append("inc-1", 1, batch, _FUTURE)]) == []
        model.append("inc-1", 1, batch)
        assert_matches(store, model)
        assert store.next_due([self.process]) == _FUTURE

    def test_a_claimed_incident_is_not_claimed_again_until_the_claim_ends(
        self, store: DueIndexStore
    ) -> None:
        for n in range(4):
            Model().write(store, f"inc-{n}")
        inside, done = threading.Event(), threading.Event()
        seen: list[list[str]] = []

        def first() -> None:
            with store.claim_due([self.process], 2) as claim:
                seen.append(list(claim.incident_ids))
                inside.set()
                done.wait(timeout=1.0)  # a second worker claims meanwhile (or waits)
                for incident_id in claim.incident_ids:
                    claim.set_due(incident_id, _FUTURE)

        thread = threading.Thread(target=first)
        thread.start()
        assert inside.wait(timeout=60)
        try:
            second = self.claimed(store)
        finally:
            done.set()
            thread.join(timeout=60)
        assert len(seen[0]) == 2
        assert not set(second) & set(seen[0]), "two claims held the same incident"
        assert self.claimed(store) == sorted({f"inc-{n}" for n in range(4)} - set(seen[0]))


# --- helpers ---------------------------------------------------------------------------

_IDS = ["inc-a", "inc-b", "inc-\u00e9"]
_TEXT = st.text(st.characters(codec="utf-8"), max_size=6)  # no lone surrogates: not UTF-8
_JSON = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | _TEXT
)
_DATA = st.dictionaries(
    st.sampled_from(["text", "n", "\u00fc"]), _JSON | st.lists(_JSON, max_size=2), max_size=2
)
_STEP = st.tuples(
    st.sampled_from(_IDS),
    st.sampled_from([0, 0, 0, -1, 1, -2]),  # version - current: mostly right
    st.integers(-1, 4),  # a read's `after`
    st.lists(_DATA, min_size=1, max_size=3),  # the events' data
)


class ChangeFeedContract(_Contract):
    """For a :class:`~incidentflow.ChangeFeed`: ``changes_since()`` never leaves out an
    incident appended to after the mark it is given (more ids, or None, are allowed), and
    reports nothing when nothing was appended."""

    @staticmethod
    def changed(store: ChangeFeed, mark: ChangeMark) -> tuple[set[str] | None, ChangeMark]:
        """``changes_since(mark)``, as a set."""
        ids, after = store.changes_since(mark)
        return (None if ids is None else set(ids)), after

    def test_the_first_look_cannot_tell(self, store: ChangeFeed) -> None:
        assert isinstance(store, Store)
        self.model().write(store, "inc-a", 1)
        assert store.changes_since(None)[0] is None

    def test_every_incident_appended_to_since_the_mark_is_reported(self, store: ChangeFeed) -> None:
        assert isinstance(store, Store)
        model = self.model()
        model.write(store, "inc-a", 2)
        _, mark = store.changes_since(None)
        assert self.changed(store, mark)[0] == set()  # nothing since
        model.write(store, "inc-b", 1)
        model.write(store, "inc-a", 1)
        ids, after = self.changed(store, mark)
        assert ids is None or {"inc-a", "inc-b"} <= ids
        with pytest.raises(ConcurrencyError):  # a refusal may be reported; it changes nothing
            store.append("inc-a", 1, continue_log(model.log("inc-a")[:1], "inc-a"))
        model.write(store, "inc-c", 1)
        ids, _ = self.changed(store, after)
        assert ids is None or "inc-c" in ids
        if isinstance(store, BatchStore):
            _, mark = store.changes_since(None)
            log = model.log("inc-b")
            store.append_many([Append("inc-b", len(log), continue_log(log, "inc-b"))])
            ids, _ = self.changed(store, mark)
            assert ids is None or "inc-b" in ids

    def test_a_concurrent_writer_is_never_missed(self, store: ChangeFeed) -> None:
        assert isinstance(store, Store)
        writing = [f"inc-{n:02d}" for n in range(24)]
        done = threading.Event()

        def write_all() -> None:
            try:
                for incident_id in writing:
                    store.append(incident_id, 0, continue_log([], incident_id))
            finally:
                done.set()

        reported: set[str] = set()
        ids, mark = self.changed(store, None)
        writer = threading.Thread(target=write_all)
        writer.start()
        try:
            while True:
                finished = done.is_set()  # read before the last look, which then sees all
                ids, mark = self.changed(store, mark)
                # None: the caller would read everything: all that is stored now
                reported |= set(store.incident_ids()) if ids is None else ids
                if finished:
                    break
        finally:
            writer.join()
        assert set(writing) <= reported


class RowsContract(_Contract):
    """For a :class:`~incidentflow.audit.rows.RowStore`: ``all_rows()`` is ``all_events()``
    as stored rows (the same events, grouped by incident, each in seq order), and a chain
    verifies from rows as from events."""

    def test_rows_are_the_stored_events(self, store: RowStore) -> None:
        assert isinstance(store, Store)
        model = self.model()
        for incident_id, count in [("inc-b", 3), ("inc-a", 2), ("inc-c", 1)]:
            model.write(store, incident_id, count, tag='odd "text" \u2028 ')
        rows = list(store.all_rows())
        events = list(store.all_events())
        assert sorted(rows) == sorted(_row_of(e) for e in events)
        for incident_id, group in itertools.groupby(rows, key=lambda r: r.incident_id):
            own = list(group)
            assert [r.seq for r in own] == list(range(1, model.version(incident_id) + 1))
            assert verify_chain(incident_id, own) is None


def _row_of(event: Event) -> StoredRow:
    return StoredRow(
        event.incident_id,
        event.seq,
        event.time,
        event.actor,
        event.kind,
        encode_data(event.data),
        event.spec_name,
        event.spec_version,
        event.spec_digest,
        event.prev_hash,
        event.hash,
    )


class _BatchReadError(Exception):
    """Raised by a batch while a store reads it."""


class _FailingBatch(Sequence[Event]):
    """A batch of events that raises when its item ``fail_at`` is read."""

    def __init__(self, events: Sequence[Event], fail_at: int) -> None:
        self._events = list(events)
        self._fail_at = fail_at

    def __len__(self) -> int:
        return len(self._events)

    @overload
    def __getitem__(self, index: int) -> Event: ...

    @overload
    def __getitem__(self, index: slice) -> Sequence[Event]: ...

    def __getitem__(self, index: int | slice) -> Event | Sequence[Event]:
        if isinstance(index, slice):
            return [self[i] for i in range(len(self))[index]]
        if index == self._fail_at:
            raise _BatchReadError(f"event {index} of the batch cannot be read")
        return self._events[index]


def _assert_one_winner_per_version(stores: Sequence[Store], incident_id: str, rounds: int) -> None:
    """One thread per store; in each round all read the incident, then all append at the
    version they read: exactly one wins, the others get ConcurrencyError."""
    barrier = threading.Barrier(len(stores), timeout=60)
    # per round: (thread, None if its append won, else the refusal's (expected, actual))
    outcomes: list[list[tuple[int, tuple[int, int] | None]]] = [[] for _ in range(rounds)]
    lock = threading.Lock()

    def race(k: int, store: Store) -> None:
        try:
            for r in range(rounds):
                barrier.wait()  # the previous round's appends are done
                log = store.events(incident_id)
                barrier.wait()  # everyone has read the same version
                try:
                    store.append(incident_id, len(log), continue_log(log, incident_id, tag=f"{k}:"))
                    refusal = None
                except ConcurrencyError as refused:
                    refusal = (refused.expected, refused.actual)
                with lock:
                    outcomes[r].append((k, refusal))
        except BaseException:
            barrier.abort()  # release the others rather than leave them waiting
            raise

    with ThreadPoolExecutor(max_workers=len(stores)) as pool:
        futures = [pool.submit(race, k, s) for k, s in enumerate(stores)]
    failures = [error for f in futures if (error := f.exception()) is not None]
    failures.sort(key=lambda e: isinstance(e, threading.BrokenBarrierError))  # the cause first
    if failures:
        raise failures[0]
    log = stores[0].events(incident_id)
    assert [e.seq for e in log] == list(range(1, rounds + 1))
    for r, outcome in enumerate(outcomes):
        winners = [k for k, refusal in outcome if refusal is None]
        assert len(winners) == 1, f"version {r}: {len(winners)} appends won"
        assert all(refusal == (r, r + 1) for _, refusal in outcome if refusal is not None)
        assert log[r].data == {"text": f"{winners[0]}:{r + 1}"}


_CRASH_TIMEOUT = 60.0


def _kill_a_writer(arguments: Sequence[str], commits: int) -> list[int]:
    """Start a writer child (:mod:`~incidentflow.audit.crash_writer`), SIGKILL it once it
    reported ``commits`` appends; return the versions it reported committed."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in sys.path if p)}
    argv = [sys.executable, "-m", crash_writer.__name__, *arguments]
    child = subprocess.Popen(
        argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    assert child.stdout is not None
    assert child.stderr is not None
    lines: queue.Queue[str | None] = queue.Queue()
    stdout = child.stdout

    def pump() -> None:
        for line in stdout:
            lines.put(line)
        lines.put(None)

    reader = threading.Thread(target=pump, daemon=True)
    reader.start()
    reported: list[int] = []
    try:
        deadline = time.monotonic() + _CRASH_TIMEOUT
        while len(reported) < commits:
            try:
                line = lines.get(timeout=max(0.1, deadline - time.monotonic()))
            except queue.Empty:
                pytest.fail(f"the writer reported {len(reported)} appends in {_CRASH_TIMEOUT} s")
            if line is None:
                raise AssertionError(f"the writer exited early:\n{child.stderr.read()}")
            reported.append(int(line))
        os.kill(child.pid, signal.SIGKILL)
        assert child.wait(timeout=_CRASH_TIMEOUT) == -signal.SIGKILL
        reader.join(timeout=_CRASH_TIMEOUT)
        while (line := lines.get_nowait()) is not None:  # printed before it died
            if line.endswith("\n"):
                reported.append(int(line))
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
        stdout.close()
        child.stderr.close()
    return reported
