"""Check a migration mapping against the two versions it joins, and build the plan.

What is proved, for every state an open incident of the old version can be in (a
non-terminal state reachable at some level: an incident's level may change in any
state, so every level counts):

- it is mapped, explicitly or by name (IF905 when the file maps a state the old
  version lacks; IF907 when one is left without a target);
- its target exists in the new version (IF906) and is not terminal (IF908: a migration
  never closes an incident);
- from its target an incident can still finish at every level of the new version
  (IF909, naming the levels);
- the checklist items that every way into the target requires in the new version, and
  that no way into the source required in the old one, are named (IF910, a warning:
  the migrated incident skips them);
- every level an open incident can be at exists in the new version, or is mapped to
  one that does (IF911, IF912).

``process``, ``from`` and ``to`` in the file must name the versions given (IF904). The
work is bounded by the size of the two specs (items x transitions per state).
"""

from __future__ import annotations

import functools
import hashlib
from collections import deque
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from incidentflow.compiler.process import Process
from incidentflow.diagnostics import Diagnostic, Position
from incidentflow.migration.mapping import RawMapping, problem
from incidentflow.suggest import did_you_mean

__all__ = ["MigrationPlan", "StateMove", "check_mapping"]

WRONG_VERSION = "IF904"
UNKNOWN_OLD_STATE = "IF905"
UNKNOWN_NEW_STATE = "IF906"
UNMAPPED_STATE = "IF907"
TERMINAL_TARGET = "IF908"
CANNOT_FINISH = "IF909"
SKIPPED_ITEMS = "IF910"
UNMAPPED_LEVEL = "IF911"
UNKNOWN_LEVEL = "IF912"


@dataclass(frozen=True, slots=True)
class StateMove:
    """Where an incident in ``source`` goes, and what happens to its ticks and timers."""

    source: str
    target: str
    checklist: str  # keep | drop
    timers: str  # keep | restart | cancel
    by_name: bool  # True when the file does not name the state: it keeps its name


@dataclass(frozen=True, slots=True)
class MigrationPlan:
    """A checked mapping between two versions of one process (what
    :meth:`Engine.migrate <incidentflow.Engine.migrate>` applies).

    ``diagnostics``: every problem found, errors and warnings; ``ok`` is False when any
    is an error, and then the plan is never applied. ``moves`` covers every state an
    open incident can be in; ``levels`` maps every level of the old version that the
    new one has or that the file maps. ``digest`` identifies the mapping's text, and is
    recorded in each migration's event.
    """

    old: Process
    new: Process
    file: str
    text: str
    moves: Mapping[str, StateMove]
    levels: Mapping[str, str]
    diagnostics: tuple[Diagnostic, ...]

    @property
    def ok(self) -> bool:
        """True when the plan has no errors (warnings allowed)."""
        return not any(d.is_error for d in self.diagnostics)

    @property
    def errors(self) -> tuple[Diagnostic, ...]:
        """Only the errors."""
        return tuple(d for d in self.diagnostics if d.is_error)

    @property
    def digest(self) -> str:
        """The mapping text's digest (``sha256:...``)."""
        return "sha256:" + hashlib.sha256(self.text.encode("utf-8")).hexdigest()


def open_states(process: Process) -> list[str]:
    """The states an open incident can be in: non-terminal, reachable at some level (in
    spec order)."""
    reachable: set[str] = set()
    for level in process.level_ids:
        reachable |= process.view_at(level).reachable
    return [s for s in process.states if s in reachable and not process.is_terminal(s)]


def check_mapping(
    raw: RawMapping, old: Process, new: Process, read: Iterable[Diagnostic] = ()
) -> MigrationPlan:
    """Check ``raw`` against ``old`` and ``new`` and build the plan, with its diagnostics
    and those ``read`` found reading it (a plan with any error is never applied)."""
    checker = _Checker(raw, old, new)
    checker.diagnostics.extend(read)
    checker.identity()
    moves = checker.moves()
    levels = checker.levels()
    diagnostics = sorted(checker.diagnostics, key=Diagnostic.sort_key)
    return MigrationPlan(old, new, raw.file, raw.text, moves, levels, tuple(diagnostics))


class _Checker:
    def __init__(self, raw: RawMapping, old: Process, new: Process) -> None:
        self.raw = raw
        self.old = old
        self.new = new
        self.diagnostics: list[Diagnostic] = []

    def report(self, at: Position, code: str, message: str, hint: str = "") -> None:
        self.diagnostics.append(problem(self.raw.file, at, code, message, hint))

    # --- which versions -----------------------------------------------------------------

    def identity(self) -> None:
        raw, old, new = self.raw, self.old, self.new
        if old.name != new.name:
            self.report(
                Position(1, 1),
                WRONG_VERSION,
                f"the two versions are of different processes ('{old.name}' and '{new.name}')",
                hint="a migration moves incidents between versions of one process",
            )
        if raw.process is not None and raw.process not in (old.name, new.name):
            self.report(
                raw.at_value("process"),
                WRONG_VERSION,
                f"this mapping is written for process '{raw.process}', not '{old.name}'",
                hint="check it against the versions of the process it was written for",
            )
        for key, written, process in (
            ("from", raw.from_version, old),
            ("to", raw.to_version, new),
        ):
            if written is not None and written != process.version:
                self.report(
                    raw.at_value(key),
                    WRONG_VERSION,
                    f"this mapping moves incidents {key} version {written}, but the "
                    f"{'old' if key == 'from' else 'new'} spec is version {process.version}",
                    hint=f"give the spec of version {written}, or correct '{key}'",
                )

    # --- states --------------------------------------------------------------------------

    def moves(self) -> dict[str, StateMove]:
        raw, old, new = self.raw, self.old, self.new
        written = {entry.source: entry for entry in raw.states}
        for entry in raw.states:
            if entry.source not in old.states:
                self.report(
                    entry.at,
                    UNKNOWN_OLD_STATE,
                    f"version {old.version} of '{old.name}' has no state '{entry.source}'",
                    hint=did_you_mean(entry.source, old.states, "Its states"),
                )
            if entry.target not in new.states:
                self.report(
                    entry.target_at,
                    UNKNOWN_NEW_STATE,
                    f"version {new.version} of '{new.name}' has no state '{entry.target}'",
                    hint=did_you_mean(entry.target, new.states, "Its states"),
                )
        moves: dict[str, StateMove] = {}
        for source in open_states(old):
            found = written.get(source)
            if found is None and source in raw.damaged:
                continue  # its entry is malformed: reported as such
            if found is None:
                if source not in new.states:
                    self.report(
                        raw.at_key("states"),
                        UNMAPPED_STATE,
                        f"an open incident can be in state '{source}', which version "
                        f"{new.version} does not have, and the mapping does not map it",
                        hint=f"add '{source}: NEW_STATE' under 'states:' "
                        f"({did_you_mean(source, new.states, 'the new states')})",
                    )
                    continue
                move = StateMove(source, source, raw.checklist, raw.timers, True)
                at = raw.at_key("states")
            else:
                if found.target not in new.states:
                    continue  # reported above
                move = StateMove(
                    source,
                    found.target,
                    found.checklist or raw.checklist,
                    found.timers or raw.timers,
                    False,
                )
                at = found.target_at
            moves[source] = move
            self.target_checks(move, at)
        return moves

    def target_checks(self, move: StateMove, at: Position) -> None:
        new, old = self.new, self.old
        how = " (kept by name)" if move.by_name else ""
        if new.is_terminal(move.target):
            self.report(
                at,
                TERMINAL_TARGET,
                f"state '{move.source}' maps to '{move.target}'{how}, a terminal state of "
                f"version {new.version}: a migration never closes an incident",
                hint="map it to a state the incident can still work in, and close it there",
            )
            return
        stuck = [lv for lv in new.level_ids if move.target not in new.view_at(lv).can_finish]
        if stuck:
            self.report(
                at,
                CANNOT_FINISH,
                f"from '{move.target}'{how}, an incident at {', '.join(stuck)} can never "
                f"reach a terminal state of version {new.version}",
                hint="map the state to one from which every level can still finish, or give "
                f"'{move.target}' a way out at those levels",
            )
        skipped = sorted(
            required_on_every_way(new, move.target) - required_on_every_way(old, move.source)
        )
        if skipped:
            self.report(
                at,
                SKIPPED_ITEMS,
                f"an incident moved from '{move.source}' to '{move.target}'{how} skips the "
                f"checklist item(s) that every way into '{move.target}' requires in version "
                f"{new.version}: {', '.join(skipped)}",
                hint="see that they are done by hand, or map the state to one before them",
            )

    # --- levels --------------------------------------------------------------------------

    def levels(self) -> dict[str, str]:
        raw, old, new = self.raw, self.old, self.new
        out: dict[str, str] = {}
        for source, (target, key_at, value_at) in raw.levels.items():
            if source not in old.level_ids:
                self.report(
                    key_at,
                    UNKNOWN_LEVEL,
                    f"version {old.version} of '{old.name}' has no level '{source}'",
                    hint=did_you_mean(source, old.level_ids, "Its levels"),
                )
            elif target not in new.level_ids:
                self.report(
                    value_at,
                    UNKNOWN_LEVEL,
                    f"version {new.version} of '{new.name}' has no level '{target}'",
                    hint=did_you_mean(target, new.level_ids, "Its levels"),
                )
            else:
                out[source] = target
        for level in old.level_ids:
            if level in out or level in raw.levels or level in raw.damaged:
                continue
            if level in new.level_ids:
                out[level] = level
            else:
                self.report(
                    raw.at_key("levels") if raw.levels else Position(1, 1),
                    UNMAPPED_LEVEL,
                    f"an open incident can be at level '{level}', which version "
                    f"{new.version} does not have, and the mapping does not map it",
                    hint=f"add 'levels: {{{level}: NEW_LEVEL}}' "
                    f"({did_you_mean(level, new.level_ids, 'the new levels')})",
                )
        return out


def required_on_every_way(process: Process, state: str) -> frozenset[str]:
    """The checklist items some transition requires on every way from the initial state
    into ``state`` (at any level): an incident in ``state`` has ticked each of them.

    An item is on every way when, leaving out the transitions that require it, ``state``
    can no longer be reached (a state no way reaches requires nothing).
    """
    return _required_items(process).get(state, frozenset())


@functools.lru_cache(maxsize=16)
def _required_items(process: Process) -> dict[str, frozenset[str]]:
    """:func:`required_on_every_way` for every state at once: one search of the graph per
    item some transition requires (bounded by the spec's size), once per process."""
    transitions = process.spec.process.transitions
    every = [(e.source, e.target) for e in process.edges]
    reachable = _reachable(process.initial, every)
    items = sorted({item for t in transitions for item in t.requires})
    out: dict[str, set[str]] = {}
    for item in items:
        edges = [
            (e.source, e.target) for e in process.edges if item not in transitions[e.index].requires
        ]
        for state in reachable - _reachable(process.initial, edges):
            out.setdefault(state, set()).add(item)
    return {state: frozenset(found) for state, found in out.items()}


def _reachable(start: str, edges: Iterable[tuple[str, str]]) -> set[str]:
    following: dict[str, list[str]] = {}
    for source, target in edges:
        following.setdefault(source, []).append(target)
    seen = {start}
    todo = deque([start])
    while todo:
        for target in following.get(todo.popleft(), ()):
            if target not in seen:
                seen.add(target)
                todo.append(target)
    return seen
