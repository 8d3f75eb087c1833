"""Frozen pydantic models of the spec format v1 (see docs/spec-format.md).

The models check shape and types; everything that relates one part of a spec
to another (references, the graph, the matrix) is the compiler's job, so that
all such problems are reported together, each at its own position.
"""

from __future__ import annotations

from datetime import date
from functools import cached_property
from typing import Any, Literal

from pydantic import ConfigDict, Field, StrictBool, StrictInt

from incidentflow.spec.base import Ident, RoleId, Scalar, Slug, SpecModel
from incidentflow.spec.conditions import Condition
from incidentflow.spec.durations import Duration
from incidentflow.spec.intake import Intake

SLA_FIELDS: tuple[str, ...] = ("acknowledge_within", "update_every", "resolve_within")
"""The SLA durations a level may define; timers may name them in ``after``."""

ParamKind = Literal["role", "string", "duration", "level"]


class Metadata(SpecModel):
    """Who the process is and which version of it this is."""

    name: Slug = Field(description="Unique name of the process within a set of specs.")
    version: str = Field(min_length=1, description="Version recorded on every incident.")
    title: str = ""
    owner: str = ""
    description: str = ""


class Role(SpecModel):
    """A role people hold on an incident."""

    title: str = Field(min_length=1)
    description: str = ""
    responsibilities: tuple[str, ...] = ()
    backups: tuple[RoleId, ...] = Field(
        default=(), description="Roles whose holders may act in this role's stead."
    )


class Level(SpecModel):
    """A severity level with its SLA durations."""

    id: Ident
    title: str = ""
    description: str = ""
    acknowledge_within: Duration | None = None
    update_every: Duration | None = None
    resolve_within: Duration | None = None
    calendar: str | None = Field(
        default=None, description="The calendar its SLAs count in (default: always)."
    )

    def sla(self, name: str) -> Any:
        """The SLA duration called ``name`` (one of SLA_FIELDS), or None."""
        return getattr(self, name)


class SeverityScheme(SpecModel):
    """Levels, most severe first, and the optional impact x urgency matrix."""

    levels: tuple[Level, ...] = Field(min_length=1)
    impact: tuple[str, ...] | None = Field(default=None, min_length=1)
    urgency: tuple[str, ...] | None = Field(default=None, min_length=1)
    matrix: dict[str, dict[str, str]] | None = None


class Action(SpecModel):
    """An automated step the host application implements."""

    description: str = ""
    params: dict[str, ParamKind] = Field(default_factory=dict)


class ActionCall(SpecModel):
    """``{action: NAME, param: value, ...}``: invoke a declared action."""

    model_config = ConfigDict(frozen=True, extra="allow")

    action: str = Field(min_length=1)
    # The parameters are plain values: a list or a mapping is a format error (IF122),
    # not something the reference checks would have to guard against.
    __pydantic_extra__: dict[str, Scalar] = Field(init=False)

    @property
    def params(self) -> dict[str, Scalar]:
        """The parameters passed (every key but ``action``)."""
        return dict(self.model_extra or {})


class Trigger(SpecModel):
    """Which signals open an incident, and at what severity."""

    id: Ident
    title: str = ""
    description: str = ""
    when: Condition
    severity: str | None = None
    impact: str | None = None
    urgency: str | None = None
    dedupe_by: tuple[str, ...] = ()


class ChecklistItem(SpecModel):
    """A step to complete in a state; required items can gate transitions."""

    id: Ident
    text: str = Field(min_length=1)
    required: StrictBool = True


TimerDelay = str | dict[str, Duration]
"""An SLA field of the level, a duration, or a map {LEVEL: duration, default: ...}."""


class Timer(SpecModel):
    """A deadline that starts when its state is entered; with ``every``, a recurring one.

    A timer needs ``after``, ``every`` or both (the compiler checks, IF121): it first
    fires ``after`` the state is entered (or one period in, without ``after``), then,
    with ``every``, once per period while the incident stays in the state, for at most
    ``max`` instants of that schedule (an overdue tick fires once for those it missed).
    """

    id: Ident
    after: TimerDelay | None = Field(
        default=None,
        description="An SLA field of the level, a duration, or a map {LEVEL: duration, default: ...}.",
    )
    every: TimerDelay | None = Field(
        default=None,
        description="Fire again every period while the incident stays in the state: an SLA "
        "field (such as update_every), a duration, or a per-level map.",
    )
    max: StrictInt | None = Field(
        default=None, description="With every: the timer fires at most this many times."
    )
    actions: tuple[ActionCall, ...] = ()
    transition: str | None = None
    calendar: str | None = Field(
        default=None,
        description="The calendar its delay counts in (default: the level's for an SLA field).",
    )

    @property
    def delays(self) -> tuple[tuple[Literal["after", "every"], TimerDelay], ...]:
        """The durations the timer was given, each with its key (``after``, ``every``)."""
        given: list[tuple[Literal["after", "every"], TimerDelay]] = []
        if self.after is not None:
            given.append(("after", self.after))
        if self.every is not None:
            given.append(("every", self.every))
        return tuple(given)


class State(SpecModel):
    """A state of the process."""

    title: str = ""
    phase: str | None = None
    owner: RoleId | None = None
    description: str = ""
    runbook: str | None = None
    checklist: tuple[ChecklistItem, ...] = ()
    on_enter: tuple[ActionCall, ...] = ()
    timers: tuple[Timer, ...] = ()
    terminal: StrictBool = False
    sla: Literal["running", "paused"] = Field(
        default="running",
        description="paused: the SLA clocks stop while an incident is in this state.",
    )


class Guard(SpecModel):
    """A condition on the incident itself that a transition needs."""

    severity: tuple[str, ...] = Field(description="Levels at which the transition may fire.")


class Transition(SpecModel):
    """A named move from one or more states to another."""

    name: Ident
    from_: str | tuple[str, ...] = Field(alias="from")
    to: str
    title: str = ""
    description: str = ""
    by: tuple[RoleId, ...] = Field(
        default=(), description="Roles allowed to fire it; empty means only timers may."
    )
    requires: tuple[str, ...] = ()
    when: Guard | None = None
    actions: tuple[ActionCall, ...] = ()

    @cached_property
    def sources(self) -> tuple[str, ...]:
        """The source states as a tuple."""
        return (self.from_,) if isinstance(self.from_, str) else self.from_


class ProcessGraph(SpecModel):
    """The choreography: states and transitions."""

    initial: str
    states: dict[Ident, State] = Field(min_length=1)
    transitions: tuple[Transition, ...] = ()


class PhaseRef(SpecModel):
    """``{phase: NAME}``: any state of that phase."""

    phase: str = Field(min_length=1)


class Policy(SpecModel):
    """A property the organisation requires of its own process."""

    id: Ident
    description: str = ""
    for_severity: tuple[str, ...] | None = None
    must_visit: str | PhaseRef | None = None
    must_not_reach: str | PhaseRef | None = None
    distinct_holders: tuple[RoleId, ...] | None = None


class Milestone(SpecModel):
    """When an incident reaches a milestone: on first entering one of the ``enter``
    states or first firing one of the ``transitions``, whichever comes first."""

    enter: tuple[str, ...] = ()
    transitions: tuple[str, ...] = ()


class Metrics(SpecModel):
    """What counts as acknowledged, mitigated and resolved (None: the default rule)."""

    acknowledged: Milestone | None = None
    mitigated: Milestone | None = None
    resolved: Milestone | None = None


class CalendarDef(SpecModel):
    """A working-time calendar: a time zone, hours per weekday, and holidays."""

    timezone: str = Field(min_length=1, description="IANA time zone, such as Europe/London.")
    hours: dict[str, str | tuple[str, ...]] = Field(
        description="Weekday or range of them (mon, mon-fri) -> hour ranges (09:00-17:30)."
    )
    holidays: tuple[date, ...] = Field(default=(), description="Dates with no working time.")


class Spec(SpecModel):
    """A whole process spec, format v1."""

    api_version: Literal["incidentflow/v1"] = Field(alias="apiVersion")
    kind: Literal["Process"]
    metadata: Metadata
    roles: dict[RoleId, Role] = Field(min_length=1)
    severity: SeverityScheme
    actions: dict[Ident, Action] = Field(default_factory=dict)
    triggers: tuple[Trigger, ...] = ()
    process: ProcessGraph
    policies: tuple[Policy, ...] = ()
    intake: Intake | None = None
    metrics: Metrics | None = None
    calendars: dict[Ident, CalendarDef] = Field(default_factory=dict)
