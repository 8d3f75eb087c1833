"""Verifying a store: every chain, the incidents index against the events, and an anchor.

:func:`verify_store` finds, for each incident, the first problem (by ``seq``) among:

- its hash chain (:func:`~incidentflow.audit.events.verify_chain`): ``modified``,
  ``missing``, ``inserted``, ``reordered``, ``not_opened``;
- the index: ``deleted`` (the incidents index lists it, or the anchor knows it, but
  the store has none of its events), ``unindexed`` (it has events but no index row,
  so :meth:`Engine.tick <incidentflow.Engine.tick>` no longer sees it);
- the anchor, if one is given: ``cut`` (its log now ends before the anchored event),
  ``rewritten`` (the anchored event has another hash: everything up to it was
  rewritten and re-hashed).

and, about the store as a whole (``incident_id`` empty, ``seq`` 0): ``deleted``
(positions missing from an index whose positions are dense: incidents removed with
their index rows), ``dropped`` (a table is missing; reported by the file reader), and
``anchor_altered`` (the anchor's digest does not match its heads: it proves nothing,
and its heads are not compared).

A store offers the index through the best optional protocol it has:
:class:`~incidentflow.audit.store.IncidentIndex` (rows and high-water mark, dense
positions; SQLiteStore and MemoryStore), :class:`~incidentflow.audit.store.IndexedStore`
(``opened_since(0)``: the ids in opening order), else ``incident_ids()``.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from operator import attrgetter
from typing import Protocol

from incidentflow.audit.anchor import Anchor, AnchorHead
from incidentflow.audit.events import ChainProblem, Event, StoredRow, verify_chain
from incidentflow.audit.rows import RowStore, checked_logs
from incidentflow.audit.store import IncidentIndex, IndexedStore
from incidentflow.errors import UnknownIncident

WHOLE_STORE = ""
"""The ``incident_id`` of a problem about the store as a whole, or about the anchor."""


class ReadableStore(Protocol):
    """The reads verification needs (every :class:`~incidentflow.Store` has them)."""

    def events(self, incident_id: str, after: int = 0) -> list[Event]: ...

    def incident_ids(self) -> list[str]: ...

    def all_events(self) -> Iterator[Event]: ...


@dataclass(frozen=True, slots=True)
class VerifyReport:
    """The result of verifying audit logs: at most one problem per incident (its first),
    then problems about the store as a whole (``incident_id`` empty)."""

    checked: int
    """Incidents checked: those the index, the events or the anchor know."""
    problems: tuple[ChainProblem, ...]
    events: int = 0
    """Events read."""

    @property
    def ok(self) -> bool:
        """True when every log verified."""
        return not self.problems


@dataclass(frozen=True, slots=True)
class StoreCheck:
    """A verification, and every incident's head as stored (what an anchor records)."""

    report: VerifyReport
    heads: Mapping[str, tuple[int, str]] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class _Index:
    positions: dict[str, int]  # incident id -> position (0 when the store gives none)
    gaps: tuple[tuple[int, int], ...]  # missing positions, as inclusive ranges


def verify_store(
    store: ReadableStore, incident_id: str | None = None, *, anchor: Anchor | None = None
) -> VerifyReport:
    """Verify one incident of ``store``, or all of them, against ``anchor`` if given.

    Never raises for a damaged store: every problem is in the report. Raises
    :class:`UnknownIncident` only for an ``incident_id`` that neither the index, the
    events nor the anchor know (a typo, rather than a deleted incident).
    """
    if incident_id is not None:
        return _verify_one(store, incident_id, anchor)
    return check_store(store, anchor=anchor).report


def check_store(store: ReadableStore, *, anchor: Anchor | None = None) -> StoreCheck:
    """Verify every incident of ``store`` in one pass over its events; also return the heads."""
    # The index is read before the events: an incident it lists had committed events by
    # then (stores list an id only once its first events are committed), so finding
    # none of them afterwards means they were deleted, not that they were late.
    index = _read_index(store)
    trusted = _trusted(anchor)
    findings: dict[str, ChainProblem] = {}
    heads: dict[str, tuple[int, str]] = {}
    counted = 0
    for iid, log, chain in _logs(store):  # one incident at a time in memory
        counted += len(log)
        heads[iid] = (log[-1].seq, log[-1].hash)
        problem = _first_problem(iid, log, chain, trusted.head(iid) if trusted else None)
        if problem is not None:
            findings.setdefault(iid, problem)
    if index is not None:
        for iid, position in index.positions.items():
            if iid not in heads:
                head = trusted.head(iid) if trusted else None
                findings.setdefault(iid, _deleted(iid, position, head))
        unlisted = [iid for iid in heads if iid not in index.positions]
        if unlisted:  # opened after the index was read, or really unindexed: read it again
            again = _read_index(store)
            listed_now = again.positions if again is not None else {}
            for iid in unlisted:
                if iid not in listed_now:
                    findings.setdefault(iid, _unindexed(iid))
    for anchored in trusted.heads if trusted else ():
        if anchored.incident_id not in heads:
            findings.setdefault(
                anchored.incident_id, _deleted(anchored.incident_id, None, anchored)
            )
    order = {iid: n for n, iid in enumerate(index.positions if index is not None else ())}
    ranked = sorted(
        findings.values(), key=lambda p: (order.get(p.incident_id, len(order)), p.incident_id)
    )
    whole = _store_problems(
        index, anchor, unindexed=any(p.problem == "unindexed" for p in findings.values())
    )
    known = set(heads) | set(index.positions if index is not None else ()) | set(findings)
    report = VerifyReport(len(known), (*whole, *ranked), counted)
    return StoreCheck(report, heads)


def _logs(
    store: ReadableStore,
) -> Iterator[tuple[str, Sequence[Event | StoredRow], ChainProblem | None]]:
    """Each incident's log and the first problem in its chain: from rows, checked as they
    are grouped and never decoded, from a store that has them."""
    if isinstance(store, RowStore):
        yield from checked_logs(store.all_rows())
        return
    for iid, group in itertools.groupby(store.all_events(), key=attrgetter("incident_id")):
        log = list(group)
        yield iid, log, verify_chain(iid, log)


def _verify_one(store: ReadableStore, incident_id: str, anchor: Anchor | None) -> VerifyReport:
    log = store.events(incident_id)  # raw: never replayed, a tampered log may not fold
    # Read after the events: an incident with committed events is in the index by now.
    index = _read_index(store)
    trusted = _trusted(anchor)
    head = trusted.head(incident_id) if trusted else None
    whole = _store_problems(None, anchor)
    if not log:
        position = index.positions.get(incident_id) if index is not None else None
        if position is None and head is None:
            raise UnknownIncident(incident_id)  # rather than a vacuous "ok"
        return VerifyReport(1, (*whole, _deleted(incident_id, position, head)))
    problem = _first_problem(incident_id, log, verify_chain(incident_id, log), head)
    if problem is None and index is not None and incident_id not in index.positions:
        problem = _unindexed(incident_id)
    return VerifyReport(1, (*whole, *([problem] if problem else [])), len(log))


def format_problem(problem: ChainProblem) -> str:
    """One line for a person: where, what kind, and the detail."""
    if problem.incident_id == WHOLE_STORE:
        where = "anchor" if problem.problem == "anchor_altered" else "store"
        return f"{where}: {problem.problem}: {problem.detail}"
    at = f"event {problem.seq}: " if problem.seq else ""
    return f"{problem.incident_id}: {at}{problem.problem}: {problem.detail}"


def _first_problem(
    iid: str, log: Sequence[Event | StoredRow], chain: ChainProblem | None, head: AnchorHead | None
) -> ChainProblem | None:
    """The first of the chain's problem (``chain``) and the anchor's, by seq."""
    anchored = _against_anchor(iid, log, head) if head is not None else None
    if anchored is not None and (chain is None or anchored.seq < chain.seq):
        return anchored
    return chain


def _against_anchor(
    iid: str, log: Sequence[Event | StoredRow], head: AnchorHead
) -> ChainProblem | None:
    """Whether ``log`` still has the anchored event, with the anchored hash."""
    last = log[-1].seq
    if last < head.seq:
        return ChainProblem(
            iid,
            last + 1,
            "cut",
            f"the log ends at event {last}, but the anchor recorded event {head.seq}: "
            f"events {last + 1}..{head.seq} were cut",
        )
    event = next((e for e in log if e.seq == head.seq), None)
    if event is not None and event.hash != head.hash:
        return ChainProblem(
            iid,
            head.seq,
            "rewritten",
            f"event {head.seq} no longer has the hash the anchor recorded: events up to "
            f"{head.seq} were rewritten (and re-hashed)",
        )
    return None  # no event at head.seq: the chain check reports those missing


def _deleted(iid: str, position: int | None, head: AnchorHead | None) -> ChainProblem:
    known = []
    if position:
        known.append(f"the incidents index lists it (position {position})")
    elif position is not None:
        known.append("the incidents index lists it")
    if head is not None:
        known.append(f"the anchor recorded its events 1..{head.seq}")
    return ChainProblem(
        iid, 1, "deleted", f"{' and '.join(known)}, but the store has none of its events"
    )


def _unindexed(iid: str) -> ChainProblem:
    return ChainProblem(
        iid,
        1,
        "unindexed",
        "its events are in the store but the incidents index does not list it, so "
        "tick() and queue() no longer see it",
    )


def _store_problems(
    index: _Index | None, anchor: Anchor | None, *, unindexed: bool = False
) -> list[ChainProblem]:
    problems = []
    if anchor is not None and not anchor.intact:
        problems.append(
            ChainProblem(
                WHOLE_STORE,
                0,
                "anchor_altered",
                f"the anchor's digest does not match its heads (created {anchor.created}): "
                "it was altered after it was taken, and proves nothing",
            )
        )
    for low, high in index.gaps if index is not None else ():
        one = low == high
        span = (
            f"position {low} of the incidents index is"
            if one
            else (f"positions {low}..{high} of the incidents index are")
        )
        rows = (
            "the index row of 1 incident(s) was"
            if one
            else (f"the index rows of {high - low + 1} incident(s) were")
        )
        # Without an unindexed incident, no event is left that the missing rows listed.
        events = "" if unindexed else (", and its events" if one else ", and their events")
        problems.append(
            ChainProblem(WHOLE_STORE, 0, "deleted", f"{span} gone: {rows} deleted{events}")
        )
    return problems


def _trusted(anchor: Anchor | None) -> Anchor | None:
    """The anchor, if its heads can be trusted (an altered one is reported instead)."""
    return anchor if anchor is not None and anchor.intact else None


def _read_index(store: ReadableStore) -> _Index | None:
    """The incidents index as ``store`` gives it, or None if it has none to compare."""
    if isinstance(store, IncidentIndex):
        got = store.incident_index()
        if got is None:
            return None
        rows, high = got
        return _Index({iid: position for position, iid in rows}, _gaps(rows, high))
    if isinstance(store, IndexedStore):
        ids, _ = store.opened_since(0)
    else:
        ids = store.incident_ids()
    return _Index(dict.fromkeys(ids, 0), ())


def _gaps(rows: list[tuple[int, str]], high: int) -> tuple[tuple[int, int], ...]:
    """Positions 1..high that ``rows`` (in position order) lack, as inclusive ranges."""
    gaps = []
    expected = 1
    for position, _ in rows:
        if position > expected:
            gaps.append((expected, position - 1))
        expected = max(expected, position + 1)
    if high >= expected:
        gaps.append((expected, high))
    return tuple(gaps)
