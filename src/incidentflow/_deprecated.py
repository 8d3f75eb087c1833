"""Old names kept working for a while: a module ``__getattr__`` that warns, then forwards.

A module that renamed or moved a public name sets
``__getattr__ = forward(__name__, {"OldName": ("new.module", "NewName")})``. Reading the
old name emits a :class:`DeprecationWarning` that names the new one (pointing at the
caller's line) and returns the new object; nothing is imported until a name is read.
Each alias is listed in ``CHANGELOG.md``.
"""

from __future__ import annotations

import importlib
import warnings
from collections.abc import Callable, Mapping
from typing import Any


def forward(module: str, aliases: Mapping[str, tuple[str, str]]) -> Callable[[str], Any]:
    """A module ``__getattr__`` for ``module`` that resolves each old name in ``aliases``
    (old name -> (module, new name)) with a DeprecationWarning."""

    def __getattr__(name: str) -> Any:
        target = aliases.get(name)
        if target is None:
            raise AttributeError(f"module {module!r} has no attribute {name!r}")
        where, new = target
        message = (
            f"{module}.{name} has moved to {where}.{new}; the old path will be removed in a "
            "future release"
            if new == name
            else f"{module}.{name} is deprecated; use {where}.{new}"
        )
        warnings.warn(message, DeprecationWarning, stacklevel=2)
        return getattr(importlib.import_module(where), new)

    return __getattr__


def moved(where: str, names: tuple[str, ...]) -> dict[str, tuple[str, str]]:
    """Aliases for ``names`` that moved, unrenamed, to module ``where``."""
    return {name: (where, name) for name in names}
