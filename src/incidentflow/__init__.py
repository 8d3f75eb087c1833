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
from incidentflow.compiler.process import CompiledTrigger, Process
from incidentflow.diagnostics import Diagnostic, Note, Severity
from incidentflow.errors import IncidentflowError, SpecError, SpecFileError
from incidentflow.spec.limits import Limits
from incidentflow.spec.models import Spec

__all__ = [
    "CheckResult",
    "CompiledTrigger",
    "Diagnostic",
    "IncidentflowError",
    "Limits",
    "Note",
    "Process",
    "Severity",
    "Spec",
    "SpecError",
    "SpecFileError",
    "__version__",
    "check",
    "load",
    "load_set",
    "loads",
]
