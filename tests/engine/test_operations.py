"""The one set of engine operations that walks, drills and scenarios perform, and their refusals."""

from __future__ import annotations

from datetime import timedelta

import pytest

import incidentflow
from incidentflow import Engine, InvalidOperation, OperationRefused, UnknownIncident
from incidentflow.engine.operations import (
    OPERATION_KINDS,
    REFUSAL_REASONS,
    AddNote,
    Advance,
    Assign,
    CheckItem,
    Fire,
    Open,
    Refused,
    SetSeverity,
    Signal,
    Unassign,
    perform,
    refusal,
)
from incidentflow.engine.simclock import START, SimulatedClock
from tests.conftest import EXAMPLES

MAJOR = incidentflow.load(EXAMPLES / "major-incident.yaml")


def test_operations_drive_an_incident_as_the_engine_calls_would() -> None:
    clock = SimulatedClock()
    engine = Engine(MAJOR, clock=clock)
    opened = Open("major-incident", "SEV1", "alice", title="api down").apply(engine)
    assert (opened.severity, opened.title, opened.opened_by) == ("SEV1", "api down", "alice")
    iid = opened.id
    assert Assign("responder", "rita", "alice").apply(engine, iid).assignments["responder"]
    assert Fire("acknowledge", "rita").apply(engine, iid).state == "triage"
    assert CheckItem("impact_confirmed", "alice").apply(engine, iid).checklist
    raised = SetSeverity("SEV2", "alice", reason="contained").apply(engine, iid)
    assert raised.severity == "SEV2"
    assert engine.history(iid)[-1].data["reason"] == "contained"
    assert engine.history(AddNote("hello", "rita").apply(engine, iid).id)[-1].kind == "noted"
    assert "responder" not in Unassign("responder", "rita", "alice").apply(engine, iid).assignments
    written = Advance(timedelta(hours=1)).apply(engine, clock)
    assert clock.now == START + timedelta(hours=1)
    assert [e.data["timer"] for e in written if e.kind == "timer_fired"] == ["exec_heads_up"]


def test_open_at_the_matrix_and_signal() -> None:
    engine = Engine(MAJOR, clock=SimulatedClock())
    assert Open("major-incident", impact="moderate", urgency="high").apply(engine).severity
    assert Signal({"service": "mainframe"}).apply(engine) is None
    joined = Signal({"service": "api", "availability": 0.5}, "pager").apply(engine)
    assert joined is not None
    assert joined.opened_by == "pager"


def test_every_operation_has_its_kind_and_prints_as_a_script_line() -> None:
    ops = [
        Assign("commander", "carol", "alice"),
        Unassign("commander", "carol", "alice"),
        CheckItem("impact_confirmed", "carol"),
        Fire("acknowledge", "rita"),
        SetSeverity("SEV2", "carol"),
        AddNote("hello", "carol"),
        Advance(timedelta(minutes=5)),
    ]
    assert tuple(op.kind for op in ops) == OPERATION_KINDS
    assert [str(op) for op in ops] == [
        "alice: assign commander to carol",
        "alice: unassign commander from carol",
        "carol: check impact_confirmed",
        "rita: fire acknowledge",
        "carol: set severity SEV2",
        "carol: note 'hello'",
        "advance 0:05:00 and tick",
    ]


def test_perform_needs_a_clock_only_to_advance() -> None:
    engine = Engine(MAJOR)
    iid = engine.open("major-incident", severity="SEV1").id
    perform(engine, iid, AddNote("no clock needed", "system"), None)
    with pytest.raises(TypeError, match="SimulatedClock"):
        perform(engine, iid, Advance(timedelta(minutes=1)), None)


def test_a_refusal_keeps_the_engines_reason_operation_and_detail() -> None:
    engine = Engine(MAJOR)
    iid = engine.open("major-incident", severity="SEV1", actor="alice").id
    with pytest.raises(OperationRefused) as refused:
        Fire("acknowledge", "mallory").apply(engine, iid)
    found = refusal(refused.value)
    assert (found.reason, found.operation) == ("role", "fire 'acknowledge'")
    assert found.detail == refused.value.detail
    assert str(found) == f"fire 'acknowledge': {refused.value.detail}"
    with pytest.raises(InvalidOperation) as invalid:
        CheckItem("not_an_item", "alice").apply(engine, iid)
    assert refusal(invalid.value) == Refused("invalid", "check", invalid.value.reason)
    other = refusal(UnknownIncident("nope"))
    assert other == Refused("UnknownIncident", "", "no incident with id 'nope'")
    assert str(other) == "no incident with id 'nope'"
    assert {"role", "invalid"} <= set(REFUSAL_REASONS)
