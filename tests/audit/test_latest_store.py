"""LatestStore, with the stores: it holds the newest incident only, and keeps the append rule."""

from __future__ import annotations

import pytest

import incidentflow
from incidentflow import ConcurrencyError, Engine, LatestStore
from incidentflow.engine.simclock import SimulatedClock
from tests.conftest import EXAMPLES

MAJOR = incidentflow.load(EXAMPLES / "major-incident.yaml")


def test_it_holds_the_newest_incident_and_refuses_a_stale_append() -> None:
    store = LatestStore()
    engine = Engine(MAJOR, store=store, clock=SimulatedClock())
    first = engine.open("major-incident", severity="SEV2").id
    events = store.events(first)
    assert [e.kind for e in events][:1] == ["opened"]
    with pytest.raises(ConcurrencyError):
        store.append(first, 0, events)  # the incident is at version len(events), not 0
    assert store.events(first) == events  # nothing was written
    second = engine.open("major-incident", severity="SEV3").id
    assert store.incident_ids() == [second]
    assert store.events(first) == []
    assert list(store.all_events()) == store.events(second)
    assert store.events(second, after=1) == store.events(second)[1:]
    assert engine.verify(second).ok
    store.close()
