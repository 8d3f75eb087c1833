"""An example signal that a trigger condition accepts (a witness), for demos and docs.

:func:`example_signal` takes the condition's clauses (the disjunctive normal form
that the satisfiability check in :mod:`incidentflow.compiler.predicates` builds)
and, clause by clause, tries a few candidate values for each field, drawn from the
operands of that field's tests: the values of ``eq`` and ``in``, numbers around
each bound, text taken from a ``matches`` pattern. Every candidate is checked with
the trigger's own predicate, so a signal it returns always matches; finding none
proves nothing (a pattern may accept only text the candidates miss). The search is
bounded by the clause limit of the satisfiability check and a few candidates per test.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any

from incidentflow.compiler.predicates import Literal, _dnf, compile_condition
from incidentflow.spec.conditions import Condition

_ABSENT = object()  # the field is left out of the signal
_NOT_FOUND = object()
_TEXT = "demo"  # a value for a field that only needs to be present, or different


def example_signal(cond: Condition) -> dict[str, Any] | None:
    """A signal (field -> value) that ``cond`` accepts, or None when none was found."""
    clauses = _dnf(cond, ())
    if clauses is None:
        return None
    accepts = compile_condition(cond)
    for clause in clauses:
        fields: dict[str, list[Literal]] = {}
        for lit in clause:
            fields.setdefault(lit.test.field, []).append(lit)
        signal: dict[str, Any] = {}
        for name, lits in fields.items():
            found = (v for v in _candidates(lits) if _satisfies(name, v, lits))
            value = next(found, _NOT_FOUND)
            if value is _NOT_FOUND:
                break
            if value is not _ABSENT:
                signal[name] = value
        else:
            if accepts(signal):
                return signal
    return None


def _satisfies(name: str, value: object, lits: list[Literal]) -> bool:
    fields: Mapping[str, Any] = {} if value is _ABSENT else {name: value}
    return all(compile_condition(lit.test)(fields) is not lit.negated for lit in lits)


def _candidates(lits: list[Literal]) -> Iterator[object]:
    """Values worth trying for one field, likeliest first (duplicates are harmless)."""
    if all(
        lit.negated or (lit.test.operator, lit.test.operand) == ("exists", False) for lit in lits
    ):
        yield _ABSENT  # only told what not to be: leave it out
    for lit in lits:
        op, operand = lit.test.operator, lit.test.operand
        if op == "eq" and not lit.negated:
            yield operand
        elif op == "in" and not lit.negated:
            yield from operand
    for lit in lits:
        op, operand = lit.test.operator, lit.test.operand
        if op in ("lt", "le", "gt", "ge"):
            bound = operand
            for number in (bound / 2, bound * 2, bound + 1, bound - 1, bound, 0):
                yield int(number) if float(number).is_integer() else number
        elif op == "matches":
            yield from _texts_for(operand)
    yield _TEXT
    yield _ABSENT
    for lit in lits:  # a value another test excludes may still suit this clause's negations
        if lit.test.operator in ("ne", "not_in"):
            yield from ([lit.test.operand] if lit.test.operator == "ne" else lit.test.operand)


_FLAGS = re.compile(r"\(\?[a-zA-Z]+\)")
_ANCHORS = re.compile(r"\\[AZbB]|[\^$]")
_FIRST_ALTERNATIVE = re.compile(r"\((?:\?:)?([^()|]*)(?:\|[^()]*)?\)")
_CLASS = re.compile(r"\[\^?(\\?.)[^\]]*\]")
_QUANTIFIERS = re.compile(r"\{\d*,?\d*\}|[?*+]")


def _texts_for(pattern: str) -> list[str]:
    """Text a simple pattern may accept: its literal part, first alternatives chosen."""
    text = _ANCHORS.sub("", _FLAGS.sub("", pattern))
    for escape, example in ((r"\d", "0"), (r"\w", "a"), (r"\s", " ")):
        text = text.replace(escape, example)
    for _ in range(text.count("(")):  # innermost groups first
        text = _FIRST_ALTERNATIVE.sub(r"\1", text)
    text = text.split("|", 1)[0]
    text = _CLASS.sub(lambda m: m[1].lstrip("\\"), text)
    text = re.sub(r"(?<!\\)\.", "x", _QUANTIFIERS.sub("", text))  # any character: an x
    plain = re.sub(r"\\(.)", r"\1", text)
    return [plain, plain.lower(), pattern]
