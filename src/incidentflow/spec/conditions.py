"""Trigger conditions: data describing a test on signal fields, never code.

A condition is ``{all: [...]}``, ``{any: [...]}``, ``{not: cond}`` or a test
``{field: NAME, OP: VALUE}`` with exactly one operator. The compiler turns them
into predicates (:mod:`incidentflow.compiler.predicates`); nothing is evaluated
as Python.
"""

from __future__ import annotations

import math
from typing import Annotated, Any, Literal

from pydantic import Discriminator, Field, StrictBool, Tag, model_validator
from pydantic_core import PydanticCustomError

from incidentflow.diagnostics import brief
from incidentflow.spec.base import Scalar, SpecModel

Operator = Literal["eq", "ne", "lt", "le", "gt", "ge", "in", "not_in", "matches", "exists"]
OPERATORS: tuple[str, ...] = (
    "eq",
    "ne",
    "lt",
    "le",
    "gt",
    "ge",
    "in",
    "not_in",
    "matches",
    "exists",
)
_NUMERIC = ("lt", "le", "gt", "ge")
_NEEDS_A_VALUE = {
    "in": "a list of values",
    "not_in": "a list of values",
    "matches": "a pattern (text)",
    "exists": "true or false",
}
"""Operators whose value may not be null (``eq: null`` and ``ne: null`` test for null)."""


class FieldTest(SpecModel):
    """``{field: NAME, OP: VALUE}``: one operator applied to one signal field."""

    field: str = Field(min_length=1, description="The signal field to test.")
    eq: Scalar = Field(default=None, description="Equal to the value.")
    ne: Scalar = Field(default=None, description="Not equal to the value.")
    lt: float | None = Field(default=None, description="A number below the value.")
    le: float | None = Field(default=None, description="A number at most the value.")
    gt: float | None = Field(default=None, description="A number above the value.")
    ge: float | None = Field(default=None, description="A number at least the value.")
    in_: tuple[Scalar, ...] | None = Field(
        default=None, alias="in", description="One of the values."
    )
    not_in: tuple[Scalar, ...] | None = Field(default=None, description="None of the values.")
    matches: str | None = Field(default=None, description="Matches a regular expression (search).")
    exists: StrictBool | None = Field(
        default=None, description="The field is present (true) or absent."
    )

    @model_validator(mode="before")
    @classmethod
    def _exactly_one_operator(cls, data: Any) -> Any:
        if isinstance(data, dict):
            given = [op for op in OPERATORS if op in data]
            if len(given) != 1:
                raise PydanticCustomError(
                    "condition_operators",
                    "a test needs exactly one operator ({ops}), found {found}",
                    {"ops": ", ".join(OPERATORS), "found": ", ".join(given) or "none"},
                )
            op = given[0]
            if data[op] is None and op in _NEEDS_A_VALUE:
                # pydantic would take null as "not given" for these optional fields: the
                # test would then have no operand at all
                raise PydanticCustomError(
                    "condition_value",
                    "'{op}' needs {what}, got null",
                    {"op": op, "what": _NEEDS_A_VALUE[op]},
                )
            if op in _NUMERIC and (
                isinstance(data[op], bool) or not isinstance(data[op], int | float)
            ):
                raise PydanticCustomError(
                    "condition_value",
                    "'{op}' compares numbers, got {value}",
                    {"op": op, "value": brief(data[op])},
                )
            problem = _non_finite(op, data[op])
            if problem:
                raise PydanticCustomError(
                    "condition_value", "'{op}' {problem}", {"op": op, "problem": problem}
                )
        return data

    @property
    def operator(self) -> str:
        """The one operator this test uses."""
        for op in OPERATORS:
            if (op if op != "in" else "in_") in self.model_fields_set:
                return op
        raise AssertionError("validated FieldTest without an operator")  # pragma: no cover

    @property
    def operand(self) -> Any:
        """The operator's value."""
        return getattr(self, self.operator if self.operator != "in" else "in_")


def _non_finite(op: str, operand: Any) -> str:
    """Why a test's value is NaN or an infinite bound ('' when it is neither).

    NaN equals nothing, not even itself, and an infinite bound compares trivially:
    neither is what the author meant.
    """
    values = operand if op in ("in", "not_in") and isinstance(operand, list) else [operand]
    for v in values:
        if isinstance(v, float) and math.isnan(v):
            return "got .nan, which equals and compares with no value; write a number"
        if isinstance(v, float) and op in _NUMERIC and math.isinf(v):
            return f"needs a finite number, got {v}"
    return ""


class AllOf(SpecModel):
    """``{all: [...]}``: every condition holds."""

    all: tuple[Condition, ...] = Field(min_length=1)


class AnyOf(SpecModel):
    """``{any: [...]}``: at least one condition holds."""

    any: tuple[Condition, ...] = Field(min_length=1)


class NotOf(SpecModel):
    """``{not: cond}``: the condition does not hold."""

    not_: Condition = Field(alias="not")


def _condition_kind(value: Any) -> str | None:
    if isinstance(value, dict):
        for key in ("all", "any", "not"):
            if key in value:
                return key
        return "test"
    kinds: dict[type, str] = {AllOf: "all", AnyOf: "any", NotOf: "not", FieldTest: "test"}
    return kinds.get(type(value))


Condition = Annotated[
    Annotated[AllOf, Tag("all")]
    | Annotated[AnyOf, Tag("any")]
    | Annotated[NotOf, Tag("not")]
    | Annotated[FieldTest, Tag("test")],
    Discriminator(
        _condition_kind,
        custom_error_type="condition_shape",
        custom_error_message="a condition is {all: [...]}, {any: [...]}, {not: ...} or {field: ..., OP: ...}",
    ),
]
"""A condition on signal fields."""


AllOf.model_rebuild()
AnyOf.model_rebuild()
NotOf.model_rebuild()
