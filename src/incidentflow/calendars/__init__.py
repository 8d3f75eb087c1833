"""Working-time calendars and business-time arithmetic, the one implementation of both.

The engine plans timers and SLA deadlines with it (through the compiled
:class:`~incidentflow.compiler.process.Process`: ``process.calendar(name)``,
``process.sla_due(...)``, ``process.timer_due(...)``), the compiler checks calendars
with it, and the renderers and ``incidentflow simulate`` describe them with it.
See docs/time.md.
"""

from __future__ import annotations

from incidentflow.calendars.calendar import (
    ALWAYS,
    ALWAYS_NAME,
    HORIZON,
    BeyondHorizon,
    Calendar,
    offset_changes,
    time_zone,
)
from incidentflow.calendars.hours import DAY_NAMES, WeekHours, parse_days, parse_range

__all__ = [
    "ALWAYS",
    "ALWAYS_NAME",
    "DAY_NAMES",
    "HORIZON",
    "BeyondHorizon",
    "Calendar",
    "WeekHours",
    "offset_changes",
    "parse_days",
    "parse_range",
    "time_zone",
]
