"""Audit events and their hash chain.

Every change to an incident is one :class:`Event`. Its ``hash`` is the SHA-256 of
a canonical JSON encoding of every other field, including ``prev_hash``, the
previous event's hash: changing, deleting, inserting or reordering any event
breaks the chain at that point, which :func:`verify_chain` reports.

What a chain alone cannot show is a cut at its end: removing the last events
(or rewriting the last one and its hash) leaves a shorter chain that verifies.
An anchor (:mod:`incidentflow.audit.anchor`), kept where the log's writers cannot
change it, detects that.

Canonical encoding: a JSON array ``[incident_id, seq, time, actor, kind, data,
spec_name, spec_version, spec_digest, prev_hash]`` with sorted object keys, no
whitespace, UTF-8 (``ensure_ascii=False``). ``time`` is ISO 8601 in UTC.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from json.encoder import c_make_encoder, encode_basestring  # type: ignore[attr-defined]
from typing import Any, NamedTuple, Protocol

from incidentflow._frozen import builder

GENESIS = "0" * 64
"""The ``prev_hash`` of an incident's first event."""

KINDS = frozenset(
    {
        "opened",
        "deduplicated",
        "alert_resolved",
        "assigned",
        "unassigned",
        "checked",
        "transitioned",
        "timer_fired",
        "severity_changed",
        "noted",
        "action_started",
        "action_heartbeat",
        "action_succeeded",
        "action_failed",
        "migrated",  # moved to another version of its process (incidentflow.migration)
    }
)


@dataclass(frozen=True, slots=True)
class Event:
    """One recorded change to one incident (append-only)."""

    incident_id: str
    seq: int
    time: str
    actor: str
    kind: str
    data: Mapping[str, Any]
    spec_name: str
    spec_version: str
    spec_digest: str
    prev_hash: str
    hash: str
    data_json: str | None = field(default=None, compare=False, repr=False)
    """The stored canonical JSON of ``data``, when a store has it: verification hashes
    these exact bytes instead of re-encoding ``data`` (faster, and stricter)."""

    @property
    def at(self) -> datetime:
        """``time`` as an aware datetime."""
        return datetime.fromisoformat(self.time)


new_event: Callable[..., Event] = builder(Event)
"""``Event(...)`` with the fields given in order, at a plain class's cost (see
:mod:`incidentflow._frozen`): what the hot paths that make an event per change call."""


class StoredRow(NamedTuple):
    """One event exactly as a store keeps it: the columns of the events table, in order,
    ``data`` still its stored JSON text (see :mod:`incidentflow.audit.rows`).

    What verification needs, without the cost of an :class:`Event` (a frozen dataclass of
    12 fields costs ten times a tuple to build) or of decoding ``data``: the hash is
    checked over these exact texts.
    """

    incident_id: str
    seq: int
    time: str
    actor: str
    kind: str
    data_json: str
    spec_name: str
    spec_version: str
    spec_digest: str
    prev_hash: str
    hash: str


class EventFields(Protocol):
    """What folding an event reads besides its ``data``: an :class:`Event`, or a
    :class:`StoredRow` whose data is decoded on its own."""

    @property
    def seq(self) -> int: ...
    @property
    def time(self) -> str: ...
    @property
    def actor(self) -> str: ...
    @property
    def kind(self) -> str: ...
    @property
    def spec_version(self) -> str: ...
    @property
    def spec_digest(self) -> str: ...
    @property
    def hash(self) -> str: ...


# One encoder for every call: json.dumps with options builds a new JSONEncoder each time,
# which costs more than encoding an event's data.
_ENCODER = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False)


class _ThreadEncoder(threading.local):
    """The json module's C encoder with :data:`_ENCODER`'s settings, one per thread.

    ``JSONEncoder.encode`` builds a new C encoder (and a closure) on every call, which
    costs about as much as encoding an event's small ``data``; this one is built once.
    Same function, same arguments: the same bytes. ``markers`` detects circular values,
    as ``JSONEncoder`` does; an encoding that raised may leave entries in it, so it is
    cleared then. (Per thread: two threads encoding one shared value must not see each
    other's markers.)
    """

    def __init__(self) -> None:
        self.markers: dict[int, object] = {}
        self.encode = c_make_encoder(
            self.markers,
            _ENCODER.default,
            encode_basestring,
            _ENCODER.indent,
            _ENCODER.key_separator,
            _ENCODER.item_separator,
            _ENCODER.sort_keys,
            _ENCODER.skipkeys,
            _ENCODER.allow_nan,
        )


_THREAD_ENCODER = _ThreadEncoder() if c_make_encoder is not None else None


def canonical_json(value: object) -> str:
    """``value`` in the canonical JSON form: sorted keys, no whitespace, non-ASCII as is."""
    if _THREAD_ENCODER is None:  # a Python without the json module's C accelerator
        return _ENCODER.encode(value)
    encoder = _THREAD_ENCODER
    try:
        return "".join(encoder.encode(value, 0))
    except BaseException:
        encoder.markers.clear()
        raise


def encode_data(data: Mapping[str, Any]) -> str:
    """``data`` in the canonical JSON form (as stores keep it): for the data of an event
    sealed a moment ago, the very text its hash was computed over (see :data:`_SEALED`)."""
    sealed = _SEALED.get(id(data))
    if sealed is not None and sealed[0] is data:
        return sealed[1]
    return canonical_json(data)


_SEALED: dict[int, tuple[Mapping[str, Any], str]] = {}
"""The canonical text of the data of the events sealed last, by the data object's
identity (:func:`seal` fills it): a store writing an event it was just handed takes the
text :func:`seal` hashed instead of encoding the data a second time (a tenth of an append).

Each entry holds its data object, so that no other object can take its identity while
the entry lives; the whole memo is dropped when full (bounded memory). A data object
changed after sealing is a caller's mistake either way: its event's hash covers the
text it had when sealed, which is what this gives.
"""
_SEALED_MAX = 1024  # more than a batch of group commit writes in one go


def canonical_with_data_json(
    incident_id: str,
    seq: int,
    time: str,
    actor: str,
    kind: str,
    data_json: str,
    spec_name: str,
    spec_version: str,
    spec_digest: str,
    prev_hash: str,
    *,
    encode: Callable[[str], str] = encode_basestring,
) -> bytes:
    """:func:`canonical`, given ``data`` already in its canonical JSON text (``encode``:
    ``encode_basestring``, or a memo of it, for the strings that repeat: actor, kind and
    the spec's name, version and digest).

    Byte-identical to :func:`canonical`: a JSON array's elements are encoded independently,
    and ``encode_basestring`` is the json module's own string encoder (``ensure_ascii=False``);
    an int is written as ``int.__repr__`` does. (One format, two ways to build it: the
    tests in tests/audit check that they agree.)
    """
    enc = encode_basestring
    memo = encode
    return (
        f"[{enc(incident_id)},{int.__repr__(seq)},{enc(time)},{memo(actor)},{memo(kind)},"
        f"{data_json},{memo(spec_name)},{memo(spec_version)},{memo(spec_digest)},"
        f"{enc(prev_hash)}]"
    ).encode()


class _Encoded(dict[str, str]):
    """A memo of ``encode_basestring`` for the strings that repeat from event to event and
    from incident to incident (actors, kinds, spec names, versions and digests); cleared
    when full, so that any number of distinct strings costs bounded memory."""

    def __missing__(self, text: str) -> str:
        if len(self) >= _ENCODED_MAX:
            self.clear()
        encoded = self[text] = encode_basestring(text)
        return encoded


_ENCODED_MAX = 4096
_ENCODED = _Encoded()


def event_bytes(
    event: Event | StoredRow, *, encode: Callable[[str], str] = encode_basestring
) -> bytes:
    """The bytes ``event.hash`` must be the SHA-256 of (a stored row's: over its stored
    data text; ``encode``: as for :func:`canonical_with_data_json`)."""
    if event.data_json is not None:
        return canonical_with_data_json(
            event.incident_id,
            event.seq,
            event.time,
            event.actor,
            event.kind,
            event.data_json,
            event.spec_name,
            event.spec_version,
            event.spec_digest,
            event.prev_hash,
            encode=encode,
        )
    assert isinstance(event, Event)  # a StoredRow always has its text
    return canonical(
        event.incident_id,
        event.seq,
        event.time,
        event.actor,
        event.kind,
        event.data,
        event.spec_name,
        event.spec_version,
        event.spec_digest,
        event.prev_hash,
    )


def canonical(
    incident_id: str,
    seq: int,
    time: str,
    actor: str,
    kind: str,
    data: Mapping[str, Any],
    spec_name: str,
    spec_version: str,
    spec_digest: str,
    prev_hash: str,
) -> bytes:
    """The bytes an event's hash is computed over."""
    body = [
        incident_id,
        seq,
        time,
        actor,
        kind,
        data,
        spec_name,
        spec_version,
        spec_digest,
        prev_hash,
    ]
    return canonical_json(body).encode()


def seal(
    incident_id: str,
    seq: int,
    time: str,
    actor: str,
    kind: str,
    data: Mapping[str, Any],
    spec: tuple[str, str, str],
    prev_hash: str,
) -> Event:
    """A new event with its hash computed. ``spec`` is (name, version, digest).

    (The event does not keep the JSON text it was hashed over as ``data_json``: that field
    is for events read back from a store, whose text is the evidence. An event in memory
    is checked against its ``data``, so that a change to it cannot go unnoticed.)
    """
    name, version, digest = spec
    data_json = canonical_json(data)
    if len(_SEALED) >= _SEALED_MAX:  # bounded: dropped whole when full
        _SEALED.clear()
    _SEALED[id(data)] = (data, data_json)
    payload = canonical_with_data_json(
        incident_id, seq, time, actor, kind, data_json, name, version, digest, prev_hash
    )
    return new_event(
        incident_id,
        seq,
        time,
        actor,
        kind,
        data,
        name,
        version,
        digest,
        prev_hash,
        hashlib.sha256(payload).hexdigest(),
    )


@dataclass(frozen=True, slots=True)
class ChainProblem:
    """Where an incident's log stops being trustworthy, and why.

    ``problem`` is one word: ``modified``, ``missing``, ``inserted``, ``reordered``,
    ``not_opened`` (the chain), ``deleted``, ``unindexed`` (the incidents index),
    ``cut``, ``rewritten``, ``anchor_altered`` (an anchor), ``dropped`` (a table of a
    store file). ``incident_id`` is empty and ``seq`` 0 for a problem about the store
    as a whole or the anchor (see :mod:`incidentflow.audit.verify`).
    """

    incident_id: str
    seq: int
    problem: str
    detail: str


def verify_chain(incident_id: str, events: Iterable[Event | StoredRow]) -> ChainProblem | None:
    """The first problem in one incident's events (in stored order), or None if intact.

    Stored rows are checked straight from their columns: nothing is decoded."""
    prev_hash = GENESIS
    expected_seq = 1
    encode = _ENCODED.__getitem__
    sha256 = hashlib.sha256
    for event in events:
        if type(event) is StoredRow:
            # its first ten columns are what is hashed, in that order
            _, seq, _, _, kind, _, _, _, _, event_prev, event_hash = event
            payload = canonical_with_data_json(*event[:10], encode=encode)
        else:
            seq, kind, event_prev, event_hash = event.seq, event.kind, event.prev_hash, event.hash
            payload = event_bytes(event, encode=encode)
        intact = sha256(payload).hexdigest() == event_hash
        if not (
            intact
            and seq == expected_seq
            and event_prev == prev_hash
            and (seq != 1 or kind == "opened")
        ):
            return _chain_problem(incident_id, event, intact, expected_seq, prev_hash)
        prev_hash = event_hash
        expected_seq += 1
    return None


def _chain_problem(
    incident_id: str, event: Event | StoredRow, intact: bool, expected_seq: int, prev_hash: str
) -> ChainProblem:
    """What is wrong with ``event``, found out of place by :func:`verify_chain`."""
    if not intact:
        return ChainProblem(
            incident_id,
            event.seq,
            "modified",
            f"event {event.seq} ({event.kind}) does not match its hash",
        )
    if event.seq < expected_seq:
        return ChainProblem(
            incident_id,
            event.seq,
            "reordered" if event.prev_hash != prev_hash else "inserted",
            f"event {event.seq} appears after event {expected_seq - 1}",
        )
    if event.seq > expected_seq:
        return ChainProblem(
            incident_id,
            expected_seq,
            "missing",
            f"events {expected_seq}..{event.seq - 1} are missing",
        )
    if event.prev_hash != prev_hash:
        return ChainProblem(
            incident_id,
            event.seq,
            "inserted",
            f"event {event.seq} does not follow the hash of event {event.seq - 1}",
        )
    return ChainProblem(
        incident_id,
        1,
        "not_opened",
        f"event 1 is {event.kind!r}: a log starts with the incident's 'opened' event",
    )
