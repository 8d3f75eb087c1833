"""What a generated drill found, as text, JSON or Markdown.

:class:`DrillReport` is plain data. Its JSON form has a ``coverage`` object whose
``states``, ``transitions``, ``timers`` (and ``actions``) entries are each
``{"covered": N, "total": M}``, overall and for each level under ``levels``.
Overall figures count distinct items (a transition covered at any level counts
once); a level's figures count the items reachable at that level. A transition
is counted once per source state. The output holds no wall-clock time and no
random id, so two drills of one spec give identical reports.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from incidentflow.audit.timeline import duration
from incidentflow.spec.durations import format_duration

FORMATS = ("text", "json", "markdown")


@dataclass(frozen=True, slots=True)
class Count:
    """``covered`` of ``total`` items."""

    covered: int
    total: int

    def as_dict(self) -> dict[str, int]:
        """``{"covered": N, "total": M}``."""
        return {"covered": self.covered, "total": self.total}

    def __str__(self) -> str:
        percent = 100 * self.covered // self.total if self.total else 100
        return f"{self.covered}/{self.total} ({percent}%)"


@dataclass(frozen=True, slots=True)
class Problem:
    """An item that could not be exercised, and why.

    ``reason`` is the engine's refusal word (role, checklist, guard, state,
    policy, invalid) or the drill's (blocked, preempted, diverged, stalled,
    unreachable); ``blocking`` is False only for items unreachable at the level.
    """

    level: str
    kind: str  # state | transition | timer
    item: str
    reason: str
    detail: str
    blocking: bool = True

    def as_dict(self) -> dict[str, Any]:
        """The problem as JSON values."""
        return {
            "level": self.level,
            "kind": self.kind,
            "item": self.item,
            "reason": self.reason,
            "detail": self.detail,
            "blocking": self.blocking,
        }


@dataclass(frozen=True, slots=True)
class PathResult:
    """One drilled path: what it was for, its steps, and how the incident ended.

    ``outcome``: ``resolved`` (reached a terminal state), ``open`` (ran every step
    without reaching one) or ``refused`` (a step failed: see ``failure``).
    ``time_to_resolve`` is simulated time from opening to the terminal state.
    """

    number: int
    level: str
    purpose: str
    steps: tuple[str, ...]
    incident: str
    outcome: str
    state: str
    time_to_resolve: timedelta | None
    resolve_within: timedelta | None
    timers_fired: int
    actions_invoked: int
    failure: Problem | None = None
    calendar: str = "always"  # the calendar the level's SLAs count in
    working_to_resolve: timedelta | None = None  # time_to_resolve counted in ``calendar``

    @property
    def spent(self) -> timedelta | None:
        """The time to resolve as the level's SLA counts it (working time in its calendar)."""
        return self.time_to_resolve if self.calendar == "always" else self.working_to_resolve

    @property
    def overrun(self) -> bool:
        """True when the path resolved later than the level's ``resolve_within`` (counted
        in the level's calendar)."""
        spent = self.spent
        return spent is not None and self.resolve_within is not None and spent > self.resolve_within

    def as_dict(self) -> dict[str, Any]:
        """The path as JSON values (durations in seconds)."""
        return {
            "path": self.number,
            "level": self.level,
            "purpose": self.purpose,
            "steps": list(self.steps),
            "incident": self.incident,
            "outcome": self.outcome,
            "state": self.state,
            "time_to_resolve": _seconds(self.time_to_resolve),
            "resolve_within": _seconds(self.resolve_within),
            "calendar": self.calendar,
            "working_to_resolve": _seconds(self.working_to_resolve),
            "overrun": self.overrun,
            "timers_fired": self.timers_fired,
            "actions_invoked": self.actions_invoked,
            "failure": self.failure.as_dict() if self.failure else None,
        }


@dataclass(frozen=True, slots=True)
class PolicyCheck:
    """Whether the engine refused to give one person two roles of a ``distinct_holders`` policy.

    ``required``: the policy covers the level (its ``for_severity``, or every
    level); ``enforced``: the engine refused the second assignment.
    """

    policy: str
    level: str
    roles: tuple[str, str]
    required: bool
    enforced: bool
    detail: str

    @property
    def ok(self) -> bool:
        """False only when the policy covers the level and the engine let one person hold both."""
        return self.enforced or not self.required

    def as_dict(self) -> dict[str, Any]:
        """The check as JSON values."""
        return {
            "policy": self.policy,
            "level": self.level,
            "roles": list(self.roles),
            "required": self.required,
            "enforced": self.enforced,
            "ok": self.ok,
            "detail": self.detail,
        }


@dataclass(frozen=True, slots=True)
class LevelResult:
    """Coverage, paths and problems of one level."""

    level: str
    states: Count
    transitions: Count
    timers: Count
    actions: Mapping[str, int]  # invocations per action, sorted by name
    paths: tuple[PathResult, ...]
    problems: tuple[Problem, ...]

    def coverage(self) -> dict[str, Any]:
        """``{"states": {...}, "transitions": {...}, "timers": {...}}``."""
        return {
            "states": self.states.as_dict(),
            "transitions": self.transitions.as_dict(),
            "timers": self.timers.as_dict(),
        }


@dataclass(frozen=True, slots=True)
class DrillReport:
    """The result of drilling a process at one or more levels.

    ``ok`` is True when every reachable state, transition and timer was
    exercised, every drilled incident's audit log verifies, and the engine
    enforced every ``distinct_holders`` policy where it applies.
    """

    process: str
    version: str
    levels: tuple[LevelResult, ...]
    states: Count
    transitions: Count
    timers: Count
    actions: Count  # declared actions invoked at least once
    never_invoked: tuple[str, ...]
    incidents: int
    audit_failures: tuple[str, ...]  # "incident: problem" for logs that do not verify
    policies: tuple[PolicyCheck, ...] = ()

    @property
    def problems(self) -> tuple[Problem, ...]:
        """Every problem of every level."""
        return tuple(p for lv in self.levels for p in lv.problems)

    @property
    def ok(self) -> bool:
        """True when nothing reachable was left unexercised, every audit verifies and every
        separation-of-duties policy was enforced where it applies."""
        return (
            not self.audit_failures
            and not any(p.blocking for p in self.problems)
            and all(c.ok for c in self.policies)
        )

    def invocations(self) -> dict[str, int]:
        """Invocations per action over every level, sorted by name."""
        total: dict[str, int] = {}
        for lv in self.levels:
            for name, n in lv.actions.items():
                total[name] = total.get(name, 0) + n
        return dict(sorted(total.items()))

    def format(self, fmt: str) -> str:
        """The report as ``text``, ``json`` or ``markdown`` (ValueError for another)."""
        if fmt == "json":
            return json.dumps(self.as_dict(), indent=2) + "\n"
        if fmt == "markdown":
            return _markdown(self)
        if fmt == "text":
            return _text(self)
        raise ValueError(f"unknown format {fmt!r}; choose from {', '.join(FORMATS)}")

    def as_dict(self) -> dict[str, Any]:
        """The JSON form."""
        return {
            "process": self.process,
            "version": self.version,
            "ok": self.ok,
            "coverage": {
                "states": self.states.as_dict(),
                "transitions": self.transitions.as_dict(),
                "timers": self.timers.as_dict(),
                "actions": self.actions.as_dict(),
                "levels": {lv.level: lv.coverage() for lv in self.levels},
            },
            "actions": {"invoked": self.invocations(), "never_invoked": list(self.never_invoked)},
            "problems": [p.as_dict() for p in self.problems],
            "policies": [c.as_dict() for c in self.policies],
            "levels": [
                {
                    "level": lv.level,
                    "actions": dict(lv.actions),
                    "paths": [p.as_dict() for p in lv.paths],
                }
                for lv in self.levels
            ],
            "audit": {
                "incidents": self.incidents,
                "verified": not self.audit_failures,
                "failures": list(self.audit_failures),
            },
        }


def _seconds(value: timedelta | None) -> float | None:
    return value.total_seconds() if value is not None else None


def _verdict(report: DrillReport) -> str:
    blocking = [p for p in report.problems if p.blocking]
    if report.ok:
        return "every reachable state, transition and timer was exercised"
    parts = []
    if blocking:
        parts.append(f"{len(blocking)} reachable item(s) could not be exercised")
    if report.audit_failures:
        parts.append(f"{len(report.audit_failures)} audit log(s) do not verify")
    unenforced = [c for c in report.policies if not c.ok]
    if unenforced:
        parts.append(f"{len(unenforced)} separation-of-duties check(s) not enforced")
    return "; ".join(parts)


def _audit(report: DrillReport) -> str:
    if not report.audit_failures:
        return f"{report.incidents} incident(s), every hash chain verifies"
    return f"{report.incidents} incident(s), {len(report.audit_failures)} do not verify"


def _time(path: PathResult) -> str:
    if path.time_to_resolve is None:
        return "not resolved"
    flag = " OVERRUN" if path.overrun else ""
    if path.calendar != "always" and path.working_to_resolve is not None:
        working = format_duration(path.working_to_resolve, days=False)
        limit = format_duration(path.resolve_within, days=False) if path.resolve_within else "—"
        return (
            f"{duration(path.time_to_resolve)}, {working} working (resolve_within {limit} "
            f"working in {path.calendar}){flag}"
        )
    return (
        f"{duration(path.time_to_resolve)} (resolve_within {duration(path.resolve_within)}){flag}"
    )


def _policy(check: PolicyCheck) -> str:
    if not check.ok:
        return f"NOT ENFORCED: {check.detail}"
    if check.enforced and not check.required:
        return f"enforced, although the policy does not cover {check.level}"
    return (
        "enforced" if check.enforced else f"not enforced (the policy does not cover {check.level})"
    )


_TIMING = "people act at once; only waiting for timers takes simulated time"


def _text(report: DrillReport) -> str:
    paths = sum(len(lv.paths) for lv in report.levels)
    out = [
        f"drill of {report.process} {report.version}: {len(report.levels)} level(s), "
        f"{paths} path(s)",
        "",
        f"{'coverage':<10} {'states':>16} {'transitions':>16} {'timers':>16}",
    ]
    for lv in report.levels:
        out.append(f"{lv.level:<10} {lv.states!s:>16} {lv.transitions!s:>16} {lv.timers!s:>16}")
    out.append(
        f"{'overall':<10} {report.states!s:>16} {report.transitions!s:>16} {report.timers!s:>16}"
    )
    invoked = ", ".join(f"{k} {v}" for k, v in report.invocations().items()) or "none"
    out += ["", f"actions invoked: {invoked}"]
    if report.never_invoked:
        out.append(f"actions never invoked: {', '.join(report.never_invoked)}")
    out += ["", f"paths ({_TIMING}):"]
    for lv in report.levels:
        for p in lv.paths:
            end = _time(p) if p.outcome != "refused" else f"refused at {p.state}"
            out.append(f"  {p.level} #{p.number} {p.purpose}")
            out.append(f"      {' > '.join(p.steps) or '(no step)'}: {end}")
    blocking = [p for p in report.problems if p.blocking]
    if blocking:
        out += ["", "could not be exercised:"]
        out += [f"  {p.level} {p.kind} {p.item}: {p.reason}: {p.detail}" for p in blocking]
    aside = [p for p in report.problems if not p.blocking]
    if aside:
        out += ["", "not reachable at their level (not counted):"]
        out += [f"  {p.level} {p.kind} {p.item}: {p.detail}" for p in aside]
    if report.policies:
        out += ["", "separation of duties (distinct_holders):"]
        out += [
            f"  {c.level} {c.policy} ({', '.join(c.roles)}): {_policy(c)}" for c in report.policies
        ]
    out += ["", f"audit: {_audit(report)}"]
    out += [f"  {f}" for f in report.audit_failures]
    out.append(f"result: {_verdict(report)}")
    return "\n".join(out) + "\n"


def _cell(text: object) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def _table(header: list[str], rows: list[list[object]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(_cell(c) for c in row) + " |" for row in rows]
    return lines


def _markdown(report: DrillReport) -> str:
    status = "PASS" if report.ok else "FAIL"
    out = [
        f"# Drill: {report.process} {report.version}",
        "",
        f"**Result: {status}**: {_verdict(report)}. Audit: {_audit(report)}.",
        "",
        "## Coverage",
        "",
    ]
    rows: list[list[object]] = []
    for lv in report.levels:
        resolved = sum(p.outcome == "resolved" for p in lv.paths)
        overruns = sum(p.overrun for p in lv.paths)
        rows.append(
            [lv.level, lv.states, lv.transitions, lv.timers, len(lv.paths), resolved, overruns]
        )
    rows.append(
        [
            "**overall**",
            report.states,
            report.transitions,
            report.timers,
            sum(len(lv.paths) for lv in report.levels),
            "",
            "",
        ]
    )
    out += _table(
        ["Level", "States", "Transitions", "Timers", "Paths", "Resolved", "Overruns"], rows
    )
    blocking = [p for p in report.problems if p.blocking]
    if blocking:
        out += ["", "## Could not be exercised", ""]
        out += _table(
            ["Level", "Kind", "Item", "Reason", "Detail"],
            [[p.level, p.kind, f"`{p.item}`", p.reason, p.detail] for p in blocking],
        )
    aside = [p for p in report.problems if not p.blocking]
    if aside:
        out += ["", "## Not reachable at their level (not counted)", ""]
        out += _table(
            ["Level", "Kind", "Item", "Detail"],
            [[p.level, p.kind, f"`{p.item}`", p.detail] for p in aside],
        )
    if report.policies:
        out += ["", "## Separation of duties", ""]
        out += _table(
            ["Level", "Policy", "Roles", "Result"],
            [[c.level, f"`{c.policy}`", ", ".join(c.roles), _policy(c)] for c in report.policies],
        )
    out += ["", "## Paths", "", f"Time to resolve is simulated: {_TIMING}.", ""]
    out += _table(
        ["#", "Level", "Purpose", "Steps", "Outcome", "Time to resolve", "resolve_within"],
        [
            [
                p.number,
                p.level,
                p.purpose,
                " > ".join(p.steps),
                p.outcome + (" (overrun)" if p.overrun else ""),
                duration(p.time_to_resolve),
                duration(p.resolve_within),
            ]
            for lv in report.levels
            for p in lv.paths
        ],
    )
    levels = [lv.level for lv in report.levels]
    names = sorted({n for lv in report.levels for n in lv.actions} | set(report.never_invoked))
    if names:
        out += ["", "## Actions invoked", ""]
        out += _table(
            ["Action", *levels, "Total"],
            [
                [f"`{n}`", *(lv.actions.get(n, 0) for lv in report.levels), _total(report, n)]
                for n in names
            ],
        )
    return "\n".join(out) + "\n"


def _total(report: DrillReport, name: str) -> int:
    return sum(lv.actions.get(name, 0) for lv in report.levels)
