"""incidentflow: incident processes as code.

Write a process (roles, severity matrix, triggers, states, transitions,
checklists, timers) in YAML; incidentflow checks it and compiles it into an
immutable :class:`Process`::

    import incidentflow

    process = incidentflow.load("process_specs/major-incident.yaml")
    problems = incidentflow.check("process_specs/")  # never raises for spec problems
"""

from incidentflow._version import __version__
from incidentflow.api import CheckResult, check, load, load_set, loads
from incidentflow.audit.events import ChainProblem, Event
from incidentflow.audit.sqlite import SQLiteStore
from incidentflow.audit.store import MemoryStore, Store
from incidentflow.compiler.process import CompiledTrigger, Process
from incidentflow.diagnostics import Diagnostic, Note, Severity
from incidentflow.engine.engine import ActionRequest, Allowed, Engine, VerifyReport
from incidentflow.engine.state import Incident, PlannedAction
from incidentflow.errors import (
    ConcurrencyError,
    EngineError,
    IncidentflowError,
    InvalidOperation,
    MissingHandlers,
    NotAuthorized,
    OperationRefused,
    SpecError,
    SpecFileError,
    TransitionNotAllowed,
    UnknownIncident,
    UnknownProcess,
)
from incidentflow.spec.limits import Limits
from incidentflow.spec.models import Spec

__all__ = [
    "ActionRequest",
    "Allowed",
    "ChainProblem",
    "CheckResult",
    "CompiledTrigger",
    "ConcurrencyError",
    "Diagnostic",
    "Engine",
    "EngineError",
    "Event",
    "Incident",
    "IncidentflowError",
    "InvalidOperation",
    "Limits",
    "MemoryStore",
    "MissingHandlers",
    "NotAuthorized",
    "Note",
    "OperationRefused",
    "PlannedAction",
    "Process",
    "SQLiteStore",
    "Severity",
    "Spec",
    "SpecError",
    "SpecFileError",
    "Store",
    "TransitionNotAllowed",
    "UnknownIncident",
    "UnknownProcess",
    "VerifyReport",
    "__version__",
    "check",
    "load",
    "load_set",
    "loads",
]
