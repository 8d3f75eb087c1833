"""Durations as spec authors write them: ``45s``, ``5m``, ``1h30m``, ``2d`` or ISO 8601."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Annotated, Any

from pydantic import BeforeValidator, PlainSerializer, TypeAdapter, ValidationError, WithJsonSchema
from pydantic_core import PydanticCustomError

_SHORT = re.compile(r"(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?")
_ISO = TypeAdapter(timedelta)


def parse_duration(text: str) -> timedelta:
    """Parse a duration; raise ``ValueError`` with a readable message when it is not one.

    Short form: any of ``d``, ``h``, ``m``, ``s`` in that order (``1h30m``).
    ISO 8601 (``PT5M``, ``P1DT2H``) is parsed by pydantic. Durations must be positive.
    """
    text = text.strip()
    match = _SHORT.fullmatch(text)
    if match and text:
        days, hours, minutes, seconds = (int(g) if g else 0 for g in match.groups())
        value = timedelta(days=days, hours=hours, minutes=minutes, seconds=seconds)
    elif text[:1] in ("P", "p"):
        try:
            value = _ISO.validate_python(text.upper())
        except ValidationError:
            raise ValueError(f"'{text}' is not an ISO 8601 duration") from None
    else:
        raise ValueError(f"'{text}' is not a duration")
    if value <= timedelta(0):
        raise ValueError(f"'{text}' is not a positive duration")
    return value


def format_duration(value: timedelta) -> str:
    """The short form of a duration (``1h30m``), the inverse of :func:`parse_duration`."""
    seconds = int(value.total_seconds())
    parts = []
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60), ("s", 1)):
        count, seconds = divmod(seconds, size)
        if count:
            parts.append(f"{count}{unit}")
    return "".join(parts) or "0s"


def is_duration(text: str) -> bool:
    """True when ``text`` parses as a duration."""
    try:
        parse_duration(text)
    except ValueError:
        return False
    return True


def _validate(value: Any) -> timedelta:
    if isinstance(value, timedelta):
        return value
    if not isinstance(value, str):
        raise PydanticCustomError(
            "duration",
            "expected a duration such as 45s, 5m, 1h30m, 2d or PT5M, got {value!r}",
            {"value": value},
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
            "pattern": r"^((\d+d)?(\d+h)?(\d+m)?(\d+s)?|P.*)$",
            "description": "45s, 5m, 1h30m, 2d or ISO 8601 (PT5M)",
            "examples": ["5m", "1h30m", "PT5M"],
        }
    ),
]
"""A positive duration, read from the short form or ISO 8601."""
