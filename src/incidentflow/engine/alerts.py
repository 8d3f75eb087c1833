"""Alerts behind incidents: which open incident a signal joins, and what a join records.

An *alert* is a signal with an identity (Alertmanager's fingerprint, a mapping's
``key``). The engine keeps, per incident, the alerts currently firing behind it (see
:class:`~incidentflow.engine.state.IncidentState`), so that:

- a repeat of an alert already firing on an open incident changes nothing (monitoring
  re-sends firing alerts every few minutes: the log records each alert once);
- a signal of any trigger whose fields named by the process's ``intake.dedupe_by``
  equal an open incident's joins it, and one from a more severe trigger raises the
  incident's severity (recorded as ``severity_changed`` with the reason), never lowers it;
- a trigger's own ``dedupe_by`` joins incidents opened by that trigger, as before;
- when the last alert behind an incident resolves, ``intake.on_resolved`` says whether
  the engine fires a transition or only records it (see :meth:`Engine.alert_resolved`).

These functions decide; the engine reads and writes.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from incidentflow.compiler.process import CompiledTrigger, Process
from incidentflow.engine.planning import replan_timers, sla_seconds
from incidentflow.engine.state import Incident, IncidentState

Outcome = Literal[
    "opened", "joined", "escalated", "repeated", "unmatched", "resolved", "auto_resolved"
]
"""What became of an alert: it opened an incident, joined one, joined one and raised its
severity, repeated one already firing there, matched no trigger (or, resolved, no open
incident); or, resolving, was recorded (``resolved``) and moved its incident on by the
process's ``on_resolved`` transition (``auto_resolved``)."""

Item = tuple[str, str, Mapping[str, Any]]


@dataclass(frozen=True, slots=True)
class AlertOutcome:
    """What one alert did to one incident (``incident`` is None when ``unmatched``)."""

    outcome: Outcome
    incident: Incident | None
    detail: str = ""  # the severity raised ("SEV3 -> SEV1"), a transition not fired and why


def join_target(
    candidates: Iterable[IncidentState],
    process: Process,
    trigger: CompiledTrigger,
    fields: Mapping[str, Any],
    alert: str | None,
) -> IncidentState | None:
    """The open incident a signal joins, or None to open one.

    ``candidates`` are the open incidents the engine may join (of its processes, in a
    state of the loaded version, not set aside as problems), oldest first. First the one
    on which this alert already fires (any process), then the trigger's own ``dedupe_by``,
    then the process's ``intake.dedupe_by`` across its triggers.
    """
    candidates = list(candidates)
    if alert is not None:
        for state in candidates:
            if alert in state.alerts:
                return state
    own = {f: fields.get(f) for f in trigger.dedupe_by} if trigger.dedupe_by else None
    shared = process.spec.intake.dedupe_by if process.spec.intake is not None else ()
    # an absent field names no problem: two alerts both lacking `service` are not one
    shared_key = (
        {f: fields[f] for f in shared}
        if shared and all(fields.get(f) is not None for f in shared)
        else None
    )
    same_process = [s for s in candidates if s.process == process.name]
    if own is not None:
        for state in same_process:
            if state.trigger == trigger.id and state.dedupe == own:
                return state
    if shared_key is not None:
        for state in same_process:
            if all(state.fields.get(f) == v for f, v in shared_key.items()):
                return state
    return None


def join_items(
    process: Process,
    state: IncidentState,
    trigger: CompiledTrigger,
    fields: Mapping[str, Any],
    alert: str | None,
    actor: str,
) -> tuple[Outcome, list[Item], str]:
    """The events a join records (none for a repeat that changes nothing), its outcome
    and detail."""
    raise_to = (
        trigger.level
        if state.process == process.name
        and state.severity in process.level_ids
        and trigger.rank < process.rank(state.severity)
        else None
    )
    if alert is not None and alert in state.alerts and raise_to is None:
        return "repeated", [], ""
    joined: dict[str, Any] = {"trigger": trigger.id, "fields": dict(fields)}
    if alert is not None:
        joined["alert"] = alert
    items: list[Item] = [("deduplicated", actor, joined)]
    if raise_to is None:
        return "joined", items, ""
    reason = f"raised by a more severe alert (trigger {trigger.id})"
    items.append(("severity_changed", actor, severity_change(process, state, raise_to, reason)))
    return "escalated", items, f"{state.severity} -> {raise_to}"


def severity_change(
    process: Process, state: IncidentState, level: str, reason: str
) -> dict[str, Any]:
    """The data of a ``severity_changed`` event: running timers re-planned for ``level``."""
    return {
        "old": state.severity,
        "new": level,
        "reason": reason,
        "timers": replan_timers(process, state, level),
        "sla": sla_seconds(process, level),
    }


def resolution_transition(process: Process) -> str | None:
    """The transition the engine fires when an incident's last alert resolves (None:
    the resolution is only recorded)."""
    intake = process.spec.intake
    return intake.on_resolved.transition if intake is not None else None
