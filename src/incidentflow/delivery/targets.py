"""Named destinations: a spec names a channel or route, the host's configuration maps
the name to a URL or key (the secret never appears in a spec or in the log)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from incidentflow.errors import DeliveryError

DEFAULT = "default"
"""The destination used when an action names none."""


def destinations(value: str | Mapping[str, str], channel: str, what: str) -> dict[str, str]:
    """``value`` (one destination, or name -> destination) as a non-empty mapping."""
    found = {DEFAULT: value} if isinstance(value, str) else dict(value)
    if not found or not all(isinstance(v, str) and v for v in found.values()):
        raise DeliveryError(channel, f"no {what} configured")
    return found


def pick(
    table: Mapping[str, str], params: Mapping[str, Any], param: str, channel: str, what: str
) -> str:
    """The destination the action's ``param`` names (or the default)."""
    name = params.get(param) or DEFAULT
    if not isinstance(name, str) or name not in table:
        known = ", ".join(sorted(table))
        raise DeliveryError(channel, f"no {what} configured for {param} {name!r} (known: {known})")
    return table[name]
