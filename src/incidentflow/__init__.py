"""incidentflow: incident processes as code.

Write a process (roles, severity matrix, triggers, states, transitions,
checklists, timers) in YAML; incidentflow checks it and compiles it into an
immutable :class:`Process`::

    import incidentflow

    process = incidentflow.load("process_specs/major-incident.yaml")
    problems = incidentflow.check("process_specs/")  # never raises for spec problems
"""

import typing as _typing

from incidentflow._version import __version__
from incidentflow.api import CheckResult, check, load, load_set, loads
from incidentflow.diagnostics import Diagnostic, Note, Severity
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

if _typing.TYPE_CHECKING:
    from incidentflow.audit.events import ChainProblem, Event
    from incidentflow.audit.latest import LatestStore
    from incidentflow.audit.sqlite import SQLiteStore
    from incidentflow.audit.store import IndexedStore, MemoryStore, Store
    from incidentflow.compiler.process import CompiledTrigger, Process
    from incidentflow.engine.engine import ActionRequest, Allowed, Engine, VerifyReport
    from incidentflow.engine.state import Incident, PlannedAction
    from incidentflow.spec.models import Spec

# The models, the compiler and the runtime (pydantic, networkx, transitions, sqlite3)
# load on first use: `import incidentflow` stays cheap, and the command line can
# configure its process before they load.
_LAZY = {
    "CompiledTrigger": "incidentflow.compiler.process",
    "Process": "incidentflow.compiler.process",
    "Spec": "incidentflow.spec.models",
    "ChainProblem": "incidentflow.audit.events",
    "Event": "incidentflow.audit.events",
    "SQLiteStore": "incidentflow.audit.sqlite",
    "LatestStore": "incidentflow.audit.latest",
    "MemoryStore": "incidentflow.audit.store",
    "IndexedStore": "incidentflow.audit.store",
    "Store": "incidentflow.audit.store",
    "ActionRequest": "incidentflow.engine.engine",
    "Allowed": "incidentflow.engine.engine",
    "Engine": "incidentflow.engine.engine",
    "VerifyReport": "incidentflow.engine.engine",
    "Incident": "incidentflow.engine.state",
    "PlannedAction": "incidentflow.engine.state",
}


def __getattr__(name: str) -> _typing.Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'incidentflow' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(module), name)
    globals()[name] = value  # later lookups skip this function
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))


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
    "IndexedStore",
    "InvalidOperation",
    "LatestStore",
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
