"""Differences in what an incident goes through, level by level, read from the compiled Process.

At each level both versions have, the answers the compiled :class:`Process` already
gives (:meth:`~incidentflow.compiler.process.Process.view_at`, ``timers_at``,
``timer_delay``, the levels' SLAs, the triggers' resolved levels) are compared:
states that become reachable or unreachable, the shortest path to each terminal
state, who is paged where, timers and SLAs, the level new incidents open at, and
states an open incident could no longer finish from. The same finding at several
levels is one change naming them all. The work is linear in the size of the spec
per level.
"""

from __future__ import annotations

from collections import defaultdict, deque
from collections.abc import Iterable, Mapping
from datetime import timedelta
from typing import Any

from incidentflow.changes import canon
from incidentflow.changes.classify import SAFE_BEHAVIOUR, SAFE_FOR_NEW_INCIDENTS, Verdict
from incidentflow.changes.model import Change, Kind
from incidentflow.compiler.process import Edge, Process
from incidentflow.render.handbook import paged_roles
from incidentflow.spec.models import SLA_FIELDS

_SAFE: Verdict = (False, SAFE_BEHAVIOUR)
_SLA_WORDS = {
    "acknowledge_within": "acknowledge within",
    "update_every": "update every",
    "resolve_within": "resolve within",
}


class _Found:
    """Findings per level, merged across levels when identical."""

    def __init__(self, levels: tuple[str, ...]) -> None:
        self.levels = levels
        self._at: dict[tuple[Any, ...], list[str]] = defaultdict(list)
        self._change: dict[tuple[Any, ...], Change] = {}

    def add(
        self,
        level: str,
        area: str,
        kind: Kind,
        subject: str,
        summary: str,
        verdict: Verdict = _SAFE,
        *,
        field: str = "",
        old: Any = None,
        new: Any = None,
    ) -> None:
        key = (area, kind, subject, field, summary, canon.sort_key([old, new]))
        if key not in self._change:
            migrate, reason = verdict
            self._change[key] = Change(
                "behaviour", area, kind, subject, summary, migrate, reason, field, old, new
            )
        self._at[key].append(level)

    def changes(self) -> list[Change]:
        from dataclasses import replace

        order = {lv: i for i, lv in enumerate(self.levels)}
        return [
            replace(change, levels=tuple(sorted(set(self._at[key]), key=order.__getitem__)))
            for key, change in self._change.items()
        ]


def behaviour_changes(
    old: Process,
    new: Process,
    renames: Mapping[str, str],
) -> list[Change]:
    """Every difference in what an incident goes through, level by level."""
    levels = tuple(lv for lv in new.level_ids if lv in old.level_ids)
    found = _Found(new.level_ids)
    kept = [s for s in new.states if _old_id(s, renames) in old.states]
    for level in levels:
        was = {renames.get(s, s) for s in old.view_at(level).reachable}
        now = new.view_at(level).reachable
        _reachability(found, level, kept, was, now)
        _paths(found, level, old, new, renames)
        _paging(found, level, old, new, renames, was & now)
        _timers(found, level, old, new, renames, was | now)
        _slas(found, level, old, new)
    changes = found.changes()
    changes.extend(_openings(old, new))
    return changes


def _old_id(state: str, renames: Mapping[str, str]) -> str:
    back = {n: o for o, n in renames.items()}
    return back.get(state, state)


def _reachability(
    found: _Found, level: str, kept: list[str], was: Iterable[str], now: Iterable[str]
) -> None:
    was, now = set(was), set(now)
    for state in kept:
        if state in now and state not in was:
            found.add(level, "reachability", "added", state, f"`{state}` is now reachable")
        elif state in was and state not in now:
            found.add(level, "reachability", "removed", state, f"`{state}` is no longer reachable")


def shortest_paths(process: Process, level: str) -> dict[str, list[tuple[str, str]]]:
    """Terminal state -> the shortest way to it at ``level`` as (transition, state) steps.

    Among paths of equal length the one whose steps sort first (by transition name, then
    target) is chosen, so that the answer does not depend on the order of the file.
    """
    out_edges: dict[str, list[Edge]] = defaultdict(list)
    for edge in process.view_at(level).edges:
        out_edges[edge.source].append(edge)
    parent: dict[str, tuple[str, str] | None] = {process.initial: None}
    queue = deque([process.initial])
    while queue:
        state = queue.popleft()
        for edge in sorted(out_edges[state], key=lambda e: (e.name, e.target)):
            if edge.target not in parent:
                parent[edge.target] = (state, edge.name)
                queue.append(edge.target)
    paths = {}
    for state in parent:
        if not process.is_terminal(state):
            continue
        steps: list[tuple[str, str]] = []
        at = state
        while (step := parent[at]) is not None:
            steps.append((step[1], at))
            at = step[0]
        paths[state] = steps[::-1]
    return paths


def _path_text(initial: str, steps: list[tuple[str, str]]) -> str:
    return f"`{initial}`" + "".join(f" -{name}-> `{state}`" for name, state in steps)


def _paths(
    found: _Found, level: str, old: Process, new: Process, renames: Mapping[str, str]
) -> None:
    was_paths = {
        renames.get(t, t): [(n, renames.get(s, s)) for n, s in steps]
        for t, steps in shortest_paths(old, level).items()
    }
    initial = renames.get(old.initial, old.initial)
    for terminal, steps in shortest_paths(new, level).items():
        before = was_paths.get(terminal)
        if before is None or (before == steps and initial == new.initial):
            continue
        now_text, was_text = _path_text(new.initial, steps), _path_text(initial, before)
        found.add(
            level,
            "path",
            "changed",
            terminal,
            f"shortest way to `{terminal}` is now {now_text} ({len(steps)} steps; "
            f"was {was_text}, {len(before)} steps)",
            old=was_text,
            new=now_text,
        )


def _occasions(
    process: Process, level: str, renames: Mapping[str, str], states: set[str]
) -> dict[tuple[str, ...], list[str]]:
    """(what happens) -> the roles it pages, over ``states`` (new ids) at ``level``."""
    back = {n: o for o, n in renames.items()}
    out: dict[tuple[str, ...], list[str]] = {}
    for state in states:
        sid = back.get(state, state) if renames else state
        if sid not in process.states:
            continue
        out[("entering", state)] = paged_roles(process, process.states[sid].on_enter)
        for timer, _delay in process.timers_at(sid, level):
            out[("timer", state, timer.id)] = paged_roles(process, timer.actions)
    transitions = process.spec.process.transitions
    for edge in process.view_at(level).edges:
        source = renames.get(edge.source, edge.source)
        if source in states:
            roles = paged_roles(process, transitions[edge.index].actions)
            out[("move", source, edge.name)] = roles
    return out


def _occasion_text(occasion: tuple[str, ...], initial: str) -> str:
    if occasion[0] == "entering":
        return "on open" if occasion[1] == initial else f"on entering `{occasion[1]}`"
    if occasion[0] == "timer":
        return f"when timer `{occasion[2]}` expires in `{occasion[1]}`"
    return f"on `{occasion[2]}` from `{occasion[1]}`"


def _paging(
    found: _Found,
    level: str,
    old: Process,
    new: Process,
    renames: Mapping[str, str],
    states: set[str],
) -> None:
    was = _occasions(old, level, renames, states)
    now = _occasions(new, level, {}, states)
    same_start = renames.get(old.initial, old.initial) == new.initial
    for occasion in sorted(was.keys() | now.keys()):
        before, after = was.get(occasion, []), now.get(occasion, [])
        when = _occasion_text(occasion, new.initial if same_start else "")
        subject = " ".join(occasion[1:])
        for role in after:
            if role not in before:
                found.add(
                    level, "paging", "added", subject, f"`{role}` is now paged {when}", field=role
                )
        for role in before:
            if role not in after:
                found.add(
                    level,
                    "paging",
                    "removed",
                    subject,
                    f"`{role}` is no longer paged {when}",
                    field=role,
                )


def _timers(
    found: _Found,
    level: str,
    old: Process,
    new: Process,
    renames: Mapping[str, str],
    states: set[str],
) -> None:
    back = {n: o for o, n in renames.items()}
    for state in sorted(states):
        sid = back.get(state, state)
        if sid not in old.states or state not in new.states:
            continue
        before = {t.id: t for t in old.states[sid].timers}
        for timer in new.states[state].timers:
            if timer.id not in before:
                continue
            was = old.timer_delay(sid, timer.id, level)
            now = new.timer_delay(state, timer.id, level)
            if was == now:
                continue
            summary = _timer_text(state, timer.id, timer.transition, was, now)
            found.add(
                level,
                "timer",
                "changed",
                f"{state}: {timer.id}",
                summary,
                (False, "running timers keep their deadline; the next entry uses the new one"),
                field="delay",
                old=canon.duration(was),
                new=canon.duration(now),
            )


def _timer_text(
    state: str, timer: str, transition: str | None, was: timedelta | None, now: timedelta | None
) -> str:
    does = f"moves the incident on by `{transition}`" if transition else "fires"
    name = f"in `{state}`, timer `{timer}`"
    if was is None:
        return f"{name} now runs: {does} after {canon.duration(now)}"
    if now is None:
        return f"{name} no longer runs (it {does.replace('moves', 'moved').replace('fires', 'fired')} after {canon.duration(was)})"
    return f"{name} now {does} after {canon.duration(now)} instead of {canon.duration(was)}"


def _slas(found: _Found, level: str, old: Process, new: Process) -> None:
    before, after = old.level(level), new.level(level)
    for name in SLA_FIELDS:
        was, now = before.sla(name), after.sla(name)
        if was == now:
            continue
        words = _SLA_WORDS.get(name, name)
        if was is None:
            text = f"SLA now: {words} {canon.duration(now)}"
        elif now is None:
            text = f"SLA '{words}' removed (was {canon.duration(was)})"
        else:
            text = f"SLA: {words} {canon.duration(now)} instead of {canon.duration(was)}"
        found.add(
            level,
            "sla",
            "changed",
            level,
            text,
            (False, "breaches of an open incident are measured against its own version's SLAs"),
            field=name,
            old=canon.duration(was),
            new=canon.duration(now),
        )


def _openings(old: Process, new: Process) -> list[Change]:
    """Triggers kept in both versions whose signals now open incidents at another level."""
    before = {t.id: t.level for t in old.triggers}
    out = []
    for trigger in new.triggers:
        was = before.get(trigger.id)
        if was is not None and was != trigger.level:
            out.append(
                Change(
                    "behaviour",
                    "opening",
                    "changed",
                    trigger.id,
                    f"signals matching `{trigger.id}` now open incidents at {trigger.level} "
                    f"(was {was})",
                    False,
                    SAFE_FOR_NEW_INCIDENTS,
                    "level",
                    was,
                    trigger.level,
                )
            )
    return out
