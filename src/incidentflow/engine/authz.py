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

**Separation of duties** (``distinct_holders`` policies, see
:meth:`~incidentflow.compiler.process.Process.separating`): at the levels a policy covers,

- a backup that the policy keeps apart from the role it backs up never stands
  in for that role (for any of the above): :func:`fire_roles`, :func:`owner_roles`
  and :func:`manage_roles` leave it out;
- a person *acts in* a role when they fire a transition as that role, directly
  or standing in as its backup; the role they acted as is recorded in the
  ``transitioned`` event (``as_role``, and ``via_backup`` when standing in). A
  person who holds, or has acted in, one role of the policy may neither fire as
  another of its roles (:func:`fire_as`) nor be assigned one
  (:func:`separation_conflict`). Both read only the incident's log, so replaying
  it gives the same decisions.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from dataclasses import dataclass

from incidentflow.compiler.process import Process
from incidentflow.engine.state import Incident, IncidentState
from incidentflow.spec.models import Transition


def backups_at(process: Process, role: str, level: str | None = None) -> tuple[str, ...]:
    """The backups of ``role`` that may stand in for it at ``level`` (None: at some level)."""
    definition = process.spec.roles.get(role)
    if definition is None:
        return ()
    levels = process.level_ids if level is None else (level,)
    return tuple(
        b
        for b in definition.backups
        if any(process.kept_apart(role, b, lv) is None for lv in levels)
    )


def with_backups(
    process: Process, roles: Iterable[str], level: str | None = None
) -> frozenset[str]:
    """``roles`` plus every backup that may stand in for one of them at ``level``
    (None: at some level)."""
    out = set(roles)
    for role in list(out):
        out.update(backups_at(process, role, level))
    return frozenset(out)


def fire_roles(
    process: Process, transition: Transition, level: str | None = None
) -> frozenset[str]:
    """Roles whose holders may fire ``transition`` at ``level`` (None: at some level).

    This is what the engine enforces and what handbooks print (a person's own
    history may still refuse them: see :func:`fire_as`).
    """
    return with_backups(process, transition.by, level)


def owner_roles(process: Process, incident: Incident | IncidentState) -> frozenset[str]:
    """The current state's owner role and its backups (empty if the state has no owner)."""
    owner = process.states[incident.state].owner
    return with_backups(process, [owner], incident.severity) if owner else frozenset()


def may_assign(process: Process, incident: Incident | IncidentState, actor: str) -> bool:
    """True if ``actor`` may assign and unassign roles on ``incident``."""
    return actor == incident.opened_by or bool(
        incident.roles_of(actor) & owner_roles(process, incident)
    )


def manage_roles(process: Process, incident: Incident | IncidentState) -> frozenset[str]:
    """Roles that may check items and change the severity in the current state."""
    roles = set(owner_roles(process, incident))
    for tr in process.transitions_from.get(incident.state, ()):
        roles |= fire_roles(process, tr, incident.severity)
    return frozenset(roles)


def may_manage(process: Process, incident: Incident | IncidentState, actor: str) -> bool:
    """True if ``actor`` may check items and change the severity now."""
    return actor == incident.opened_by or bool(
        incident.roles_of(actor) & manage_roles(process, incident)
    )


def may_note(incident: Incident | IncidentState, actor: str) -> bool:
    """True if ``actor`` may add a note."""
    return actor == incident.opened_by or bool(incident.roles_of(actor))


# --- separation of duties, person by person ---------------------------------------------


@dataclass(frozen=True, slots=True)
class Acting:
    """The role a person fires a transition as, and the backup role they stand in through."""

    role: str
    via: str | None = None

    def record(self) -> dict[str, str]:
        """What the ``transitioned`` event records about it."""
        if self.via:
            return {"as_role": self.role, "via_backup": self.via}
        return {"as_role": self.role}


@functools.lru_cache(maxsize=1024)
def _acting_as(role: str) -> Acting:
    """``Acting(role)``, one shared instance per role (it is immutable; every fire of a
    role holder asks for it)."""
    return Acting(role)


@dataclass(frozen=True, slots=True)
class Refusal:
    """Why a person may not fire a transition: ``reason`` is ``role`` or ``policy``."""

    reason: str
    detail: str


def _conflict(
    process: Process, incident: IncidentState, person: str, role: str
) -> tuple[str, str, str] | None:
    """(policy id, other role, how) when ``person`` may not act in ``role`` because they
    hold (``how`` = "holds") or have acted in (``has acted as``) another role a policy in
    force keeps apart from it."""
    held = incident.roles_of(person)
    acted = incident.acted.get(person, frozenset())
    for policy in process.separating(incident.severity):
        roles = policy.distinct_holders or ()
        if role not in roles:
            continue
        for other in roles:  # in the policy's order: the message names the first clash
            if other == role:
                continue
            if other in held:
                return policy.id, other, "holds"
            if other in acted:
                return policy.id, other, "has acted as"
    return None


def separation_conflict(
    process: Process, incident: IncidentState, role: str, person: str
) -> str | None:
    """Why ``person`` may not be given ``role`` under a ``distinct_holders`` policy, or None."""
    found = _conflict(process, incident, person, role)
    if found is None:
        return None
    policy, other, how = found
    if how == "holds":
        why = f"already holds {other!r}, which must not be held with {role!r}"
    else:
        why = f"has already acted as {other!r} on this incident, so may not hold {role!r}"
    return f"policy {policy!r}: {person!r} {why}"


def fire_as(
    process: Process, incident: IncidentState, transition: Transition, actor: str
) -> Acting | Refusal:
    """The role ``actor`` fires ``transition`` as, or why they may not.

    Ways are tried in a fixed order, so the answer depends only on the log: the
    ``by`` roles the actor holds (in ``by`` order), then the backups they hold (for
    each ``by`` role, in its ``backups`` order). The first way no policy forbids
    wins. Holding none: reason ``role``; every way held forbidden: reason ``policy``,
    naming the policy of the first.
    """
    held = incident.roles_of(actor)
    for role in transition.by:  # the common case, quickly: no policy in force
        if role in held:
            if not process.separating(incident.severity):
                return _acting_as(role)  # the first way, which nothing forbids
            break
    ways = [Acting(r) for r in transition.by if r in held]
    for role in transition.by:
        definition = process.spec.roles.get(role)
        backups = definition.backups if definition is not None else ()
        ways += [Acting(role, b) for b in backups if b in held]
    first: tuple[Acting, tuple[str, str, str]] | None = None
    for way in ways:
        found = _conflict(process, incident, actor, way.role)
        if found is None:
            return way
        first = first or (way, found)
    if first is None:
        roles = sorted(fire_roles(process, transition, incident.severity))
        return Refusal(
            "role", f"{actor!r} holds none of {', '.join(roles) or 'no role (timers only)'}"
        )
    way, (policy, other, how) = first
    through = f" (standing in through its backup {way.via!r})" if way.via else ""
    return Refusal(
        "policy",
        f"policy {policy!r}: {actor!r} {how} {other!r}, so may not act as {way.role!r}{through}",
    )
