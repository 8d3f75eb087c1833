"""Roles and checklists: who may assign, policies on holders, and checklist ticks per visit.

Every refusal is checked to have written nothing (tests.engine.common.writes_nothing).
"""

from __future__ import annotations

from datetime import datetime

import pytest

from incidentflow import (
    Engine,
    InvalidOperation,
    NotAuthorized,
    OperationRefused,
    TransitionNotAllowed,
)
from tests.engine.common import (
    MAJOR,
    in_triage,
    kinds,
    writes_nothing,
)

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
