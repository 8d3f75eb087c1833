"""Reference checks (2xx): every name a spec uses must be defined, exactly once."""

from __future__ import annotations

from collections.abc import Iterable

from incidentflow.compiler.context import CheckContext
from incidentflow.spec.durations import (
    MAX_DURATION_TEXT,
    duration_problem,
    looks_like_duration,
)
from incidentflow.spec.models import SLA_FIELDS, ActionCall
from incidentflow.spec.yamlread import Path
from incidentflow.suggest import closest, did_you_mean


def check_references(ctx: CheckContext) -> None:
    """Run every reference check."""
    duplicate_ids(ctx)
    unknown_roles(ctx)
    unknown_states(ctx)
    unknown_levels(ctx)
    unknown_checklist_items(ctx)
    action_calls(ctx)
    trigger_severity(ctx)
    timer_durations(ctx)


def _first_duplicates(ids: Iterable[str]) -> list[tuple[int, int]]:
    """(index of repeat, index of first) for each id seen before."""
    seen: dict[str, int] = {}
    out = []
    for i, ident in enumerate(ids):
        if ident in seen:
            out.append((i, seen[ident]))
        else:
            seen[ident] = i
    return out


def duplicate_ids(ctx: CheckContext) -> None:
    """IF210: levels, axis values, triggers, policies, checklist items and timers have unique ids."""
    spec = ctx.spec
    groups: list[tuple[Path, list[str], str | None, str]] = [
        (("severity", "levels"), [lv.id for lv in spec.severity.levels], "id", "level"),
        (("triggers",), [t.id for t in spec.triggers], "id", "trigger"),
        (("policies",), [p.id for p in spec.policies], "id", "policy"),
        (("severity", "impact"), list(spec.severity.impact or ()), None, "impact value"),
        (("severity", "urgency"), list(spec.severity.urgency or ()), None, "urgency value"),
    ]
    for sid, state in spec.process.states.items():
        base = ("process", "states", sid)
        groups.append(
            ((*base, "checklist"), [c.id for c in state.checklist], "id", "checklist item")
        )
        groups.append(((*base, "timers"), [t.id for t in state.timers], "id", "timer"))
    for path, ids, key, noun in groups:
        for i, first in _first_duplicates(ids):
            where = (*path, i, key) if key else (*path, i)
            ctx.report(
                "IF210",
                where,
                f"{noun} '{ids[i]}' is defined twice",
                hint=f"the first is at line {ctx.line_of((*path, first))}; give each a unique id",
            )


def unknown_roles(ctx: CheckContext) -> None:
    """IF203, IF209: owners, transition roles, backups and policies name existing roles."""
    spec = ctx.spec
    roles = tuple(spec.roles)  # a tuple: suggestions index it once

    def check(path: Path, role: str, what: str) -> None:
        if role not in spec.roles:
            ctx.report(
                "IF203",
                path,
                f"{what} names an unknown role '{role}'",
                hint=did_you_mean(role, roles, f"Roles (line {ctx.line_of(('roles',))})"),
            )

    for rid, role in spec.roles.items():
        for i, backup in enumerate(role.backups):
            path = ("roles", rid, "backups", i)
            if backup == rid:
                ctx.report(
                    "IF209",
                    path,
                    f"role '{rid}' lists itself as its own backup",
                    hint="remove it; list the roles whose holders can stand in",
                )
            else:
                check(path, backup, f"role '{rid}' backups")
    for sid, state in spec.process.states.items():
        if state.owner is not None:
            check(("process", "states", sid, "owner"), state.owner, f"state '{sid}' owner")
    for ti, tr in enumerate(spec.process.transitions):
        for j, by_role in enumerate(tr.by):
            check(("process", "transitions", ti, "by", j), by_role, f"transition '{tr.name}'")
    for pi, policy in enumerate(spec.policies):
        for j, holder in enumerate(policy.distinct_holders or ()):
            check(("policies", pi, "distinct_holders", j), holder, f"policy '{policy.id}'")


def unknown_states(ctx: CheckContext) -> None:
    """IF201: the initial state and every transition's from/to name existing states."""
    spec = ctx.spec
    states = tuple(spec.process.states)
    listing = f"States (line {ctx.line_of(('process', 'states'))})"

    def check(path: Path, sid: str, what: str) -> None:
        if sid not in spec.process.states:
            ctx.report(
                "IF201",
                path,
                f"{what} names an unknown state '{sid}'",
                hint=did_you_mean(sid, states, listing),
            )

    check(("process", "initial"), spec.process.initial, "'initial'")
    for ti, tr in enumerate(spec.process.transitions):
        base = ("process", "transitions", ti)
        if isinstance(tr.from_, str):
            check((*base, "from"), tr.from_, f"transition '{tr.name}' from")
        else:
            for j, sid in enumerate(tr.from_):
                check((*base, "from", j), sid, f"transition '{tr.name}' from")
        check((*base, "to"), tr.to, f"transition '{tr.name}' to")
    for pi, policy in enumerate(spec.policies):
        for key in ("must_visit", "must_not_reach"):
            target = getattr(policy, key)
            if isinstance(target, str):
                check(("policies", pi, key), target, f"policy '{policy.id}' {key}")


def unknown_levels(ctx: CheckContext) -> None:
    """IF202, IF207: guards, policies and the matrix name existing levels and axis values."""
    spec = ctx.spec
    sev = spec.severity
    levels = [lv.id for lv in sev.levels]

    def check(path: Path, level: str, what: str) -> None:
        if level not in levels:
            ctx.report(
                "IF202",
                path,
                f"{what} names an unknown severity level '{level}'",
                hint=did_you_mean(level, levels, "Levels"),
            )

    for ti, tr in enumerate(spec.process.transitions):
        if tr.when is not None:
            for j, level in enumerate(tr.when.severity):
                check(
                    ("process", "transitions", ti, "when", "severity", j),
                    level,
                    f"transition '{tr.name}' guard",
                )
    for pi, policy in enumerate(spec.policies):
        for j, level in enumerate(policy.for_severity or ()):
            check(("policies", pi, "for_severity", j), level, f"policy '{policy.id}'")
    if sev.matrix is not None:
        for impact, row in sev.matrix.items():
            if sev.impact is not None and impact not in sev.impact:
                ctx.report(
                    "IF207",
                    ("severity", "matrix", impact),
                    f"matrix row '{impact}' is not an impact value",
                    hint=did_you_mean(impact, sev.impact, "Impact values"),
                    at="key",
                )
            for urgency, level in row.items():
                if sev.urgency is not None and urgency not in sev.urgency:
                    ctx.report(
                        "IF207",
                        ("severity", "matrix", impact, urgency),
                        f"matrix column '{urgency}' is not an urgency value",
                        hint=did_you_mean(urgency, sev.urgency, "Urgency values"),
                        at="key",
                    )
                check(
                    ("severity", "matrix", impact, urgency),
                    level,
                    f"matrix cell {impact}/{urgency}",
                )


def unknown_checklist_items(ctx: CheckContext) -> None:
    """IF204: a transition requires only checklist items of each of its source states."""
    states = ctx.spec.process.states
    for ti, tr in enumerate(ctx.spec.process.transitions):
        for j, item in enumerate(tr.requires):
            for sid in tr.sources:
                state = states.get(sid)
                if state is None:
                    continue  # reported as IF201
                items = [c.id for c in state.checklist]
                if item not in items:
                    ctx.report(
                        "IF204",
                        ("process", "transitions", ti, "requires", j),
                        f"transition '{tr.name}' requires '{item}', which is not on the checklist of '{sid}'",
                        hint=did_you_mean(item, items, f"Checklist items of '{sid}'"),
                    )
                    break


def all_action_calls(ctx: CheckContext) -> list[tuple[Path, ActionCall]]:
    """Every action invocation in the spec, with its path (computed once per check run)."""
    cached = ctx.memo.get("action_calls")
    if cached is not None:
        return cached  # type: ignore[no-any-return]
    calls: list[tuple[Path, ActionCall]] = []
    for sid, state in ctx.spec.process.states.items():
        base = ("process", "states", sid)
        calls += [((*base, "on_enter", i), c) for i, c in enumerate(state.on_enter)]
        for ti, timer in enumerate(state.timers):
            calls += [((*base, "timers", ti, "actions", i), c) for i, c in enumerate(timer.actions)]
    for ti, tr in enumerate(ctx.spec.process.transitions):
        calls += [
            (("process", "transitions", ti, "actions", i), c) for i, c in enumerate(tr.actions)
        ]
    ctx.memo["action_calls"] = calls
    return calls


def action_calls(ctx: CheckContext) -> None:
    """IF205, IF206, IF212: actions exist, get exactly their params of the right kind, and are used."""
    spec = ctx.spec
    levels = [lv.id for lv in spec.severity.levels]
    used: set[str] = set()
    for path, call in all_action_calls(ctx):
        used.add(call.action)
        action = spec.actions.get(call.action)
        if action is None:
            ctx.report(
                "IF205",
                (*path, "action"),
                f"unknown action '{call.action}'",
                hint=did_you_mean(call.action, spec.actions, "Declared actions"),
            )
            continue
        params = call.params
        unknown = [p for p in params if p not in action.params]
        for name in action.params:
            if name not in params and closest(name, unknown) is None:
                ctx.report(
                    "IF206",
                    path,
                    f"action '{call.action}' needs the parameter '{name}'",
                    hint=f"add '{name}: ...' ({action.params[name]})",
                )
        for name, value in params.items():
            kind = action.params.get(name)
            vpath = (*path, name)
            if kind is None:
                ctx.report(
                    "IF206",
                    vpath,
                    f"action '{call.action}' has no parameter '{name}'",
                    hint=did_you_mean(name, action.params, "Its parameters"),
                    at="key",
                )
            elif kind == "role" and value not in spec.roles:
                ctx.report(
                    "IF203",
                    vpath,
                    f"action '{call.action}' names an unknown role '{value}'",
                    hint=did_you_mean(str(value), spec.roles, "Roles"),
                )
            elif kind == "level" and value not in levels:
                ctx.report(
                    "IF202",
                    vpath,
                    f"action '{call.action}' names an unknown level '{value}'",
                    hint=did_you_mean(str(value), levels, "Levels"),
                )
            elif kind == "string" and not isinstance(value, str):
                ctx.report(
                    "IF206",
                    vpath,
                    f"parameter '{name}' of '{call.action}' must be text, got {value!r}",
                    hint="quote the value",
                )
            elif kind == "duration" and (problem := duration_problem(value)) is not None:
                ctx.report(
                    "IF206",
                    vpath,
                    f"parameter '{name}' of '{call.action}' must be a duration: {problem}",
                    hint=f"write 45s, 5m, 1h30m, 2d or PT5M, at most {MAX_DURATION_TEXT}",
                )
    if any(d.code == "IF205" for d in ctx.diagnostics):
        return  # a misspelt action is not an "unused" one
    for name in spec.actions:
        if name not in used:
            ctx.report(
                "IF212",
                ("actions", name),
                f"action '{name}' is declared but never used",
                hint="invoke it from on_enter, a timer or a transition, or remove it",
                at="key",
            )


def trigger_severity(ctx: CheckContext) -> None:
    """IF211, IF202, IF207: a trigger gives a level, or impact and urgency resolved by the matrix."""
    sev = ctx.spec.severity
    levels = [lv.id for lv in sev.levels]
    for i, trig in enumerate(ctx.spec.triggers):
        path = ("triggers", i)
        by_axes = trig.impact is not None or trig.urgency is not None
        if trig.severity is not None and by_axes:
            ctx.report(
                "IF211",
                (*path, "severity"),
                f"trigger '{trig.id}' gives both a severity and impact/urgency",
                hint="keep one: a level, or impact and urgency",
            )
        elif trig.severity is None and not by_axes:
            ctx.report(
                "IF211",
                (*path, "id"),
                f"trigger '{trig.id}' gives no severity",
                hint="add 'severity: LEVEL', or 'impact' and 'urgency'",
            )
        elif by_axes and sev.matrix is None:
            ctx.report(
                "IF211",
                (*path, "impact" if trig.impact else "urgency"),
                f"trigger '{trig.id}' uses impact/urgency but the spec has no matrix",
                hint="add severity.impact, severity.urgency and severity.matrix, or use 'severity: LEVEL'",
            )
        elif by_axes and (trig.impact is None or trig.urgency is None):
            missing = "urgency" if trig.urgency is None else "impact"
            ctx.report(
                "IF211",
                path,
                f"trigger '{trig.id}' needs '{missing}' too",
                hint=f"add '{missing}: ...'",
            )
        if trig.severity is not None and trig.severity not in levels:
            ctx.report(
                "IF202",
                (*path, "severity"),
                f"trigger '{trig.id}' names an unknown severity level '{trig.severity}'",
                hint=did_you_mean(trig.severity, levels, "Levels"),
            )
        for axis in ("impact", "urgency"):
            value = getattr(trig, axis)
            values = getattr(sev, axis)
            if value is not None and values is not None and value not in values:
                ctx.report(
                    "IF207",
                    (*path, axis),
                    f"trigger '{trig.id}' {axis} '{value}' is not on the {axis} axis",
                    hint=did_you_mean(value, values, f"{axis.capitalize()} values"),
                )


def timer_durations(ctx: CheckContext) -> None:
    """IF208, IF123, IF202: a timer's ``after`` and ``every`` are each an SLA field, a
    duration, or a per-level map."""
    levels = [lv.id for lv in ctx.spec.severity.levels]
    for sid, state in ctx.spec.process.states.items():
        for ti, timer in enumerate(state.timers):
            for key, delay in timer.delays:
                path = ("process", "states", sid, "timers", ti, key)
                if isinstance(delay, str):
                    if delay in SLA_FIELDS:
                        continue
                    problem = duration_problem(delay)
                    if problem is not None and looks_like_duration(delay):
                        ctx.report(
                            "IF123",
                            path,
                            f"timer '{timer.id}': {problem}",
                            hint=f"write 45s, 5m, 1h30m, 2d or PT5M, at most {MAX_DURATION_TEXT}",
                        )
                    elif problem is not None:
                        verb = "waits for" if key == "after" else "repeats every"
                        ctx.report(
                            "IF208",
                            path,
                            f"timer '{timer.id}' {verb} '{delay}', which is neither an SLA field nor a duration",
                            hint=did_you_mean(delay, SLA_FIELDS, "SLA fields"),
                        )
                else:
                    for level in delay:
                        if level != "default" and level not in levels:
                            ctx.report(
                                "IF202",
                                (*path, level),
                                f"timer '{timer.id}' names an unknown severity level '{level}'",
                                hint=did_you_mean(level, [*levels, "default"], "Levels"),
                                at="key",
                            )
