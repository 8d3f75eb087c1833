"""Build instances of frozen slotted dataclasses at the cost of plain ones.

A frozen dataclass's ``__init__`` sets each field through ``object.__setattr__`` (its own
``__setattr__`` refuses), which costs about five times what a plain slotted class's
``__init__`` does: on the engine's hot path (an :class:`~incidentflow.audit.events.Event`
per change, an :class:`~incidentflow.Incident` per call) that was a tenth of a call.

:func:`builder` returns a constructor that fills a plain slotted twin of the class (the
same fields, in the same order) and then makes it an instance of the frozen class by
``__class__`` assignment, which Python allows between classes of the same slot layout.
What comes out is an ordinary instance: frozen, equal, hashable, printable and
replaceable exactly as one built by the class (tests/project/test_frozen_builder.py).
Where the interpreter refuses the assignment, the constructor is the class itself.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any, TypeVar

_T = TypeVar("_T")


def builder(cls: type[_T]) -> Callable[..., _T]:
    """A positional constructor for the frozen slotted dataclass ``cls`` (every field, in
    order; defaults apply to those left out), as fast as a plain slotted class's."""
    if not (dataclasses.is_dataclass(cls) and "__slots__" in vars(cls)):
        raise TypeError(f"{cls.__name__} is not a slotted dataclass")
    if any(f.default_factory is not dataclasses.MISSING for f in dataclasses.fields(cls)):
        raise TypeError(f"{cls.__name__} has a field with a default_factory (not supported)")
    fields = [
        (f.name, Any, dataclasses.field(default=f.default))
        if f.default is not dataclasses.MISSING
        else (f.name, Any)
        for f in dataclasses.fields(cls)
    ]
    twin = dataclasses.make_dataclass(
        f"_{cls.__name__}Draft", fields, slots=True, eq=False, repr=False
    )

    def build(*values: object) -> _T:
        made = twin(*values)
        made.__class__ = cls
        return made  # type: ignore[no-any-return]

    try:
        build(*(None for f in fields if len(f) == 2))
    except TypeError:  # an interpreter without __class__ assignment between these layouts
        return cls
    return build
