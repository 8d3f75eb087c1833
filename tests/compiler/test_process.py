"""What the compiled Process answers: edges, the view at a level, timers, separation, signals.

These are the questions the engine, the renderers and the drills ask (they import
no check module: tests/project/test_architecture.py), so the answers are checked here
against a small process written for them.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta

import pytest

import incidentflow
from incidentflow.compiler import process as process_module
from incidentflow.compiler.process import Edge, Process
from incidentflow.engine.planning import plan_timers
from incidentflow.spec.models import Level

SPEC = """\
apiVersion: incidentflow/v1
kind: Process
metadata: {name: facts, version: "1"}
roles:
  responder: {title: Responder, backups: [lead]}
  lead: {title: Lead, backups: [responder]}
  approver: {title: Approver, backups: [lead]}
severity:
  levels:
    - {id: SEV1, acknowledge_within: 5m, resolve_within: 4h}
    - {id: SEV2, resolve_within: 1d}
triggers:
  - {id: page, when: {field: service, eq: payments}, severity: SEV1}
  - {id: ticket, when: {field: priority, gt: 3}, severity: SEV2}
policies:
  - {id: four-eyes, distinct_holders: [lead, approver], for_severity: [SEV1]}
process:
  initial: open
  states:
    open:
      owner: lead
      timers:
        - {id: ack, after: acknowledge_within, transition: escalate}
        - {id: nudge, after: 30m}
        - {id: tiered, after: {SEV1: 10m, default: 2h}}
    escalated: {owner: lead}
    closed: {terminal: true}
  transitions:
    - {name: escalate, from: open, to: escalated, by: [lead], when: {severity: [SEV1]}}
    - {name: close, from: [open, escalated], to: closed, by: [responder]}
"""


@pytest.fixture
def process() -> Process:
    return incidentflow.loads(SPEC, filename="facts.yaml")


def test_edges_are_every_move_in_spec_order(process: Process) -> None:
    both = frozenset({"SEV1", "SEV2"})
    assert process.edges == (
        Edge("open", "escalated", 0, "escalate", frozenset({"SEV1"})),
        Edge("open", "closed", 1, "close", both),
        Edge("escalated", "closed", 1, "close", both),
    )


def test_the_view_at_a_level_applies_the_guards(process: Process) -> None:
    sev1, sev2 = process.view_at("SEV1"), process.view_at("SEV2")
    assert sev1.edges == process.edges
    assert [e.name for e in sev2.edges] == ["close", "close"]
    assert sev1.reachable == {"open", "escalated", "closed"}
    assert sev2.reachable == {"open", "closed"}
    assert sev2.can_finish == {"open", "escalated", "closed"}
    with pytest.raises(KeyError):
        process.view_at("SEV9")


def test_a_timer_waits_what_its_after_says_at_each_level(process: Process) -> None:
    delays = {
        (timer_id, level): process.timer_delay("open", timer_id, level)
        for timer_id in ("ack", "nudge", "tiered")
        for level in ("SEV1", "SEV2")
    }
    assert delays == {
        ("ack", "SEV1"): timedelta(minutes=5),
        ("ack", "SEV2"): None,  # SEV2 defines no acknowledge_within: the timer does not run
        ("nudge", "SEV1"): timedelta(minutes=30),
        ("nudge", "SEV2"): timedelta(minutes=30),
        ("tiered", "SEV1"): timedelta(minutes=10),
        ("tiered", "SEV2"): timedelta(hours=2),
    }
    running = [(t.id, d) for t, d in process.timers_at("open", "SEV2")]
    assert running == [("nudge", timedelta(minutes=30)), ("tiered", timedelta(hours=2))]
    assert process.timers_at("closed", "SEV1") == ()
    assert process.timer("open", "ack").transition == "escalate"
    with pytest.raises(KeyError):
        process.timer("closed", "ack")


def test_levels_are_looked_up_by_id(process: Process) -> None:
    assert process.level("SEV2").resolve_within == timedelta(days=1)
    with pytest.raises(KeyError):
        process.level("SEV9")


def test_timer_tables_are_built_once_not_on_every_plan(
    process: Process, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[str] = []
    resolve = process_module.delay_at

    def counting(after: str | Mapping[str, timedelta], level: Level) -> timedelta | None:
        calls.append(level.id)
        return resolve(after, level)

    monkeypatch.setattr(process_module, "delay_at", counting)
    at = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
    first = plan_timers(process, "open", "SEV1", at)
    built = len(calls)
    again = plan_timers(process, "open", "SEV1", at, skip=["nudge"])
    plan_timers(process, "escalated", "SEV2", at)
    assert built == 3 * 2  # every timer of the process at every level, once
    assert len(calls) == built
    assert first == {
        "ack": "2026-01-05T09:05:00+00:00",
        "nudge": "2026-01-05T09:30:00+00:00",
        "tiered": "2026-01-05T09:10:00+00:00",
    }
    assert again == {k: v for k, v in first.items() if k != "nudge"}


def test_separation_is_answered_per_level(process: Process) -> None:
    assert [p.id for p in process.separating("SEV1")] == ["four-eyes"]
    assert process.separating("SEV2") == ()
    policy = process.kept_apart("approver", "lead", "SEV1")
    assert policy is not None
    assert policy.id == "four-eyes"
    assert process.kept_apart("approver", "lead", "SEV2") is None


@pytest.mark.parametrize("trigger", ["page", "ticket"])
def test_an_example_signal_fires_its_own_trigger(process: Process, trigger: str) -> None:
    signal = process.example_signal(trigger)
    assert signal is not None
    matched = process.match(signal)
    assert matched is not None
    assert matched.id == trigger


def test_an_unknown_trigger_has_no_example(process: Process) -> None:
    with pytest.raises(KeyError):
        process.example_signal("nothing")
