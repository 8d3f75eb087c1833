"""Incident metrics computed from the audit events alone.

- time to acknowledge: from opening until a person first moves the incident on (the
  first transition not made by a timer: an escalation by a timer is not an
  acknowledgement);
- time to mitigate: until it first enters a state of phase ``resolution``;
- time to resolve: until it first enters a terminal state;
- time in each state; SLA breaches: acknowledged or resolved later than the
  level's ``acknowledge_within`` / ``resolve_within`` (the level in force when the
  incident was opened, or as last changed before the milestone); an incident
  still open past its deadline counts as breached too.

An incident is measured under the version of its process it opened on (``version``,
``digest``); :func:`summarise` with ``by_version`` compares versions (did a change of the
process help?). A migration (``migrated`` event) is a change of state and level, and
brings the new version's SLAs, like a severity change.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from incidentflow.audit.events import Event


@dataclass(frozen=True, slots=True)
class IncidentMetrics:
    """The timeline of one incident, measured."""

    incident_id: str
    process: str
    severity: str
    state: str
    opened_at: datetime
    time_to_acknowledge: timedelta | None
    time_to_mitigate: timedelta | None
    time_to_resolve: timedelta | None
    time_in_state: dict[str, timedelta]
    breached: tuple[str, ...]  # SLA fields breached: acknowledge_within, resolve_within
    version: str = ""  # the version of the process it opened on (metadata.version)
    digest: str = ""  # ... and that version's digest

    def as_dict(self) -> dict[str, object]:
        """JSON-ready form (durations in seconds)."""
        return {
            "incident_id": self.incident_id,
            "process": self.process,
            "version": self.version,
            "severity": self.severity,
            "state": self.state,
            "opened_at": self.opened_at.isoformat(),
            "time_to_acknowledge": _seconds(self.time_to_acknowledge),
            "time_to_mitigate": _seconds(self.time_to_mitigate),
            "time_to_resolve": _seconds(self.time_to_resolve),
            "time_in_state": {k: v.total_seconds() for k, v in self.time_in_state.items()},
            "breached": list(self.breached),
        }


def incident_metrics(events: list[Event], now: datetime) -> IncidentMetrics:
    """Measure one incident from its events (in seq order); ``now`` ends open intervals."""
    opened = events[0]
    severity = opened.data["severity"]
    sla: dict[str, float] = dict(opened.data.get("sla", {}))
    sla_at: dict[str, dict[str, float]] = {}
    ack = mitigate = resolve = None
    in_state: dict[str, timedelta] = defaultdict(timedelta)
    state, entered = opened.data["state"], opened.at
    if opened.data.get("phase") == "resolution":
        mitigate = timedelta(0)
    at = opened.at
    for event in events[1:]:
        # Logs from before the engine kept times in order may run backwards: read them by
        # its rule (an event is never earlier than the one before it), so no duration is < 0.
        at = max(at, event.at)
        if event.kind == "severity_changed":
            severity = event.data["new"]
            sla = dict(event.data.get("sla", {}))
        elif event.kind == "migrated":  # another version: its state's name, level and SLAs
            in_state[state] += at - entered
            state, entered = event.data["to"], at
            severity = event.data["severity"]
            sla = dict(event.data.get("sla", {}))
        elif event.kind == "transitioned":
            in_state[state] += at - entered
            state, entered = event.data["to"], at
            since = at - opened.at
            if ack is None and event.actor != "timer":
                ack, sla_at["acknowledge_within"] = since, dict(sla)
            if mitigate is None and event.data.get("phase") == "resolution":
                mitigate = since
            if resolve is None and event.data.get("terminal"):
                resolve, sla_at["resolve_within"] = since, dict(sla)
    end = at if resolve is not None else now
    in_state[state] += max(end - entered, timedelta(0))
    breached = []
    for name, reached in (("acknowledge_within", ack), ("resolve_within", resolve)):
        limit = sla_at.get(name, sla).get(name)
        elapsed = reached if reached is not None else now - opened.at
        if limit is not None and elapsed > timedelta(seconds=limit):
            breached.append(name)
    return IncidentMetrics(
        opened.incident_id,
        opened.data["process"],
        severity,
        state,
        opened.at,
        ack,
        mitigate,
        resolve,
        dict(in_state),
        tuple(breached),
        opened.spec_version,
        opened.spec_digest,
    )


def metrics_by_incident(events: Iterable[Event], now: datetime) -> list[IncidentMetrics]:
    """Metrics of every incident in ``events`` (grouped by incident, each in seq order)."""
    grouped: dict[str, list[Event]] = defaultdict(list)
    for event in events:
        grouped[event.incident_id].append(event)
    return [
        incident_metrics(evs, now) for evs in grouped.values() if evs and evs[0].kind == "opened"
    ]


@dataclass(frozen=True, slots=True)
class LevelSummary:
    """Metrics of all incidents at one (process, level)."""

    process: str
    severity: str
    incidents: int
    median_time_to_acknowledge: timedelta | None
    median_time_to_mitigate: timedelta | None
    median_time_to_resolve: timedelta | None
    breaches: dict[str, int] = field(default_factory=dict)
    version: str = ""  # set when summarised by version

    def as_dict(self) -> dict[str, object]:
        """JSON-ready form (durations in seconds; ``version`` when summarised by version)."""
        return {
            "process": self.process,
            **({"version": self.version} if self.version else {}),
            "severity": self.severity,
            "incidents": self.incidents,
            "median_time_to_acknowledge": _seconds(self.median_time_to_acknowledge),
            "median_time_to_mitigate": _seconds(self.median_time_to_mitigate),
            "median_time_to_resolve": _seconds(self.median_time_to_resolve),
            "breaches": self.breaches,
        }


def _seconds(value: timedelta | None) -> float | None:
    return None if value is None else value.total_seconds()


def _median(values: list[timedelta | None]) -> timedelta | None:
    known = [v.total_seconds() for v in values if v is not None]
    return timedelta(seconds=statistics.median(known)) if known else None


def version_order(version: str) -> tuple[int, object]:
    """Sorts versions of a process as version numbers (PEP 440); others after, as text."""
    from packaging.version import InvalidVersion, Version

    try:
        return (0, Version(version))
    except InvalidVersion:
        return (1, version)


def summarise(
    metrics: Iterable[IncidentMetrics], *, by_version: bool = False
) -> list[LevelSummary]:
    """Per process and level (and, ``by_version``, per version of the process, oldest
    first): counts, median times and SLA breaches."""
    groups: dict[tuple[str, str, str], list[IncidentMetrics]] = defaultdict(list)
    for m in metrics:
        groups[(m.process, m.version if by_version else "", m.severity)].append(m)

    def order(key: tuple[str, str, str]) -> tuple[str, tuple[int, object], str]:
        return key[0], version_order(key[1]), key[2]

    out = []
    for process, version, severity in sorted(groups, key=order):
        items = groups[(process, version, severity)]
        breaches: dict[str, int] = defaultdict(int)
        for m in items:
            for name in m.breached:
                breaches[name] += 1
        out.append(
            LevelSummary(
                process,
                severity,
                len(items),
                _median([m.time_to_acknowledge for m in items]),
                _median([m.time_to_mitigate for m in items]),
                _median([m.time_to_resolve for m in items]),
                dict(breaches),
                version,
            )
        )
    return out
