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
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from json.encoder import encode_basestring
from typing import Any

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


def canonical_json(value: object) -> str:
    """``value`` in the canonical JSON form: sorted keys, no whitespace, non-ASCII as is."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def encode_data(data: Mapping[str, Any]) -> str:
    """``data`` in the canonical JSON form (as stores keep it)."""
    return canonical_json(data)


def _canonical_with_data_json(event: Event, data_json: str) -> bytes:
    # Byte-identical to canonical(): a JSON array's elements are encoded independently,
    # and encode_basestring is the json module's own string encoder (ensure_ascii=False).
    enc = encode_basestring
    parts = (
        enc(event.incident_id),
        str(event.seq),
        enc(event.time),
        enc(event.actor),
        enc(event.kind),
        data_json,
        enc(event.spec_name),
        enc(event.spec_version),
        enc(event.spec_digest),
        enc(event.prev_hash),
    )
    return ("[" + ",".join(parts) + "]").encode()


def event_bytes(event: Event) -> bytes:
    """The bytes ``event.hash`` must be the SHA-256 of."""
    if event.data_json is not None:
        return _canonical_with_data_json(event, event.data_json)
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
    """A new event with its hash computed. ``spec`` is (name, version, digest)."""
    name, version, digest = spec
    payload = canonical(incident_id, seq, time, actor, kind, data, name, version, digest, prev_hash)
    return Event(
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


def verify_chain(incident_id: str, events: Iterable[Event]) -> ChainProblem | None:
    """The first problem in one incident's events (in stored order), or None if intact."""
    prev_hash = GENESIS
    expected_seq = 1
    for event in events:
        recomputed = hashlib.sha256(event_bytes(event)).hexdigest()
        if recomputed != event.hash:
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
        if event.seq == 1 and event.kind != "opened":
            return ChainProblem(
                incident_id,
                1,
                "not_opened",
                f"event 1 is {event.kind!r}: a log starts with the incident's 'opened' event",
            )
        prev_hash = event.hash
        expected_seq += 1
    return None
