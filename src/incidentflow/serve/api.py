"""The JSON API: one route per engine call, every write made as the token's person.

The actor is never a field of a request: it is the person the token belongs to
(:mod:`incidentflow.serve.auth`). Writes take an optional ``expected_version``: when
the incident moved on since, the answer is 409 ``stale_version`` and nothing is
written. Refusals answer as :mod:`incidentflow.serve.refusals` lists.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request
from pydantic import BaseModel, ConfigDict, Field

from incidentflow.errors import IntakeError
from incidentflow.intake import MAX_BYTES, parse_json
from incidentflow.serve.auth import ApiError, intake_source, person
from incidentflow.serve.intake import IntakeFunction
from incidentflow.serve.lane import EngineLane
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


async def _lane(request: Request) -> EngineLane:
    lane: EngineLane = request.app.state.lane
    return lane


Lane = Annotated[EngineLane, Depends(_lane)]


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
    async def me(actor: Person) -> MeOut:
        """Who the token belongs to."""
        return MeOut(name=actor, kind="person")

    @router.get("/processes", tags=["processes"])
    async def processes(lane: Lane, actor: Person) -> list[ProcessOut]:
        """The processes this service runs."""
        return [ProcessOut.of(p) for p in lane.engine.processes.values()]

    @router.post("/signals", tags=["incidents"])
    async def signal(lane: Lane, actor: Person, body: SignalIn) -> SignalOut:
        """Evaluate every trigger: the incident opened or joined (a trigger's
        ``dedupe_by``), or ``incident`` null when no trigger matched."""
        incident = await lane.run(lambda engine: engine.signal(body.fields, actor=actor))
        return SignalOut(incident=None if incident is None else IncidentOut.of(incident))

    @router.post("/incidents", status_code=201, tags=["incidents"])
    async def open_incident(lane: Lane, actor: Person, body: OpenIn) -> IncidentOut:
        """Open an incident by hand, at ``severity`` or at the matrix's impact x urgency."""
        return IncidentOut.of(
            await lane.run(
                lambda engine: engine.open(
                    body.process,
                    severity=body.severity,
                    impact=body.impact,
                    urgency=body.urgency,
                    title=body.title,
                    fields=body.fields,
                    actor=actor,
                )
            )
        )

    @router.get("/incidents", tags=["incidents"])
    async def queue(lane: Lane, actor: Person) -> list[IncidentOut]:
        """Open incidents, most severe first, then nearest deadline, then oldest."""
        return [IncidentOut.of(i) for i in (await lane.run(lambda engine: engine.queue()))]

    @router.get("/incidents/{incident_id}", tags=["incidents"])
    async def get(lane: Lane, actor: Person, incident_id: IncidentId) -> IncidentOut:
        """One incident."""
        return IncidentOut.of(await lane.run(lambda engine: engine.get(incident_id)))

    @router.post("/incidents/{incident_id}/assign", tags=["incidents"])
    async def assign(
        lane: Lane, actor: Person, incident_id: IncidentId, body: RoleIn
    ) -> IncidentOut:
        """Give ``person`` the ``role``."""
        return IncidentOut.of(
            await lane.run(
                lambda engine: engine.assign(
                    incident_id,
                    body.role,
                    body.person,
                    actor=actor,
                    expected_version=body.expected_version,
                )
            )
        )

    @router.post("/incidents/{incident_id}/unassign", tags=["incidents"])
    async def unassign(
        lane: Lane, actor: Person, incident_id: IncidentId, body: RoleIn
    ) -> IncidentOut:
        """Take the ``role`` from ``person``."""
        return IncidentOut.of(
            await lane.run(
                lambda engine: engine.unassign(
                    incident_id,
                    body.role,
                    body.person,
                    actor=actor,
                    expected_version=body.expected_version,
                )
            )
        )

    @router.post("/incidents/{incident_id}/check", tags=["incidents"])
    async def check(
        lane: Lane, actor: Person, incident_id: IncidentId, body: CheckIn
    ) -> IncidentOut:
        """Tick an item of the current state's checklist."""
        return IncidentOut.of(
            await lane.run(
                lambda engine: engine.check(
                    incident_id, body.item, actor=actor, expected_version=body.expected_version
                )
            )
        )

    @router.post("/incidents/{incident_id}/fire", tags=["incidents"])
    async def fire(lane: Lane, actor: Person, incident_id: IncidentId, body: FireIn) -> IncidentOut:
        """Take a transition out of the current state."""
        return IncidentOut.of(
            await lane.run(
                lambda engine: engine.fire(
                    incident_id,
                    body.transition,
                    actor=actor,
                    expected_version=body.expected_version,
                )
            )
        )

    @router.post("/incidents/{incident_id}/notes", tags=["incidents"])
    async def note(lane: Lane, actor: Person, incident_id: IncidentId, body: NoteIn) -> IncidentOut:
        """Add a note to the incident's log."""
        return IncidentOut.of(
            await lane.run(
                lambda engine: engine.note(
                    incident_id, body.text, actor=actor, expected_version=body.expected_version
                )
            )
        )

    @router.post("/incidents/{incident_id}/severity", tags=["incidents"])
    async def set_severity(
        lane: Lane, actor: Person, incident_id: IncidentId, body: SeverityIn
    ) -> IncidentOut:
        """Change the incident's level (its timers are re-planned)."""
        return IncidentOut.of(
            await lane.run(
                lambda engine: engine.set_severity(
                    incident_id,
                    body.level,
                    actor=actor,
                    reason=body.reason,
                    expected_version=body.expected_version,
                )
            )
        )

    @router.get("/incidents/{incident_id}/allowed", tags=["incidents"])
    async def allowed(
        lane: Lane,
        actor: Person,
        incident_id: IncidentId,
        who: Annotated[str | None, Query(alias="person", description="default: you")] = None,
    ) -> list[AllowedOut]:
        """Every transition out of the current state: may this person fire it now?"""
        return [
            AllowedOut.of(a)
            for a in (await lane.run(lambda engine: engine.allowed(incident_id, who or actor)))
        ]

    @router.get("/incidents/{incident_id}/history", tags=["audit"])
    async def history(lane: Lane, actor: Person, incident_id: IncidentId) -> list[EventOut]:
        """Every event of the incident's log, in order."""
        return [
            EventOut.of(e) for e in (await lane.run(lambda engine: engine.history(incident_id)))
        ]

    @router.get("/verify", tags=["audit"])
    async def verify(
        lane: Lane,
        actor: Person,
        incident: Annotated[str | None, Query(description="one incident; default: all")] = None,
    ) -> VerifyOut:
        """Recompute the hash chains (of one incident, or of every incident)."""
        return VerifyOut.of(await lane.run(lambda engine: engine.verify(incident)))

    @router.post("/intake/{source}", tags=["intake"])
    async def intake(
        request: Request,
        lane: Lane,
        source: Annotated[str, Path(description="the alert source, e.g. alertmanager")],
        actor: Annotated[str, Depends(intake_source)],
    ) -> Any:
        """Hand an alert source's JSON payload to its intake function (intake tokens only).

        The body is read within the intake's bounds (size, nesting, alerts), never whole
        first: an oversized or malformed body is 400 ``bad_payload``, with nothing written.
        """
        intakes: dict[str, IntakeFunction] = request.app.state.intakes
        function = intakes.get(source)
        if function is None:
            raise ApiError(
                404,
                "unknown_intake",
                f"no intake named {source!r} (known: {', '.join(sorted(intakes)) or 'none'})",
            )
        payload = parse_json(await _bounded_body(request, source), source)
        return await lane.run(lambda engine: function(engine, payload, actor))

    return router


async def _bounded_body(request: Request, source: str) -> bytes:
    """The request body, refused as soon as it passes the intake's size limit."""
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_BYTES:
            raise IntakeError(source, f"the body is over the limit of {MAX_BYTES:,} bytes")
    return bytes(body)
