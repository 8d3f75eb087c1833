"""Trigger conditions as predicates over signal fields, and a check that they can be true.

Semantics (documented in docs/spec-format.md): a test on a field that the
signal lacks is false, except ``exists: false``; ``not`` inverts its condition
entirely. Values compare by equality with booleans never equal to numbers;
``lt``/``le``/``gt``/``ge`` need numbers on both sides; ``matches`` searches a
regular expression in a text value. Nothing is evaluated as Python code.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from incidentflow.spec.conditions import AllOf, AnyOf, Condition, FieldTest, NotOf
from incidentflow.spec.yamlread import Path

Predicate = Callable[[Mapping[str, Any]], bool]
_MISSING = object()


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, bool) != isinstance(b, bool):
        return False
    return bool(a == b)


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _test(test: FieldTest) -> Predicate:
    name, op, operand = test.field, test.operator, test.operand
    if op == "exists":
        wanted = bool(operand)
        return lambda s: (name in s) is wanted
    if op == "matches":
        pattern = re.compile(operand)
        return lambda s: isinstance(v := s.get(name), str) and pattern.search(v) is not None
    if op in ("eq", "ne"):
        equal = op == "eq"
        return lambda s: (v := s.get(name, _MISSING)) is not _MISSING and _same(v, operand) is equal
    if op in ("in", "not_in"):
        inside = op == "in"
        values = tuple(operand)
        return lambda s: (
            (v := s.get(name, _MISSING)) is not _MISSING
            and any(_same(v, x) for x in values) is inside
        )
    compare: Callable[[float, float], bool] = {
        "lt": lambda a, b: a < b,
        "le": lambda a, b: a <= b,
        "gt": lambda a, b: a > b,
        "ge": lambda a, b: a >= b,
    }[op]
    bound = float(operand)

    def numeric(s: Mapping[str, Any]) -> bool:
        value = s.get(name)
        return (
            isinstance(value, int | float) and not isinstance(value, bool) and compare(value, bound)
        )

    return numeric


def compile_condition(cond: Condition) -> Predicate:
    """A predicate equivalent to ``cond``."""
    if isinstance(cond, AllOf):
        parts = [compile_condition(c) for c in cond.all]
        return lambda s: all(p(s) for p in parts)
    if isinstance(cond, AnyOf):
        parts = [compile_condition(c) for c in cond.any]
        return lambda s: any(p(s) for p in parts)
    if isinstance(cond, NotOf):
        inner = compile_condition(cond.not_)
        return lambda s: not inner(s)
    return _test(cond)


# --- satisfiability --------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Literal:
    """A test, possibly negated, with where it was written."""

    test: FieldTest
    negated: bool
    path: Path


_MAX_CLAUSES = 512  # beyond this we do not try to prove a condition impossible


def _dnf(cond: Condition, path: Path, negated: bool = False) -> list[list[Literal]] | None:
    """Disjunctive normal form as clauses of literals; None when it would grow too large."""
    if isinstance(cond, NotOf):
        return _dnf(cond.not_, (*path, "not"), not negated)
    if isinstance(cond, FieldTest):
        return [[Literal(cond, negated, path)]]
    key = "all" if isinstance(cond, AllOf) else "any"
    parts = cond.all if isinstance(cond, AllOf) else cond.any
    conjunctive = isinstance(cond, AllOf) != negated
    subs = []
    for i, c in enumerate(parts):
        sub = _dnf(c, (*path, key, i), negated)
        if sub is None:
            return None
        subs.append(sub)
    if not conjunctive:
        return [clause for sub in subs for clause in sub]
    clauses: list[list[Literal]] = [[]]
    for sub in subs:
        clauses = [a + b for a in clauses for b in sub]
        if len(clauses) > _MAX_CLAUSES:
            return None
    return clauses


def _describe(lit: Literal) -> str:
    t = lit.test
    words = {
        "eq": "equal {v!r}",
        "ne": "differ from {v!r}",
        "lt": "be below {v:g}",
        "le": "be at most {v:g}",
        "gt": "be above {v:g}",
        "ge": "be at least {v:g}",
        "in": "be one of {v}",
        "not_in": "be none of {v}",
        "matches": "match /{v}/",
        "exists": "{ex}",
    }[t.operator]
    operand = list(t.operand) if isinstance(t.operand, tuple) else t.operand
    text = words.format(v=operand, ex="be present" if t.operand else "be absent")
    return f"not {text}" if lit.negated else text


def _clause_conflict(clause: list[Literal]) -> tuple[Literal, Literal | None, str] | None:
    """The first contradiction in a conjunction, as (literal, other literal, field), or None."""
    by_field: dict[str, list[Literal]] = {}
    for lit in clause:
        by_field.setdefault(lit.test.field, []).append(lit)
    for name, lits in by_field.items():
        conflict = _field_conflict(lits)
        if conflict is not None:
            return (*conflict, name)
    return None


def _field_conflict(lits: list[Literal]) -> tuple[Literal, Literal | None] | None:
    present = [
        lit
        for lit in lits
        if not lit.negated and not (lit.test.operator == "exists" and not lit.test.operand)
    ]
    absent = [
        lit
        for lit in lits
        if lit.test.operator == "exists" and bool(lit.test.operand) == lit.negated
    ]
    if present and absent:
        return absent[0], present[0]
    # Candidate values: finite when some positive eq/in constrains the field.
    finite: list[Any] | None = None
    finite_from: Literal | None = None
    low, low_strict, low_from = -math.inf, False, None
    high, high_strict, high_from = math.inf, False, None
    numeric_from: Literal | None = None
    for lit in present:
        op, v = lit.test.operator, lit.test.operand
        if op in ("eq", "in") and not lit.negated:
            values = [v] if op == "eq" else list(v)
            if finite is None:
                finite, finite_from = values, lit
            else:
                kept = [x for x in finite if any(_same(x, y) for y in values)]
                if not kept:
                    return lit, finite_from
                finite = kept
        if op in ("lt", "le", "gt", "ge") and not lit.negated:
            numeric_from = lit
            bound = float(v)
            if op in ("gt", "ge") and (bound > low or (bound == low and op == "gt")):
                low, low_strict, low_from = bound, op == "gt", lit
            if op in ("lt", "le") and (bound < high or (bound == high and op == "lt")):
                high, high_strict, high_from = bound, op == "lt", lit
            if low > high or (low == high and (low_strict or high_strict)):
                return lit, (low_from if lit is high_from else high_from)
    if finite is None:
        return None
    for lit in lits:
        op, v = lit.test.operator, lit.test.operand
        excluded: list[Any] = []
        if (op == "ne" and not lit.negated) or (op == "eq" and lit.negated):
            excluded = [v]
        elif (op == "not_in" and not lit.negated) or (op == "in" and lit.negated):
            excluded = list(v)
        if excluded:
            finite = [x for x in finite if not any(_same(x, y) for y in excluded)]
        elif op == "matches" and not lit.negated:
            finite = [x for x in finite if isinstance(x, str) and re.search(v, x)]
        if not finite:
            return lit, finite_from
    if numeric_from is not None:
        ok = [
            x
            for x in finite
            if _is_number(x)
            and (x > low or (x == low and not low_strict))
            and (x < high or (x == high and not high_strict))
        ]
        if not ok:
            return numeric_from, finite_from
    return None


@dataclass(frozen=True, slots=True)
class Impossible:
    """Why a condition can never be true: two tests on one field that exclude each other."""

    field: str
    first: Literal
    second: Literal | None


def impossibility(cond: Condition, path: Path) -> Impossible | None:
    """Why ``cond`` can never hold, or None when it can (or proving it is too costly)."""
    clauses = _dnf(cond, path)
    if clauses is None:
        return None
    first_conflict = None
    for clause in clauses:
        conflict = _clause_conflict(clause)
        if conflict is None:
            return None
        first_conflict = first_conflict or conflict
    if first_conflict is None:
        return None
    lit, other, name = first_conflict
    return Impossible(name, lit, other)


def explain(imp: Impossible) -> str:
    """'x' cannot be above 0.2 and at most 0.05 at once."""
    if imp.second is None:
        return f"'{imp.field}' cannot {_describe(imp.first)}"
    return f"'{imp.field}' cannot {_describe(imp.second)} and {_describe(imp.first)} at once"
