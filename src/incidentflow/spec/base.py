"""The base of every spec model: frozen, strict about unknown keys."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, StringConstraints

Scalar = str | bool | int | float | None
"""A plain YAML value: what signal fields and action parameters hold."""

Slug = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9-]*$")]
"""A process name: lower-case letters, digits and '-' (``major-incident``)."""

RoleId = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]*$")]
"""A role id: lower-case letters, digits and '_' (``commander``, ``sme_db``)."""

Ident = Annotated[str, StringConstraints(pattern=r"^[A-Za-z][A-Za-z0-9_-]*$")]
"""An id of a state, level, checklist item, transition, timer, trigger or action."""


class SpecModel(BaseModel):
    """A part of a spec. Immutable; unknown keys are errors (with a did-you-mean hint)."""

    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=False)
