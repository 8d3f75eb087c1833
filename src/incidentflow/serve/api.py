"""The JSON API: one route per engine call, every write made as the token's person.

The actor is never a field of a request: it is the person the token belongs to
(:mod:`incidentflow.serve.auth`). Writes take an optional ``expected_version``: when
the incident moved on since, the answer is 409 ``stale_version`` and nothing is
written. Refusals answer as :mod:`incidentflow.serve.refusals` lists.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Path, Query, Request
from pydantic import BaseModel, ConfigDict, Field

from incidentflow.engine.engine import Engine
from incidentflow.serve.auth import ApiError, intake_source, person
from incidentflow.serve.intake import IntakeFunction
from incidentflow.serve.views import (
    AllowedOut,
    EventOut,
    IncidentOut,
    MeOut,
    ProcessOut,
    SignalOut,
    VerifyOut,
)

Person = Annotated[str, Depends(person)]
IncidentId = Annotated[str, Path(description="the incident's id")]


def _engine(request: Request) -> Engine:
    engine: Engine = request.app.state.engine
    return engine


EngineDep = Annotated[Engine, Depends(_engine)]


class RequestBody(BaseModel):
    """A request body: unknown fields are refused (a misspelt field, or an ``actor``:
    the actor is always the token's person)."""

    model_config = ConfigDict(extra="forbid")


class Write(RequestBody):
    """Every write accepts ``expected_version``: the incident's ``version`` you last saw."""

    expected_version: int | None = Field(
        default=None, description="refuse (409 stale_version) if the incident moved on since"
    )


class SignalIn(RequestBody):
    fields: dict[str, Any] = Field(description="the signal's fields, matched by the triggers")


class OpenIn(RequestBody):
    process: str
    severity: str | None = None
    impact: str | None = None
    urgency: str | None = None
    title: str = ""
    fields: dict[str, Any] | None = None


class RoleIn(Write):
    role: str
    person: str


class CheckIn(Write):
    item: str


class FireIn(Write):
    transition: str


class NoteIn(Write):
    text: str


class SeverityIn(Write):
    level: str
    reason: str = ""


def api_router() -> APIRouter:
    """The routes under ``/api``."""
    router = APIRouter(prefix="/api")

    @router.get("/me", tags=["people"])
    def me(actor: Person) -> MeOut:
        """Who the token belongs to."""
        return MeOut(name=actor, kind="person")

    @router.get("/processes", tags=["processes"])
    def processes(engine: EngineDep, actor: Person) -> list[ProcessOut]:
        """The processes this service runs."""
        return [ProcessOut.of(p) for p in engine.processes.values()]

    @router.post("/signals", tags=["incidents"])
    def signal(engine: EngineDep, actor: Person, body: SignalIn) -> SignalOut:
        """Evaluate every trigger: the incident opened or joined (a trigger's
        ``dedupe_by``), or ``incident`` null when no trigger matched."""
        incident = engine.signal(body.fields, actor=actor)
        return SignalOut(incident=None if incident is None else IncidentOut.of(incident))

    @router.post("/incidents", status_code=201, tags=["incidents"])
    def open_incident(engine: EngineDep, actor: Person, body: OpenIn) -> IncidentOut:
        """Open an incident by hand, at ``severity`` or at the matrix's impact x urgency."""
        return IncidentOut.of(
            engine.open(
                body.process,
                severity=body.severity,
                impact=body.impact,
                urgency=body.urgency,
                title=body.title,
                fields=body.fields,
                actor=actor,
            )
        )

    @router.get("/incidents", tags=["incidents"])
    def queue(engine: EngineDep, actor: Person) -> list[IncidentOut]:
        """Open incidents, most severe first, then nearest deadline, then oldest."""
        return [IncidentOut.of(i) for i in engine.queue()]

    @router.get("/incidents/{incident_id}", tags=["incidents"])
    def get(engine: EngineDep, actor: Person, incident_id: IncidentId) -> IncidentOut:
        """One incident."""
        return IncidentOut.of(engine.get(incident_id))

    @router.post("/incidents/{incident_id}/assign", tags=["incidents"])
    def assign(
        engine: EngineDep, actor: Person, incident_id: IncidentId, body: RoleIn
    ) -> IncidentOut:
        """Give ``person`` the ``role``."""
        return IncidentOut.of(
            engine.assign(
                incident_id,
                body.role,
                body.person,
                actor=actor,
                expected_version=body.expected_version,
            )
        )

    @router.post("/incidents/{incident_id}/unassign", tags=["incidents"])
    def unassign(
        engine: EngineDep, actor: Person, incident_id: IncidentId, body: RoleIn
    ) -> IncidentOut:
        """Take the ``role`` from ``person``."""
        return IncidentOut.of(
            engine.unassign(
                incident_id,
                body.role,
                body.person,
                actor=actor,
                expected_version=body.expected_version,
            )
        )

    @router.post("/incidents/{incident_id}/check", tags=["incidents"])
    def check(
        engine: EngineDep, actor: Person, incident_id: IncidentId, body: CheckIn
    ) -> IncidentOut:
        """Tick an item of the current state's checklist."""
        return IncidentOut.of(
            engine.check(
                incident_id, body.item, actor=actor, expected_version=body.expected_version
            )
        )

    @router.post("/incidents/{incident_id}/fire", tags=["incidents"])
    def fire(
        engine: EngineDep, actor: Person, incident_id: IncidentId, body: FireIn
    ) -> IncidentOut:
        """Take a transition out of the current state."""
        return IncidentOut.of(
            engine.fire(
                incident_id, body.transition, actor=actor, expected_version=body.expected_version
            )
        )

    @router.post("/incidents/{incident_id}/notes", tags=["incidents"])
    def note(
        engine: EngineDep, actor: Person, incident_id: IncidentId, body: NoteIn
    ) -> IncidentOut:
        """Add a note to the incident's log."""
        return IncidentOut.of(
            engine.note(incident_id, body.text, actor=actor, expected_version=body.expected_version)
        )

    @router.post("/incidents/{incident_id}/severity", tags=["incidents"])
    def set_severity(
        engine: EngineDep, actor: Person, incident_id: IncidentId, body: SeverityIn
    ) -> IncidentOut:
        """Change the incident's level (its timers are re-planned)."""
        return IncidentOut.of(
            engine.set_severity(
                incident_id,
                body.level,
                actor=actor,
                reason=body.reason,
                expected_version=body.expected_version,
            )
        )

    @router.get("/incidents/{incident_id}/allowed", tags=["incidents"])
    def allowed(
        engine: EngineDep,
        actor: Person,
        incident_id: IncidentId,
        who: Annotated[str | None, Query(alias="person", description="default: you")] = None,
    ) -> list[AllowedOut]:
        """Every transition out of the current state: may this person fire it now?"""
        return [AllowedOut.of(a) for a in engine.allowed(incident_id, who or actor)]

    @router.get("/incidents/{incident_id}/history", tags=["audit"])
    def history(engine: EngineDep, actor: Person, incident_id: IncidentId) -> list[EventOut]:
        """Every event of the incident's log, in order."""
        return [EventOut.of(e) for e in engine.history(incident_id)]

    @router.get("/verify", tags=["audit"])
    def verify(
        engine: EngineDep,
        actor: Person,
        incident: Annotated[str | None, Query(description="one incident; default: all")] = None,
    ) -> VerifyOut:
        """Recompute the hash chains (of one incident, or of every incident)."""
        return VerifyOut.of(engine.verify(incident))

    @router.post("/intake/{source}", tags=["intake"])
    def intake(
        request: Request,
        engine: EngineDep,
        source: Annotated[str, Path(description="the alert source, e.g. signal")],
        actor: Annotated[str, Depends(intake_source)],
        payload: Annotated[Any, Body(description="the source's JSON payload")],
    ) -> Any:
        """Hand an alert source's payload to its intake function (intake tokens only)."""
        intakes: dict[str, IntakeFunction] = request.app.state.intakes
        function = intakes.get(source)
        if function is None:
            raise ApiError(
                404,
                "unknown_intake",
                f"no intake named {source!r} (known: {', '.join(sorted(intakes)) or 'none'})",
            )
        return function(engine, payload, actor)

    return router
