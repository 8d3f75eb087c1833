"""The ``incidentflow_engine`` pytest fixture.

Enable it in your top-level ``conftest.py``::

    pytest_plugins = ["incidentflow.testing.pytest_plugin"]

Then ask for the fixture: it is a factory, so one test can make several engines::

    def test_ack_deadline_escalates(incidentflow_engine):
        engine = incidentflow_engine("process_specs/major-incident.yaml")
        incident = engine.open("major-incident", severity="SEV1")
        engine.clock.advance(timedelta(minutes=5))
        engine.tick()
        assert engine.get(incident.id).state == "triage"

The factory keeps no state between calls, so the fixture is session-scoped: it
works inside ``@given`` tests without Hypothesis' function-scoped-fixture warning.
"""

from __future__ import annotations

import pytest  # type: ignore[import-not-found, unused-ignore]  # (mypy without pytest)

from incidentflow.testing.sim import EngineFactory, make_engine

__all__ = ["EngineFactory", "incidentflow_engine"]


def _incidentflow_engine() -> EngineFactory:
    """A factory of engines on a simulated clock (``engine.clock``) with an in-memory store.

    ``incidentflow_engine(process_or_path_or_list, start=..., handlers=..., store=...)``;
    every declared action without a handler succeeds and is recorded in ``engine.requests``.
    """
    return make_engine


# Applied as a call, not a decorator, so that `mypy --strict` passes without pytest installed.
incidentflow_engine = pytest.fixture(scope="session", name="incidentflow_engine")(
    _incidentflow_engine
)
