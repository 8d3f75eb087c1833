"""Apply one alert payload to an engine: read it whole, then hand each alert on.

The payload is read and checked entirely first (bounds, shape, every alert's fields),
so a bad one is refused with :class:`~incidentflow.errors.IntakeError` and nothing
written. Then firing alerts are signalled (:meth:`Engine.alert_fired`) before resolved
ones (:meth:`Engine.alert_resolved`), so that an alert joining an incident in the
same group as another's resolution keeps it open. A failure midway (the store, a
concurrent writer) raises; the sender's retry is safe, since a repeat of a firing alert
writes nothing and a resolution is applied once.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from incidentflow.compiler.process import Process
from incidentflow.engine.alerts import AlertOutcome, Outcome
from incidentflow.engine.engine import Engine
from incidentflow.engine.inputs import SYSTEM
from incidentflow.errors import IntakeError
from incidentflow.intake.alertmanager import read_alertmanager, read_grafana
from incidentflow.intake.alerts import SourceAlert
from incidentflow.intake.mapping import read_mapped
from incidentflow.intake.payload import check_payload
from incidentflow.spec.intake import BUILTIN_SOURCES, PayloadMapping

Reader = Callable[[Mapping[str, Any]], tuple[list[SourceAlert], int]]

_BUILTIN: dict[str, Reader] = {"alertmanager": read_alertmanager, "grafana": read_grafana}
assert tuple(_BUILTIN) == BUILTIN_SOURCES


@dataclass(frozen=True, slots=True)
class ReceivedAlert:
    """What one alert of a payload did (``incident`` is None when ``unmatched``)."""

    key: str | None
    status: Literal["firing", "resolved"]
    outcome: Outcome
    incident: str | None
    detail: str = ""


@dataclass(frozen=True, slots=True)
class IntakeResult:
    """What a payload did, alert by alert, in the order applied (firing, then resolved)."""

    source: str
    alerts: tuple[ReceivedAlert, ...]
    truncated: int = 0  # alerts the sender said it left out (Alertmanager's max_alerts)

    def incidents(self, *outcomes: Outcome) -> tuple[str, ...]:
        """The incidents alerts had one of ``outcomes`` on, each once, in order."""
        found = (a.incident for a in self.alerts if a.outcome in outcomes and a.incident)
        return tuple(dict.fromkeys(found))

    @property
    def opened(self) -> tuple[str, ...]:
        return self.incidents("opened")

    @property
    def joined(self) -> tuple[str, ...]:
        """Incidents an alert joined (with or without raising their severity)."""
        return self.incidents("joined", "escalated")

    @property
    def escalated(self) -> tuple[str, ...]:
        return self.incidents("escalated")

    @property
    def resolved(self) -> tuple[str, ...]:
        """Incidents on which an alert resolved (moved on by ``on_resolved`` or not)."""
        return self.incidents("resolved", "auto_resolved")

    @property
    def auto_resolved(self) -> tuple[str, ...]:
        return self.incidents("auto_resolved")

    @property
    def unmatched(self) -> int:
        """Alerts that matched no trigger, or resolved on no open incident."""
        return sum(a.outcome == "unmatched" for a in self.alerts)

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready summary (what an HTTP endpoint answers)."""
        return {
            "source": self.source,
            "opened": list(self.opened),
            "joined": list(self.joined),
            "escalated": list(self.escalated),
            "resolved": list(self.resolved),
            "auto_resolved": list(self.auto_resolved),
            "unmatched": self.unmatched,
            "truncated": self.truncated,
            "alerts": [
                {
                    "key": a.key,
                    "status": a.status,
                    "outcome": a.outcome,
                    "incident": a.incident,
                    "detail": a.detail,
                }
                for a in self.alerts
            ],
        }


def sources(processes: Engine | Process | Iterable[Process]) -> tuple[str, ...]:
    """The sources a set of processes accepts: the built-in ones, then every mapping."""
    return (*BUILTIN_SOURCES, *sorted(_mappings(processes)))


def receive(
    engine: Engine, source: str, payload: Mapping[str, Any], *, actor: str = SYSTEM
) -> IntakeResult:
    """Apply ``payload`` from ``source`` (see :func:`sources`) to ``engine`` as ``actor``.

    :class:`IntakeError` for an unknown source or a payload that cannot be read (nothing
    is written then); the engine's own exceptions for an actor it refuses or a store
    that fails.
    """
    reader = _reader(engine, source)
    alerts, truncated = reader(check_payload(payload, source))
    done: list[ReceivedAlert] = []
    for alert in (a for a in alerts if not a.resolved):
        outcome = engine.alert_fired(alert.fields, alert=alert.key, actor=actor)
        done.append(_received(alert, outcome))
    for alert in (a for a in alerts if a.resolved):
        outcomes = engine.alert_resolved(alert.key, actor=actor) if alert.key else []
        done.extend(_received(alert, o) for o in outcomes or [AlertOutcome("unmatched", None)])
    return IntakeResult(source, tuple(done), truncated)


def _received(alert: SourceAlert, outcome: AlertOutcome) -> ReceivedAlert:
    return ReceivedAlert(
        alert.key,
        "resolved" if alert.resolved else "firing",
        outcome.outcome,
        outcome.incident.id if outcome.incident else None,
        outcome.detail,
    )


def _reader(engine: Engine, source: str) -> Reader:
    if source in _BUILTIN:
        return _BUILTIN[source]
    mappings = _mappings(engine)
    if source not in mappings:
        raise IntakeError(
            str(source)[:100], f"unknown source; this engine accepts {', '.join(sources(engine))}"
        )
    mapping = mappings[source]
    return lambda payload: read_mapped(source, mapping, payload)


def _mappings(processes: Engine | Process | Iterable[Process]) -> dict[str, PayloadMapping]:
    """Every mapping of the processes by name (the first process's, if several define one)."""
    if isinstance(processes, Engine):
        listed: Iterable[Process] = processes.processes.values()
    elif isinstance(processes, Process):
        listed = (processes,)
    else:
        listed = processes
    found: dict[str, PayloadMapping] = {}
    for process in listed:
        intake = process.spec.intake
        for name, mapping in (intake.mappings if intake is not None else {}).items():
            found.setdefault(name, mapping)
    return found
