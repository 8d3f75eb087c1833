"""Who may do what on an incident.

- **Fire a transition**: holders of one of its ``by`` roles, or of a role listed
  in the ``backups`` of one of those roles (backups stand in). Timers fire their
  transitions as the system, without a role.
- **Assign and unassign**: the actor that opened the incident (typically the
  host's service account), and holders of the current state's owner role (or of
  its backups).
- **Check an item, change the severity**: the opener, holders of the owner role
  (or its backups), and anyone who may fire a transition out of the current state.
- **Add a note**: the opener and anyone holding a role on the incident.
"""

from __future__ import annotations

from collections.abc import Iterable

from incidentflow.compiler.process import Process
from incidentflow.engine.state import Incident, IncidentState
from incidentflow.spec.models import Transition


def with_backups(process: Process, roles: Iterable[str]) -> frozenset[str]:
    """``roles`` plus every role listed as a backup of one of them."""
    out = set(roles)
    for role in list(out):
        definition = process.spec.roles.get(role)
        if definition is not None:
            out.update(definition.backups)
    return frozenset(out)


def fire_roles(process: Process, transition: Transition) -> frozenset[str]:
    """Roles whose holders may fire ``transition``."""
    return with_backups(process, transition.by)


def owner_roles(process: Process, incident: Incident | IncidentState) -> frozenset[str]:
    """The current state's owner role and its backups (empty if the state has no owner)."""
    owner = process.states[incident.state].owner
    return with_backups(process, [owner]) if owner else frozenset()


def may_assign(process: Process, incident: Incident | IncidentState, actor: str) -> bool:
    """True if ``actor`` may assign and unassign roles on ``incident``."""
    return actor == incident.opened_by or bool(
        incident.roles_of(actor) & owner_roles(process, incident)
    )


def manage_roles(process: Process, incident: Incident | IncidentState) -> frozenset[str]:
    """Roles that may check items and change the severity in the current state."""
    roles = set(owner_roles(process, incident))
    for tr in process.transitions_from.get(incident.state, ()):
        roles |= fire_roles(process, tr)
    return frozenset(roles)


def may_manage(process: Process, incident: Incident | IncidentState, actor: str) -> bool:
    """True if ``actor`` may check items and change the severity now."""
    return actor == incident.opened_by or bool(
        incident.roles_of(actor) & manage_roles(process, incident)
    )


def may_note(incident: Incident | IncidentState, actor: str) -> bool:
    """True if ``actor`` may add a note."""
    return actor == incident.opened_by or bool(incident.roles_of(actor))
