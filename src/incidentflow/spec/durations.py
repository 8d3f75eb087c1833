"""Durations as spec authors write them: ``45s``, ``5m``, ``1h30m``, ``2d`` or ISO 8601.

:func:`parse_duration` is the one reader of durations: level SLAs, timer ``after``
values and maps, ``duration`` action parameters and rehearsal ``advance`` steps all
go through it. It accepts ASCII digits only (``int()`` and regex ``\\d`` would take
full-width and other Unicode digits) and nothing longer than :data:`MAX_DURATION`,
so every duration the engine adds to a time is small and the sum cannot overflow.
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Annotated, Any

from pydantic import BeforeValidator, PlainSerializer, TypeAdapter, ValidationError, WithJsonSchema
from pydantic_core import PydanticCustomError

from incidentflow.diagnostics import brief

MAX_DURATION = timedelta(days=365)
"""The longest duration a spec may give: a year is plenty for an incident process."""

_SHORT = re.compile(r"(?:([0-9]+)d)?(?:([0-9]+)h)?(?:([0-9]+)m)?(?:([0-9]+)s)?")
_UNIT_SECONDS = (86400, 3600, 60, 1)
# More significant digits than this cannot be below the ceiling in any unit; checking
# the length first keeps int() away from hostile 5,000-digit numbers.
_MAX_DIGITS = len(str(int(MAX_DURATION.total_seconds())))
_ISO = TypeAdapter(timedelta)
_ASCII_SPACE = " \t\r\n"


def format_duration(value: timedelta, *, days: bool = True) -> str:
    """The short form of a duration (``1h30m``), the inverse of :func:`parse_duration`.

    ``days=False`` counts in hours at most (``25h30m``): working time reads that way, since
    a business day is not 24 hours."""
    seconds = int(value.total_seconds())
    parts = []
    for unit, size in zip("dhms", _UNIT_SECONDS, strict=True):
        if unit == "d" and not days:
            continue
        count, seconds = divmod(seconds, size)
        if count:
            parts.append(f"{count}{unit}")
    return "".join(parts) or "0s"


MAX_DURATION_TEXT = format_duration(MAX_DURATION)
"""The ceiling as authors write it (``365d``), for messages and docs."""


def _short_form(text: str, groups: tuple[str | None, ...]) -> timedelta:
    seconds = 0
    for digits, size in zip(groups, _UNIT_SECONDS, strict=True):
        if digits is None:
            continue
        if len(digits.lstrip("0")) > _MAX_DIGITS:
            raise ValueError(_too_long(text))
        seconds += int(digits) * size
    if seconds > MAX_DURATION.total_seconds():
        raise ValueError(_too_long(text))
    return timedelta(seconds=seconds)


def _iso(text: str) -> timedelta:
    if not text.isascii():
        raise ValueError(f"{brief(text)} is not an ISO 8601 duration (only ASCII digits count)")
    try:
        value = _ISO.validate_python(text.upper())
    except ValidationError as exc:
        reason = str((exc.errors()[0].get("ctx") or {}).get("error", "")).strip()
        detail = f" ({reason})" if reason else ""
        raise ValueError(f"{brief(text)} is not an ISO 8601 duration{detail}") from None
    if value > MAX_DURATION:
        raise ValueError(_too_long(text))
    return value


def _too_long(text: str) -> str:
    return f"{brief(text)} is longer than the longest duration allowed, {MAX_DURATION_TEXT}"


def parse_duration(text: str) -> timedelta:
    """Parse a duration; raise ``ValueError`` with a readable message when it is not one.

    Short form: any of ``d``, ``h``, ``m``, ``s`` in that order (``1h30m``), with ASCII
    digits. ISO 8601 (``PT5M``, ``P1DT2H``) is parsed by pydantic. Durations must be
    positive and at most :data:`MAX_DURATION`.
    """
    text = text.strip(_ASCII_SPACE)
    match = _SHORT.fullmatch(text)
    if match and text:
        value = _short_form(text, match.groups())
    elif text[:1] in ("P", "p"):
        value = _iso(text)
    else:
        raise ValueError(f"{brief(text)} is not a duration")
    if value <= timedelta(0):
        raise ValueError(f"{brief(text)} is not a positive duration")
    return value


def duration_problem(value: object) -> str | None:
    """Why ``value`` is not a duration (None when it is one)."""
    if not isinstance(value, str):
        return f"{brief(value)} is not a duration"
    try:
        parse_duration(value)
    except ValueError as exc:
        return str(exc)
    return None


def is_duration(text: str) -> bool:
    """True when ``text`` parses as a duration."""
    return duration_problem(text) is None


def looks_like_duration(text: str) -> bool:
    """True when ``text`` was meant as a duration: it starts with an ASCII digit or ``P``."""
    first = text.strip(_ASCII_SPACE)[:1]
    return first.isascii() and (first.isdigit() or first in ("P", "p"))


def _validate(value: Any) -> timedelta:
    if isinstance(value, timedelta):
        return value
    if not isinstance(value, str):
        raise PydanticCustomError(
            "duration",
            "expected a duration such as 45s, 5m, 1h30m, 2d or PT5M, got {value}",
            {"value": brief(value)},
        )
    try:
        return parse_duration(value)
    except ValueError as exc:
        raise PydanticCustomError(
            "duration",
            "{reason}; write 45s, 5m, 1h30m, 2d or ISO 8601 such as PT5M",
            {"reason": str(exc)},
        ) from None


Duration = Annotated[
    timedelta,
    BeforeValidator(_validate),
    PlainSerializer(format_duration, return_type=str),
    WithJsonSchema(
        {
            "type": "string",
            "pattern": r"^(([0-9]+d)?([0-9]+h)?([0-9]+m)?([0-9]+s)?|P.*)$",
            "description": f"45s, 5m, 1h30m, 2d or ISO 8601 (PT5M); at most {MAX_DURATION_TEXT}",
            "examples": ["5m", "1h30m", "PT5M"],
        }
    ),
]
"""A positive duration of at most :data:`MAX_DURATION`, read from the short form or ISO 8601."""
