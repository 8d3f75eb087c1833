"""Firing transitions, what is allowed, severity changes and notes.

Every refusal is checked to have written nothing (tests.engine.common.writes_nothing).
"""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from incidentflow import (
    Engine,
    InvalidArgument,
    InvalidOperation,
    NotAuthorized,
    TransitionNotAllowed,
)
from tests.engine.common import (
    DESK,
    MAJOR,
    SMALL,
    T0,
    desk_in_progress,
    in_triage,
    writes_nothing,
)

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
    # P3 and P4 count office hours (8h30m a day, Monday to Friday); t1 is a Wednesday.
    assert eng.get(iid).timers == {
        "update_due": t1 + timedelta(days=1),  # one business day: Thursday, same time
        "resolution_due": t1 + timedelta(days=5),  # three: over the weekend to Monday
    }
    now[0] = t1 + timedelta(days=1)
    eng.tick()
    assert eng.get(iid).timers == {"resolution_due": t1 + timedelta(days=5)}
    eng.set_severity(iid, "P4", actor="rita")
    assert eng.get(iid).timers == {"resolution_due": t1 + timedelta(days=7)}  # five days
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
