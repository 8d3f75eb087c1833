"""Actions: handlers, failures that keep the transition, retries and recorded outcomes.

Every refusal is checked to have written nothing (tests.engine.common.writes_nothing).
"""

from __future__ import annotations

from datetime import datetime

import pytest

from incidentflow import (
    ActionRequest,
    Engine,
    InvalidOperation,
    MissingHandlers,
)
from tests.engine.common import (
    DESK,
    MAJOR,
)

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
