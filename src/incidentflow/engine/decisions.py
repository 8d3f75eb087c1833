"""The engine's decisions: which level an opening gets, who may do what, which transition
a name fires, and what a transition records. Each refuses with the library's specific
exception, having changed nothing; none reads or writes a store."""

from __future__ import annotations

import functools
from datetime import datetime
from types import MappingProxyType
from typing import Any

from incidentflow.compiler.process import Process
from incidentflow.engine import authz
from incidentflow.engine.machine import ProcessMachine
from incidentflow.engine.planning import plan_actions, plan_timers, sla_marks
from incidentflow.engine.state import Incident, IncidentState
from incidentflow.errors import (
    InvalidOperation,
    NotAuthorized,
    OperationRefused,
    TransitionNotAllowed,
)


def resolve_level(
    process: Process, severity: str | None, impact: str | None, urgency: str | None
) -> str:
    """The level an opening gets: ``severity``, or the matrix's ``impact`` x ``urgency``."""
    if severity is not None:
        if impact is not None or urgency is not None:
            raise InvalidOperation(None, "open", "give a severity or impact and urgency, not both")
        if severity not in process.level_ids:
            raise InvalidOperation(None, "open", f"{process.name!r} has no level {severity!r}")
        return severity
    if impact is None or urgency is None:
        raise InvalidOperation(None, "open", "give a severity, or both impact and urgency")
    try:
        return process.level_for(impact, urgency)
    except KeyError:
        raise InvalidOperation(
            None, "open", f"{impact!r} x {urgency!r} is not on {process.name!r}'s matrix"
        ) from None


def require_assign(process: Process, state: IncidentState, actor: str, operation: str) -> None:
    """Refuse unless ``actor`` may (un)assign roles: the opener, or the state's owner."""
    if not authz.may_assign(process, state, actor):
        raise NotAuthorized(
            state.id,
            operation,
            actor,
            sorted(authz.owner_roles(process, state)),
            f"{actor!r} neither opened the incident nor holds the owner role of {state.state!r}",
        )


def require_manage(
    process: Process, incident: Incident | IncidentState, actor: str, operation: str
) -> None:
    """Refuse unless ``actor`` holds a role acting in the incident's state."""
    if not authz.may_manage(process, incident, actor):
        raise NotAuthorized(
            incident.id,
            operation,
            actor,
            sorted(authz.manage_roles(process, incident)),
            f"{actor!r} holds none of the roles acting in {incident.state!r}",
        )


def check_separation(process: Process, incident: IncidentState, role: str, person: str) -> None:
    """Refuse an assignment that would break a separation-of-duties policy."""
    conflict = authz.separation_conflict(process, incident, role, person)
    if conflict is not None:
        raise OperationRefused(incident.id, "assign", "policy", conflict)


def decide_fire(
    process: Process, machine: ProcessMachine, state: IncidentState, name: str, actor: str
) -> tuple[int, authz.Acting]:
    """The index of the transition ``actor`` fires by ``name`` now and the role they act
    as, or TransitionNotAllowed."""
    iid = state.id
    if name not in machine.transition_names:
        raise InvalidOperation(iid, "fire", f"the process has no transition {name!r}")
    if state.closed:
        raise TransitionNotAllowed(
            iid, name, "terminal", f"the incident is closed ({state.state!r})"
        )
    index = machine.select(state.state, state.severity, name)
    if index is None:
        candidates = [t for t in process.transitions_from.get(state.state, ()) if t.name == name]
        if not candidates:
            raise TransitionNotAllowed(
                iid, name, "state", f"{name!r} does not leave {state.state!r}"
            )
        levels = sorted({lv for t in candidates if t.when for lv in t.when.severity})
        raise TransitionNotAllowed(
            iid,
            name,
            "guard",
            f"{name!r} is not allowed at {state.severity} (only at {', '.join(levels)})",
        )
    chosen = process.spec.process.transitions[index]
    acting = authz.fire_as(process, state, chosen, actor)
    if isinstance(acting, authz.Refusal):
        raise TransitionNotAllowed(iid, name, acting.reason, acting.detail)
    missing = chosen.requires and [i for i in chosen.requires if i not in state.checklist]
    if missing:
        raise TransitionNotAllowed(
            iid,
            name,
            "checklist",
            f"checklist items not done: {', '.join(missing)}",
            missing=missing,
        )
    return index, acting


def transition_data(
    process: Process, state: IncidentState, index: int, now: datetime
) -> dict[str, Any]:
    """What the ``transitioned`` event of transition ``index`` records at ``now``."""
    recorded, actions, to = _transition_record(process, index, state.state)
    data = recorded.copy()  # each event its own dict (dict(proxy) costs ten times this)
    data["timers"] = plan_timers(process, to, state.severity, now)
    if actions:  # fresh dicts: no two events share what a reader could change
        tr = process.spec.process.transitions[index]
        data["actions"] = plan_actions(tr.actions, f"transition:{tr.name}") + plan_actions(
            process.states[to].on_enter, f"enter:{to}"
        )
    else:
        data["actions"] = []
    return data


@functools.lru_cache(maxsize=4096)
def _transition_record(
    process: Process, index: int, source: str
) -> tuple[MappingProxyType[str, Any], bool, str]:
    """What every ``transitioned`` event of transition ``index`` from ``source`` records
    alike (its keys in the event's order; ``timers`` and ``actions`` to be filled), whether
    it plans actions, and its target: the same for every fire, so worked out once."""
    tr = process.spec.process.transitions[index]
    target = process.states[tr.to]
    recorded: dict[str, Any] = {
        "transition": tr.name,
        "index": index,
        "from": source,
        "to": tr.to,
        "phase": target.phase,
        "terminal": target.terminal,
        "timers": None,
        "actions": None,
    } | sla_marks(process, tr.to, source)
    return MappingProxyType(recorded), bool(tr.actions or target.on_enter), tr.to
