"""What every adapter hands on: one alert of a payload, as a signal with an identity."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from incidentflow.engine import inputs
from incidentflow.errors import IntakeError, InvalidArgument


@dataclass(frozen=True, slots=True)
class SourceAlert:
    """One alert read from a payload.

    ``key``: its identity, prefixed with the source (``alertmanager:1a30ba71cca2921f``),
    or None when the source gives none (then it can neither repeat nor resolve).
    ``fields``: the signal the triggers test (already checked against the engine's limits).
    """

    key: str | None
    resolved: bool
    fields: Mapping[str, Any]


def make_alert(
    source: str, where: str, key: str | None, resolved: bool, fields: Mapping[str, Any]
) -> SourceAlert:
    """A :class:`SourceAlert`, its fields and key checked as the engine will check them,
    so that a bad alert refuses the whole payload before any of it is applied."""
    try:
        checked = inputs.fields(fields, "intake")
        if key is not None:
            key = inputs.spec_name(key, "intake", "key")
    except InvalidArgument as problem:
        raise IntakeError(source, str(problem).split(": ", 1)[-1], where) from None
    return SourceAlert(key, resolved, checked)


def text_map(value: object, source: str, where: str) -> dict[str, str]:
    """``value`` as a mapping of text to text (labels, annotations), or IntakeError."""
    if value is None:
        return {}
    if not isinstance(value, Mapping) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in value.items()
    ):
        raise IntakeError(source, "expected an object of text values", where)
    return dict(value)
