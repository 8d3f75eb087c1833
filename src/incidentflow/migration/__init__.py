"""Moving open incidents from one version of a process to another, through a checked mapping.

- :mod:`.mapping` reads the mapping file (positions kept, shape checked);
- :mod:`.check` proves what the mapping promises against both versions, and builds the
  :class:`MigrationPlan`;
- :mod:`.apply` decides one incident's migration (the ``migrated`` event);
- :mod:`.command` is ``incidentflow migrate plan | apply``.

The engine's side is :meth:`Engine.migrate <incidentflow.Engine.migrate>`; the guide is
``docs/changing-a-process.md``.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from incidentflow._lazy import lazy_exports

if TYPE_CHECKING:
    from incidentflow.compiler.process import Process
    from incidentflow.diagnostics import Diagnostic
    from incidentflow.migration.check import MigrationPlan, StateMove

__all__ = ["MigrationPlan", "StateMove", "plan_migration"]

# The checks (and the compiler they need) load on first use: the command line registers
# `migrate` from .command on every run, and `incidentflow validate` should not pay for them
# (tests/cli/test_lazy_imports.py keeps it so).
_LAZY = {
    "MigrationPlan": "incidentflow.migration.check",
    "StateMove": "incidentflow.migration.check",
}


__getattr__, __dir__ = lazy_exports(__name__, _LAZY, globals())


MappingSource = str | os.PathLike[str] | Mapping[str, Any]
"""A mapping file's path, or the mapping as plain data (``{"states": {...}, ...}``)."""


def plan_migration(old: Process, new: Process, mapping: MappingSource) -> MigrationPlan:
    """The checked plan that moves incidents of ``old`` to ``new`` through ``mapping`` (a
    file's path, or the mapping as plain data). Never raises for a wrong mapping: its
    problems are the plan's ``diagnostics`` (``plan.ok`` is False with any error);
    SpecFileError when the file cannot be read."""
    from incidentflow.errors import SpecFileError
    from incidentflow.migration.check import check_mapping
    from incidentflow.migration.mapping import read_mapping, read_mapping_data
    from incidentflow.spec.limits import DEFAULT_LIMITS
    from incidentflow.spec.source import read_spec_text

    if isinstance(mapping, Mapping):
        raw, problems = read_mapping_data(mapping)
        if raw is None:
            return _refused(old, new, "<mapping>", "", problems)
        return check_mapping(raw, old, new, problems)
    filename = os.fspath(mapping)
    try:
        text, unreadable = read_spec_text(Path(filename), filename, DEFAULT_LIMITS)
    except OSError as exc:
        raise SpecFileError(filename, f"cannot be read: {exc.strerror or exc}") from None
    if text is None:
        return _refused(old, new, filename, "", [unreadable] if unreadable else [])
    raw, problems = read_mapping(text, filename)
    if raw is None:
        return _refused(old, new, filename, text, problems)
    return check_mapping(raw, old, new, problems)


def _refused(
    old: Process, new: Process, file: str, text: str, problems: list[Diagnostic]
) -> MigrationPlan:
    """A plan that the mapping's problems leave unusable."""
    from incidentflow.migration.check import MigrationPlan

    return MigrationPlan(old, new, file, text, {}, {}, tuple(problems))
