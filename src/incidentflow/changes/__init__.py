"""A behavioural diff of two versions of one process: what changed, what it does, who must act.

:func:`diff` compares two compiled processes and returns a :class:`ProcessDiff`:
the changes to the spec (structure), the changes to what an incident goes
through at each level (behaviour), and for each change whether open incidents
can be moved to the new version as they are (safe) or need a migration. The
``incidentflow diff`` command prints it as text, JSON or Markdown (for a pull
request comment); docs/diff.md describes both and the classification rules.

Modules: ``model`` (the result), ``canon`` (order-free values), ``classify`` (the
rules), ``structure`` and ``behaviour`` (the comparisons), ``formats`` (text,
JSON, Markdown), ``command`` (the CLI).
"""

from __future__ import annotations

from incidentflow.changes.model import AREAS, Change, ProcessDiff, Side
from incidentflow.compiler.process import Process

__all__ = ["Change", "ProcessDiff", "Side", "diff"]


def diff(old: Process, new: Process, *, old_file: str = "", new_file: str = "") -> ProcessDiff:
    """Every difference between two versions of a process, each classified.

    Both are compiled processes (:func:`incidentflow.load`); comparing two
    different processes (another ``metadata.name``) is allowed and reported as a
    change that needs migration. The work is bounded by the size of the specs
    (linear per severity level). ``diff(p, p)`` is empty.
    """
    from incidentflow.changes.behaviour import behaviour_changes
    from incidentflow.changes.classify import Rules
    from incidentflow.changes.structure import state_renames, structure_changes

    renames = state_renames(old, new)
    rules = Rules(old, renames)
    found = structure_changes(old, new, renames, rules)
    found += behaviour_changes(old, new, renames)
    order = {area: i for i, area in enumerate(AREAS)}
    changes = tuple(sorted(found, key=lambda c: order[c.area]))
    notes = []
    if changes and old.version == new.version and old.name == new.name:
        notes.append(
            f"both versions are numbered {new.version}: bump metadata.version, so that an "
            "engine holding both (and the audit trail) can tell them apart"
        )
    return ProcessDiff(
        Side(old.name, old.version, old.digest, old_file),
        Side(new.name, new.version, new.digest, new_file),
        changes,
        tuple(lv for lv in new.level_ids if lv in old.level_ids),
        tuple(notes),
    )
