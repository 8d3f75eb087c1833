"""incidentflow: incident processes as code.

Write a process (roles, severity matrix, triggers, states, transitions,
checklists, timers) in YAML; incidentflow checks it and compiles it into an
immutable :class:`Process`::

    import incidentflow

    process = incidentflow.load("process_specs/major-incident.yaml")
    problems = incidentflow.check("process_specs/")  # never raises for spec problems
"""

import typing as _typing

from incidentflow._lazy import lazy_exports as _lazy_exports
from incidentflow._version import __version__
from incidentflow.api import CheckResult, check, load, load_set, loads
from incidentflow.diagnostics import Diagnostic, Note, Severity, Suppressed, SuppressedBy
from incidentflow.errors import (
    AuditError,
    ConcurrencyError,
    EngineError,
    IncidentflowError,
    InvalidArgument,
    InvalidOperation,
    InvalidSuppression,
    MigrationRefused,
    MissingHandlers,
    NotAuthorized,
    OperationRefused,
    SpecError,
    SpecFileError,
    StoreClosed,
    StoreError,
    StoreSchemaError,
    TransitionNotAllowed,
    UnknownIncident,
    UnknownProcess,
)
from incidentflow.spec.limits import Limits

if _typing.TYPE_CHECKING:
    from incidentflow.audit.anchor import Anchor
    from incidentflow.audit.events import ChainProblem, Event
    from incidentflow.audit.latest import LatestStore
    from incidentflow.audit.postgres import PostgresStore
    from incidentflow.audit.specs import SpecArchive, StoredSpec
    from incidentflow.audit.sqlite import SQLiteStore
    from incidentflow.audit.store import (
        Append,
        BatchStore,
        ChangeFeed,
        ClockedStore,
        DueIndexStore,
        IncidentIndex,
        IndexedStore,
        MemoryStore,
        NotifyingStore,
        Store,
    )
    from incidentflow.audit.verify import VerifyReport
    from incidentflow.calendars import Calendar
    from incidentflow.changes import ProcessDiff, diff
    from incidentflow.compiler.process import CompiledTrigger, Process
    from incidentflow.engine.action_runner import ActionRequest
    from incidentflow.engine.deadlines import Deadline
    from incidentflow.engine.engine import Allowed, Engine
    from incidentflow.engine.problems import IncidentProblem, TickResult
    from incidentflow.engine.state import Incident, PlannedAction
    from incidentflow.engine.worker import Worker
    from incidentflow.migration import MigrationPlan, plan_migration
    from incidentflow.spec.models import Spec

# The models, the compiler and the runtime (pydantic, networkx, transitions, sqlite3)
# load on first use: `import incidentflow` stays cheap, and the command line can
# configure its process before they load.
_LAZY = {
    "CompiledTrigger": "incidentflow.compiler.process",
    "Process": "incidentflow.compiler.process",
    "Spec": "incidentflow.spec.models",
    "Anchor": "incidentflow.audit.anchor",
    "ChainProblem": "incidentflow.audit.events",
    "Event": "incidentflow.audit.events",
    "SQLiteStore": "incidentflow.audit.sqlite",
    "PostgresStore": "incidentflow.audit.postgres",
    "LatestStore": "incidentflow.audit.latest",
    "MemoryStore": "incidentflow.audit.store",
    "IndexedStore": "incidentflow.audit.store",
    "IncidentIndex": "incidentflow.audit.store",
    "Store": "incidentflow.audit.store",
    "ClockedStore": "incidentflow.audit.store",
    "NotifyingStore": "incidentflow.audit.store",
    "Append": "incidentflow.audit.store",
    "BatchStore": "incidentflow.audit.store",
    "ChangeFeed": "incidentflow.audit.store",
    "DueIndexStore": "incidentflow.audit.store",
    "ActionRequest": "incidentflow.engine.action_runner",
    "Allowed": "incidentflow.engine.engine",
    "Engine": "incidentflow.engine.engine",
    "VerifyReport": "incidentflow.audit.verify",
    "ProcessDiff": "incidentflow.changes",
    "diff": "incidentflow.changes",
    "IncidentProblem": "incidentflow.engine.problems",
    "TickResult": "incidentflow.engine.problems",
    "Incident": "incidentflow.engine.state",
    "PlannedAction": "incidentflow.engine.state",
    "Worker": "incidentflow.engine.worker",
    "Calendar": "incidentflow.calendars",
    "Deadline": "incidentflow.engine.deadlines",
    "SpecArchive": "incidentflow.audit.specs",
    "StoredSpec": "incidentflow.audit.specs",
    "MigrationPlan": "incidentflow.migration",
    "plan_migration": "incidentflow.migration",
}


__getattr__, __dir__ = _lazy_exports(__name__, _LAZY, globals())


__all__ = [
    "ActionRequest",
    "Allowed",
    "Anchor",
    "Append",
    "AuditError",
    "BatchStore",
    "Calendar",
    "ChainProblem",
    "ChangeFeed",
    "CheckResult",
    "ClockedStore",
    "CompiledTrigger",
    "ConcurrencyError",
    "Deadline",
    "Diagnostic",
    "DueIndexStore",
    "Engine",
    "EngineError",
    "Event",
    "Incident",
    "IncidentIndex",
    "IncidentProblem",
    "IncidentflowError",
    "IndexedStore",
    "InvalidArgument",
    "InvalidOperation",
    "InvalidSuppression",
    "LatestStore",
    "Limits",
    "MemoryStore",
    "MigrationPlan",
    "MigrationRefused",
    "MissingHandlers",
    "NotAuthorized",
    "Note",
    "NotifyingStore",
    "OperationRefused",
    "PlannedAction",
    "PostgresStore",
    "Process",
    "ProcessDiff",
    "SQLiteStore",
    "Severity",
    "Spec",
    "SpecArchive",
    "SpecError",
    "SpecFileError",
    "Store",
    "StoreClosed",
    "StoreError",
    "StoreSchemaError",
    "StoredSpec",
    "Suppressed",
    "SuppressedBy",
    "TickResult",
    "TransitionNotAllowed",
    "UnknownIncident",
    "UnknownProcess",
    "VerifyReport",
    "Worker",
    "__version__",
    "check",
    "diff",
    "load",
    "load_set",
    "loads",
    "plan_migration",
]
