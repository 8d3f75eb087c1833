"""The one module that touches the ``transitions`` library.

One ``transitions.Machine`` per compiled Process, never one per incident: to
decide which transition a name fires from a state at a severity, we trigger the
event on a tiny, unregistered model (two slots). The Machine evaluates the
severity guards and picks the first admissible transition, as it would for any
model; ``add_model`` (O(triggers) per call, kilobytes per model) is never used.
"""

from __future__ import annotations

from typing import Any

from transitions import Machine
from transitions.core import EventData, MachineError

from incidentflow.compiler.process import Process

_UNKNOWN = -2  # not asked yet (an answer is an index >= 0, or None)


class _Probe:
    """The minimal model the Machine moves: a state, a severity, the chosen transition."""

    __slots__ = ("chosen", "severity", "state")

    def __init__(self, state: str, severity: str) -> None:
        self.state = state
        self.severity = severity
        self.chosen = -1


def _guard(levels: frozenset[str]) -> Any:
    def admits(event: EventData) -> bool:
        probe: _Probe = event.model  # type: ignore[assignment]
        return probe.severity in levels

    return admits


def _remember(index: int) -> Any:
    def remember(event: EventData) -> None:
        probe: _Probe = event.model  # type: ignore[assignment]
        probe.chosen = index

    return remember


class ProcessMachine:
    """Answers "which transition does ``name`` fire from ``state`` at ``severity``?"."""

    def __init__(self, process: Process) -> None:
        # computed once rather than on every fire
        self.transition_names = frozenset(t.name for t in process.spec.process.transitions)
        transitions = []
        for index, tr in enumerate(process.spec.process.transitions):
            spec: dict[str, Any] = {
                "trigger": tr.name,
                "source": list(tr.sources),
                "dest": tr.to,
                "before": [_remember(index)],
            }
            if tr.when is not None:
                spec["conditions"] = [_guard(frozenset(tr.when.severity))]
            transitions.append(spec)
        self._chosen: dict[tuple[str, str, str], int | None] = {}
        self._machine = Machine(
            model=None,
            states=list(process.states),
            transitions=transitions,
            initial=process.initial,
            auto_transitions=False,
            send_event=True,
            ignore_invalid_triggers=False,
        )

    def select(self, state: str, severity: str, name: str) -> int | None:
        """Index (in ``process.transitions``) of the transition that fires, or None if none may.

        The answer depends only on (state, severity, name), so it is asked of the
        Machine once and remembered: at most states x levels x names entries.
        """
        key = (state, severity, name)
        chosen = self._chosen.get(key, _UNKNOWN)
        if chosen == _UNKNOWN:
            chosen = self._chosen[key] = self._ask(state, severity, name)
        return chosen

    def _ask(self, state: str, severity: str, name: str) -> int | None:
        event = self._machine.events.get(name)
        if event is None:
            return None
        probe = _Probe(state, severity)
        try:
            fired = event.trigger(probe)
        except MachineError:
            return None  # no transition of this name leaves this state
        return probe.chosen if fired else None
