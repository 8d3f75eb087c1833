"""Deprecated: moved to :mod:`incidentflow.audit.timeline` (the audit layer)."""

from incidentflow._moved import forward

__getattr__ = forward(
    __name__, "incidentflow.audit.timeline", ("offset", "duration", "describe", "timeline")
)
