"""What a person reads about an incident in a page, a chat message or an e-mail."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from incidentflow.engine.action_runner import ActionRequest
from incidentflow.engine.state import Incident


def link(template: str | None, incident: Incident) -> str | None:
    """The incident's address from the host's ``template`` (``{id}`` and ``{process}``
    replaced), or None without one."""
    if not template:
        return None
    return template.replace("{id}", incident.id).replace("{process}", incident.process)


def roles_line(incident: Incident) -> str:
    """``commander: carol; responder: alice, bob`` (or ``nobody assigned yet``)."""
    held = [
        f"{role}: {', '.join(sorted(people))}"
        for role, people in sorted(incident.assignments.items())
        if people
    ]
    return "; ".join(held) or "nobody assigned yet"


def headline(incident: Incident) -> str:
    """``[SEV1] API down (detected)``: severity, title, state."""
    title = incident.title or incident.process
    state = "closed: " + incident.state if incident.closed else incident.state
    return f"[{incident.severity}] {title} ({state})"


def summary(request: ActionRequest, link_template: str | None) -> dict[str, Any]:
    """The readable facts every channel shows, as plain values."""
    incident = request.incident
    return {
        "headline": headline(incident),
        "severity": incident.severity,
        "title": incident.title or incident.process,
        "state": incident.state,
        "closed": incident.closed,
        "roles": roles_line(incident),
        "link": link(link_template, incident),
        "message": _message(request.params),
    }


def request_body(request: ActionRequest, link_template: str | None) -> dict[str, Any]:
    """The whole request as JSON (what the generic webhook posts)."""
    incident = request.incident
    return {
        "action": request.action,
        "params": dict(request.params),
        "holders": {role: sorted(people) for role, people in request.holders.items()},
        "origin": request.origin,
        "action_id": request.action_id,
        "idempotency_key": request.idempotency_key,
        "attempt": request.attempt,
        "incident": {
            "id": incident.id,
            "process": incident.process,
            "title": incident.title,
            "state": incident.state,
            "phase": incident.phase,
            "severity": incident.severity,
            "closed": incident.closed,
            "opened_at": incident.opened_at.isoformat(),
            "version": incident.version,
            "assignments": {r: sorted(p) for r, p in incident.assignments.items()},
            "fields": dict(incident.fields),
            "link": link(link_template, incident),
        },
    }


def _message(params: Mapping[str, Any]) -> str:
    """The free text a spec passes (``message`` or ``text``), if any."""
    for key in ("message", "text"):
        value = params.get(key)
        if isinstance(value, str) and value:
            return value
    return ""
