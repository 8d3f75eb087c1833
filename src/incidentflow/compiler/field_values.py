"""Whether the tests on one signal field can all pass: a passing value, or the tests that clash.

A field's value is absent, null, a boolean, a finite number or a text. For each
kind we try a finite set of values chosen so that, if any value of that kind
passes every test, one of them does:

- absent, null, ``true``, ``false``: themselves;
- numbers: when a test only admits listed values (``eq``, ``in``, or the ``not``
  of ``ne`` / ``not_in``), those values; otherwise every number written in the
  tests plus one number in each gap between them (tests cannot tell two numbers
  of one gap apart);
- texts: likewise the listed texts; otherwise one text written in no test, plus,
  when ``matches`` tests apply, texts RE2 proposes for the patterns. Only in that
  last case can the set miss a passing text (patterns that must meet without a
  listed value): the field is then :class:`Undecided` unless a test rules out
  every text outright.

Each value is tried with the engine's own predicates. When none passes, the tests
that turned the values down are the clash, in the order they are written.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from incidentflow.compiler.predicates import is_number, pattern_of, predicate_of
from incidentflow.spec.conditions import FieldTest
from incidentflow.spec.yamlread import Path


class _Missing:
    def __repr__(self) -> str:
        return "<absent>"


MISSING: Any = _Missing()
"""Stands for the value of a field the signal does not have."""

_TEXT_COST = 64  # characters a pattern search may scan for the price of one step
_EXAMPLE_COST = 64  # asking RE2 for example texts walks its automaton up to 64 bytes deep


class OutOfWork(Exception):
    """The budget is spent; the question stays open."""


class Budget:
    """Steps of work a check may still take; :meth:`spend` raises :class:`OutOfWork` beyond."""

    __slots__ = ("_parent", "remaining")

    def __init__(self, steps: int, parent: Budget | None = None) -> None:
        self.remaining = steps
        self._parent = parent

    def spend(self, steps: int) -> None:
        """Pay for ``steps`` steps (here and in the budget this one was taken from)."""
        self.remaining -= steps
        if self._parent is not None:
            self._parent.remaining -= steps
        if self.remaining < 0:
            raise OutOfWork

    def portion(self, steps: int) -> Budget:
        """A budget of at most ``steps`` steps that also draws on this one."""
        return Budget(max(0, min(steps, self.remaining)), self)


class Literal:
    """A test, possibly negated, with where it was written; compared by identity."""

    __slots__ = ("_predicate", "negated", "order", "path", "test")

    def __init__(self, test: FieldTest, negated: bool, path: Path, order: int) -> None:
        self.test = test
        self.negated = negated
        self.path = path
        self.order = order  # position among the condition's tests, in the order written
        self._predicate: Callable[[Mapping[str, Any]], bool] | None = None

    @property
    def listing(self) -> bool:
        """True for tests whose operand is a list of values (``in``, ``not_in``)."""
        return isinstance(self.test.operand, tuple)

    def holds(self, value: Any) -> bool:
        """True when the field having ``value`` (or :data:`MISSING`) passes this test.

        It runs the engine's own predicate for the test, built when first needed.
        """
        if self._predicate is None:
            self._predicate = predicate_of(self.test)
        signal = {} if value is MISSING else {self.test.field: value}
        return self._predicate(signal) is not self.negated

    def __repr__(self) -> str:
        return f"Literal({'not ' if self.negated else ''}{self.test!r})"


@dataclass(frozen=True, slots=True)
class Witness:
    """A value (or :data:`MISSING`) that passes every test on the field."""

    value: Any


@dataclass(frozen=True, slots=True)
class Undecided:
    """No passing value was found, and none of the tests rules every candidate out."""


Clash = tuple[Literal, ...]


def field_verdict(name: str, lits: list[Literal], budget: Budget) -> Witness | Clash | Undecided:
    """A value passing every test in ``lits`` (all on field ``name``), or the tests that clash."""
    budget.spend(sum(len(lit.test.operand) if lit.listing else 1 for lit in lits))  # reading them
    clash: list[Literal] = []
    open_question = False
    for candidates, complete in _candidate_groups(lits, clash, budget):
        for value in candidates:
            budget.spend(1)
            refuser = _refuser(value, lits, clash, budget)
            if refuser is None:
                return Witness(value)
            if refuser not in clash:
                clash.append(refuser)
        open_question = open_question or not complete
    if open_question:
        return Undecided()
    return tuple(sorted(clash, key=lambda lit: lit.order))


def _refuser(
    value: Any, lits: list[Literal], clash: list[Literal], budget: Budget
) -> Literal | None:
    """A test that ``value`` fails, preferring those already in the clash (a shorter why)."""
    for lit in (*clash, *lits):
        cost = 1
        if lit.test.operator == "matches" and isinstance(value, str):
            cost += len(value) // _TEXT_COST
        budget.spend(cost)
        if not lit.holds(value):
            return lit
    return None


def _candidate_groups(
    lits: list[Literal], clash: list[Literal], budget: Budget
) -> Iterator[tuple[Iterable[Any], bool]]:
    """(values to try, whether they are complete) for each kind of value in turn.

    Runs lazily: a group's test that admits only listed values joins ``clash``
    once the group's values are all turned down.
    """
    numbers = _shortest_list(lits, is_number)
    if numbers is None:
        yield _numbers_between(lits), True
    else:
        yield numbers[1], True
        _join(clash, numbers[0])
    refusing = _refusing_every_text(lits)
    texts = None if refusing else _shortest_list(lits, _is_text)
    if refusing:
        for lit in refusing:  # no text passes these tests, whatever the patterns say
            _join(clash, lit)
    elif texts is None:
        yield _texts_to_try(lits, budget), not any(lit.test.operator == "matches" for lit in lits)
    else:
        yield texts[1], True
        _join(clash, texts[0])
    yield (True, False, None, MISSING), True


def _join(clash: list[Literal], lit: Literal) -> None:
    if lit not in clash:
        clash.append(lit)


def _is_text(value: Any) -> bool:
    return isinstance(value, str)


def _listed(lit: Literal) -> tuple[Any, ...] | None:
    """The only values a test admits when it admits a finite list of them, else None."""
    op, operand = lit.test.operator, lit.test.operand
    if (op == "eq" and not lit.negated) or (op == "ne" and lit.negated):
        return (operand,)
    if (op == "in" and not lit.negated) or (op == "not_in" and lit.negated):
        return tuple(operand)
    return None


def _shortest_list(
    lits: list[Literal], kind: Callable[[Any], bool]
) -> tuple[Literal, list[Any]] | None:
    """The test admitting the fewest values of ``kind``, with them, if a test lists values.

    Values of that kind outside the list fail the test, so trying the list is
    complete, and the test belongs to any clash found among them.
    """
    shortest: tuple[Literal, list[Any]] | None = None
    for lit in lits:
        listed = _listed(lit)
        if listed is None:
            continue
        values = list(_unique(v for v in listed if kind(v) and v == v))  # NaN equals nothing
        if shortest is None or len(values) < len(shortest[1]):
            shortest = (lit, values)
    return shortest


def _unique(values: Iterable[Any]) -> Iterator[Any]:
    seen: set[Any] = set()
    for value in values:
        if value not in seen:
            seen.add(value)
            yield value


# --- numbers ---------------------------------------------------------------------------


def _numbers_between(lits: list[Literal]) -> Iterator[Any]:
    """Every number written in the tests, and one number in each gap around and between them."""
    points: set[Any] = set()
    for lit in lits:
        operand = lit.test.operand
        for value in operand if isinstance(operand, tuple) else (operand,):
            if is_number(value) and (isinstance(value, int) or math.isfinite(value)):
                points.add(value)
    ordered = sorted(points)
    if not ordered:
        yield 0
        return
    yield math.floor(ordered[0]) - 1
    for low, high in itertools.pairwise(ordered):
        yield low
        between = _strictly_between(low, high)
        if between is not None:
            yield between
    yield ordered[-1]
    yield math.floor(ordered[-1]) + 1


def _strictly_between(low: Any, high: Any) -> Any:
    """A number x with low < x < high (int or float, as a signal may hold), or None."""
    try:
        middle = low / 2 + high / 2
    except OverflowError:  # integers beyond the float range
        middle = None
    if middle is not None and low < middle < high:
        return middle
    whole = math.floor(low) + 1
    if whole < high:
        return whole
    try:
        nearest = float(low)
    except OverflowError:
        return None
    # The smallest float above low is nearest or the float after it.
    for candidate in (nearest, math.nextafter(nearest, math.inf)):
        if low < candidate < high:
            return candidate
    return None


# --- texts -----------------------------------------------------------------------------


def _refusing_every_text(lits: list[Literal]) -> tuple[Literal, ...]:
    """Tests that no text passes together, found without trying texts (empty if none)."""
    for lit in lits:
        op, operand = lit.test.operator, lit.test.operand
        listed = _listed(lit)
        if (
            (op in ("lt", "le", "gt", "ge") and not lit.negated)
            or (op == "exists" and bool(operand) == lit.negated)  # asks for the field's absence
            or (listed is not None and not any(isinstance(v, str) for v in listed))
        ):
            return (lit,)
    wanted = _required_patterns(lits)
    for lit in lits:
        if lit.test.operator == "matches" and lit.negated and lit.test.operand in wanted:
            return (wanted[lit.test.operand], lit)  # a pattern required and refused
    return ()


def _required_patterns(lits: list[Literal]) -> dict[str, Literal]:
    """The first test requiring each pattern, by pattern."""
    wanted: dict[str, Literal] = {}
    for lit in lits:
        if lit.test.operator == "matches" and not lit.negated:
            wanted.setdefault(lit.test.operand, lit)
    return wanted


def _texts_to_try(lits: list[Literal], budget: Budget) -> Iterator[str]:
    """A text written in no test; then, for patterns, texts likely to match them."""
    written = {
        value
        for lit in lits
        for value in (
            lit.test.operand if isinstance(lit.test.operand, tuple) else (lit.test.operand,)
        )
        if isinstance(value, str) and lit.test.operator != "matches"
    }
    yield _fresh_text(written)
    if not any(lit.test.operator == "matches" for lit in lits):
        return
    examples: list[str] = []
    for lit in _required_patterns(lits).values():
        pattern = pattern_of(lit.test)
        budget.spend(_EXAMPLE_COST)
        matching = [text for text in pattern.example_texts() if pattern.search(text)]
        for text in matching:  # the example, and longer texts around it (it may be excluded)
            yield from (text, text + text, text + "x", "x" + text)
        if matching:
            examples.append(matching[0])
    if len(examples) > 1:  # one text for several patterns: put their examples together
        yield "".join(examples)
        yield "".join(reversed(examples))
    yield from ("", " ", "\n", "0", "_", "A")


def _fresh_text(written: set[str]) -> str:
    """A short text that is none of ``written``."""
    for i in range(len(written) + 1):
        text = f"x{i}" if i else "x"
        if text not in written:
            return text
    raise AssertionError("unreachable: more candidates than written texts")  # pragma: no cover
