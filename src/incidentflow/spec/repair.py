"""Leave out what failed the format checks, so that the later checks still run on the rest.

A spec with a broken value (a duration written ``15 min``, a title that is a
number, a misspelt key) cannot become a Process, but the rest of it can still be
checked: references, roles, timers, triggers, the graph, the policies. So that an
author fixes everything in one pass, the loader reports each broken value and then
asks :func:`checkable_rest` for the nearest spec that passes the models:

- an unknown key, or the value of an optional key, is dropped (the default applies);
- text of the wrong type (``title: 5``) is replaced by a placeholder;
- an entry that cannot stand without the broken value (a level without its id, a
  transition whose ``to`` is a list) is dropped as a whole, and its name remembered.

Each step is checked by the models again; a few rounds settle any spec. The result
carries a :class:`Pruned` record, so that the compiler does not report the
consequences of what was left out: nothing inside a dropped or replaced value, no
reference to a dropped entry's name, no warnings (they may follow from a dropped
value; they are reported once the spec is well-formed), and no graph or policy
proofs when the states, transitions, levels or policies they read were touched.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError
from pydantic_core import ErrorDetails

from incidentflow.spec.models import Spec
from incidentflow.spec.validate import data_path
from incidentflow.spec.yamlread import Document, Path, as_written

PLACEHOLDER = "?"
"""Stands in for text of the wrong type; never a valid id, so nothing can refer to it."""

_TEXT_ERRORS = frozenset({"string_type", "string_too_short"})
MAX_ROUNDS = 8  # each round drops one level of containers; specs nest about six deep

# Where entries are named by their key (a dropped entry's references are not new problems);
# so are the parameters of each action.
_NAMED_BY_KEY = frozenset({("roles",), ("actions",), ("process", "states")})

# What the graph checks (3xx) and the policy proofs (7xx) read. A dropped or replaced
# value at or under these paths, or above them, makes their results unreliable.
_TRANSITION_GRAPH_KEYS = frozenset({"from", "to", "when", "name"})
_STATE_GRAPH_KEYS = frozenset({"terminal", "phase"})


@dataclass(frozen=True, slots=True)
class Pruned:
    """What :func:`checkable_rest` left out of a spec, as paths in the file as written."""

    paths: frozenset[Path]
    """Values dropped or replaced, and values the reader flagged (a duplicate key)."""
    names: frozenset[str]
    """Names of dropped entries (roles, states, levels, transitions, ...), as :func:`name_key`."""
    graph_intact: bool
    """False when anything the graph checks or policy proofs read was left out."""
    data: Any
    """The plain data the checked spec was built from (for :meth:`subject`)."""
    renumbered: dict[Path, tuple[int, ...]]
    """Lists that lost items: see :attr:`~incidentflow.spec.yamlread.SourceMap.renumbered`."""

    def hides(self, written: Path) -> bool:
        """True when ``written`` is at or inside a value that was left out."""
        return any(written[:end] in self.paths for end in range(len(written) + 1))

    def names_dropped(self, name: str | None) -> bool:
        """True when ``name`` refers to a dropped entry (``name`` is None: it does not)."""
        return name is not None and name_key(name) in self.names

    def subject(self, path: Path) -> str | None:
        """The text at ``path`` of the checked data (the name a reference check is about)."""
        node = _at(self.data, path)
        return node if isinstance(node, str) else None


def checkable_rest(
    document: Document,
    spec: Spec | None = None,
    errors: list[tuple[ErrorDetails, Path]] | None = None,
) -> tuple[Spec, Pruned] | None:
    """The nearest spec to ``document`` that passes the models, and what was left out.

    ``spec`` is the document's spec when it already passes them (only the reader
    flagged something); else ``errors`` are the models' errors on it with their
    paths (:attr:`~incidentflow.spec.validate.ModelCheck.errors`), when known.
    None when no such spec can be found in a few rounds (for example when a
    required top-level section is broken).
    """
    original = document.data
    dropped: set[Path] = set()
    unknown_keys: set[Path] = set()  # dropped keys that are not part of the format at all
    replaced: dict[Path, Any] = {}
    names: set[str] = set()
    data: Any = original
    renumbered: dict[Path, tuple[int, ...]] = {}
    for _ in range(MAX_ROUNDS):
        if spec is None and errors is None:
            spec, errors = _validated(data)
        if spec is not None:
            touched = (dropped - unknown_keys) | replaced.keys()
            pruned = Pruned(
                frozenset(dropped | replaced.keys() | set(document.damaged)),
                frozenset(names),
                not any(_read_by_graph(p) for p in (*touched, *document.damaged)),
                data,
                renumbered,
            )
            return spec, pruned
        before = len(dropped) + len(replaced)
        found = [(err, as_written(path, renumbered)) for err, path in errors or ()]
        deepest = _deepest(path for _, path in found)
        kinds: dict[Path, set[str]] = {}  # the errors at each place, to fix it once
        for err, written in found:
            if written in deepest:  # fix what is inside first ("too short" may be its echo)
                kinds.setdefault(written, set()).add(err["type"])
        for written, types in kinds.items():
            if written[-1:] == ("[key]",):  # an entry's name is not a valid id
                written = written[:-1]
            if "extra_forbidden" in types:
                unknown_keys.add(written)
            elif types & _TEXT_ERRORS and written not in replaced:
                replaced[written] = PLACEHOLDER  # text was expected here: keep the key
                continue
            if not written:
                return None  # the spec as a whole is broken: nothing to check
            dropped.add(written)
            names.update(_names_of(original, written))
        if len(dropped) + len(replaced) == before:
            return None  # pragma: no cover - every error drops or replaces something
        data, renumbered = _without(original, dropped, replaced)
        errors = None
    return None


def _validated(data: Any) -> tuple[Spec | None, list[tuple[ErrorDetails, Path]]]:
    try:
        return Spec.model_validate(data), []
    except ValidationError as exc:
        errors = exc.errors(include_url=False)
        return None, [(err, data_path(tuple(err["loc"]), data)) for err in errors]


def name_key(name: str) -> str:
    """A name without case and punctuation: an entry dropped because its name was not a
    valid id (``P 5``, ``Incident_Manager``) is the one its references name (``P5``)."""
    return "".join(c for c in name.casefold() if c.isalnum())


def _deepest(paths: Iterable[Path]) -> set[Path]:
    """The paths that have no other path below them."""
    unique = set(paths)
    above = {p[:end] for p in unique for end in range(len(p))}
    return unique - above


def _names_of(original: Any, written: Path) -> list[str]:
    """The name of the entry at ``written`` when it is a named entry (else nothing)."""
    parent = written[:-1]
    named_by_key = parent in _NAMED_BY_KEY or (parent[:1], parent[2:]) == (
        ("actions",),
        ("params",),
    )
    if named_by_key and isinstance(written[-1], str):
        return [name_key(written[-1])]
    node = _at(original, written)
    if isinstance(written[-1], int) and isinstance(node, dict):
        return [name_key(v) for k in ("id", "name") if isinstance(v := node.get(k), str)]
    return []


def _at(data: Any, path: Path) -> Any:
    """The value at ``path`` (None when there is none)."""
    for part in path:
        found = (isinstance(data, dict) and part in data) or (
            isinstance(data, list) and isinstance(part, int) and 0 <= part < len(data)
        )
        if not found:
            return None
        data = data[part]
    return data


def _read_by_graph(path: Path) -> bool:
    """True when the graph checks or the policy proofs read the value at ``path``."""
    head = path[:1]
    if head == ("policies",):
        return path[2:3] != ("description",)
    if head == ("severity",):
        if len(path) > 1 and path[1] != "levels":
            return False  # the matrix and its axes
        return len(path) <= 3 or path[3] == "id"
    if head != ("process",):
        return False
    if len(path) < 3:
        return True  # the process, its initial state, all states or all transitions
    if path[1] == "states":
        return len(path) == 3 or path[3] in _STATE_GRAPH_KEYS
    return len(path) == 3 or path[3] in _TRANSITION_GRAPH_KEYS


def _without(
    original: Any, dropped: set[Path], replaced: dict[Path, Any]
) -> tuple[Any, dict[Path, tuple[int, ...]]]:
    """A copy of ``original`` without the dropped values and with the replaced ones.

    Only the containers on the way to a change are copied. Also returns, for each
    list that lost items, the written index of each item left (see SourceMap).
    """
    tree: dict[Any, Any] = {}
    for path in (*dropped, *replaced):
        node = tree
        for part in path:
            node = node.setdefault(part, {})
    renumbered: dict[Path, tuple[int, ...]] = {}

    def rebuild(node: Any, path: Path, changes: dict[Any, Any]) -> Any:
        if isinstance(node, dict):
            out = dict(node)
            for key, below in changes.items():
                child = (*path, key)
                if child in dropped:
                    out.pop(key, None)
                elif child in replaced:
                    out[key] = replaced[child]
                elif key in node:
                    out[key] = rebuild(node[key], child, below)
            return out
        if isinstance(node, list):
            items: list[Any] = []
            kept: list[int] = []
            for i, item in enumerate(node):
                below = changes.get(i)
                if below is None:  # most items of a long list: kept as they are
                    kept.append(i)
                    items.append(item)
                    continue
                child = (*path, i)
                if child in dropped:
                    continue
                kept.append(i)
                items.append(replaced[child] if child in replaced else rebuild(item, child, below))
            if len(kept) < len(node):
                renumbered[path] = tuple(kept)
            return items
        return node

    return rebuild(original, (), tree), renumbered
