"""Alert intake: turn the webhooks of monitoring tools into signals for an engine.

:func:`receive` applies one payload (Prometheus Alertmanager, Grafana alerting, or a
JSON mapping a spec declares in ``intake.mappings``) and says what each alert did;
:func:`sources` lists the sources a set of processes accepts; :func:`parse_json` reads
an untrusted body within bounds. See docs/alertmanager.md.
"""

from __future__ import annotations

from incidentflow.errors import IntakeError
from incidentflow.intake.alerts import SourceAlert
from incidentflow.intake.apply import IntakeResult, ReceivedAlert, receive, sources
from incidentflow.intake.payload import MAX_ALERTS, MAX_BYTES, MAX_DEPTH, parse_json

__all__ = [
    "MAX_ALERTS",
    "MAX_BYTES",
    "MAX_DEPTH",
    "IntakeError",
    "IntakeResult",
    "ReceivedAlert",
    "SourceAlert",
    "parse_json",
    "receive",
    "sources",
]
