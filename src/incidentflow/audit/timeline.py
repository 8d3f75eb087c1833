"""Human-readable lines for audit events: offsets, durations, and what each event says."""

from __future__ import annotations

from datetime import datetime, timedelta

from incidentflow.audit.events import Event


def offset(delta: timedelta) -> str:
    """``+1h05m``-style offset."""
    minutes = int(delta.total_seconds() // 60)
    days, minutes = divmod(minutes, 24 * 60)
    hours, minutes = divmod(minutes, 60)
    return f"+{days}d{hours:02d}h{minutes:02d}m" if days else f"+{hours}h{minutes:02d}m"


def duration(delta: timedelta | None) -> str:
    """``3m``, ``2h05m`` or ``1d02h00m`` (``-`` when unknown)."""
    if delta is None:
        return "-"
    if delta < timedelta(hours=1):
        return f"{int(delta.total_seconds() // 60)}m"
    return offset(delta).lstrip("+")


def describe(event: Event) -> str:
    """What an event says, in a few words."""
    d = event.data
    kind = event.kind
    if kind == "opened":
        how = f" by trigger {d['trigger']}" if d.get("trigger") else ""
        paused = " (SLA clocks paused)" if d.get("sla_paused") else ""
        return f"opened at {d['severity']} in {d['state']}{how}{paused}"
    if kind == "transitioned":
        via = (
            f" (as {d['as_role']}, standing in through {d['via_backup']})"
            if "via_backup" in d
            else ""
        )
        clocks = (
            " (SLA clocks paused)"
            if d.get("sla_paused")
            else " (SLA clocks resumed)"
            if d.get("sla_resumed")
            else ""
        )
        return f"{d['transition']}: {d['from']} -> {d['to']}{via}{clocks}"
    if kind in ("assigned", "unassigned"):
        return (
            f"{kind} {d['role']} to {d['person']}"
            if kind == "assigned"
            else f"unassigned {d['role']} from {d['person']}"
        )
    if kind == "checked":
        return f"checked {d['item']}"
    if kind == "timer_fired":
        skipped = d.get("skipped", 0)
        late = f" (once for {skipped + 1} missed instants)" if skipped else ""
        return f"timer {d['timer']} fired{late}" + (
            f" ({d['transition_skipped']})" if "transition_skipped" in d else ""
        )
    if kind == "severity_changed":
        return f"severity {d['old']} -> {d['new']}" + (
            f" ({d['reason']})" if d.get("reason") else ""
        )
    if kind == "migrated":
        level = (
            f", {d['old_severity']} -> {d['severity']}"
            if d["old_severity"] != d["severity"]
            else ""
        )
        return (
            f"migrated from version {d['from_version']} to {d['to_version']}: "
            f"{d['from']} -> {d['to']}{level}"
        )
    if kind == "noted":
        return f"note: {d['text']}"
    if kind == "deduplicated":
        return f"signal joined this incident ({d['trigger']})"
    if kind == "alert_resolved":
        return f"alert {d['alert']} resolved ({d['remaining']} still firing)" + (
            f" ({d['transition_skipped']})" if "transition_skipped" in d else ""
        )
    if kind == "action_started":
        return f"action {d['action']} started"
    if kind == "action_heartbeat":
        return f"action {d['action_id']} still running (attempt {d['attempt']})"
    if kind == "action_succeeded":
        return f"action {d['action_id']} succeeded"
    if kind == "action_failed":
        return f"action {d['action_id']} failed: {d['error']}"
    return kind


def timeline(events: list[Event], start: datetime | None = None) -> list[str]:
    """One line per event: offset from ``start`` (default: the first event), actor, what happened."""
    if not events:
        return []
    origin = start or events[0].at
    return [f"  {offset(e.at - origin):>10}  {e.actor:<8}  {describe(e)}" for e in events]
