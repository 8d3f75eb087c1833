"""Dotted paths into untrusted JSON payloads (``labels.service``, ``alerts.0.id``).

A path is segments separated by ``.``; a segment of digits indexes a list. Paths are
data from a spec, never code, and resolving one costs at most :data:`MAX_SEGMENTS`
steps. Keys that contain a dot cannot be named (map the enclosing object instead).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

MAX_SEGMENTS = 16
"""Longest path, in segments (the nesting limit of payloads, see intake.payload)."""
MAX_PATH = 200
"""Longest path, in characters."""

Segments = tuple[str, ...]


class PathError(ValueError):
    """A path that is not a dotted path within the limits (the message says why)."""


def parse_path(text: str) -> Segments:
    """The segments of ``text``, or :class:`PathError`."""
    if not text:
        raise PathError("the path is empty")
    if len(text) > MAX_PATH:
        raise PathError(f"the path is longer than {MAX_PATH} characters")
    segments = tuple(text.split("."))
    if len(segments) > MAX_SEGMENTS:
        raise PathError(f"the path has more than {MAX_SEGMENTS} segments")
    for segment in segments:
        if not segment:
            raise PathError("a segment is empty (two dots in a row, or a dot at an end)")
        if segment != segment.strip():
            raise PathError(f"segment {segment!r} has spaces around it")
    return segments


_MISSING = object()


def lookup(value: object, segments: Segments) -> object:
    """The value at ``segments`` in ``value``, or :data:`MISSING` when there is none."""
    for segment in segments:
        if isinstance(value, Mapping):
            value = value.get(segment, _MISSING)
        elif isinstance(value, Sequence) and not isinstance(value, str) and segment.isdigit():
            index = int(segment)
            value = value[index] if index < len(value) else _MISSING
        else:
            return _MISSING
        if value is _MISSING:
            return _MISSING
    return value


MISSING = _MISSING
"""What :func:`lookup` returns for a path the payload does not have."""
