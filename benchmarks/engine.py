"""(d) Engine throughput: transitions fired per second, incidentflow vs what a host writes by hand.

2,000 incidents each fire 5 consecutive transitions (round-robin: step 1 on every
incident, then step 2, ...) on the chain spec below: every step is role-checked,
three of them pick between two same-named transitions by a severity guard, and
the incidents alternate between SEV1 and SEV2. Roles are assigned beforehand and
the clock is fixed.

- **incidentflow**: ``Engine.fire`` on an Engine with a MemoryStore (authorisation,
  guards, a sealed SHA-256-chained event per fire, snapshot returned).
- **hand-written**: one ``transitions.Machine(model=[...every incident...])`` on the
  same graph (guards as model condition methods, the usual model-per-incident
  pattern), plus a role check (a dict lookup of the actor's roles on the incident
  against the transition's allowed roles, backups included, precomputed) and an
  audit record per fire (``json.dumps`` of the record with the previous hash,
  ``hashlib.sha256``, appended to the incident's list).
- **bare transitions**: the same Machine, no role check, no audit.
- **the record alone** (information): what the engine's audit record costs with nothing
  else: the time's ISO text, ``seal`` (canonical JSON, SHA-256, the ``Event``) of the data
  the engine recorded, from where the engine's incidents stood before their fires (taken
  from its events, untimed), and the event kept in a list: the very events the engine
  sealed, hash for hash. No check, no store, no state but the last seq and hash, no
  snapshot: the floor under any fire that keeps this record, which shows how much of the
  host's time the target leaves for everything else a fire does.

Only firing is timed; setup (opening + assigning on the Engine, building the Machine
with all 2,000 models on the baselines) is timed separately and shown for information.
Each round builds everything afresh and runs the four in turn, each timed with only its
own objects in memory (the engine is dropped before the hand-written host runs, and the
host's Machine before the record alone runs). The table shows each one's median time;
the ratios are the medians of the rounds' own ratios (both sides of a round run within
seconds of each other, so a slow spell of a shared machine weighs on one round rather
than on one side).
"""

from __future__ import annotations

import gc
import hashlib
import itertools
import json
import statistics
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from transitions import Machine

import incidentflow
from benchmarks.common import Outcome, ms, table, time_once
from benchmarks.profiling import hot_functions
from incidentflow.audit.events import Event, seal
from incidentflow.audit.store import MemoryStore, Store
from incidentflow.compiler.process import Process
from incidentflow.engine.authz import fire_roles
from incidentflow.engine.engine import Engine

INCIDENTS = 2_000
STEPS = 5
ROUNDS = 9
TARGET = 1 / 1.2  # time ratio incidentflow / hand-written: throughput >= 1.2x
TRIGGER = "advance"
FIXED = datetime(2024, 6, 11, 12, 0, tzinfo=UTC)
LEVELS = ("SEV1", "SEV2")  # incidents alternate between these
ACTORS = ("bob", "alice")  # step k is fired by ACTORS[k % 2]
HOLDERS = {"commander": "alice", "responder": "bob"}

CHAIN_SPEC = """\
apiVersion: incidentflow/v1
kind: Process
metadata: {name: chain, version: "1"}
roles:
  commander: {title: Incident Commander, backups: [deputy]}
  deputy: {title: Deputy Commander, backups: [commander]}
  responder: {title: Responder, backups: [commander]}
severity:
  levels:
    - {id: SEV1, acknowledge_within: 5m, resolve_within: 4h}
    - {id: SEV2, acknowledge_within: 15m, resolve_within: 8h}
    - {id: SEV3, acknowledge_within: 1h, resolve_within: 24h}
process:
  initial: s0
  states:
    s0: {title: Detected, owner: commander}
    s1: {title: Triage, owner: commander}
    s2: {title: Mitigating, owner: commander}
    s3: {title: Monitoring, owner: commander}
    s4: {title: Review, owner: commander}
    closed: {title: Closed, terminal: true}
  transitions:
    - {name: advance, from: s0, to: s1, by: [responder]}
    - {name: advance, from: s1, to: s2, by: [commander], when: {severity: [SEV1, SEV2]}}
    - {name: advance, from: s1, to: s3, by: [commander], when: {severity: [SEV3]}}
    - {name: advance, from: s2, to: s3, by: [responder], when: {severity: [SEV1, SEV2]}}
    - {name: advance, from: s2, to: s4, by: [responder], when: {severity: [SEV3]}}
    - {name: advance, from: s3, to: s4, by: [commander], when: {severity: [SEV1, SEV2]}}
    - {name: advance, from: s3, to: closed, by: [commander], when: {severity: [SEV3]}}
    - {name: advance, from: s4, to: closed, by: [responder]}
"""


def chain_process() -> Process:
    """The chain spec, compiled (it must compile without warnings)."""
    process = incidentflow.loads(CHAIN_SPEC, "<chain>")
    if process.warnings:
        raise RuntimeError(f"chain spec has warnings: {process.warnings[:3]}")
    return process


def fixed_clock() -> datetime:
    """The benchmarks' clock: always the same instant, as a new object on every reading
    (as a real clock gives: nothing may get for free what it worked out for the last one)."""
    return FIXED.replace()


def counter_ids() -> Callable[[], str]:
    """Deterministic incident ids: inc-000000, inc-000001, ..."""
    numbers = itertools.count()
    return lambda: f"inc-{next(numbers):07d}"


def new_engine(process: Process, store: Store | None = None) -> Engine:
    """An Engine with a fixed clock and counter ids (MemoryStore unless given)."""
    return Engine(
        process,
        store if store is not None else MemoryStore(),
        clock=fixed_clock,
        new_id=counter_ids(),
    )


def open_incidents(engine: Engine, process: Process, n: int, *, assign: bool = True) -> list[str]:
    """Open ``n`` incidents (alternating levels), each with its roles assigned if ``assign``."""
    ids = []
    for i in range(n):
        incident = engine.open(process.name, severity=LEVELS[i % len(LEVELS)])
        if assign:
            for role, person in HOLDERS.items():
                engine.assign(incident.id, role, person, actor="system")
        ids.append(incident.id)
    return ids


def fire_engine(engine: Engine, ids: list[str]) -> None:
    """STEPS rounds of ``Engine.fire`` over every incident."""
    fire = engine.fire
    for step in range(STEPS):
        actor = ACTORS[step % 2]
        for iid in ids:
            fire(iid, TRIGGER, actor=actor)


# --- the hand-written host code -------------------------------------------------------

_GUARDS = {("SEV1", "SEV2"): "is_major", ("SEV3",): "is_minor"}
_MAJOR = frozenset({"SEV1", "SEV2"})


class HandIncident:
    """A host's incident model for transitions (the Machine adds its methods to it)."""

    state: str

    def __init__(self, incident_id: str, severity: str) -> None:
        self.id = incident_id
        self.severity = severity
        self.seq = 0
        self.prev = "0" * 64
        self.log: list[tuple[dict[str, Any], str]] = []

    def is_major(self) -> bool:
        """Guard: SEV1 or SEV2."""
        return self.severity in _MAJOR

    def is_minor(self) -> bool:
        """Guard: SEV3."""
        return not self.is_major()


def machine_transitions(process: Process) -> list[dict[str, Any]]:
    """The process's transitions in transitions.Machine's terms, guards as model methods."""
    out = []
    for tr in process.spec.process.transitions:
        spec: dict[str, Any] = {"trigger": tr.name, "source": list(tr.sources), "dest": tr.to}
        if tr.when is not None:
            spec["conditions"] = _GUARDS[tuple(sorted(tr.when.severity))]
        out.append(spec)
    return out


def allowed_roles(process: Process) -> dict[tuple[str, str], frozenset[str]]:
    """(source, trigger) -> roles that may fire it, backups included (a host precomputes this)."""
    out: dict[tuple[str, str], frozenset[str]] = {}
    for tr in process.spec.process.transitions:
        for source in tr.sources:
            key = (source, tr.name)
            out[key] = out.get(key, frozenset()) | fire_roles(process, tr)
    return out


@dataclass
class Hand:
    """The host's objects: the Machine, the models, who holds what, and the allowed roles."""

    machine: Machine
    models: list[HandIncident]
    holders: dict[str, dict[str, frozenset[str]]]  # incident id -> person -> roles
    allowed: dict[tuple[str, str], frozenset[str]]


def build_hand(process: Process, n: int) -> Hand:
    """n models on one Machine (model-per-incident), roles assigned as on the Engine."""
    models = [HandIncident(f"inc-{i:07d}", LEVELS[i % len(LEVELS)]) for i in range(n)]
    machine = Machine(
        model=models,
        states=list(process.states),
        transitions=machine_transitions(process),
        initial=process.initial,
        auto_transitions=False,
    )
    people = {person: frozenset({role}) for role, person in HOLDERS.items()}
    return Hand(machine, models, {m.id: dict(people) for m in models}, allowed_roles(process))


_NO_ROLES: frozenset[str] = frozenset()


def hand_fire(hand: Hand, model: HandIncident, trigger: str, actor: str) -> None:
    """Role check, fire, SHA-256-chained audit record: what a host writes instead of fire()."""
    source = model.state
    allowed = hand.allowed.get((source, trigger))
    if allowed is None or not hand.holders[model.id].get(actor, _NO_ROLES) & allowed:
        raise PermissionError(f"{actor} may not {trigger} {model.id}")
    if not model.trigger(trigger):
        raise RuntimeError(f"{trigger} refused by its guard on {model.id}")
    model.seq += 1
    record = {
        "incident": model.id,
        "seq": model.seq,
        "time": fixed_clock().isoformat(),
        "actor": actor,
        "kind": "transitioned",
        "transition": trigger,
        "from": source,
        "to": model.state,
        "prev": model.prev,
    }
    digest = hashlib.sha256(json.dumps(record, sort_keys=True).encode()).hexdigest()
    model.log.append((record, digest))
    model.prev = digest


def fire_hand(hand: Hand) -> None:
    """STEPS rounds of hand_fire over every model."""
    for step in range(STEPS):
        actor = ACTORS[step % 2]
        for model in hand.models:
            hand_fire(hand, model, TRIGGER, actor)


def fire_bare(hand: Hand) -> None:
    """STEPS rounds of ``model.trigger`` over every model: no checks, no audit."""
    for _ in range(STEPS):
        for model in hand.models:
            model.trigger(TRIGGER)


# --- the floor: the engine's record alone ---------------------------------------------


@dataclass
class Floor:
    """Each incident's state, severity, last seq and hash and its kept events, and the data
    the engine records for a fire, by (source state, severity, actor)."""

    incidents: list[list[Any]]  # [id, state, severity, seq, hash, events]
    records: dict[tuple[str, str, str], tuple[str, dict[str, Any]]]  # -> (target, data)
    spec: tuple[str, str, str]


def build_floor(process: Process, engine: Engine, ids: list[str]) -> Floor:
    """The incidents ``ids`` as they stood on ``engine`` before their fires (opened and
    assigned: seq 3 and its hash), and the data the engine recorded for each fire."""
    records = {}
    incidents = []
    for iid in ids:
        history = engine.history(iid)
        severity = engine.get(iid).severity
        for event in history[3:]:
            key = (event.data["from"], severity, event.actor)
            records.setdefault(key, (event.data["to"], dict(event.data)))
        incidents.append([iid, process.initial, severity, 3, history[2].hash, []])
    return Floor(incidents, records, (process.name, process.version, process.digest))


def fire_floor(floor: Floor) -> None:
    """STEPS rounds of: the ISO time, ``seal`` of the fire's data, the event kept."""
    records, spec = floor.records, floor.spec
    for step in range(STEPS):
        actor = ACTORS[step % 2]
        for incident in floor.incidents:
            iid, state, severity, seq, prev, events = incident
            target, recorded = records[(state, severity, actor)]
            time = fixed_clock().isoformat()
            event: Event = seal(
                iid, seq + 1, time, actor, "transitioned", recorded.copy(), spec, prev
            )
            events.append(event)
            incident[1], incident[3], incident[4] = target, seq + 1, event.hash


# --- the benchmark --------------------------------------------------------------------


def _let_go_of_the_engine(
    process: Process, holder: dict[str, Any]
) -> tuple[list[str], list[list[str]], float]:
    """Take the round's engine out of ``holder``, leaving the record alone built from it:
    the engine's final states, the hashes of each incident's fired events, and the record
    alone's setup time. Once this returns, nothing holds the engine."""
    engine, ids = holder.pop("engine"), holder.pop("ids")
    finals = [engine.get(i).state for i in ids]
    setup = time_once(lambda: holder.__setitem__("floor", build_floor(process, engine, ids)))
    recorded = [[e.hash for e in engine.history(i)[3:]] for i in ids]
    return finals, recorded, setup


def _round(process: Process) -> dict[str, tuple[float, float]]:
    """One round: (setup seconds, fire seconds) of each implementation, each timed with
    only its own objects in memory, and checked against the engine: the same final states
    (the record alone: the very events, hash for hash)."""
    out = {}
    gc.collect()
    holder: dict[str, Any] = {}

    def setup_engine() -> None:
        holder["engine"] = engine = new_engine(process)
        holder["ids"] = open_incidents(engine, process, INCIDENTS)

    setup = time_once(setup_engine)
    gc.collect()
    out["incidentflow"] = (setup, time_once(lambda: fire_engine(holder["engine"], holder["ids"])))
    finals, recorded, floor_setup = _let_go_of_the_engine(process, holder)
    for name, fire in (("hand-written", fire_hand), ("bare transitions", fire_bare)):
        gc.collect()
        setup = time_once(lambda: holder.__setitem__("hand", build_hand(process, INCIDENTS)))
        gc.collect()
        out[name] = (setup, time_once(lambda fire=fire: fire(holder["hand"])))
        if [m.state for m in holder["hand"].models] != finals:
            raise RuntimeError(f"{name} ended in other states than incidentflow")
    if any(len(m.log) for m in holder.pop("hand").models):
        raise RuntimeError("bare transitions wrote audit records")
    gc.collect()
    out["the record alone"] = (floor_setup, time_once(lambda: fire_floor(holder["floor"])))
    floor = holder.pop("floor")
    if [inc[1] for inc in floor.incidents] != finals:
        raise RuntimeError("the record alone ended in other states than incidentflow")
    if [[e.hash for e in inc[5]] for inc in floor.incidents] != recorded:
        raise RuntimeError("the record alone sealed other events than incidentflow")
    return out


def run() -> list[Outcome]:
    """Run benchmark (d); print its tables; return its summary rows."""
    process = chain_process()
    rounds = [_round(process) for _ in range(ROUNDS)]
    names = list(rounds[0])
    fires = INCIDENTS * STEPS
    med = {n: sorted(r[n][1] for r in rounds)[ROUNDS // 2] for n in names}
    setup = {n: sorted(r[n][0] for r in rounds)[ROUNDS // 2] for n in names}
    rows = [
        (
            n,
            ms(med[n]),
            f"{fires / med[n]:,.0f}",
            f"{med[n] / fires * 1e6:.1f} us",
            ms(setup[n]),
        )
        for n in names
    ]
    print(
        table(
            f"(d) fire {INCIDENTS:,} incidents x {STEPS} transitions = {fires:,} fires "
            f"(median of {ROUNDS} rounds)",
            ("implementation", "fire time", "fires/s", "per fire", "setup (untimed in ratio)"),
            rows,
        )
    )
    # each round's own ratio (both sides ran within seconds of each other), then their
    # median: a slow spell of a shared machine weighs on one round, not on one side
    vs_hand = statistics.median(r["incidentflow"][1] / r["hand-written"][1] for r in rounds)
    vs_bare = statistics.median(r["incidentflow"][1] / r["bare transitions"][1] for r in rounds)
    spread = sorted(r["incidentflow"][1] / r["hand-written"][1] for r in rounds)
    print(
        "setup: incidentflow opens + assigns 2 roles per incident; the baselines build "
        f"the Machine with all {INCIDENTS:,} models."
    )
    print(
        f"throughput incidentflow / hand-written = {1 / vs_hand:.3f} (target >= 1.2); "
        f"time ratio = {vs_hand:.3f} (target <= {TARGET:.3f}; median of the {ROUNDS} rounds' "
        f"ratios, which ranged {spread[0]:.3f}-{spread[-1]:.3f})"
    )
    print(f"throughput incidentflow / bare transitions = {1 / vs_bare:.3f} (no target)")
    floor = statistics.median(r["the record alone"][1] / r["hand-written"][1] for r in rounds)
    print(
        f"the record alone / hand-written time = {floor:.3f} (information: the floor under "
        f"any fire that keeps the engine's record; the target leaves {TARGET - floor:.3f} of "
        "the host's time for everything else: checks, reading and writing the store, "
        "the incident's state, the snapshot returned)"
    )
    whole = (med["incidentflow"] + setup["incidentflow"]) / (
        med["hand-written"] + setup["hand-written"]
    )
    print(f"setup + fire, incidentflow / hand-written time = {whole:.3f} (information)\n")
    engine = new_engine(process)
    ids = open_incidents(engine, process, INCIDENTS)
    print(hot_functions(lambda: fire_engine(engine, ids), "    hot functions of Engine.fire"))
    return [
        Outcome("engine", "fire: incidentflow / hand-written time (1/throughput)", vs_hand, TARGET),
    ]
