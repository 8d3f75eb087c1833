"""Trigger conditions as predicates over signal fields: what the engine runs.

Semantics (documented in docs/spec-format.md): a test on a field that the
signal lacks is false, except ``exists: false``; ``not`` inverts its condition
entirely. Values compare by equality with booleans never equal to numbers;
``lt``/``le``/``gt``/``ge`` need numbers on both sides; ``matches`` searches an
RE2 pattern (:mod:`incidentflow.compiler.patterns`) in a text value. Nothing is
evaluated as Python code. The compiler's satisfiability check
(:mod:`incidentflow.compiler.satisfiability`) runs these same predicates, so it
cannot disagree with the engine about what a test means.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable, Mapping
from typing import Any, TypeGuard

from incidentflow.compiler.patterns import Pattern, compile_pattern
from incidentflow.spec.conditions import AllOf, AnyOf, Condition, FieldTest, NotOf

Predicate = Callable[[Mapping[str, Any]], bool]
_MISSING = object()


def same_value(a: Any, b: Any) -> bool:
    """Equality as ``eq`` and ``in`` see it: no conversion, booleans never equal numbers."""
    if isinstance(a, bool) != isinstance(b, bool):
        return False
    return bool(a == b)


def is_number(value: object) -> TypeGuard[int | float]:
    """True for the values ``lt``/``le``/``gt``/``ge`` compare: int or float, not bool."""
    return isinstance(value, int | float) and not isinstance(value, bool)


def _equality_key(value: Any) -> Hashable | None:
    """A key equal for exactly the values :func:`same_value` equates; None when there is none."""
    if isinstance(value, str):
        return (str, value)
    if isinstance(value, bool) or value is None:
        return (type(value), value)
    if isinstance(value, int | float):
        return None if value != value else (float, value)  # NaN equals nothing, not even itself
    return None


def membership(values: Iterable[Any]) -> Callable[[Any], bool]:
    """A test "equals one of ``values``" (as ``in`` sees it) in constant time per value."""
    listed = tuple(values)
    keys = frozenset(k for x in listed if (k := _equality_key(x)) is not None)

    def member(value: Any) -> bool:
        key = _equality_key(value)
        if key is None:  # a value of another type: compare one by one
            return any(same_value(value, x) for x in listed)
        return key in keys

    return member


def pattern_of(test: FieldTest) -> Pattern:
    """The compiled pattern of a ``matches`` test that the compiler accepted (IF403, IF408)."""
    compiled = compile_pattern(test.operand)
    if not isinstance(compiled, Pattern):
        raise ValueError(f"/{test.operand}/ {compiled.reason}")
    return compiled


def predicate_of(test: FieldTest) -> Predicate:
    """A predicate equivalent to one ``{field: NAME, OP: VALUE}`` test."""
    name, op, operand = test.field, test.operator, test.operand
    if op == "exists":
        wanted = bool(operand)
        return lambda s: (name in s) is wanted
    if op == "matches":
        pattern = pattern_of(test)
        return lambda s: isinstance(v := s.get(name), str) and pattern.search(v)
    if op in ("eq", "ne"):
        equal = op == "eq"
        return lambda s: (
            (v := s.get(name, _MISSING)) is not _MISSING and same_value(v, operand) is equal
        )
    if op in ("in", "not_in"):
        inside = op == "in"
        member = membership(operand)
        return lambda s: (v := s.get(name, _MISSING)) is not _MISSING and member(v) is inside
    compare: Callable[[float, float], bool] = {
        "lt": lambda a, b: a < b,
        "le": lambda a, b: a <= b,
        "gt": lambda a, b: a > b,
        "ge": lambda a, b: a >= b,
    }[op]
    bound = float(operand)
    return lambda s: is_number(v := s.get(name)) and compare(v, bound)


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
    return predicate_of(cond)
