"""Regular expressions from specs: the one place that compiles and runs a ``matches`` pattern.

Patterns run on RE2 (``google-re2``), which never backtracks: a search costs
time linear in the length of the text, whatever the pattern, so neither a spec
nor a signal can make the validator or the engine hang. The price is RE2's
syntax: no backreferences (``\\1``), no lookaround (``(?=``, ``(?!``,
``(?<=``, ``(?<!``), ``\\z`` instead of Python's ``\\Z``. A pattern RE2 refuses
is a spec error (IF403), as is one over the size bounds below (IF408): the cost
of a search also grows with the size of the compiled program, so both are
bounded.

Validation, the satisfiability check and the engine all go through
:func:`compile_pattern` and :meth:`Pattern.search`, so they agree on what every
pattern means (a *search*, anywhere in the text; ``$`` only at the very end).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any

import re2

MAX_PATTERN_LENGTH = 1_000
"""The longest ``matches`` pattern, in characters."""

MAX_PATTERN_PROGRAM = 2_000
"""The largest compiled pattern, in RE2 instructions (``programsize``).

A search may step through every instruction for each byte of the text, so this
bounds the cost per byte. A 1,000-character literal compiles to about 1,000, a
600-character alternation of 45 names to about 600; counted repeats multiply:
``[a-z0-9]{1,1000}`` is about 3,000 and goes over.
"""

_COMPILE_MEMORY = 1 << 20  # RE2 max_mem: what one pattern may hold (program and automaton cache)
_EXAMPLE_LENGTH = 64  # how far RE2 looks when it proposes example texts

_UNSUPPORTED_HINT = (
    "patterns use RE2 syntax, which has no backreferences (\\1), no lookahead or "
    "lookbehind ((?=, (?!, (?<=, (?<!) and writes Python's \\Z as \\z; rewrite the pattern, "
    "or express the exclusion as its own test, e.g. {not: {field: ..., matches: ...}}"
)
_SYNTAX_HINT = (
    "fix the pattern's syntax (RE2, close to Python's for common patterns); "
    "escape literal characters such as ( [ . * + ? with \\"
)
_SIMPLIFY_HINT = (
    "simplify the pattern: a counted repeat such as {1,500} is compiled as 500 copies, "
    "so write + or * where the upper bound does not matter; "
    "to test for one of many exact values use `in: [...]`"
)
_REPEAT_HINT = (
    "a counted repeat {m,n} needs m <= n, and RE2 allows at most 1,000 repetitions "
    "(nested repeats multiply); write + or * where the upper bound does not matter"
)


@dataclass(frozen=True, slots=True)
class PatternProblem:
    """Why a pattern cannot be used: IF403 (invalid for RE2) or IF408 (too large)."""

    code: str
    reason: str
    hint: str


def _options() -> Any:
    options = re2.Options()
    options.max_mem = _COMPILE_MEMORY
    options.never_capture = True  # we only ask "is there a match"; groups would force the slow NFA
    options.log_errors = False  # RE2 would print every refused pattern to stderr
    return options


_OPTIONS = _options()


def _utf8(text: str) -> bytes:
    # Text from YAML or a signal may hold a lone surrogate; RE2 reads bytes, and one
    # encoding used everywhere keeps validation and the engine in agreement.
    return text.encode("utf-8", "surrogatepass")


class Pattern:
    """A compiled ``matches`` pattern. :meth:`search` is linear in the text's length."""

    __slots__ = ("_examples", "_regexp", "text")

    def __init__(self, text: str, regexp: Any) -> None:
        self.text = text
        self._regexp = regexp
        self._examples: tuple[str, ...] | None = None

    def search(self, value: str) -> bool:
        """True when the pattern matches somewhere in ``value``."""
        return self._regexp.search(_utf8(value)) is not None

    def example_texts(self) -> tuple[str, ...]:
        """Texts that often match (RE2's bounds on what can match); check with :meth:`search`."""
        if self._examples is None:
            try:
                bounds = self._regexp.possiblematchrange(_EXAMPLE_LENGTH)
            except re2.error:  # pragma: no cover - RE2 gives up on some patterns
                bounds = ()
            found = []
            for raw in bounds:
                try:
                    found.append(raw.decode("utf-8"))
                except UnicodeDecodeError:
                    continue  # a bound is a byte string, not always whole characters
            self._examples = tuple(found)
        return self._examples

    def __repr__(self) -> str:
        return f"Pattern({self.text!r})"


@functools.lru_cache(maxsize=256)  # validation, the checks and the engine share one compile
def compile_pattern(text: str) -> Pattern | PatternProblem:
    """The compiled pattern, or why it cannot be used (too long, invalid, too large)."""
    if len(text) > MAX_PATTERN_LENGTH:
        return PatternProblem(
            "IF408",
            f"is {len(text):,} characters long; patterns are limited to {MAX_PATTERN_LENGTH:,}",
            "shorten the pattern; to test for one of many exact values use `in: [...]`",
        )
    try:
        regexp = re2.compile(_utf8(text), _OPTIONS)
    except re2.error as exc:
        reason = exc.args[0] if exc.args else b"rejected by RE2"
        detail = reason.decode("utf-8", "replace") if isinstance(reason, bytes) else str(reason)
        if "too large" in detail:
            return PatternProblem("IF408", f"is too large for RE2 ({detail})", _SIMPLIFY_HINT)
        hint = _SYNTAX_HINT
        if "repetition" in detail:
            hint = _REPEAT_HINT
        elif "perl operator" in detail or "escape sequence" in detail:
            hint = _UNSUPPORTED_HINT  # most often a Python feature that RE2 lacks
        return PatternProblem("IF403", f"is not a valid RE2 pattern: {detail}", hint)
    if regexp.programsize > MAX_PATTERN_PROGRAM:
        return PatternProblem(
            "IF408",
            f"compiles to {regexp.programsize:,} RE2 instructions; "
            f"patterns are limited to {MAX_PATTERN_PROGRAM:,}",
            _SIMPLIFY_HINT,
        )
    return Pattern(text, regexp)
