"""Can a trigger ever fire? A bounded search for a signal that satisfies its condition.

The condition is put in negation normal form (``not`` pushed down to the tests)
and its conjunctions of tests are explored depth first, one ``any`` branch at a
time; a branch is abandoned as soon as the tests chosen so far clash. Signal fields are independent, so a conjunction holds for some signal when,
for every field, some value (or the field's absence) passes all the tests on that
field. :mod:`incidentflow.compiler.field_values` decides that per field by trying
a finite set of values that is complete (it holds a passing value whenever one
exists), and the tests are tried with the engine's own predicates, so the
verdict cannot disagree with what the engine does:

- :class:`Possible` comes with a signal that fires the condition;
- :class:`Impossible` is a proof: every conjunction has a field whose tests
  exclude each other, and it names them (those of the leftmost conjunction);
- ``None`` (undecided) when the work budget runs out, or when patterns on one
  field meet without a listed value and no passing text was found (deciding that
  in general takes exponential work). An undecided condition is accepted.

Signal values are text, finite numbers, booleans or null, as the spec format says.
The work is bounded: every step is paid for from a :class:`Budget`, nothing here
recurses on the input, and pattern searches are RE2 (linear in the text).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from incidentflow.compiler.field_values import (
    MISSING,
    Budget,
    Clash,
    Literal,
    OutOfWork,
    Undecided,
    Witness,
    field_verdict,
)
from incidentflow.spec.conditions import AllOf, Condition, FieldTest, NotOf
from incidentflow.spec.yamlread import Path

__all__ = ["Budget", "Impossible", "Literal", "Possible", "explain", "satisfiability"]


@dataclass(frozen=True, slots=True)
class Possible:
    """The condition holds for ``signal``."""

    signal: Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class Impossible:
    """The condition never holds: in the first conjunction, these tests of ``field`` clash."""

    field: str
    tests: tuple[Literal, ...]  # in the order written; the diagnostic points at the last


@dataclass(slots=True)
class _Branch:
    conjunctive: bool
    children: list[_Node] = field(default_factory=list)


_Node = Literal | _Branch
_Pending = tuple[_Node, Any] | None  # nodes still to visit: a linked list that choices share


def _negation_normal_form(cond: Condition, path: Path) -> _Node:
    """``cond`` with every ``not`` pushed down to the tests (iteratively: nesting may be deep)."""
    root = _Branch(conjunctive=True)
    branches = [root]
    todo: list[tuple[Condition, Path, bool, _Branch]] = [(cond, path, False, root)]
    written = 0  # tests are reached in the order they are written
    while todo:
        node, where, negated, parent = todo.pop()
        if isinstance(node, NotOf):
            todo.append((node.not_, (*where, "not"), not negated, parent))
        elif isinstance(node, FieldTest):
            parent.children.append(Literal(node, negated, where, written))
            written += 1
        else:
            key, parts = ("all", node.all) if isinstance(node, AllOf) else ("any", node.any)
            branch = _Branch(conjunctive=(key == "all") != negated)
            parent.children.append(branch)
            branches.append(branch)
            todo.extend((part, (*where, key, i), negated, branch) for i, part in _reversed(parts))
    for branch in branches:
        if branch.conjunctive:  # tests first: a clash among them prunes before any choice
            branch.children.sort(key=lambda child: isinstance(child, _Branch))
    return root


def _reversed(parts: tuple[Condition, ...]) -> Iterator[tuple[int, Condition]]:
    # Pushed in reverse so that they are popped, and so numbered and explored, in written order.
    return reversed(list(enumerate(parts)))


class _Search:
    """Depth-first search through the conjunctions, pruning one as soon as its tests clash."""

    def __init__(self, budget: Budget) -> None:
        self.budget = budget
        self.first: Impossible | None = None  # the clash of the leftmost conjunction
        self.undecided = False
        self._chosen: list[Literal] = []
        self._by_field: dict[str, list[Literal]] = {}  # the chosen tests, field by field
        self._position: dict[int, int] = {}  # where each chosen test is in _chosen
        self._verdicts: dict[tuple[int, ...], Witness | Clash | Undecided] = {}

    def run(self, root: _Node) -> Possible | Impossible | None:
        pending: _Pending = (root, None)
        checked = 0  # the chosen tests before this index were found consistent
        choices: list[tuple[_Pending, list[_Node], int, int]] = []  # (rest, options, next, len)
        while True:
            if pending is not None:
                node, pending = pending
                self.budget.spend(1)
                if isinstance(node, Literal):
                    self._choose(node)
                    continue
                if node.conjunctive:
                    for child in reversed(node.children):
                        pending = (child, pending)
                    continue
                fresh = {lit.test.field for lit in self._chosen[checked:]}
                clash = next((c for name in fresh if (c := self._clash(name)) is not None), None)
                if clash is None:
                    checked = len(self._chosen)
                    if len(node.children) > 1:  # come back for the other options, from here
                        choices.append((pending, node.children, 1, checked))
                    pending = (node.children[0], pending)
                    continue
                # the tests chosen so far clash, whichever option comes next
                self._backjump(clash, choices)
            else:
                found = self._judge()
                if isinstance(found, Possible):
                    return found
                if isinstance(found, Impossible):
                    self._backjump(found, choices)
                else:
                    self.undecided = True
            if not choices:
                return None if self.undecided else self.first
            rest, options, index, size = choices.pop()
            if index + 1 < len(options):
                choices.append((rest, options, index + 1, size))
            self._unchoose(size)
            checked = min(checked, size)
            pending = (options[index], rest)

    def _choose(self, lit: Literal) -> None:
        self._position[id(lit)] = len(self._chosen)
        self._chosen.append(lit)
        self._by_field.setdefault(lit.test.field, []).append(lit)

    def _unchoose(self, size: int) -> None:
        """Go back to the first ``size`` chosen tests."""
        self.budget.spend(len(self._chosen) - size)
        while len(self._chosen) > size:
            lit = self._chosen.pop()
            del self._position[id(lit)]
            tests = self._by_field[lit.test.field]
            tests.pop()
            if not tests:
                del self._by_field[lit.test.field]

    def _backjump(self, clash: Impossible, choices: list[Any]) -> None:
        """Drop the choices made after every test of ``clash``: no option there can help."""
        last = max(self._position[id(lit)] for lit in clash.tests)
        while choices and choices[-1][3] > last:
            choices.pop()

    def _clash(self, name: str) -> Impossible | None:
        verdict = self._verdict(name)
        return Impossible(name, verdict) if isinstance(verdict, tuple) else None

    def _verdict(self, name: str) -> Witness | Clash | Undecided:
        """Whether the chosen tests on field ``name`` can pass (remembered per set of tests)."""
        lits = self._by_field[name]
        self.budget.spend(len(lits))
        key = tuple(id(lit) for lit in lits)
        verdict = self._verdicts.get(key)
        if verdict is None:
            verdict = self._verdicts[key] = field_verdict(name, lits, self.budget)
        if isinstance(verdict, tuple):
            self.first = self.first or Impossible(name, verdict)
        return verdict

    def _judge(self) -> Possible | Impossible | None:
        """Whether all the chosen tests can pass: a signal, their clash, or None."""
        signal: dict[str, Any] = {}
        open_question = False
        for name in self._by_field:
            verdict = self._verdict(name)
            if isinstance(verdict, Undecided):
                open_question = True
            elif isinstance(verdict, tuple):
                return Impossible(name, verdict)
            elif verdict.value is not MISSING:
                signal[name] = verdict.value
        return None if open_question else Possible(signal)


def satisfiability(cond: Condition, path: Path, budget: Budget) -> Possible | Impossible | None:
    """Whether ``cond`` can hold: a signal that fires it, a proof that none does, or None."""
    try:
        return _Search(budget).run(_negation_normal_form(cond, path))
    except OutOfWork:
        return None


def _value_text(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _values_text(values: tuple[Any, ...]) -> str:
    shown = ", ".join(_value_text(v) for v in values[:5])
    return f"[{shown}{', ...' if len(values) > 5 else ''}]"


_WORDS: dict[tuple[str, bool], str] = {
    ("eq", False): "equal {v}",
    ("eq", True): "be other than {v}",
    ("ne", False): "differ from {v}",
    ("ne", True): "be absent or equal {v}",
    ("lt", False): "be below {n}",
    ("lt", True): "be anything but a number below {n}",
    ("le", False): "be at most {n}",
    ("le", True): "be anything but a number at most {n}",
    ("gt", False): "be above {n}",
    ("gt", True): "be anything but a number above {n}",
    ("ge", False): "be at least {n}",
    ("ge", True): "be anything but a number at least {n}",
    ("in", False): "be one of {vs}",
    ("in", True): "be absent or none of {vs}",
    ("not_in", False): "be none of {vs}",
    ("not_in", True): "be absent or one of {vs}",
    ("matches", False): "match /{p}/",
    ("matches", True): "fail to match /{p}/",
}


def describe(lit: Literal) -> str:
    """What a test asks of its field, as a verb phrase: 'be above 0.2'."""
    op, operand = lit.test.operator, lit.test.operand
    if op == "exists":
        return "be present" if bool(operand) != lit.negated else "be absent"
    pattern = str(operand) if op == "matches" else ""
    return _WORDS[op, lit.negated].format(
        v=_value_text(operand),
        n=f"{operand:g}" if isinstance(operand, float) else operand,
        vs=_values_text(operand) if isinstance(operand, tuple) else "",
        p=pattern if len(pattern) <= 60 else pattern[:57] + "...",
    )


def explain(imp: Impossible) -> str:
    """'x' cannot be above 0.2 and be at most 0.05 at once."""
    phrases = [describe(lit) for lit in imp.tests]
    if len(phrases) == 1:
        return f"'{imp.field}' cannot {phrases[0]}"
    listed = ", ".join(phrases[:-1]) + " and " + phrases[-1]
    return f"'{imp.field}' cannot {listed} at once"
