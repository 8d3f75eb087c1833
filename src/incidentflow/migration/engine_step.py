"""The engine's side of a migration: which plan applies to an incident, and its event."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from incidentflow.compiler.process import Process
from incidentflow.engine.state import IncidentState
from incidentflow.engine.versions import Versions
from incidentflow.errors import InvalidArgument, OperationRefused
from incidentflow.migration import MappingSource, plan_migration
from incidentflow.migration.apply import OPERATION, migrated_data
from incidentflow.migration.check import MigrationPlan


def migration_step(
    versions: Versions,
    state: IncidentState,
    to: Process | str | None,
    mapping: MigrationPlan | MappingSource,
    actor: str,
    now: datetime,
) -> tuple[Process, dict[str, Any]] | None:
    """The version ``state`` moves to and the ``migrated`` event's data; None when it is
    on that version already. Raises (having written nothing) when it may not move."""
    if isinstance(mapping, MigrationPlan):
        plan = mapping
        if to is not None and versions.target(state.process, to).digest != plan.new.digest:
            raise InvalidArgument(
                state.id, OPERATION, "to", "the plan moves incidents to another version"
            )
    else:
        target = versions.target(state.process, to)
        if state.spec_digest == target.digest:
            return None
        old = versions.of(state.process, state.spec_digest)
        if old is None:
            raise OperationRefused(
                state.id,
                OPERATION,
                "version",
                f"the version the incident runs on ({state.spec_version}, "
                f"{state.spec_digest[:19]}...) is neither loaded nor kept by the store: "
                "plan the migration with that version's spec, "
                "incidentflow.plan_migration(old, new, mapping), and pass the plan",
            )
        plan = plan_migration(old, target, mapping)
    if state.spec_digest == plan.new.digest:
        return None
    return plan.new, migrated_data(plan, state, actor, now)
