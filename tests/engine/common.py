"""What the engine behaviour tests share: the example processes, a test clock, and refusal checks."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import fields as dataclass_fields
from datetime import UTC, datetime

import incidentflow
from incidentflow import Engine
from tests.conftest import EXAMPLES, MINIMAL

MAJOR = incidentflow.load(EXAMPLES / "major-incident.yaml")
DESK = incidentflow.load(EXAMPLES / "service-desk.yaml")
SMALL = incidentflow.load(MINIMAL)

T0 = datetime(2024, 5, 1, 9, 0, tzinfo=UTC)

API_DOWN = {"service": "api", "availability": 0.5}


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
