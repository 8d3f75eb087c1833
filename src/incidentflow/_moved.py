"""Old import paths that keep working for a while, with a warning that names the new one.

A module whose contents moved keeps a module-level ``__getattr__`` made by
:func:`forward`: each moved name still resolves, to the very same object, and
each use of the old path raises a :class:`DeprecationWarning` that points at the
caller's line. CHANGELOG.md lists every moved name.
"""

from __future__ import annotations

import importlib
import warnings
from collections.abc import Callable, Iterable
from typing import Any


def forward(old_module: str, new_module: str, names: Iterable[str]) -> Callable[[str], Any]:
    """A module ``__getattr__`` for ``old_module``: each of ``names`` is found in
    ``new_module`` (imported on first use), with a DeprecationWarning; any other
    name raises AttributeError, as for a module without it."""
    moved = frozenset(names)

    def __getattr__(name: str) -> Any:
        if name not in moved:
            raise AttributeError(f"module {old_module!r} has no attribute {name!r}")
        warnings.warn(
            f"{old_module}.{name} has moved to {new_module}.{name}; "
            "the old path will be removed in a future release",
            DeprecationWarning,
            stacklevel=2,
        )
        return getattr(importlib.import_module(new_module), name)

    return __getattr__
