"""A small ITIL-style desk in office hours, shared by the time tests."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import incidentflow
from incidentflow import Process

LONDON = ZoneInfo("Europe/London")

DESK_TEMPLATE = """\
apiVersion: incidentflow/v1
kind: Process
metadata: {{name: itil-desk, version: "1"}}
calendars:
  office:
    timezone: Europe/London
    hours: {{mon-fri: ["09:00-17:30"]}}
    holidays: [{holidays}]
roles:
  agent: {{title: Agent, backups: [manager]}}
  manager: {{title: Manager, backups: [agent]}}
severity:
  levels:
    - {{id: P1, acknowledge_within: 15m, resolve_within: 4h}}
    - {{id: P3, acknowledge_within: 4h, resolve_within: 8h, calendar: office}}
triggers:
  - {{id: any, when: {{field: service, exists: true}}, severity: P3}}
actions:
  page: {{params: {{role: role}}}}
process:
  initial: new
  states:
    new:
      owner: agent
      timers:
        - {{id: breach, after: resolve_within, actions: [{{action: page, role: manager}}]}}
    working:
      owner: agent
      timers:
        - {{id: chase, after: 2h, calendar: office, transition: escalate}}
    escalated: {{owner: manager}}
    closed: {{terminal: true}}
  transitions:
    - {{name: take, from: new, to: working, by: [agent]}}
    - {{name: escalate, from: working, to: escalated}}
    - {{name: close, from: [new, working, escalated], to: closed, by: [agent, manager]}}
"""


def itil_desk(holidays: str = "") -> Process:
    """The desk, with the given holidays (``"2026-03-23"``)."""
    return incidentflow.loads(DESK_TEMPLATE.format(holidays=holidays), "itil-desk.yaml")


def london(*args: int) -> datetime:
    """A London wall-clock time."""
    return datetime(*args, tzinfo=LONDON)  # type: ignore[misc]
