"""Bounds that keep hostile or accidental input from costing unbounded time or memory."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Limits:
    """What the loader accepts. The defaults are far above any real process spec.

    ``max_bytes`` bounds the file size, ``max_depth`` the nesting of mappings and
    sequences, and ``max_nodes`` the number of values after aliases are expanded
    (so an alias bomb fails at once instead of exhausting memory).
    """

    max_bytes: int = 8 * 1024 * 1024
    max_depth: int = 64
    max_nodes: int = 2_000_000


DEFAULT_LIMITS = Limits()
