"""Opening incidents: signals, triggers, deduplication and the severity matrix.

Every refusal is checked to have written nothing (tests.engine.common.writes_nothing).
"""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from incidentflow import (
    Engine,
    InvalidOperation,
    UnknownProcess,
)
from tests.engine.common import (
    API_DOWN,
    DESK,
    MAJOR,
    SMALL,
    T0,
    kinds,
)

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
