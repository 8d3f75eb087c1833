"""The web page for people: sign in, the queue, one incident.

Server-rendered HTML (Jinja2, autoescaped); a little JavaScript (``static/app.js``)
signs in, presses buttons through the JSON API and draws the flowchart with the
Mermaid this service serves (:mod:`incidentflow.serve.assets`). Every button is one
the engine would accept from this person now: the moves come from
:meth:`Engine.allowed`, and checklist, severity, role and note forms appear only for
someone the engine's own rules (:mod:`incidentflow.engine.authz`) let do them.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs

from fastapi import APIRouter, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.templating import Jinja2Templates

from incidentflow.audit.timeline import describe, duration
from incidentflow.engine import authz
from incidentflow.engine.engine import Engine
from incidentflow.engine.state import Incident
from incidentflow.errors import UnknownIncident
from incidentflow.render.mermaid import to_mermaid
from incidentflow.render.model import diagram
from incidentflow.serve.assets import TEMPLATES
from incidentflow.serve.auth import signed_in, with_cookie
from incidentflow.serve.lane import EngineLane
from incidentflow.serve.tokens import TokenFile


def _relative(when: datetime, now: datetime) -> str:
    delta = when - now
    if delta < timedelta(0):
        return f"overdue {duration(-delta)}"
    return f"in {duration(delta)}"


def _deadline(incident: Incident, now: datetime) -> dict[str, str] | None:
    if not incident.timers:
        return None
    timer, due = min(incident.timers.items(), key=lambda item: item[1])
    return {
        "timer": timer,
        "due": due.strftime("%Y-%m-%d %H:%M UTC"),
        "relative": _relative(due, now),
        "overdue": "overdue" if due < now else "",
    }


def _rank(engine: Engine, incident: Incident) -> int:
    """0 for the most severe level of the incident's process, up to 3 (the colours)."""
    levels = engine.processes[incident.process].level_ids
    return min(3, levels.index(incident.severity)) if incident.severity in levels else 3


def _queue_page(engine: Engine, person: str) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The queue's rows and the processes the open form offers."""
    now = datetime.now(UTC)
    rows = [
        {
            "incident": i,
            "rank": _rank(engine, i),
            "deadline": _deadline(i, now),
            "holds": sorted(i.roles_of(person)),
        }
        for i in engine.queue()
    ]
    processes = [{"name": p.name, "levels": list(p.level_ids)} for p in engine.processes.values()]
    return rows, processes


def _incident_page(engine: Engine, incident: Incident, person: str) -> dict[str, Any]:
    """Everything the incident template shows."""
    process = engine.processes[incident.process]
    spec = process.spec
    state = spec.process.states[incident.state]
    now = datetime.now(UTC)
    manage = not incident.closed and authz.may_manage(process, incident, person)
    events = engine.history(incident.id)
    return {
        "incident": incident,
        "rank": _rank(engine, incident),
        "state_title": state.title or incident.state,
        "level_title": next(
            (lv.title or lv.id for lv in spec.severity.levels if lv.id == incident.severity),
            incident.severity,
        ),
        "levels": list(process.level_ids),
        "deadline": _deadline(incident, now),
        "timers": [
            {"id": t, "due": due.strftime("%H:%M UTC"), "relative": _relative(due, now)}
            for t, due in sorted(incident.timers.items(), key=lambda item: item[1])
        ],
        "checklist": [
            {"id": c.id, "text": c.text, "required": c.required, "done": c.id in incident.checklist}
            for c in state.checklist
        ],
        "roles": [
            {
                "id": role_id,
                "title": role.title or role_id,
                "holders": sorted(incident.assignments.get(role_id, ())),
            }
            for role_id, role in spec.roles.items()
        ],
        "moves": [] if incident.closed else engine.allowed(incident.id, person),
        "may_manage": manage,
        "may_assign": not incident.closed and authz.may_assign(process, incident, person),
        "may_note": authz.may_note(incident, person),
        "flowchart": to_mermaid(diagram(process, detail="brief"), current=incident.state),
        "timeline": [
            {
                "time": e.at.strftime("%H:%M:%S"),
                "actor": e.actor,
                "what": describe(e),
                "kind": e.kind,
            }
            for e in reversed(events)
            if e.kind != "action_heartbeat"
        ],
    }


def pages_router() -> APIRouter:
    """The HTML routes."""
    router = APIRouter(include_in_schema=False)
    templates = Jinja2Templates(directory=str(TEMPLATES))

    def page(request: Request, name: str, status: int = 200, **context: Any) -> Response:
        return templates.TemplateResponse(
            request, name, {"mermaid": request.app.state.mermaid is not None, **context}, status
        )

    @router.get("/signin", response_class=HTMLResponse)
    def signin(request: Request) -> Response:
        return page(request, "signin.html", person=None)

    @router.post("/signin", response_class=HTMLResponse)
    async def sign_in(request: Request) -> Response:
        # A plain form post (no script needed, and the token never goes in a URL). The
        # Origin check stops another site from signing a browser in as someone else.
        origin = request.headers.get("origin")
        if origin is not None and origin != f"{request.url.scheme}://{request.url.netloc}":
            return page(request, "signin.html", 403, person=None, problem="Refused: wrong origin.")
        raw = await request.body()
        fields = parse_qs(raw.decode("utf-8", "replace"), max_num_fields=4)
        token = (fields.get("token") or [""])[0].strip()
        tokens: TokenFile = request.app.state.tokens
        found = tokens.authenticate(token) if token else None
        if found is None or found.kind != "person":
            problem = "This token is not valid (unknown, revoked, or not a person's token)."
            return page(request, "signin.html", 401, person=None, problem=problem)
        return with_cookie(RedirectResponse("/", status_code=303), request, token)

    @router.get("/", response_class=HTMLResponse)
    async def queue(request: Request) -> Response:
        person = signed_in(request)
        if person is None:
            return RedirectResponse("/signin", status_code=303)
        lane: EngineLane = request.app.state.lane
        rows, processes = await lane.run(lambda engine: _queue_page(engine, person))
        return page(request, "queue.html", person=person, rows=rows, processes=processes)

    @router.get("/incidents/{incident_id}", response_class=HTMLResponse)
    async def incident(request: Request, incident_id: str) -> Response:
        person = signed_in(request)
        if person is None:
            return RedirectResponse("/signin", status_code=303)
        lane: EngineLane = request.app.state.lane
        try:
            shown = await lane.run(
                lambda engine: _incident_page(engine, engine.get(incident_id), person)
            )
        except UnknownIncident as error:
            return page(request, "missing.html", 404, person=person, message=str(error))
        return page(request, "incident.html", person=person, **shown)

    return router
