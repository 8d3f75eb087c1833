"""What a diff of two process versions is made of: :class:`Change` and :class:`ProcessDiff`.

A change is one difference, phrased for a reviewer (``summary``), with the values
before and after as plain JSON values, and a verdict for incidents that are open
when the new version ships: ``needs_migration`` with the ``reason`` (the rule that
decided it; docs/diff.md lists the rules). ``aspect`` says whether it is a
difference in what the spec says (``structure``) or in what an incident at some
level goes through (``behaviour``, with the ``levels`` it applies to).

The JSON shape (:meth:`ProcessDiff.to_json`) is documented in docs/diff.md and
versioned by ``format``: keys are only ever added.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

Aspect = Literal["structure", "behaviour"]
Kind = Literal["added", "removed", "renamed", "changed"]

JSON_FORMAT = 1
"""The version of the JSON shape; raised only if a key changes meaning or goes away."""

AREAS: tuple[str, ...] = (
    "process",
    "level",
    "matrix",
    "role",
    "action",
    "trigger",
    "state",
    "checklist",
    "timer",
    "transition",
    "policy",
    "reachability",
    "path",
    "paging",
    "sla",
    "opening",
)
"""Every ``area`` a change can have: the first eleven are parts of the spec
(``structure``), the other five are effects at a level (``behaviour``); formatters list
changes in this order."""


@dataclass(frozen=True, slots=True)
class Change:
    """One difference between two versions of a process.

    ``subject`` names what changed (a state id, ``close from monitoring``, a level,
    ``extensive x high``); ``field`` the part of it (``by``, ``after``...), or ""
    for the whole thing; ``old`` and ``new`` are JSON values (None: absent).
    ``levels`` holds the severity levels a ``behaviour`` change happens at (empty
    for structure changes that do not depend on the level).
    """

    aspect: Aspect
    area: str
    kind: Kind
    subject: str
    summary: str
    needs_migration: bool
    reason: str
    field: str = ""
    old: Any = None
    new: Any = None
    levels: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        """The change as a JSON object (keys as documented in docs/diff.md)."""
        return {
            "aspect": self.aspect,
            "area": self.area,
            "kind": self.kind,
            "subject": self.subject,
            "field": self.field,
            "levels": list(self.levels),
            "old": self.old,
            "new": self.new,
            "summary": self.summary,
            "class": "migration" if self.needs_migration else "safe",
            "reason": self.reason,
        }


@dataclass(frozen=True, slots=True)
class Side:
    """One of the two versions compared: its name, version and content digest."""

    name: str
    version: str
    digest: str
    file: str = ""

    def to_json(self) -> dict[str, Any]:
        """The side as a JSON object."""
        return {
            "name": self.name,
            "version": self.version,
            "digest": self.digest,
            "file": self.file,
        }


@dataclass(frozen=True, slots=True)
class ProcessDiff:
    """Every difference between ``old`` and ``new``, structure first, then behaviour.

    ``notes`` are remarks about the comparison itself (for example a version
    number left unchanged); they are not changes. ``levels`` are the levels both
    versions have, most severe first (behaviour is compared at those).
    """

    old: Side
    new: Side
    changes: tuple[Change, ...]
    levels: tuple[str, ...]
    notes: tuple[str, ...] = field(default=())

    @property
    def empty(self) -> bool:
        """True when the two versions do the same on every aspect compared."""
        return not self.changes

    @property
    def needs_migration(self) -> bool:
        """True when some change needs open incidents to be migrated (not just pinned)."""
        return any(c.needs_migration for c in self.changes)

    @property
    def structure(self) -> tuple[Change, ...]:
        """The changes to what the spec says."""
        return tuple(c for c in self.changes if c.aspect == "structure")

    @property
    def behaviour(self) -> tuple[Change, ...]:
        """The changes to what an incident goes through at some level."""
        return tuple(c for c in self.changes if c.aspect == "behaviour")

    def summary(self) -> str:
        """One line: how many changes, how many need migration."""
        if self.empty:
            return f"No behavioural change between {self.old.version} and {self.new.version}."
        migration = sum(c.needs_migration for c in self.changes)
        counts = (
            f"{_n(len(self.structure), 'structural change')}, "
            f"{_n(len(self.behaviour), 'change')} in behaviour"
        )
        verdict = (
            f"{migration} need{'s' if migration == 1 else ''} migrating open incidents"
            if migration
            else "all safe for open incidents"
        )
        return f"{self.old.name} {self.old.version} -> {self.new.version}: {counts}; {verdict}."

    def to_json(self) -> dict[str, Any]:
        """The whole diff as a JSON object (shape documented in docs/diff.md)."""
        return {
            "format": JSON_FORMAT,
            "old": self.old.to_json(),
            "new": self.new.to_json(),
            "levels": list(self.levels),
            "summary": self.summary(),
            "changed": not self.empty,
            "needs_migration": self.needs_migration,
            "notes": list(self.notes),
            "changes": [c.to_json() for c in self.changes],
        }


def _n(n: int, noun: str) -> str:
    return f"no {noun}" if n == 0 else f"{n} {noun}" + ("" if n == 1 else "s")
