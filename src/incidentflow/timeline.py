"""Deprecated: moved to :mod:`incidentflow.audit.timeline` (the audit layer)."""

from incidentflow._deprecated import forward, moved

__getattr__ = forward(
    __name__, moved("incidentflow.audit.timeline", ("offset", "duration", "describe", "timeline"))
)
