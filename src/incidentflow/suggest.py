"""'Did you mean ...?' suggestions for misspelt names and keys."""

from __future__ import annotations

import difflib
from collections.abc import Iterable


def closest(word: str, candidates: Iterable[str]) -> str | None:
    """The candidate most like ``word`` (case-insensitive), or None if none is close."""
    pool = list(dict.fromkeys(candidates))
    if not pool:
        return None
    lowered = {c.lower(): c for c in pool}
    if word.lower() in lowered:
        return lowered[word.lower()]
    match = difflib.get_close_matches(word.lower(), list(lowered), n=1, cutoff=0.6)
    return lowered[match[0]] if match else None


def did_you_mean(word: str, candidates: Iterable[str], noun: str) -> str:
    """A hint naming the closest candidate and listing the valid ones."""
    pool = list(dict.fromkeys(candidates))
    best = closest(word, pool)
    listing = ", ".join(pool[:12]) + (", ..." if len(pool) > 12 else "")
    if best is not None:
        return f"did you mean '{best}'? {noun} are: {listing}"
    if pool:
        return f"{noun} are: {listing}"
    return f"no {noun.lower()} are defined"
