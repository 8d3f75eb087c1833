"""Decide one incident's migration: who may, whether the plan fits it, and the event.

Pure: it reads the incident's state and the plan and returns the ``migrated`` event's
data (or refuses, with a specific exception, having written nothing). The engine
appends the event, sealed with the new version, so the incident's hash chain records
both digests, and replaying the log (:func:`incidentflow.engine.state.replay`) gives
the migrated state.

**Who may migrate an incident**: whoever may assign its roles under the version it runs
on (:func:`incidentflow.engine.authz.may_assign`): the actor that opened it (typically
the host's service account, ``system`` for incidents opened by a signal) and holders of
its current state's owner role (or of that role's backups). A migration changes the
rules an incident runs by, as assigning changes who runs it.

What moves and what stays (see :data:`~incidentflow.migration.mapping.TIMER_POLICIES`):
the state and level move through the plan; the time the incident entered its state,
its assignments, notes and actions stay (actions already planned run under their own
names; the new state's ``on_enter`` actions do not run: the incident does not enter
it); checklist ticks are kept for the items the new state also has (``keep``) or
dropped; timers are kept, restarted from now, or cancelled until the incident leaves
the state (a severity change plans none of them again).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from incidentflow.engine import authz
from incidentflow.engine.planning import plan_timers, sla_seconds
from incidentflow.engine.state import IncidentState
from incidentflow.errors import MigrationRefused, NotAuthorized, OperationRefused
from incidentflow.migration.check import MigrationPlan

__all__ = ["migrated_data"]

OPERATION = "migrate"


def migrated_data(
    plan: MigrationPlan, state: IncidentState, actor: str, now: datetime
) -> dict[str, Any]:
    """The data of the ``migrated`` event that moves ``state`` through ``plan``, decided
    at ``now``; MigrationRefused, NotAuthorized or OperationRefused otherwise."""
    iid = state.id
    old, new = plan.old, plan.new
    if not plan.ok:
        raise MigrationRefused(iid, plan.errors)
    if state.closed:
        raise OperationRefused(
            iid, OPERATION, "closed", f"the incident is closed (in {state.state!r})"
        )
    if state.spec_digest != old.digest:
        raise OperationRefused(
            iid,
            OPERATION,
            "version",
            f"the incident runs on version {state.spec_version} ({state.spec_digest[:19]}...), "
            f"not on version {old.version} ({old.digest[:19]}...) that the plan moves from",
        )
    if not authz.may_assign(old, state, actor):
        raise NotAuthorized(
            iid,
            OPERATION,
            actor,
            sorted(authz.owner_roles(old, state)),
            f"{actor!r} neither opened the incident nor holds the owner role of {state.state!r}",
        )
    move = plan.moves.get(state.state)
    level = plan.levels.get(state.severity)
    if move is None or level is None:
        what = f"state {state.state!r}" if move is None else f"level {state.severity!r}"
        raise OperationRefused(
            iid, OPERATION, "mapping", f"the mapping does not say where {what} goes"
        )
    items = {c.id for c in new.states[move.target].checklist}
    checklist = sorted(state.checklist & items) if move.checklist == "keep" else []
    running = {t.id for t, _ in new.timers_at(move.target, level)}
    if move.timers == "keep":
        kept = {t: due.isoformat() for t, due in state.timers.items() if t in running}
        fired = sorted(state.fired_timers & running)
        timers = kept | plan_timers(
            new, move.target, level, state.state_entered_at, skip={*kept, *fired}
        )
    elif move.timers == "restart":
        timers, fired = plan_timers(new, move.target, level, now), []
    else:  # cancel: none runs, and a change of severity plans none again
        timers, fired = {}, sorted(running)
    target = new.states[move.target]
    return {
        "process": new.name,
        "from_version": old.version,
        "from_digest": old.digest,
        "to_version": new.version,
        "to_digest": new.digest,
        "mapping": plan.digest,
        "from": state.state,
        "to": move.target,
        "phase": target.phase,
        "terminal": target.terminal,
        "old_severity": state.severity,
        "severity": level,
        "checklist": checklist,
        "checklist_policy": move.checklist,
        "timers": timers,
        "fired_timers": fired,
        "timers_policy": move.timers,
        "sla": sla_seconds(new, level),
    }
