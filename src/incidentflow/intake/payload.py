"""Untrusted alert payloads: read JSON within bounds, before any adapter looks at it.

A payload is refused with :class:`~incidentflow.errors.IntakeError` (never a traceback)
when it is larger than :data:`MAX_BYTES`, nested deeper than :data:`MAX_DEPTH`, holds
more than :data:`MAX_ALERTS` alerts, or is not a JSON object. The checks walk the value
iteratively, so no payload can exhaust the stack or take more than linear time.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from typing import Any

from incidentflow.errors import IntakeError

MAX_BYTES = 1_048_576
"""Largest payload body, in bytes (Alertmanager's groups of a few hundred alerts fit)."""
MAX_DEPTH = 16
"""Deepest nesting of objects and lists in a payload."""
MAX_ALERTS = 1000
"""Most alerts one payload may carry."""
MAX_VALUES = 200_000
"""Most values (strings, numbers, objects, lists...) in one payload."""


def parse_json(body: bytes | str, source: str) -> Mapping[str, Any]:
    """The JSON object in ``body``, checked by :func:`check_payload`."""
    size = len(body.encode("utf-8") if isinstance(body, str) else body)
    if size > MAX_BYTES:
        raise IntakeError(source, f"the body has {size:,} bytes; the limit is {MAX_BYTES:,}")
    try:
        value = json.loads(body, parse_constant=_no_constant)
    except RecursionError:  # json's C parser stops at the interpreter's recursion limit
        raise IntakeError(source, f"the JSON is nested deeper than {MAX_DEPTH} levels") from None
    except ValueError as problem:
        raise IntakeError(source, f"the body is not JSON: {problem}") from None
    return check_payload(value, source)


def check_payload(value: object, source: str) -> Mapping[str, Any]:
    """``value`` if it is a JSON object within the bounds, else :class:`IntakeError`."""
    if not isinstance(value, Mapping):
        raise IntakeError(source, f"expected a JSON object, not {type(value).__name__}")
    budget = MAX_VALUES
    pending: list[tuple[object, int, str]] = [(value, 0, "")]
    while pending:
        item, depth, where = pending.pop()
        budget -= 1
        if budget < 0:
            raise IntakeError(source, f"the payload holds more than {MAX_VALUES:,} values")
        if isinstance(item, float) and not math.isfinite(item):
            raise IntakeError(source, "numbers must be finite", where)
        if isinstance(item, Mapping | list | tuple) and depth >= MAX_DEPTH:
            raise IntakeError(source, f"nested deeper than {MAX_DEPTH} levels", where)
        if isinstance(item, Mapping):
            for key, inner in item.items():
                if not isinstance(key, str):
                    raise IntakeError(source, f"object keys must be text, not {key!r}", where)
                pending.append((inner, depth + 1, f"{where}.{key}" if where else key))
        elif isinstance(item, list | tuple):
            pending.extend(
                (inner, depth + 1, f"{where}.{i}" if where else str(i))
                for i, inner in enumerate(item)
            )
        elif not (item is None or isinstance(item, str | bool | int | float)):
            raise IntakeError(source, f"not a JSON value: {type(item).__name__}", where)
    return value


def _no_constant(name: str) -> None:
    raise ValueError(f"{name} is not a JSON number")
