"""Trigger conditions: semantics of every operator, and the unsatisfiability proof."""

from __future__ import annotations

import pytest

import incidentflow
from incidentflow.compiler.predicates import compile_condition, explain, impossibility
from incidentflow.spec.conditions import FieldTest
from incidentflow.spec.models import Trigger


def cond(when: object):
    return Trigger.model_validate({"id": "t", "when": when, "severity": "S"}).when


@pytest.mark.parametrize(
    ("when", "signal", "expected"),
    [
        ({"field": "a", "eq": 1}, {"a": 1}, True),
        ({"field": "a", "eq": 1}, {"a": 1.0}, True),
        ({"field": "a", "eq": 1}, {"a": True}, False),  # booleans never equal numbers
        ({"field": "a", "eq": True}, {"a": 1}, False),
        ({"field": "a", "eq": "x"}, {}, False),  # a test on a missing field is false
        ({"field": "a", "ne": "x"}, {}, False),
        ({"field": "a", "ne": "x"}, {"a": "y"}, True),
        ({"field": "a", "lt": 0.5}, {"a": 0.4}, True),
        ({"field": "a", "lt": 0.5}, {"a": 0.5}, False),
        ({"field": "a", "le": 0.5}, {"a": 0.5}, True),
        ({"field": "a", "gt": 2}, {"a": "3"}, False),  # comparisons need numbers
        ({"field": "a", "ge": 2}, {"a": 2}, True),
        ({"field": "a", "in": ["api", "gw"]}, {"a": "gw"}, True),
        ({"field": "a", "not_in": ["api", "gw"]}, {"a": "db"}, True),
        ({"field": "a", "not_in": ["api"]}, {}, False),
        ({"field": "a", "matches": "^db-[0-9]+$"}, {"a": "db-12"}, True),
        ({"field": "a", "matches": "^db"}, {"a": 5}, False),
        ({"field": "a", "exists": True}, {"a": None}, True),
        ({"field": "a", "exists": False}, {}, True),
        ({"not": {"field": "a", "eq": 1}}, {}, True),  # not inverts entirely
        ({"all": [{"field": "a", "eq": 1}, {"field": "b", "eq": 2}]}, {"a": 1, "b": 2}, True),
        ({"all": [{"field": "a", "eq": 1}, {"field": "b", "eq": 2}]}, {"a": 1}, False),
        ({"any": [{"field": "a", "eq": 1}, {"field": "b", "eq": 2}]}, {"b": 2}, True),
    ],
)
def test_operator_semantics(when: object, signal: dict[str, object], expected: bool) -> None:
    assert compile_condition(cond(when))(signal) is expected


@pytest.mark.parametrize(
    ("when", "why"),
    [
        (
            {"all": [{"field": "r", "gt": 0.2}, {"field": "r", "le": 0.05}]},
            "'r' cannot be above 0.2 and be at most 0.05 at once",
        ),
        ({"all": [{"field": "s", "eq": "a"}, {"field": "s", "eq": "b"}]}, "'s'"),
        ({"all": [{"field": "s", "in": ["a", "b"]}, {"field": "s", "not_in": ["a", "b"]}]}, "'s'"),
        ({"all": [{"field": "s", "exists": False}, {"field": "s", "eq": 1}]}, "'s'"),
        ({"all": [{"field": "s", "eq": "x"}, {"field": "s", "gt": 1}]}, "'s'"),
        ({"all": [{"field": "s", "eq": 1}, {"not": {"field": "s", "eq": 1}}]}, "'s'"),
        ({"all": [{"field": "s", "in": ["ab", "cd"]}, {"field": "s", "matches": "^x"}]}, "'s'"),
        (
            {
                "any": [
                    {"all": [{"field": "a", "lt": 1}, {"field": "a", "gt": 2}]},
                    {"all": [{"field": "b", "eq": 1}, {"field": "b", "eq": 2}]},
                ]
            },
            "'a'",
        ),
    ],
)
def test_impossible_conditions_are_proved(when: object, why: str) -> None:
    imp = impossibility(cond(when), ("when",))
    assert imp is not None
    assert why in explain(imp)


@pytest.mark.parametrize(
    "when",
    [
        {"all": [{"field": "r", "gt": 0.2}, {"field": "r", "le": 0.5}]},
        {"all": [{"field": "r", "ge": 1}, {"field": "r", "le": 1}]},
        {
            "any": [
                {"all": [{"field": "a", "lt": 1}, {"field": "a", "gt": 2}]},
                {"field": "b", "eq": 1},
            ]
        },
        {"all": [{"field": "s", "ne": "a"}, {"field": "s", "ne": "b"}]},
        {"not": {"all": [{"field": "s", "eq": 1}, {"field": "s", "eq": 2}]}},
        {"all": [{"field": "s", "in": ["ab", "xy"]}, {"field": "s", "matches": "^x"}]},
    ],
)
def test_satisfiable_conditions_are_not_flagged(when: object) -> None:
    assert impossibility(cond(when), ("when",)) is None


def test_a_test_needs_exactly_one_operator(minimal_text: str) -> None:
    text = minimal_text.replace("{field: service, exists: true}", "{field: service, eq: a, ne: b}")
    with pytest.raises(incidentflow.SpecError) as caught:
        incidentflow.loads(text)
    [error] = caught.value.errors
    assert error.code == "IF125"
    assert "found eq, ne" in error.message


def test_field_test_reports_its_operator() -> None:
    test = FieldTest.model_validate({"field": "a", "in": [1, 2]})
    assert test.operator == "in"
    assert test.operand == (1, 2)
