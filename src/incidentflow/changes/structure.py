"""Differences in what two versions of a spec say, part by part, with a verdict for each.

Every part is compared by identity, never by position: levels, roles, actions,
triggers, states, checklist items, timers and policies by id; matrix cells by
(impact, urgency); transitions as *moves*, one per (source state, name) at each
level both versions have (a transition with two sources is two moves; two
transitions of one name with disjoint guards are one move whose attributes
depend on the level). Identical changes of several moves or levels are reported
once, naming them all.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import replace
from typing import Any

from incidentflow.changes import canon
from incidentflow.changes.classify import (
    SAFE_ADDED,
    SAFE_AT_THE_NEXT_CALL,
    SAFE_AT_THE_NEXT_ENTRY,
    SAFE_CHECKED_WHOLE,
    SAFE_FOR_NEW_INCIDENTS,
    SAFE_PROVED,
    SAFE_TIMER,
    SAFE_WORDING,
    Rules,
    Verdict,
)
from incidentflow.changes.model import Change, Kind
from incidentflow.compiler.process import Process
from incidentflow.render.handbook_text import value_text
from incidentflow.spec.models import SLA_FIELDS, PhaseRef, Policy

Fields = dict[str, Any]
_WORDING = ("title", "description", "responsibilities", "text")
_SAFE: Verdict = (False, SAFE_AT_THE_NEXT_CALL)


class _Out:
    """The changes found so far, in the order found."""

    def __init__(self) -> None:
        self.changes: list[Change] = []

    def add(
        self,
        area: str,
        kind: Kind,
        subject: str,
        summary: str,
        verdict: Verdict,
        *,
        field: str = "",
        old: Any = None,
        new: Any = None,
        levels: tuple[str, ...] = (),
    ) -> None:
        migrate, reason = verdict
        self.changes.append(
            Change(
                "structure", area, kind, subject, summary, migrate, reason, field, old, new, levels
            )
        )

    def fields(
        self,
        area: str,
        subject: str,
        label: str,
        old: Fields,
        new: Fields,
        verdict: Callable[[str, Any, Any], Verdict],
    ) -> None:
        """One change per field whose value differs, in the order ``new`` lists them."""
        for name in [*new, *(k for k in old if k not in new)]:
            before, after = old.get(name), new.get(name)
            if before != after:
                if name == "on_enter":
                    text = f"on entering `{subject}`: {what_changed(before, after, 'runs')}"
                elif name == "actions":
                    text = f"{label}: {what_changed(before, after, 'runs')}"
                else:
                    text = f"{label}: {name} {what_changed(before, after)}"
                self.add(
                    area,
                    "changed",
                    subject,
                    text,
                    (False, SAFE_WORDING) if name in _WORDING else verdict(name, before, after),
                    field=name,
                    old=before,
                    new=after,
                )


def code(value: Any) -> str:
    """A value as it reads in a summary: ``x``, ``a``, ``b``, or a mapping in braces."""
    if isinstance(value, list):
        return ", ".join(code(v) for v in value) if value else "nothing"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {code(v)}" for k, v in value.items()) + "}"
    if value is None:
        return "nothing"
    return f"`{value_text(value)}`"


def what_changed(old: Any, new: Any, verb: str = "") -> str:
    """``now also `a`; no longer `b``` for lists, ``is `x` (was `y`)`` otherwise.

    ``verb`` goes before list items (``runs``: ``now also runs `a```)."""
    verb = f"{verb} " if verb else ""
    if (
        isinstance(old, list)
        and isinstance(new, list)
        and not any(isinstance(v, dict | list) for v in (*old, *new))
    ):
        gained = [v for v in new if v not in old]
        lost = [v for v in old if v not in new]
        parts = []
        if gained:
            parts.append(f"now also {verb}{code(gained)}")
        if lost:
            parts.append(f"no longer {verb}{code(lost)}")
        return "; ".join(parts) if parts else f"reordered: {code(new)} (was {code(old)})"
    if old is None:
        return f"set to {code(new)}"
    if new is None:
        return f"removed (was {code(old)})"
    return f"is {code(new)} (was {code(old)})"


def _levels_note(levels: Iterable[str], every: tuple[str, ...]) -> str:
    chosen = [lv for lv in every if lv in set(levels)]
    return "" if tuple(chosen) == every else f" at {', '.join(chosen)}"


# --- renamed states ------------------------------------------------------------------------


def state_renames(old: Process, new: Process) -> dict[str, str]:
    """Old id -> new id for states that look renamed.

    A removed and an added state are paired when they are the only two to share a
    title; failing that, the same non-empty set of checklist item ids; failing that,
    the same non-empty set of timer ids. Everything else is a removal and an addition.
    """

    def signatures(process: Process, sid: str) -> list[tuple[str, ...]]:
        state = process.states[sid]
        out: list[tuple[str, ...]] = [("title", state.title)] if state.title else []
        items = tuple(sorted(i.id for i in state.checklist))
        timers = tuple(sorted(t.id for t in state.timers))
        out += [("checklist", *items)] if items else []
        out += [("timers", *timers)] if timers else []
        return out

    removed = [s for s in old.states if s not in new.states]
    added = [s for s in new.states if s not in old.states]
    pairs: dict[str, str] = {}
    for kind in ("title", "checklist", "timers"):
        olds: dict[tuple[str, ...], list[str]] = defaultdict(list)
        news: dict[tuple[str, ...], list[str]] = defaultdict(list)
        for sid in removed:
            if sid not in pairs:
                for sig in signatures(old, sid):
                    if sig[0] == kind:
                        olds[sig].append(sid)
        taken = set(pairs.values())
        for sid in added:
            if sid not in taken:
                for sig in signatures(new, sid):
                    if sig[0] == kind:
                        news[sig].append(sid)
        for sig, candidates in olds.items():
            if len(candidates) == 1 and len(news.get(sig, ())) == 1:
                pairs[candidates[0]] = news[sig][0]
    return pairs


# --- the comparison --------------------------------------------------------------------------


def structure_changes(
    old: Process,
    new: Process,
    renames: Mapping[str, str],
    rules: Rules,
) -> list[Change]:
    """Every difference in what the two specs say, with its verdict."""
    out = _Out()
    levels = tuple(lv for lv in new.level_ids if lv in old.level_ids)
    _process(out, old, new, renames)
    _levels(out, old, new)
    _matrix(out, old, new)
    _roles(out, old, new)
    _actions(out, old, new)
    _triggers(out, old, new)
    _states(out, old, new, renames, rules)
    _moves(out, old, new, renames, rules, levels)
    _policies(out, old, new, renames)
    return out.changes


def _process(out: _Out, old: Process, new: Process, renames: Mapping[str, str]) -> None:
    if old.name != new.name:
        out.add(
            "process",
            "renamed",
            new.name,
            f"the process is now called `{new.name}` (was `{old.name}`)",
            Rules.process_renamed(),
            field="name",
            old=old.name,
            new=new.name,
        )
    meta_known = ("name", "version")
    out.fields(
        "process",
        new.name,
        "process",
        canon.extras(old.spec.metadata, meta_known),
        canon.extras(new.spec.metadata, meta_known),
        lambda *_: Rules.uninterpreted(),
    )
    initial = renames.get(old.initial, old.initial)
    if initial != new.initial:
        out.add(
            "process",
            "changed",
            new.name,
            f"new incidents now start in `{new.initial}` (was `{initial}`)",
            (False, SAFE_FOR_NEW_INCIDENTS),
            field="initial",
            old=initial,
            new=new.initial,
        )
    known: tuple[str, ...] = ("api_version", "kind", "metadata", "roles", "severity")
    known += ("actions", "triggers", "process", "policies", *_SETTINGS)
    out.fields(
        "process",
        new.name,
        "process",
        canon.extras(old.spec, known),
        canon.extras(new.spec, known),
        lambda *_: Rules.uninterpreted(),
    )
    out.fields(
        "process",
        new.name,
        "process",
        {key: canon.order_free(old.spec.model_dump(mode="json").get(key)) for key in _SETTINGS},
        {key: canon.order_free(new.spec.model_dump(mode="json").get(key)) for key in _SETTINGS},
        lambda name, *_: (False, _SETTINGS[name]),
    )


# Top-level sections whose lists are sets, and why a change to them is safe for open
# incidents (SLA and timer arithmetic reads them afresh; metrics travel in each log).
_SETTINGS: dict[str, str] = {
    "calendars": "timers already running keep their due times; new ones count in the changed "
    "calendar",
    "metrics": "each incident keeps the definitions recorded when it opened",
    "intake": "applies to the alerts received from now on",
}


def _levels(out: _Out, old: Process, new: Process) -> None:
    for lv in old.levels:
        if lv.id not in new.level_ids:
            out.add("level", "removed", lv.id, f"level {lv.id} removed", Rules.level_removed(lv.id))
    for lv in new.levels:
        if lv.id not in old.level_ids:
            out.add("level", "added", lv.id, f"level {lv.id} added", (False, SAFE_ADDED))
            continue
        known = ("id", *SLA_FIELDS)  # SLAs are compared level by level as behaviour
        out.fields(
            "level",
            lv.id,
            f"level {lv.id}",
            canon.extras(old.level(lv.id), known),
            canon.extras(lv, known),
            lambda *_: Rules.uninterpreted(),
        )
    kept_old = [lv for lv in old.level_ids if lv in new.level_ids]
    kept_new = [lv for lv in new.level_ids if lv in old.level_ids]
    if kept_old != kept_new:
        out.add(
            "level",
            "changed",
            "order",
            f"levels, most severe first, are now {', '.join(kept_new)} "
            f"(were {', '.join(kept_old)})",
            (False, SAFE_FOR_NEW_INCIDENTS),
            field="order",
            old=kept_old,
            new=kept_new,
        )
    known = ("levels", "impact", "urgency", "matrix")
    out.fields(
        "level",
        "severity",
        "severity",
        canon.extras(old.spec.severity, known),
        canon.extras(new.spec.severity, known),
        lambda *_: Rules.uninterpreted(),
    )


def _cells(process: Process) -> dict[tuple[str, str], str]:
    matrix = process.spec.severity.matrix or {}
    return {(i, u): lv for i, row in matrix.items() for u, lv in row.items()}


def _matrix(out: _Out, old: Process, new: Process) -> None:
    before, after = _cells(old), _cells(new)
    for cell in sorted(before.keys() | after.keys()):
        was, now = before.get(cell), after.get(cell)
        if was == now:
            continue
        subject = f"{cell[0]} x {cell[1]}"
        kind: Kind = "added" if was is None else "removed" if now is None else "changed"
        text = {
            "added": f"now gives {now}",
            "removed": f"removed (gave {was})",
            "changed": f"now gives {now} (was {was})",
        }[kind]
        out.add(
            "matrix",
            kind,
            subject,
            f"impact `{cell[0]}` x urgency `{cell[1]}` {text}",
            (False, SAFE_FOR_NEW_INCIDENTS),
            old=was,
            new=now,
        )


def _by_id(
    out: _Out,
    area: str,
    label: str,
    old: Mapping[str, Any],
    new: Mapping[str, Any],
    removed: Callable[[str], Verdict],
    fields: Callable[[Any], Fields],
    verdict: Callable[[str, str, Any, Any], Verdict],
    prefix: str = "",
) -> None:
    """Added, removed and changed parts of one kind, keyed by id, in the new file's order.

    ``verdict(key, field, old, new)`` classifies a changed field; ``prefix`` goes before
    the key in the subject (the state of a checklist item or a timer).
    """
    for key in old:
        if key not in new:
            out.add(
                area,
                "removed",
                prefix + key,
                f"{label} `{key}` removed",
                removed(key),
                old=fields(old[key]),
            )
    for key, part in new.items():
        if key not in old:
            out.add(
                area,
                "added",
                prefix + key,
                f"{label} `{key}` added",
                (False, SAFE_ADDED),
                new=fields(part),
            )
        else:

            def field_verdict(name: str, before: Any, after: Any, key: str = key) -> Verdict:
                return verdict(key, name, before, after)

            out.fields(
                area,
                prefix + key,
                f"{label} `{key}`",
                fields(old[key]),
                fields(part),
                field_verdict,
            )


def _roles(out: _Out, old: Process, new: Process) -> None:
    def fields(role: Any) -> Fields:
        return {
            "title": role.title,
            "description": role.description,
            "responsibilities": canon.sorted_set(role.responsibilities),
            "backups": canon.sorted_set(role.backups),
            **canon.extras(role, ("title", "description", "responsibilities", "backups")),
        }

    def verdict(key: str, name: str, *_: Any) -> Verdict:
        return _SAFE if name == "backups" else Rules.uninterpreted()

    _by_id(out, "role", "role", old.spec.roles, new.spec.roles, Rules.role_removed, fields, verdict)


def _actions(out: _Out, old: Process, new: Process) -> None:
    def fields(action: Any) -> Fields:
        return {
            "description": action.description,
            "params": dict(sorted(action.params.items())),
            **canon.extras(action, ("description", "params")),
        }

    def verdict(key: str, name: str, *_: Any) -> Verdict:
        if name == "params":
            return False, "calls are checked against it when planned; planned calls keep theirs"
        return Rules.uninterpreted()

    planned = (False, "actions already planned are delivered as planned")
    _by_id(
        out,
        "action",
        "action",
        old.spec.actions,
        new.spec.actions,
        lambda _: planned,
        fields,
        verdict,
    )


def _triggers(out: _Out, old: Process, new: Process) -> None:
    def fields(trigger: Any) -> Fields:
        known = ("id", "title", "description", "when", "severity", "impact", "urgency")
        return {
            "title": trigger.title,
            "description": trigger.description,
            "when": canon.condition(trigger.when),
            "severity": trigger.severity,
            "impact": trigger.impact,
            "urgency": trigger.urgency,
            "dedupe_by": canon.sorted_set(trigger.dedupe_by),
            **canon.extras(trigger, (*known, "dedupe_by")),
        }

    def verdict(*_: Any) -> Verdict:
        return (False, SAFE_FOR_NEW_INCIDENTS)

    before = {t.id: t for t in old.spec.triggers}
    after = {t.id: t for t in new.spec.triggers}
    sub = _Out()
    safe = (False, SAFE_FOR_NEW_INCIDENTS)
    _by_id(sub, "trigger", "trigger", before, after, lambda _: safe, fields, verdict)
    for change in sub.changes:
        if change.field == "when":  # compared order-free, shown in words
            was_words = canon.condition_text(before[change.subject].when)
            now_words = canon.condition_text(after[change.subject].when)
            summary = f"trigger `{change.subject}` now fires when {now_words} (was: {was_words})"
            change = replace(change, summary=summary)
        out.changes.append(change)
    # Between triggers of one level, the earlier in the file wins: their order matters.
    old_level = {t.id: t.level for t in old.triggers}
    new_level = {t.id: t.level for t in new.triggers}
    same = [t for t in new_level if old_level.get(t) == new_level[t]]
    for level in new.level_ids:
        now = [t for t in same if new_level[t] == level]
        was = [t for t in old_level if t in now]
        if was != now:
            out.add(
                "trigger",
                "changed",
                f"precedence at {level}",
                f"among triggers that open at {level}, a signal matching several now goes to the "
                f"first of {', '.join(now)} (was {', '.join(was)})",
                (False, SAFE_FOR_NEW_INCIDENTS),
                field="order",
                old=was,
                new=now,
            )


_STATE_KNOWN: tuple[str, ...] = ("title", "phase", "owner", "description", "runbook")
_STATE_KNOWN += ("checklist", "on_enter", "timers", "terminal")


def _states(
    out: _Out, old: Process, new: Process, renames: Mapping[str, str], rules: Rules
) -> None:
    back = {n: o for o, n in renames.items()}

    def fields(state: Any) -> Fields:
        return {
            "title": state.title,
            "phase": state.phase,
            "owner": state.owner,
            "description": state.description,
            "runbook": state.runbook,
            "terminal": state.terminal,
            "on_enter": canon.calls(state.on_enter),
            **canon.extras(state, _STATE_KNOWN),
        }

    def verdict_for(sid: str) -> Callable[[str, Any, Any], Verdict]:
        def verdict(name: str, before: Any, after: Any) -> Verdict:
            if name == "terminal":
                return rules.became_terminal(sid) if after else (False, SAFE_AT_THE_NEXT_CALL)
            if name in ("owner",):
                return _SAFE
            if name in ("phase", "on_enter", "runbook"):
                return (False, SAFE_AT_THE_NEXT_ENTRY)
            return Rules.uninterpreted()

        return verdict

    for sid, state in old.states.items():
        if sid not in new.states and sid not in renames:
            out.add(
                "state",
                "removed",
                sid,
                f"state `{sid}` removed",
                rules.state_removed(sid),
                old=fields(state),
            )
    for sid, state in new.states.items():
        was = back.get(sid, sid)
        if was not in old.states:
            reach = [lv for lv in new.level_ids if sid in new.view_at(lv).reachable]
            where = f"reachable at {', '.join(reach)}" if reach else "never reached"
            out.add(
                "state",
                "added",
                sid,
                f"state `{sid}` added ({where})",
                (False, SAFE_ADDED),
                new=fields(state),
            )
            continue
        if was != sid:
            out.add(
                "state",
                "renamed",
                sid,
                f"state `{was}` renamed to `{sid}`",
                rules.state_renamed(was, sid),
                field="id",
                old=was,
                new=sid,
            )
        before = old.states[was]
        out.fields("state", sid, f"state `{sid}`", fields(before), fields(state), verdict_for(sid))
        _checklist(out, sid, before, state, rules)
        _timers(out, sid, before, state, rules)


def _checklist(out: _Out, sid: str, before: Any, after: Any, rules: Rules) -> None:
    def fields(item: Any) -> Fields:
        return {
            "text": item.text,
            "required": item.required,
            **canon.extras(item, ("id", "text", "required")),
        }

    def verdict(key: str, name: str, *_: Any) -> Verdict:
        if name == "required":
            return False, "informational: exits are gated by their 'requires' lists"
        return Rules.uninterpreted()

    _by_id(
        out,
        "checklist",
        f"in `{sid}`, checklist item",
        {i.id: i for i in before.checklist},
        {i.id: i for i in after.checklist},
        lambda item: rules.checklist_item_removed(sid, item),
        fields,
        verdict,
        prefix=f"{sid}: ",
    )


def _timers(out: _Out, sid: str, before: Any, after: Any, rules: Rules) -> None:
    def fields(timer: Any) -> Fields:
        return {
            "after": canon.after_text(timer.after),
            "every": canon.after_text(timer.every),
            "max": timer.max,
            "calendar": timer.calendar,
            "transition": timer.transition,
            "actions": canon.calls(timer.actions),
            **canon.extras(
                timer, ("id", "after", "every", "max", "calendar", "actions", "transition")
            ),
        }

    def verdict(key: str, name: str, *_: Any) -> Verdict:
        if name == "transition":
            return rules.timer_moves_differently(sid, key)
        if name in ("after", "every", "max", "calendar", "actions"):
            return (False, SAFE_TIMER)
        return Rules.uninterpreted()

    _by_id(
        out,
        "timer",
        f"in `{sid}`, timer",
        {t.id: t for t in before.timers},
        {t.id: t for t in after.timers},
        lambda timer: rules.timer_removed(sid, timer),
        fields,
        verdict,
        prefix=f"{sid}: ",
    )


# --- transitions, as moves ---------------------------------------------------------------

Move = tuple[str, str]  # (source state, transition name)


def _moves_of(process: Process, rename: Mapping[str, str]) -> dict[Move, dict[str, Fields]]:
    """(source, name) -> level -> what the move does there (states under their new ids)."""
    moves: dict[Move, dict[str, Fields]] = defaultdict(dict)
    transitions = process.spec.process.transitions
    for edge in process.edges:
        tr = transitions[edge.index]
        fields: Fields = {
            "to": rename.get(tr.to, tr.to),
            "by": canon.sorted_set(tr.by),
            "requires": canon.sorted_set(tr.requires),
            "actions": canon.calls(tr.actions),
            "title": tr.title,
            "description": tr.description,
            **canon.extras(
                tr,
                (
                    "name",
                    "from_",
                    "to",
                    "title",
                    "description",
                    "by",
                    "requires",
                    "when",
                    "actions",
                ),
            ),
        }
        source = rename.get(edge.source, edge.source)
        for level in edge.levels:
            moves[(source, edge.name)][level] = fields
    return moves


def _moves(
    out: _Out,
    old: Process,
    new: Process,
    renames: Mapping[str, str],
    rules: Rules,
    levels: tuple[str, ...],
) -> None:
    before, after = _moves_of(old, renames), _moves_of(new, {})
    # (kind, name, field, old, new) -> source -> levels, then grouped by equal level sets
    found: dict[tuple[str, str, str, str], dict[str, list[str]]] = defaultdict(
        lambda: defaultdict(list)
    )
    values: dict[tuple[str, str, str, str], tuple[Any, Any]] = {}
    for move in sorted(before.keys() | after.keys()):
        source, name = move
        for level in levels:
            was, now = before.get(move, {}).get(level), after.get(move, {}).get(level)
            if was == now:
                continue
            if was is None or now is None:
                kind = "added" if was is None else "removed"
                key = (kind, name, "", canon.sort_key(now if was is None else was))
                values[key] = (was, now)
                found[key][source].append(level)
                continue
            for field in now:
                if was.get(field) != now[field]:
                    key = ("changed", name, field, canon.sort_key([was.get(field), now[field]]))
                    values[key] = (was.get(field), now[field])
                    found[key][source].append(level)
    for key, by_source in found.items():
        groups: dict[tuple[str, ...], list[str]] = defaultdict(list)
        for source, at_levels in by_source.items():
            groups[tuple(at_levels)].append(source)
        for at, sources in groups.items():
            _move_change(out, key, values[key], sources, at, levels, before, after, rules)


def _move_change(
    out: _Out,
    key: tuple[str, str, str, str],
    values: tuple[Any, Any],
    sources: list[str],
    at: tuple[str, ...],
    levels: tuple[str, ...],
    before: Mapping[Move, dict[str, Fields]],
    after: Mapping[Move, dict[str, Fields]],
    rules: Rules,
) -> None:
    kind, name, field, _ = key
    was, now = values
    where = ", ".join(f"`{s}`" for s in sources)
    subject = f"{name} from {', '.join(sources)}"
    note = _levels_note(at, levels)
    partial = tuple(at) if note else ()
    if kind == "added":
        existed = any((s, name) in before for s in sources)
        if existed:
            text = f"transition `{name}` from {where} can now fire{note} (guard widened)"
        else:
            text = f"new transition `{name}`: {where} -> `{now['to']}`, by {code(now['by'])}{note}"
        out.add("transition", "added", subject, text, (False, SAFE_ADDED), new=now, levels=partial)
        return
    if kind == "removed":
        remains = any((s, name) in after for s in sources)
        if remains:
            text = f"transition `{name}` from {where} can no longer fire{note} (guard narrowed)"
        else:
            text = f"transition `{name}` from {where} removed{note}"
        gone: Verdict = (False, SAFE_CHECKED_WHOLE)
        out.add("transition", "removed", subject, text, gone, old=was, levels=partial)
        return
    label = f"transition `{name}` from {where}{note}"
    if field == "to":
        text = f"{label} now leads to `{now}` (was `{was}`)"
        verdict: Verdict = (False, SAFE_CHECKED_WHOLE)
    elif field == "by":
        text = f"{label} may be fired by {code(now)} (was {code(was)})"
        verdict = _SAFE
    elif field == "requires":
        gained = [i for i in now if i not in (was or [])]
        text = f"{label}: requires {what_changed(was, now)}"
        verdict = (
            rules.requires_added(sources[0], name, gained)
            if gained
            else (False, "fewer items to tick before leaving")
        )
        for source in sources[1:]:
            if gained and not verdict[0]:
                verdict = rules.requires_added(source, name, gained)
    elif field == "actions":
        text = f"{label}: actions {what_changed(was, now)}"
        verdict = (False, "actions are planned when it fires")
    elif field in _WORDING:
        text = f"{label}: {field} {what_changed(was, now)}"
        verdict = (False, SAFE_WORDING)
    else:
        text = f"{label}: {field} {what_changed(was, now)}"
        verdict = Rules.uninterpreted()
    out.add(
        "transition",
        "changed",
        subject,
        text,
        verdict,
        field=field,
        old=was,
        new=now,
        levels=partial,
    )


# --- policies ----------------------------------------------------------------------------


def _policies(out: _Out, old: Process, new: Process, renames: Mapping[str, str]) -> None:
    every = list(new.level_ids)

    def target(value: str | PhaseRef | None, rename: Mapping[str, str]) -> Any:
        if isinstance(value, PhaseRef):
            return {"phase": value.phase}
        return None if value is None else rename.get(value, value)

    def fields(policy: Policy, rename: Mapping[str, str], levels: list[str]) -> Fields:
        return {
            "description": policy.description,
            "for_severity": canon.sorted_set(policy.for_severity or levels),
            "must_visit": target(policy.must_visit, rename),
            "must_not_reach": target(policy.must_not_reach, rename),
            "distinct_holders": (
                None
                if policy.distinct_holders is None
                else canon.sorted_set(policy.distinct_holders)
            ),
            **canon.extras(
                policy,
                (
                    "id",
                    "description",
                    "for_severity",
                    "must_visit",
                    "must_not_reach",
                    "distinct_holders",
                ),
            ),
        }

    before = {p.id: fields(p, renames, list(old.level_ids)) for p in old.spec.policies}
    after = {p.id: fields(p, {}, every) for p in new.spec.policies}

    def tightened(was: Fields | None, now: Fields) -> bool:
        holders = now["distinct_holders"]
        if holders is None:
            return False
        if was is None or was["distinct_holders"] is None:
            return True
        return not (set(holders) <= set(was["distinct_holders"])) or not (
            set(now["for_severity"]) <= set(was["for_severity"])
        )

    def verdict_of(was: Fields | None, now: Fields) -> Verdict:
        if tightened(was, now):
            return Rules.holders_kept_apart([f"`{r}`" for r in now["distinct_holders"]])
        return (False, SAFE_PROVED)

    for pid, was in before.items():
        if pid not in after:
            out.add(
                "policy", "removed", pid, f"policy `{pid}` removed", (False, SAFE_PROVED), old=was
            )
    for pid, now in after.items():
        earlier = before.get(pid)
        if earlier is None:
            out.add("policy", "added", pid, f"policy `{pid}` added", verdict_of(None, now), new=now)
            continue
        holders = verdict_of(earlier, now)

        def verdict(name: str, *_: Any, holders: Verdict = holders) -> Verdict:
            return holders if name in ("distinct_holders", "for_severity") else (False, SAFE_PROVED)

        out.fields("policy", pid, f"policy `{pid}`", earlier, now, verdict)
