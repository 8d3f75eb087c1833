"""'Did you mean ...?' suggestions for misspelt names and keys."""

from __future__ import annotations

import bisect
import difflib
import functools
from collections.abc import Iterable
from dataclasses import dataclass

FUZZY_POOL = 64
"""The most candidates compared in full for one suggestion. Real pools (roles, levels,
keys, states) are smaller. In a larger pool (a hostile spec with thousands of names
and thousands of misspellings would otherwise cost their product) only the names
that sort next to the word are compared: a misspelling seldom changes the first letters."""

_NEIGHBOURS = 8  # on each side of the word, in a large pool


@dataclass(frozen=True, slots=True)
class _Pool:
    """A pool of candidates, indexed once however many words are looked up in it."""

    names: tuple[str, ...]  # without repeats, in the caller's order
    lowered: dict[str, str]
    ordered: list[str]  # the lowered names, sorted

    def fuzzy_candidates(self, word: str) -> list[str]:
        """The lowered names worth comparing with ``word`` in full."""
        if len(self.ordered) <= FUZZY_POOL:
            return self.ordered
        at = bisect.bisect_left(self.ordered, word)
        return self.ordered[max(0, at - _NEIGHBOURS) : at + _NEIGHBOURS]


@functools.lru_cache(maxsize=16)
def _indexed(candidates: tuple[str, ...]) -> _Pool:
    names = tuple(dict.fromkeys(candidates))
    lowered = {c.lower(): c for c in names}
    return _Pool(names, lowered, sorted(lowered))


def _pool(candidates: Iterable[str]) -> _Pool:
    # Checks ask about many words in one pool: the index is built once per pool.
    return _indexed(candidates if isinstance(candidates, tuple) else tuple(candidates))


def closest(word: str, candidates: Iterable[str]) -> str | None:
    """The candidate most like ``word`` (case-insensitive), or None if none is close."""
    return _closest(word, _pool(candidates))


def _closest(word: str, pool: _Pool) -> str | None:
    lowered = word.lower()
    if lowered in pool.lowered:
        return pool.lowered[lowered]
    match = difflib.get_close_matches(lowered, pool.fuzzy_candidates(lowered), n=1, cutoff=0.6)
    return pool.lowered[match[0]] if match else None


def did_you_mean(word: str, candidates: Iterable[str], noun: str) -> str:
    """A hint naming the closest candidate and listing the valid ones."""
    pool = _pool(candidates)
    best = _closest(word, pool)
    listing = ", ".join(pool.names[:12]) + (", ..." if len(pool.names) > 12 else "")
    if best is not None:
        return f"did you mean '{best}'? {noun} are: {listing}"
    if pool.names:
        return f"{noun} are: {listing}"
    return f"no {noun.lower()} are defined"
