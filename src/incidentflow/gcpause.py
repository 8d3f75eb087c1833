"""Pause the cyclic garbage collector around allocation-heavy, cycle-free work.

Reading and compiling a spec allocates hundreds of thousands of small objects
(positions, models, graph dicts) that form no garbage cycles. Left on, the
collector repeatedly scans this young, growing heap and finds nothing to free:
at 1,000 states that doubled compile time (102 ms vs 51 ms, measured). Reference
counting still frees everything as usual; the collector runs again afterwards.
"""

from __future__ import annotations

import functools
import gc
from collections.abc import Callable
from typing import ParamSpec, TypeVar

P = ParamSpec("P")
R = TypeVar("R")


def gc_paused(function: Callable[P, R]) -> Callable[P, R]:
    """Run ``function`` with the cyclic collector paused (nesting-safe, restored on error)."""

    @functools.wraps(function)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        if not gc.isenabled():
            return function(*args, **kwargs)
        gc.disable()
        try:
            return function(*args, **kwargs)
        finally:
            gc.enable()

    return wrapper
