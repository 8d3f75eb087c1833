"""The JSON shapes of the HTTP API, as pydantic models (they are the OpenAPI schemas too),
each built from the engine's own objects. Times are ISO 8601 in UTC."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field

from incidentflow.audit.events import Event
from incidentflow.audit.verify import VerifyReport
from incidentflow.compiler.process import Process
from incidentflow.engine.engine import Allowed
from incidentflow.engine.state import Incident, PlannedAction


class ActionOut(BaseModel):
    """An action the process asked for, and what became of it."""

    id: str
    action: str
    params: dict[str, Any]
    origin: str
    status: str
    error: str | None
    attempts: int
    retry_at: datetime | None
    idempotency_key: str

    @classmethod
    def of(cls, action: PlannedAction) -> ActionOut:
        return cls(
            id=action.id,
            action=action.action,
            params=dict(action.params),
            origin=action.origin,
            status=action.status,
            error=action.error,
            attempts=action.attempts,
            retry_at=action.retry_at,
            idempotency_key=action.idempotency_key,
        )


class IncidentOut(BaseModel):
    """A snapshot of one incident (``Engine.get``). Pass ``version`` back as
    ``expected_version`` to refuse a write if someone changed it meanwhile."""

    id: str
    process: str
    title: str
    state: str
    phase: str | None
    severity: str
    fields: dict[str, Any]
    opened_by: str
    opened_at: datetime
    state_entered_at: datetime
    assignments: dict[str, list[str]] = Field(description="role: holders, sorted")
    checklist: list[str] = Field(description="items checked in this visit of the state")
    timers: dict[str, datetime] = Field(description="timer: when it is due")
    closed: bool
    version: int
    actions: list[ActionOut]

    @classmethod
    def of(cls, incident: Incident) -> IncidentOut:
        return cls(
            id=incident.id,
            process=incident.process,
            title=incident.title,
            state=incident.state,
            phase=incident.phase,
            severity=incident.severity,
            fields=dict(incident.fields),
            opened_by=incident.opened_by,
            opened_at=incident.opened_at,
            state_entered_at=incident.state_entered_at,
            assignments={role: sorted(people) for role, people in incident.assignments.items()},
            checklist=sorted(incident.checklist),
            timers=dict(incident.timers),
            closed=incident.closed,
            version=incident.version,
            actions=[ActionOut.of(a) for a in incident.actions],
        )


class SignalOut(BaseModel):
    """What a signal did: the incident it opened or joined, or null when no trigger
    matched."""

    incident: IncidentOut | None


class EventOut(BaseModel):
    """One event of an incident's hash-chained log."""

    seq: int
    time: str
    actor: str
    kind: str
    data: dict[str, Any]
    spec_name: str
    spec_version: str
    prev_hash: str
    hash: str

    @classmethod
    def of(cls, event: Event) -> EventOut:
        return cls(
            seq=event.seq,
            time=event.time,
            actor=event.actor,
            kind=event.kind,
            data=dict(event.data),
            spec_name=event.spec_name,
            spec_version=event.spec_version,
            prev_hash=event.prev_hash,
            hash=event.hash,
        )


class AllowedOut(BaseModel):
    """One transition out of the current state: may this person fire it now, and if not,
    why (``guard``, ``role``, ``checklist``...)."""

    transition: str
    to: str
    allowed: bool
    reason: str | None
    detail: str

    @classmethod
    def of(cls, option: Allowed) -> AllowedOut:
        return cls(
            transition=option.transition,
            to=option.to,
            allowed=option.allowed,
            reason=option.reason,
            detail=option.detail,
        )


class ProblemOut(BaseModel):
    """Where a log stops being trustworthy (see docs/audit.md)."""

    incident_id: str
    seq: int
    problem: str
    detail: str


class VerifyOut(BaseModel):
    """The verification of one incident's log, or of every log."""

    ok: bool
    checked: int
    events: int
    problems: list[ProblemOut]

    @classmethod
    def of(cls, report: VerifyReport) -> VerifyOut:
        return cls(
            ok=report.ok,
            checked=report.checked,
            events=report.events,
            problems=[
                ProblemOut(incident_id=p.incident_id, seq=p.seq, problem=p.problem, detail=p.detail)
                for p in report.problems
            ],
        )


class ProcessOut(BaseModel):
    """A loaded process: what ``open`` accepts."""

    name: str
    version: str
    title: str
    levels: list[str]

    @classmethod
    def of(cls, process: Process) -> ProcessOut:
        return cls(
            name=process.name,
            version=process.version,
            title=process.spec.metadata.title or process.name,
            levels=list(process.level_ids),
        )


class MeOut(BaseModel):
    """Who the token belongs to."""

    name: str
    kind: str
