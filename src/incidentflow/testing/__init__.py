"""A testing kit for host applications: rehearse a process in your own test suite.

- :class:`SimulatedClock` and :func:`make_engine`: an engine on a simulated clock with an
  in-memory store (also the ``incidentflow_engine`` pytest fixture of
  :mod:`incidentflow.testing.pytest_plugin`);
- :func:`walks`: Hypothesis strategies of random walks over a Process (sequences of
  the operations of :mod:`incidentflow.engine.operations`: assign, unassign, check,
  fire, set_severity, note and advance), mostly allowed, some refused;
  ``walk.run(engine)`` performs one and records each outcome;
- :func:`check_invariants`, :func:`check_run`, :func:`assert_invariants`: the
  properties every walk must keep (the audit verifies, replay equals the live state,
  refusals write nothing, no visited state leaves its owner with nothing to do);
  :func:`idle_states` is the same liveness question asked of the spec alone.

Hypothesis is a test dependency, not a runtime one: it is imported only when
:func:`walks` is called (``pip install incidentflow[test]``). See docs/rehearsals.md::

    from hypothesis import given
    import incidentflow
    from incidentflow.testing import assert_invariants, make_engine, walks

    PROCESS = incidentflow.load("process_specs/major-incident.yaml")


    @given(walks(PROCESS))
    def test_every_walk_keeps_the_invariants(walk):
        engine = make_engine(PROCESS)
        assert_invariants(engine, walk.run(engine))
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from incidentflow._deprecated import forward
from incidentflow.engine.operations import (
    OPERATION_KINDS,
    AddNote,
    Advance,
    Assign,
    CheckItem,
    Fire,
    Operation,
    SetSeverity,
    Unassign,
)
from incidentflow.engine.simclock import START, SimulatedClock, advance_and_tick
from incidentflow.testing.invariants import (
    assert_invariants,
    check_invariants,
    check_run,
    exits,
    idle_states,
    reachable_states,
    visited,
)
from incidentflow.testing.sim import (
    EngineFactory,
    SimulatedEngine,
    load_processes,
    make_engine,
)
from incidentflow.testing.walk import Outcome, Walk, WalkRun

if TYPE_CHECKING:
    from hypothesis.strategies import (  # type: ignore[import-not-found, unused-ignore]
        SearchStrategy,
    )

    from incidentflow.compiler.process import Process

INSTALL_HINT = "pip install incidentflow[test]"


def walks(
    process: Process,
    *,
    levels: Sequence[str] | None = None,
    min_steps: int = 0,
    max_steps: int = 60,
    people: Sequence[str] | None = None,
    strangers: Sequence[str] | None = None,
    opener: str = "system",
    refusals: float = 0.15,
) -> SearchStrategy[Walk]:
    """A Hypothesis strategy of :class:`Walk` over ``process`` (needs hypothesis).

    See :func:`incidentflow.testing.strategies.walks` for the parameters; ``people``
    and ``strangers`` default to ``alice`` .. ``erin`` and ``mallory``.
    """
    try:
        from incidentflow.testing import strategies
    except ImportError as error:
        raise ImportError(
            f"incidentflow.testing.walks needs hypothesis, a test dependency: {INSTALL_HINT}"
        ) from error
    return strategies.walks(
        process,
        levels=levels,
        min_steps=min_steps,
        max_steps=max_steps,
        people=strategies.PEOPLE if people is None else people,
        strangers=strategies.STRANGERS if strangers is None else strangers,
        opener=opener,
        refusals=refusals,
    )


__all__ = [
    "INSTALL_HINT",
    "OPERATION_KINDS",
    "START",
    "AddNote",
    "Advance",
    "Assign",
    "CheckItem",
    "EngineFactory",
    "Fire",
    "Operation",
    "Outcome",
    "SetSeverity",
    "SimulatedClock",
    "SimulatedEngine",
    "Unassign",
    "Walk",
    "WalkRun",
    "advance_and_tick",
    "assert_invariants",
    "check_invariants",
    "check_run",
    "exits",
    "idle_states",
    "load_processes",
    "make_engine",
    "reachable_states",
    "visited",
    "walks",
]

# Old names: they warn (DeprecationWarning) and give the new object; see CHANGELOG.md.
__getattr__ = forward(
    __name__,
    {
        "SimClock": ("incidentflow.engine.simclock", "SimulatedClock"),
        "Check": ("incidentflow.engine.operations", "CheckItem"),
        "Note": ("incidentflow.engine.operations", "AddNote"),
    },
)
