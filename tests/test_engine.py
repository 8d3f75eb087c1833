"""Behaviour tests of the Engine API, driven by an injectable clock.

Every refusal is checked to have written nothing: the incident's history length,
its version and the whole store are compared before and after.
"""

from __future__ import annotations

import itertools
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import fields as dataclass_fields
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest

import incidentflow
from incidentflow import (
    ActionRequest,
    ConcurrencyError,
    Engine,
    Event,
    InvalidArgument,
    InvalidOperation,
    MemoryStore,
    MissingHandlers,
    NotAuthorized,
    OperationRefused,
    SQLiteStore,
    TransitionNotAllowed,
    UnknownIncident,
    UnknownProcess,
)
from incidentflow.audit.events import KINDS
from incidentflow.engine.state import replay
from tests.conftest import EXAMPLES, MINIMAL

MAJOR = incidentflow.load(EXAMPLES / "major-incident.yaml")
DESK = incidentflow.load(EXAMPLES / "service-desk.yaml")
SMALL = incidentflow.load(MINIMAL)

T0 = datetime(2024, 5, 1, 9, 0, tzinfo=UTC)

API_DOWN = {"service": "api", "availability": 0.5}


# --- helpers ------------------------------------------------------------------------------


@pytest.fixture
def now() -> list[datetime]:
    """The test clock: a mutable list holding the current time."""
    return [T0]


@pytest.fixture
def engine(now: list[datetime]) -> Engine:
    """An in-memory engine on the major-incident process."""
    return Engine(MAJOR, clock=lambda: now[0])


@contextmanager
def writes_nothing(engine: Engine, incident_id: str) -> Iterator[None]:
    """Assert that the block (a refusal) changed neither the incident nor the store."""
    length = len(engine.history(incident_id))
    version = engine.get(incident_id).version
    everything = list(engine.store.all_events())
    yield
    assert len(engine.history(incident_id)) == length
    assert engine.get(incident_id).version == version
    assert list(engine.store.all_events()) == everything


def kinds(engine: Engine, incident_id: str) -> list[str]:
    return [e.kind for e in engine.history(incident_id)]


def in_triage(engine: Engine, severity: str = "SEV1") -> str:
    """A major incident acknowledged by alice (responder), carol commanding, dave deputy."""
    iid = engine.open("major-incident", severity=severity, title="checkout down").id
    engine.assign(iid, "responder", "alice", actor="system")
    engine.assign(iid, "commander", "carol", actor="system")
    engine.assign(iid, "deputy", "dave", actor="system")
    engine.fire(iid, "acknowledge", actor="alice")
    assert engine.get(iid).state == "triage"
    return iid


def desk_in_progress(engine: Engine, severity: str = "P3") -> str:
    """A service-desk incident handed to a resolver (rita), agent sam."""
    iid = engine.open("service-desk", severity=severity).id
    engine.assign(iid, "service_desk_agent", "sam", actor="system")
    engine.assign(iid, "resolver", "rita", actor="system")
    engine.check(iid, "categorised", actor="sam")
    engine.check(iid, "prioritised", actor="sam")
    engine.fire(iid, "assign", actor="sam")
    assert engine.get(iid).state == "in_progress"
    return iid


def same_incident(a: incidentflow.Incident, b: incidentflow.Incident) -> None:
    for field in dataclass_fields(a):
        assert getattr(a, field.name) == getattr(b, field.name), field.name


# --- signal -------------------------------------------------------------------------------


def test_signal_without_a_match_returns_none_and_writes_nothing(engine: Engine) -> None:
    assert engine.signal({"service": "api", "availability": 1.0}) is None
    assert engine.signal({}) is None
    assert engine.store.incident_ids() == []


def test_signal_most_severe_trigger_of_a_process_wins(engine: Engine) -> None:
    # matches latency_degradation (SEV3, listed last) and api_outage (SEV1, listed first)
    # and error_budget_burn (SEV2)
    incident = engine.signal({**API_DOWN, "p99_latency_ms": 2000, "slo_burn_rate": 20})
    assert incident is not None
    assert incident.severity == "SEV1"
    opened = engine.history(incident.id)[0]
    assert opened.kind == "opened"
    assert opened.data["trigger"] == "api_outage"
    assert opened.actor == "system"
    # only the milder ones match: error_budget_burn (SEV2) beats latency (SEV3)
    other = engine.signal({"service": "web", "p99_latency_ms": 2000, "slo_burn_rate": 20})
    assert other is not None
    assert other.severity == "SEV2"
    assert engine.history(other.id)[0].data["trigger"] == "error_budget_burn"


def test_signal_tie_within_a_process_goes_to_the_earlier_trigger(engine: Engine) -> None:
    # api_outage and data_integrity are both SEV1; api_outage comes first in the file
    incident = engine.signal({**API_DOWN, "data_loss_suspected": True, "cluster": "c1"})
    assert incident is not None
    assert engine.history(incident.id)[0].data["trigger"] == "api_outage"


def test_signal_across_processes_most_severe_wins_then_earlier_process(
    now: list[datetime],
) -> None:
    latency = {"service": "web", "p99_latency_ms": 2000}  # major: SEV3; minimal: SEV1
    for order in ([MAJOR, SMALL], [SMALL, MAJOR]):
        eng = Engine(order, clock=lambda: now[0])
        incident = eng.signal(latency)
        assert incident is not None
        assert (incident.process, incident.severity) == ("minimal", "SEV1")
    # a tie at the most severe rank (both SEV1) goes to the process loaded first
    first = Engine([MAJOR, SMALL], clock=lambda: now[0]).signal(API_DOWN)
    second = Engine([SMALL, MAJOR], clock=lambda: now[0]).signal(API_DOWN)
    assert first is not None
    assert second is not None
    assert first.process == "major-incident"
    assert second.process == "minimal"


def test_signal_level_from_the_matrix(now: list[datetime]) -> None:
    eng = Engine([MAJOR, DESK], clock=lambda: now[0])
    cases = [
        ({"channel": "monitoring", "ci": "crm", "response_time_ms": 5000}, "P3"),  # medium x medium
        ({"channel": "monitoring", "ci_class": "business_service", "status": "down"}, "P1"),
        ({"channel": "phone"}, "P4"),  # low x medium
        ({"channel": "email", "caller_vip": True}, "P3"),  # low x high
        ({"category": "cosmetic"}, "P5"),  # low x low
        ({"service": "web", "slo_burn_rate": 20}, "SEV2"),  # significant x high
        ({"service": "web", "p99_latency_ms": 2000}, "SEV3"),  # moderate x medium
    ]
    for fields, level in cases:
        incident = eng.signal(fields)
        assert incident is not None, fields
        assert incident.severity == level, fields
        assert dict(incident.fields) == fields


def test_signal_dedupe_joins_the_open_incident(engine: Engine, now: list[datetime]) -> None:
    first = engine.signal(API_DOWN)
    assert first is not None
    now[0] = T0 + timedelta(minutes=1)
    again = engine.signal({**API_DOWN, "availability": 0.3}, actor="alertmanager")
    assert again is not None
    assert again.id == first.id
    assert engine.store.incident_ids() == [first.id]
    last = engine.history(first.id)[-1]
    assert last.kind == "deduplicated"
    assert last.actor == "alertmanager"
    assert last.data["trigger"] == "api_outage"
    assert last.data["fields"]["availability"] == 0.3
    assert kinds(engine, first.id).count("deduplicated") == 1
    assert kinds(engine, first.id).count("opened") == 1
    assert again.version == engine.get(first.id).version
    # a different dedupe value opens another incident
    other = engine.signal({**API_DOWN, "service": "checkout"})
    assert other is not None
    assert other.id != first.id
    assert engine.store.incident_ids() == [first.id, other.id]


def test_signal_dedupe_does_not_join_a_closed_incident(now: list[datetime]) -> None:
    eng = Engine(DESK, clock=lambda: now[0])
    down = {"channel": "monitoring", "ci_class": "business_service", "status": "down", "ci": "erp"}
    first = eng.signal(down)
    assert first is not None
    eng.assign(first.id, "service_desk_agent", "sam", actor="system")
    eng.fire(first.id, "cancel", actor="sam")
    assert eng.get(first.id).closed
    before = len(eng.history(first.id))
    second = eng.signal(down)
    assert second is not None
    assert second.id != first.id
    assert not second.closed
    assert len(eng.history(first.id)) == before
    assert "deduplicated" not in kinds(eng, first.id)
    # and the new open one is the one joined next
    third = eng.signal(down)
    assert third is not None
    assert third.id == second.id


# --- open ---------------------------------------------------------------------------------


def test_open_at_a_severity(engine: Engine) -> None:
    incident = engine.open(
        "major-incident", severity="SEV2", title="t", fields={"a": 1}, actor="svc"
    )
    assert incident.severity == "SEV2"
    assert incident.state == "detected"
    assert incident.phase == "identification"
    assert incident.title == "t"
    assert dict(incident.fields) == {"a": 1}
    assert incident.opened_by == "svc"
    assert incident.opened_at == T0
    assert incident.state_entered_at == T0
    assert incident.timers == {"ack_deadline": T0 + timedelta(minutes=15)}
    assert not incident.closed
    assert engine.get(incident.id) == incident
    opened = engine.history(incident.id)[0]
    assert (opened.seq, opened.kind, opened.actor) == (1, "opened", "svc")
    assert opened.at == T0
    assert (opened.spec_name, opened.spec_version, opened.spec_digest) == (
        "major-incident",
        "1.0.0",
        MAJOR.digest,
    )


def test_open_from_impact_and_urgency(engine: Engine) -> None:
    assert engine.open("major-incident", impact="extensive", urgency="medium").severity == "SEV2"
    assert engine.open("major-incident", impact="minor", urgency="low").severity == "SEV4"


@pytest.mark.parametrize(
    "kwargs",
    [
        {},
        {"impact": "extensive"},
        {"urgency": "critical"},
        {"severity": "SEV1", "impact": "extensive", "urgency": "critical"},
        {"severity": "SEV1", "impact": "extensive"},
        {"severity": "SEV9"},
        {"impact": "galactic", "urgency": "critical"},
        {"impact": "extensive", "urgency": "whenever"},
    ],
)
def test_open_invalid_combinations(engine: Engine, kwargs: dict[str, str]) -> None:
    with pytest.raises(InvalidOperation) as info:
        engine.open("major-incident", **kwargs)
    assert info.value.operation == "open"
    assert engine.store.incident_ids() == []


def test_open_matrix_on_a_process_without_one(now: list[datetime]) -> None:
    eng = Engine(SMALL, clock=lambda: now[0])
    with pytest.raises(InvalidOperation):
        eng.open("minimal", impact="high", urgency="high")
    assert eng.store.incident_ids() == []


def test_open_unknown_process(engine: Engine) -> None:
    with pytest.raises(UnknownProcess) as info:
        engine.open("nope", severity="SEV1")
    assert info.value.name == "nope"
    assert info.value.known == ("major-incident",)
    assert engine.store.incident_ids() == []


# --- assign / unassign --------------------------------------------------------------------


def test_the_opener_may_assign(engine: Engine) -> None:
    iid = engine.open("major-incident", severity="SEV1", actor="bot").id
    incident = engine.assign(iid, "responder", "alice", actor="bot")
    assert incident.assignments == {"responder": frozenset({"alice"})}
    event = engine.history(iid)[-1]
    assert (event.kind, event.actor, dict(event.data)) == (
        "assigned",
        "bot",
        {"role": "responder", "person": "alice"},
    )


def test_owner_role_holders_and_their_backups_may_assign(engine: Engine) -> None:
    iid = engine.open("major-incident", severity="SEV1").id
    engine.assign(iid, "responder", "alice", actor="system")  # owner of detected
    engine.assign(iid, "secondary", "sid", actor="alice")  # alice holds the owner role
    engine.assign(iid, "scribe", "sue", actor="sid")  # secondary backs up responder
    assert engine.get(iid).assignments == {
        "responder": frozenset({"alice"}),
        "secondary": frozenset({"sid"}),
        "scribe": frozenset({"sue"}),
    }
    assert [e.actor for e in engine.history(iid) if e.kind == "assigned"] == [
        "system",
        "alice",
        "sid",
    ]


def test_others_may_not_assign(engine: Engine) -> None:
    iid = engine.open("major-incident", severity="SEV1").id
    engine.assign(iid, "scribe", "sue", actor="system")  # a role, but not the owner's
    for actor in ("mallory", "sue"):
        with writes_nothing(engine, iid), pytest.raises(NotAuthorized) as info:
            engine.assign(iid, "commander", actor, actor=actor)
        assert info.value.allowed_roles == ("responder", "secondary")
        assert info.value.incident_id == iid
        assert info.value.operation == "assign"
        assert info.value.actor == actor
        assert info.value.reason == "role"


def test_owner_of_the_previous_state_may_no_longer_assign(engine: Engine) -> None:
    iid = in_triage(engine)  # owner is now commander
    with writes_nothing(engine, iid), pytest.raises(NotAuthorized) as info:
        engine.assign(iid, "scribe", "sue", actor="alice")
    assert info.value.allowed_roles == ("commander", "deputy")
    engine.assign(iid, "scribe", "sue", actor="carol")
    engine.assign(iid, "comms", "cat", actor="dave")  # deputy backs up commander
    assert engine.get(iid).assignments["comms"] == frozenset({"cat"})


def test_assign_unknown_role(engine: Engine) -> None:
    iid = engine.open("major-incident", severity="SEV1").id
    with writes_nothing(engine, iid), pytest.raises(InvalidOperation):
        engine.assign(iid, "janitor", "x", actor="system")


@pytest.mark.parametrize(
    ("first", "second"), [("responder", "commander"), ("commander", "responder")]
)
def test_distinct_holders_policy_refuses(engine: Engine, first: str, second: str) -> None:
    iid = engine.open("major-incident", severity="SEV1").id
    engine.assign(iid, first, "alice", actor="system")
    with writes_nothing(engine, iid), pytest.raises(OperationRefused) as info:
        engine.assign(iid, second, "alice", actor="system")
    assert type(info.value) is OperationRefused
    assert info.value.reason == "policy"
    assert info.value.operation == "assign"
    assert info.value.incident_id == iid
    assert "commander_is_not_fixer" in info.value.detail
    # another person may take the role
    engine.assign(iid, second, "bob", actor="system")


def test_assigning_twice_is_a_no_op(engine: Engine) -> None:
    iid = engine.open("major-incident", severity="SEV1").id
    engine.assign(iid, "responder", "alice", actor="system")
    with writes_nothing(engine, iid):
        incident = engine.assign(iid, "responder", "alice", actor="system")
    assert incident == engine.get(iid)


def test_unassign(engine: Engine) -> None:
    iid = engine.open("major-incident", severity="SEV1").id
    engine.assign(iid, "responder", "alice", actor="system")
    engine.assign(iid, "responder", "bob", actor="system")
    with writes_nothing(engine, iid), pytest.raises(NotAuthorized) as info:
        engine.unassign(iid, "responder", "bob", actor="mallory")
    assert info.value.operation == "unassign"
    assert info.value.allowed_roles == ("responder", "secondary")
    with writes_nothing(engine, iid), pytest.raises(InvalidOperation):
        engine.unassign(iid, "commander", "bob", actor="system")
    incident = engine.unassign(iid, "responder", "bob", actor="alice")
    assert incident.assignments == {"responder": frozenset({"alice"})}
    last = engine.history(iid)[-1]
    assert (last.kind, last.actor, dict(last.data)) == (
        "unassigned",
        "alice",
        {"role": "responder", "person": "bob"},
    )
    engine.unassign(iid, "responder", "alice", actor="system")
    assert engine.get(iid).assignments == {}
    # alice no longer holds the role, so she may no longer fire with it
    with writes_nothing(engine, iid), pytest.raises(TransitionNotAllowed) as refusal:
        engine.fire(iid, "acknowledge", actor="alice")
    assert refusal.value.reason == "role"


# --- check --------------------------------------------------------------------------------


def test_check_unknown_item(engine: Engine) -> None:
    iid = in_triage(engine)
    for item in ("nonsense", "metrics_nominal"):  # the latter belongs to another state
        with writes_nothing(engine, iid), pytest.raises(InvalidOperation) as info:
            engine.check(iid, item, actor="carol")
        assert info.value.operation == "check"


def test_check_by_an_unauthorised_actor(engine: Engine) -> None:
    iid = in_triage(engine)
    engine.assign(iid, "scribe", "sue", actor="carol")
    for actor in ("mallory", "sue"):
        with writes_nothing(engine, iid), pytest.raises(NotAuthorized) as info:
            engine.check(iid, "impact_confirmed", actor=actor)
        assert info.value.operation == "check"
        assert set(info.value.allowed_roles) >= {"commander", "deputy"}
        assert "scribe" not in info.value.allowed_roles


def test_check_is_idempotent(engine: Engine) -> None:
    iid = in_triage(engine)
    incident = engine.check(iid, "impact_confirmed", actor="carol")
    assert incident.checklist == {"impact_confirmed"}
    with writes_nothing(engine, iid):
        again = engine.check(iid, "impact_confirmed", actor="dave")
    assert again == incident
    assert kinds(engine, iid).count("checked") == 1
    last = engine.history(iid)[-1]
    assert (last.kind, last.actor, dict(last.data)) == (
        "checked",
        "carol",
        {"item": "impact_confirmed"},
    )


def test_checklist_belongs_to_one_visit(now: list[datetime]) -> None:
    eng = Engine(MAJOR, clock=lambda: now[0])
    iid = in_triage(eng)
    for item in ("impact_confirmed", "severity_confirmed", "roles_assigned"):
        eng.check(iid, item, actor="carol")
    eng.fire(iid, "start_mitigation", actor="carol")
    eng.check(iid, "mitigation_applied", actor="carol")
    eng.check(iid, "customer_impact_ended", actor="carol")
    eng.fire(iid, "hand_over", actor="carol")
    eng.fire(iid, "regress", actor="carol")
    assert eng.get(iid).state == "stabilising"
    assert eng.get(iid).checklist == frozenset()


# --- fire ---------------------------------------------------------------------------------


def test_fire_moves_the_incident(engine: Engine, now: list[datetime]) -> None:
    iid = engine.open("major-incident", severity="SEV1").id
    engine.assign(iid, "responder", "alice", actor="system")
    now[0] = T0 + timedelta(minutes=2)
    incident = engine.fire(iid, "acknowledge", actor="alice")
    assert (incident.state, incident.phase) == ("triage", "triage")
    assert incident.state_entered_at == now[0]
    assert incident.opened_at == T0
    assert incident.timers == {"exec_heads_up": now[0] + timedelta(minutes=15)}
    event = next(e for e in engine.history(iid) if e.kind == "transitioned")
    assert event.actor == "alice"
    assert (event.data["transition"], event.data["from"], event.data["to"]) == (
        "acknowledge",
        "detected",
        "triage",
    )


def test_fire_refused_wrong_state(engine: Engine) -> None:
    iid = engine.open("major-incident", severity="SEV3").id
    engine.assign(iid, "commander", "carol", actor="system")
    with writes_nothing(engine, iid), pytest.raises(TransitionNotAllowed) as info:
        engine.fire(iid, "start_mitigation", actor="carol")
    assert info.value.reason == "state"
    assert info.value.transition == "start_mitigation"
    assert info.value.incident_id == iid


def test_fire_refused_role(engine: Engine) -> None:
    iid = engine.open("major-incident", severity="SEV1").id
    engine.assign(iid, "scribe", "sue", actor="system")
    for actor in ("mallory", "sue", "system"):  # even the opener needs a role to fire
        with writes_nothing(engine, iid), pytest.raises(TransitionNotAllowed) as info:
            engine.fire(iid, "acknowledge", actor=actor)
        assert info.value.reason == "role"


def test_fire_refused_checklist(engine: Engine) -> None:
    iid = in_triage(engine)
    with writes_nothing(engine, iid), pytest.raises(TransitionNotAllowed) as info:
        engine.fire(iid, "start_mitigation", actor="carol")
    assert info.value.reason == "checklist"
    assert info.value.missing == ("impact_confirmed", "severity_confirmed", "roles_assigned")
    engine.check(iid, "severity_confirmed", actor="carol")
    with writes_nothing(engine, iid), pytest.raises(TransitionNotAllowed) as info:
        engine.fire(iid, "start_mitigation", actor="carol")
    assert info.value.missing == ("impact_confirmed", "roles_assigned")


def test_fire_refused_guard(engine: Engine) -> None:
    iid = in_triage(engine, "SEV1")
    with writes_nothing(engine, iid), pytest.raises(TransitionNotAllowed) as info:
        engine.fire(iid, "cancel", actor="carol")  # cancel only at SEV3/SEV4
    assert info.value.reason == "guard"
    engine.set_severity(iid, "SEV3", actor="carol")
    assert engine.fire(iid, "cancel", actor="carol").state == "false_positive"


def test_fire_refused_terminal(now: list[datetime]) -> None:
    eng = Engine(SMALL, clock=lambda: now[0])
    iid = eng.open("minimal", severity="SEV1").id
    eng.assign(iid, "responder", "rob", actor="system")
    eng.check(iid, "fixed", actor="rob")
    assert eng.fire(iid, "close", actor="rob").closed
    with writes_nothing(eng, iid), pytest.raises(TransitionNotAllowed) as info:
        eng.fire(iid, "close", actor="rob")
    assert info.value.reason == "terminal"


def test_fire_unknown_transition(engine: Engine) -> None:
    iid = engine.open("major-incident", severity="SEV1").id
    with writes_nothing(engine, iid), pytest.raises(InvalidOperation) as info:
        engine.fire(iid, "teleport", actor="system")
    assert info.value.operation == "fire"


def test_backups_may_fire(now: list[datetime]) -> None:
    eng = Engine(SMALL, clock=lambda: now[0])
    iid = eng.open("minimal", severity="SEV1").id
    eng.assign(iid, "lead", "lee", actor="system")  # lead backs up responder
    eng.check(iid, "fixed", actor="lee")
    assert eng.fire(iid, "close", actor="lee").state == "closed"

    major = Engine(MAJOR, clock=lambda: now[0])
    iid = in_triage(major)
    major.check(iid, "impact_confirmed", actor="dave")
    incident = major.fire(iid, "stand_down", actor="dave")  # deputy backs up commander
    assert incident.state == "review"


@pytest.mark.parametrize("actor", ["timer", "Timer", "SYSTEM", "\uff34\uff29\uff2d\uff25\uff32"])
def test_a_caller_cannot_act_under_the_engines_own_names(engine: Engine, actor: str) -> None:
    """Only the engine's own timers act as "timer"; a caller saying so (or a look-alike, of
    either reserved name) is refused before anything is read or decided."""
    iid = in_triage(engine)
    with writes_nothing(engine, iid), pytest.raises(InvalidArgument) as info:
        engine.fire(iid, "start_mitigation", actor=actor)
    assert info.value.argument == "actor"
    assert "reserved" in info.value.reason


# --- allowed ------------------------------------------------------------------------------


def test_allowed_lists_every_transition_with_its_reason(engine: Engine) -> None:
    iid = in_triage(engine, "SEV1")
    engine.check(iid, "impact_confirmed", actor="carol")
    version = engine.get(iid).version
    carol = {a.transition: a for a in engine.allowed(iid, "carol")}
    assert [a.transition for a in engine.allowed(iid, "carol")] == [
        "cancel",
        "stand_down",
        "start_mitigation",
    ]
    assert (carol["cancel"].allowed, carol["cancel"].reason) == (False, "guard")
    assert (carol["stand_down"].allowed, carol["stand_down"].reason) == (True, None)
    assert carol["stand_down"].to == "review"
    assert (carol["start_mitigation"].allowed, carol["start_mitigation"].reason) == (
        False,
        "checklist",
    )
    assert "severity_confirmed" in carol["start_mitigation"].detail
    assert carol["start_mitigation"].to == "stabilising"
    stranger = {a.transition: a.reason for a in engine.allowed(iid, "mallory")}
    assert stranger == {"cancel": "guard", "stand_down": "role", "start_mitigation": "role"}
    assert engine.get(iid).version == version


def test_allowed_agrees_with_fire(engine: Engine) -> None:
    iid = in_triage(engine, "SEV3")
    engine.check(iid, "impact_confirmed", actor="carol")
    for actor in ("carol", "alice", "dave", "mallory"):
        for entry in engine.allowed(iid, actor):
            if entry.allowed:
                continue
            with pytest.raises(TransitionNotAllowed) as info:
                engine.fire(iid, entry.transition, actor=actor)
            assert info.value.reason == entry.reason


def test_allowed_names_a_shared_name_once_and_closed_has_none(now: list[datetime]) -> None:
    eng = Engine(DESK, clock=lambda: now[0])
    iid = eng.open("service-desk", severity="P1").id
    eng.assign(iid, "service_desk_agent", "sam", actor="system")
    eng.assign(iid, "incident_manager", "ian", actor="system")
    sam = eng.allowed(iid, "sam")
    assert [a.transition for a in sam] == ["assign", "cancel"]
    assert [(a.allowed, a.reason) for a in sam] == [(False, "checklist"), (True, None)]
    assert [a.reason for a in eng.allowed(iid, "nobody")] == ["role", "role"]
    eng.fire(iid, "cancel", actor="ian")
    assert eng.allowed(iid, "sam") == []


# --- set_severity -------------------------------------------------------------------------


def test_set_severity_records_old_and_new(engine: Engine) -> None:
    iid = in_triage(engine, "SEV2")
    incident = engine.set_severity(iid, "SEV1", actor="carol", reason="more customers")
    assert incident.severity == "SEV1"
    event = engine.history(iid)[-1]
    assert event.kind == "severity_changed"
    assert event.actor == "carol"
    assert (event.data["old"], event.data["new"], event.data["reason"]) == (
        "SEV2",
        "SEV1",
        "more customers",
    )


def test_set_severity_refusals(engine: Engine) -> None:
    iid = in_triage(engine, "SEV2")
    engine.assign(iid, "scribe", "sue", actor="carol")
    with writes_nothing(engine, iid), pytest.raises(InvalidOperation):
        engine.set_severity(iid, "P1", actor="carol")
    for actor in ("mallory", "sue"):
        with writes_nothing(engine, iid), pytest.raises(NotAuthorized) as info:
            engine.set_severity(iid, "SEV1", actor=actor)
        assert info.value.operation == "set_severity"
    with writes_nothing(engine, iid):
        engine.set_severity(iid, "SEV2", actor="carol")  # unchanged: nothing to record


def test_set_severity_replans_relative_to_state_entry(engine: Engine, now: list[datetime]) -> None:
    iid = engine.open("major-incident", severity="SEV4").id
    assert engine.get(iid).timers == {"ack_deadline": T0 + timedelta(hours=4)}
    now[0] = T0 + timedelta(minutes=10)
    engine.set_severity(iid, "SEV2", actor="system")
    assert engine.get(iid).timers == {"ack_deadline": T0 + timedelta(minutes=15)}
    assert engine.next_deadline() == T0 + timedelta(minutes=15)
    engine.set_severity(iid, "SEV1", actor="system")
    assert engine.get(iid).timers == {"ack_deadline": T0 + timedelta(minutes=5)}  # already due
    written = engine.tick()
    assert [e.kind for e in written][:2] == ["timer_fired", "transitioned"]
    assert engine.get(iid).state == "triage"


def test_set_severity_keeps_fired_timers_fired(now: list[datetime]) -> None:
    eng = Engine(DESK, clock=lambda: now[0])
    t1 = T0 + timedelta(minutes=3)
    now[0] = t1
    iid = desk_in_progress(eng, "P3")
    assert eng.get(iid).timers == {
        "update_due": t1 + timedelta(days=1),
        "resolution_due": t1 + timedelta(days=3),
    }
    now[0] = t1 + timedelta(days=1)
    eng.tick()
    assert eng.get(iid).timers == {"resolution_due": t1 + timedelta(days=3)}
    eng.set_severity(iid, "P4", actor="rita")
    assert eng.get(iid).timers == {"resolution_due": t1 + timedelta(days=5)}
    eng.tick()
    assert [e.data["timer"] for e in eng.history(iid) if e.kind == "timer_fired"] == ["update_due"]


# --- note ---------------------------------------------------------------------------------


def test_note(engine: Engine) -> None:
    iid = engine.open("major-incident", severity="SEV1").id
    engine.assign(iid, "scribe", "sue", actor="system")
    engine.note(iid, "looking", actor="system")
    engine.note(iid, "rolled back at 09:12", actor="sue")
    notes = [(e.actor, e.data["text"]) for e in engine.history(iid) if e.kind == "noted"]
    assert notes == [("system", "looking"), ("sue", "rolled back at 09:12")]
    with writes_nothing(engine, iid), pytest.raises(NotAuthorized) as info:
        engine.note(iid, "spam", actor="mallory")
    assert info.value.operation == "note"


# --- tick ---------------------------------------------------------------------------------


def test_tick_fires_a_due_timer_exactly_once(now: list[datetime]) -> None:
    pages: list[ActionRequest] = []
    eng = Engine(MAJOR, clock=lambda: now[0], handlers={"page": pages.append})
    iid = eng.open("major-incident", severity="SEV1").id
    eng.assign(iid, "deputy", "dave", actor="system")
    eng.assign(iid, "secondary", "sid", actor="system")
    eng.assign(iid, "commander", "carol", actor="system")
    pages.clear()
    assert eng.next_deadline() == T0 + timedelta(minutes=5)
    now[0] = T0 + timedelta(minutes=4, seconds=59)
    assert eng.tick() == []
    now[0] = T0 + timedelta(minutes=5)
    written = eng.tick()
    assert [e.kind for e in written][:2] == ["timer_fired", "transitioned"]
    assert {e.kind for e in written[2:]} <= {"action_started", "action_succeeded", "action_failed"}
    fired, moved = written[:2]
    assert (fired.actor, fired.data["timer"]) == ("timer", "ack_deadline")
    assert (moved.actor, moved.data["transition"], moved.data["to"]) == (
        "timer",
        "escalate",
        "triage",
    )
    incident = eng.get(iid)
    assert incident.state == "triage"
    assert incident.state_entered_at == now[0]
    assert incident.timers == {"exec_heads_up": now[0] + timedelta(minutes=15)}
    # its actions ran: the timer's pages, then triage's on_enter page of the commander
    assert [(p.params["role"], p.origin) for p in pages] == [
        ("deputy", "timer:ack_deadline"),
        ("secondary", "timer:ack_deadline"),
        ("commander", "enter:triage"),
    ]
    # called again, at the same time and later, it fires nothing more
    length = len(eng.history(iid))
    assert eng.tick() == []
    assert eng.tick(now[0]) == []
    assert len(eng.history(iid)) == length
    assert kinds(eng, iid).count("timer_fired") == 1
    assert eng.next_deadline() == now[0] + timedelta(minutes=15)


def test_tick_returns_every_event_it_wrote(engine: Engine, now: list[datetime]) -> None:
    iid = engine.open("major-incident", severity="SEV1").id
    before = len(engine.history(iid))
    now[0] = T0 + timedelta(hours=1)
    written = engine.tick()
    assert written == engine.history(iid)[before:]


def test_tick_fires_several_due_timers_once_each(now: list[datetime]) -> None:
    eng = Engine(MAJOR, clock=lambda: now[0])
    iid = in_triage(eng, "SEV1")
    for item in ("impact_confirmed", "severity_confirmed", "roles_assigned"):
        eng.check(iid, item, actor="carol")
    eng.fire(iid, "start_mitigation", actor="carol")
    now[0] = T0 + timedelta(hours=5)  # status_update (30m), resolve_deadline (4h)
    for _ in range(3):
        eng.tick()
    fired = [e.data["timer"] for e in eng.history(iid) if e.kind == "timer_fired"]
    assert sorted(fired) == ["resolve_deadline", "status_update"]
    assert fired[0] == "status_update"  # the earlier due first
    assert eng.get(iid).timers == {}
    assert eng.get(iid).state == "stabilising"  # these timers do not transition
    assert eng.next_deadline() is None


def test_tick_at_an_explicit_time_and_the_timer_transition_ends_the_incident(
    now: list[datetime],
) -> None:
    eng = Engine(DESK, clock=lambda: now[0])
    iid = desk_in_progress(eng, "P4")
    eng.check(iid, "resolution_documented", actor="rita")
    eng.check(iid, "service_restored", actor="rita")
    eng.fire(iid, "resolve", actor="rita")
    assert eng.get(iid).timers == {"auto_close": T0 + timedelta(days=5)}
    assert eng.tick(T0 + timedelta(days=4)) == []
    written = eng.tick(T0 + timedelta(days=5))
    assert [e.kind for e in written][:2] == ["timer_fired", "transitioned"]
    assert [e.kind for e in written].count("timer_fired") == 1
    assert written[1].data["transition"] == "close"
    incident = eng.get(iid)
    assert incident.closed
    assert incident.state == "closed"
    assert eng.next_deadline() is None
    assert eng.queue() == []


def test_next_deadline_without_incidents(engine: Engine) -> None:
    assert engine.next_deadline() is None
    assert engine.tick() == []


# --- queue --------------------------------------------------------------------------------


def test_queue_most_severe_first_then_nearest_deadline(engine: Engine, now: list[datetime]) -> None:
    a = engine.open("major-incident", severity="SEV2", title="a").id  # detected: ack at +15m
    engine.assign(a, "responder", "alice", actor="system")
    engine.fire(a, "acknowledge", actor="alice")  # triage: exec_heads_up at +30m
    now[0] = T0 + timedelta(minutes=1)
    b = engine.open("major-incident", severity="SEV2", title="b").id  # ack at +16m
    now[0] = T0 + timedelta(minutes=2)
    c = engine.open("major-incident", severity="SEV3", title="c").id  # ack at +1h2m
    now[0] = T0 + timedelta(minutes=3)
    d = engine.open("major-incident", severity="SEV1", title="d").id  # ack at +8m
    now[0] = T0 + timedelta(minutes=4)
    e = engine.open("major-incident", severity="SEV4", title="e").id
    engine.assign(e, "commander", "carol", actor="system")
    engine.fire(e, "cancel", actor="carol")  # closed: not in the queue
    assert [i.id for i in engine.queue()] == [d, b, a, c]
    assert all(not i.closed for i in engine.queue())


# --- get / history / verify ---------------------------------------------------------------


def test_unknown_incident(engine: Engine) -> None:
    for call in (
        lambda: engine.get("nope"),
        lambda: engine.history("nope"),
        lambda: engine.allowed("nope", "x"),
        lambda: engine.fire("nope", "acknowledge", actor="x"),
        lambda: engine.assign("nope", "responder", "x", actor="system"),
        lambda: engine.note("nope", "x", actor="system"),
    ):
        with pytest.raises(UnknownIncident) as info:
            call()
        assert info.value.incident_id == "nope"
    assert engine.store.incident_ids() == []


def test_history_is_a_hash_chain_and_verifies(engine: Engine) -> None:
    iid = in_triage(engine)
    engine.note(iid, "hello", actor="carol")
    events = engine.history(iid)
    assert [e.seq for e in events] == list(range(1, len(events) + 1))
    assert events[0].prev_hash == "0" * 64
    for earlier, later in itertools.pairwise(events):
        assert later.prev_hash == earlier.hash
    assert all(e.kind in KINDS for e in events)
    assert all(e.incident_id == iid for e in events)
    assert engine.get(iid).version == len(events)
    report = engine.verify(iid)
    assert report.ok
    assert report.checked == 1
    other = engine.open("major-incident", severity="SEV4").id
    assert other != iid
    assert engine.verify().checked == 2
    assert engine.verify().ok


def test_verify_detects_tampering(tmp_path: Path, now: list[datetime]) -> None:
    path = tmp_path / "x.db"
    eng = Engine(MAJOR, store=SQLiteStore(path), clock=lambda: now[0])
    iid = in_triage(eng)
    eng.note(iid, "one", actor="carol")
    eng.note(iid, "two", actor="carol")
    assert eng.verify().ok
    with sqlite3.connect(path) as conn:
        conn.execute(
            "UPDATE events SET actor = 'mallory' WHERE incident_id = ? AND seq = 3", (iid,)
        )
    report = eng.verify()
    assert not report.ok
    assert [(p.incident_id, p.seq, p.problem) for p in report.problems] == [(iid, 3, "modified")]
    with sqlite3.connect(path) as conn:
        conn.execute("DELETE FROM events WHERE incident_id = ? AND seq = 3", (iid,))
    problem = eng.verify(iid).problems[0]
    assert (problem.seq, problem.problem) == (3, "missing")


def test_replay_equals_live_state(engine: Engine) -> None:
    iid = in_triage(engine)
    engine.check(iid, "impact_confirmed", actor="carol")
    engine.set_severity(iid, "SEV2", actor="carol")
    same_incident(replay(iid, engine.store.events(iid)).snapshot(), engine.get(iid))


# --- SQLite -------------------------------------------------------------------------------


def test_sqlite_store_keeps_everything_for_a_fresh_engine(
    tmp_path: Path, now: list[datetime]
) -> None:
    path = tmp_path / "x.db"
    eng = Engine([MAJOR, DESK], store=SQLiteStore(path), clock=lambda: now[0])
    iid = in_triage(eng)
    eng.check(iid, "impact_confirmed", actor="carol")
    desk = eng.signal({"channel": "phone", "caller": "pat"})
    assert desk is not None
    now[0] = T0 + timedelta(minutes=20)
    eng.tick()
    fresh = Engine([MAJOR, DESK], store=SQLiteStore(path), clock=lambda: now[0])
    assert fresh.store.incident_ids() == [iid, desk.id]
    for incident_id in (iid, desk.id):
        same_incident(fresh.get(incident_id), eng.get(incident_id))
        assert fresh.history(incident_id) == eng.history(incident_id)
    assert fresh.verify().ok
    assert fresh.tick() == []  # the timer already fired is not fired again
    # refusals write nothing to the file either
    with writes_nothing(fresh, iid), pytest.raises(TransitionNotAllowed):
        fresh.fire(iid, "start_mitigation", actor="carol")
    fresh.fire(iid, "stand_down", actor="carol")
    assert eng.get(iid).state == "review"  # the first engine sees the other's write


def test_sqlite_two_engines_do_not_fire_a_timer_twice(tmp_path: Path, now: list[datetime]) -> None:
    path = tmp_path / "x.db"
    one = Engine(MAJOR, store=SQLiteStore(path), clock=lambda: now[0])
    two = Engine(MAJOR, store=SQLiteStore(path), clock=lambda: now[0])
    iid = one.open("major-incident", severity="SEV1").id
    two.get(iid)  # warm the second engine's cache
    now[0] = T0 + timedelta(minutes=6)
    first = one.tick()
    second = two.tick()
    assert [e.kind for e in first][:2] == ["timer_fired", "transitioned"]
    assert second == []
    assert kinds(one, iid).count("timer_fired") == 1


# --- actions ------------------------------------------------------------------------------


def test_register_action_for_an_undeclared_action(engine: Engine) -> None:
    with pytest.raises(InvalidOperation) as info:
        engine.register_action("launch_rockets", lambda request: None)
    assert info.value.operation == "register_action"
    with pytest.raises(InvalidOperation):
        Engine(MAJOR, handlers={"launch_rockets": lambda request: None})


def test_require_handlers_lists_the_missing_ones() -> None:
    with pytest.raises(MissingHandlers) as info:
        Engine(MAJOR, require_handlers=True)
    assert info.value.actions == tuple(sorted(MAJOR.spec.actions))
    some = {name: (lambda request: None) for name in ("page", "post_status")}
    with pytest.raises(MissingHandlers) as info:
        Engine([MAJOR, DESK], require_handlers=True, handlers=some)
    expected = sorted((set(MAJOR.spec.actions) | set(DESK.spec.actions)) - set(some))
    assert info.value.actions == tuple(expected)
    every = {name: (lambda request: None) for name in MAJOR.spec.actions}
    Engine(MAJOR, require_handlers=True, handlers=every)  # complete: no error


def test_a_failing_action_keeps_the_transition_and_can_be_retried(
    engine: Engine, now: list[datetime]
) -> None:
    calls: list[ActionRequest] = []
    broken = [True]

    def post_status(request: ActionRequest) -> None:
        calls.append(request)
        if broken[0]:
            raise RuntimeError("status page is down")

    engine.register_action("post_status", post_status)
    iid = engine.open("major-incident", severity="SEV1").id
    engine.assign(iid, "deputy", "dave", actor="system")
    incident = engine.fire(iid, "escalate", actor="dave")
    assert incident.state == "triage"  # committed despite the failure
    assert engine.get(iid).state == "triage"
    assert len(calls) == 1
    assert calls[0].params == {"message": "Investigating reports of degraded service"}
    assert calls[0].origin == "transition:escalate"
    failed = [e for e in engine.history(iid) if e.kind == "action_failed"]
    mine = [e for e in failed if e.data["action_id"] == calls[0].action_id]
    assert len(mine) == 1
    assert "status page is down" in mine[0].data["error"]
    assert "RuntimeError" in mine[0].data["error"]
    seqs = {
        (e.kind, e.data.get("action_id")): e.seq
        for e in engine.history(iid)
        if e.kind in {"transitioned", "action_started"}
    }
    assert seqs[("transitioned", None)] < seqs[("action_started", calls[0].action_id)]
    status = {a.id: a for a in engine.get(iid).actions}[calls[0].action_id]
    assert status.status == "failed"
    assert "status page is down" in (status.error or "")
    assert status in engine.get(iid).pending_actions

    broken[0] = False
    engine.retry_actions(iid)
    assert len(calls) == 2
    assert calls[1].action_id == calls[0].action_id
    succeeded = [e for e in engine.history(iid) if e.kind == "action_succeeded"]
    assert [e.data["action_id"] for e in succeeded] == [calls[0].action_id]
    status = {a.id: a for a in engine.get(iid).actions}[calls[0].action_id]
    assert status.status == "succeeded"
    # retried once succeeded, it is not run again
    engine.retry_actions(iid)
    assert len(calls) == 2
    assert engine.verify(iid).ok


def test_actions_without_handlers_are_recorded_as_failed(engine: Engine) -> None:
    iid = engine.open("major-incident", severity="SEV1").id
    events = engine.history(iid)
    assert [e.kind for e in events] == [
        "opened",
        "action_started",
        "action_failed",
        "action_started",
        "action_failed",
    ]
    assert "no handler" in events[2].data["error"]
    assert {a.action for a in engine.get(iid).pending_actions} == {"page", "create_ticket"}


def test_handler_receives_the_holders_of_role_params(now: list[datetime]) -> None:
    seen: list[ActionRequest] = []
    eng = Engine(MAJOR, clock=lambda: now[0], handlers={"page": seen.append})
    iid = eng.open("major-incident", severity="SEV1").id
    assert seen[0].holders == {"responder": frozenset()}  # paged before anyone is assigned
    assert seen[0].incident.id == iid
    assert seen[0].action == "page"
    eng.assign(iid, "commander", "carol", actor="system")
    eng.assign(iid, "deputy", "dave", actor="system")
    eng.assign(iid, "deputy", "dan", actor="system")
    eng.fire(iid, "escalate", actor="dave")
    request = seen[-1]
    assert request.params == {"role": "commander"}
    assert request.holders == {"commander": frozenset({"carol"})}
    assert request.origin == "enter:triage"
    assert request.incident.state == "triage"
    got: list[ActionRequest] = []
    eng.register_action("page_if_severe", got.append)
    eng.retry_actions(iid)
    assert {(r.params["role"], r.params["at_or_above"]) for r in got} == {
        ("comms", "SEV2"),
        ("scribe", "SEV2"),
    }
    assert all(set(r.holders) == {r.params["role"]} for r in got)  # a level is not a role


def test_successful_actions_are_recorded(now: list[datetime]) -> None:
    eng2 = Engine(DESK, clock=lambda: now[0], handlers={"route_to_queue": lambda r: None})
    iid = eng2.open("service-desk", severity="P3").id
    events = eng2.history(iid)
    started = [e for e in events if e.kind == "action_started"]
    assert [e.data["action"] for e in started] == [
        "route_to_queue",
        "notify_caller",
        "set_sla_clock",
    ]
    succeeded = [e.data["action_id"] for e in events if e.kind == "action_succeeded"]
    assert succeeded == [started[0].data["action_id"]]


# --- concurrency --------------------------------------------------------------------------


def test_expected_version(engine: Engine) -> None:
    iid = in_triage(engine)
    version = engine.get(iid).version
    operations = [
        lambda v: engine.assign(iid, "scribe", "sue", actor="carol", expected_version=v),
        lambda v: engine.unassign(iid, "deputy", "dave", actor="carol", expected_version=v),
        lambda v: engine.check(iid, "impact_confirmed", actor="carol", expected_version=v),
        lambda v: engine.fire(iid, "start_mitigation", actor="carol", expected_version=v),
        lambda v: engine.set_severity(iid, "SEV2", actor="carol", expected_version=v),
        lambda v: engine.note(iid, "x", actor="carol", expected_version=v),
    ]
    for operation in operations:
        for stale in (version - 1, version + 1, 0):
            with writes_nothing(engine, iid), pytest.raises(ConcurrencyError) as info:
                operation(stale)
            assert (info.value.incident_id, info.value.expected, info.value.actual) == (
                iid,
                stale,
                version,
            )
    engine.note(iid, "fresh", actor="carol", expected_version=version)
    assert engine.get(iid).version == version + 1


class RacingStore(MemoryStore):
    """A MemoryStore that lets another writer in just before the next append."""

    def __init__(self) -> None:
        super().__init__()
        self.before_next_append: list[object] = []

    def append(self, incident_id: str, expected_version: int, events: list[Event]) -> None:  # type: ignore[override]
        while self.before_next_append:
            action = self.before_next_append.pop()
            action()  # type: ignore[operator]
        super().append(incident_id, expected_version, events)


def test_a_concurrent_write_makes_the_stale_one_fail_and_write_nothing(
    now: list[datetime],
) -> None:
    store = RacingStore()
    one = Engine(MAJOR, store=store, clock=lambda: now[0])
    two = Engine(MAJOR, store=store, clock=lambda: now[0])
    iid = in_triage(one)
    before = len(one.history(iid))
    store.before_next_append.append(lambda: two.note(iid, "first", actor="carol"))
    with pytest.raises(ConcurrencyError):
        one.note(iid, "second", actor="carol")
    notes = [e.data["text"] for e in one.history(iid) if e.kind == "noted"]
    assert notes == ["first"]
    assert len(one.history(iid)) == before + 1
    assert one.get(iid).version == before + 1
    assert one.verify().ok
    one.note(iid, "second", actor="carol")  # retried on top of the newer state


def test_a_timer_raced_by_another_engine_fires_once(now: list[datetime]) -> None:
    store = RacingStore()
    one = Engine(MAJOR, store=store, clock=lambda: now[0])
    two = Engine(MAJOR, store=store, clock=lambda: now[0])
    iid = one.open("major-incident", severity="SEV1").id
    now[0] = T0 + timedelta(minutes=5)
    store.before_next_append.append(two.tick)
    assert one.tick() == []
    assert kinds(one, iid).count("timer_fired") == 1
    assert one.get(iid).state == "triage"
    assert one.verify().ok


# --- clock --------------------------------------------------------------------------------


def test_a_naive_clock_is_refused_clearly() -> None:
    eng = Engine(MAJOR, clock=lambda: datetime(2024, 5, 1, 9, 0))
    with pytest.raises(ValueError, match="aware"):
        eng.open("major-incident", severity="SEV1")
    assert eng.store.incident_ids() == []


def test_a_naive_tick_time_is_refused(engine: Engine) -> None:
    with pytest.raises(ValueError, match="aware"):
        engine.tick(datetime(2024, 5, 1, 9, 0))


def test_a_non_utc_clock_is_recorded_in_utc() -> None:
    paris = datetime(2024, 5, 1, 11, 0, tzinfo=UTC).astimezone(timezone(timedelta(hours=2)))
    eng = Engine(MAJOR, clock=lambda: paris)
    iid = eng.open("major-incident", severity="SEV1").id
    assert eng.get(iid).opened_at == datetime(2024, 5, 1, 11, 0, tzinfo=UTC)
    assert eng.history(iid)[0].time.endswith("+00:00")


def test_timers_start_at_the_recorded_state_entry(now: list[datetime]) -> None:
    """With a clock that moves between reads, timers still count from the entry event's time."""
    moving = [T0]

    def clock() -> datetime:
        moving[0] += timedelta(seconds=1)
        return moving[0]

    eng = Engine(MAJOR, clock=clock)
    iid = eng.open("major-incident", severity="SEV1").id
    incident = eng.get(iid)
    assert incident.timers["ack_deadline"] == incident.state_entered_at + timedelta(minutes=5)
    eng.assign(iid, "responder", "alice", actor="system")
    incident = eng.fire(iid, "acknowledge", actor="alice")
    assert incident.timers["exec_heads_up"] == incident.state_entered_at + timedelta(minutes=15)


def test_the_log_does_not_share_the_callers_mutable_fields(engine: Engine) -> None:
    """Mutating what the host passed in (or what a handler sees) must not rewrite history."""
    fields = {"service": "api", "availability": 0.5, "tags": ["edge"]}
    incident = engine.signal(fields)
    assert incident is not None
    fields["tags"].append("later")
    assert engine.get(incident.id).fields["tags"] == ["edge"]
    assert engine.verify().ok


def test_non_json_fields_are_refused_and_write_nothing(engine: Engine) -> None:
    with pytest.raises(InvalidOperation):
        engine.open("major-incident", severity="SEV1", fields={"when": T0})
    with pytest.raises(InvalidOperation):
        engine.signal({**API_DOWN, "ratio": float("nan")})
    assert engine.store.incident_ids() == []


def test_verify_an_unknown_incident(engine: Engine) -> None:
    with pytest.raises(UnknownIncident):
        engine.verify("nope")


def test_signal_opened_incidents_take_the_trigger_title(engine: Engine) -> None:
    incident = engine.signal(API_DOWN)
    assert incident is not None
    assert incident.title == "Public API or checkout unavailable"


def test_a_reentrant_handler_never_runs_an_action_twice(now: list[datetime]) -> None:
    """A handler that itself moves the incident (and so runs actions) must not double-run."""
    calls: list[str] = []
    eng = Engine(MAJOR, clock=lambda: now[0])

    def page(request: ActionRequest) -> None:
        calls.append(request.action_id)
        if len(calls) == 1:  # the first page: the bot acknowledges on the responder's behalf
            eng.assign(request.incident.id, "responder", "alice", actor="system")
            eng.fire(request.incident.id, "acknowledge", actor="alice")

    eng.register_action("page", page)
    eng.register_action("create_ticket", lambda request: calls.append(request.action_id))
    iid = eng.open("major-incident", severity="SEV1").id
    assert eng.get(iid).state == "triage"
    started = [e.data["action_id"] for e in eng.history(iid) if e.kind == "action_started"]
    assert len(started) == len(set(started))
    assert len(calls) == len(set(calls))
    assert set(calls) == {
        a.id for a in eng.get(iid).actions if a.action in {"page", "create_ticket"}
    }
    assert eng.verify(iid).ok
