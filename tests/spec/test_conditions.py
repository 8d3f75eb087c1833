"""Trigger conditions: semantics of every operator, and the unsatisfiability proof."""

from __future__ import annotations

import pytest

import incidentflow
from incidentflow.compiler.predicates import compile_condition
from incidentflow.compiler.satisfiability import (
    Budget,
    Impossible,
    Possible,
    explain,
    satisfiability,
)
from incidentflow.spec.conditions import FieldTest
from incidentflow.spec.models import Trigger
from tests.conftest import ROOT


def cond(when: object):
    return Trigger.model_validate({"id": "t", "when": when, "severity": "S"}).when


def verdict(when: object) -> Possible | Impossible | None:
    return satisfiability(cond(when), ("when",), Budget(100_000))


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
            {"all": [{"field": "x", "lt": 0.5}, {"field": "x", "matches": "^0"}]},
            "'x' cannot be below 0.5 and match /^0/ at once",
        ),
        (
            {"all": [{"field": "x", "eq": 1}, {"not": {"field": "x", "ne": 2}}]},
            "'x' cannot equal 1 and be absent or equal 2 at once",
        ),
        (
            {"all": [{"field": "x", "ge": 1}, {"field": "x", "le": 1}, {"field": "x", "ne": 1}]},
            "'x' cannot be at least 1, be at most 1 and differ from 1 at once",
        ),
        ({"field": "x", "in": []}, "'x' cannot be one of []"),
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
    imp = verdict(when)
    assert isinstance(imp, Impossible)
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
        {"all": [{"field": "x", "lt": 0.5}, {"not": {"field": "x", "matches": "^0"}}]},
        {"all": [{"field": "x", "gt": 0.1}, {"field": "x", "lt": 0.10000000000000003}]},
        {"all": [{"field": "x", "gt": 2.0**60}, {"field": "x", "lt": 2.0**60 + 256}]},
        {"all": [{"field": "s", "ne": "0"}, {"field": "s", "matches": "^0"}]},
        {"not": {"any": [{"field": "x", "exists": True}, {"field": "x", "eq": 1}]}},
    ],
)
def test_satisfiable_conditions_are_not_flagged(when: object) -> None:
    found = verdict(when)
    assert isinstance(found, Possible)
    assert compile_condition(cond(when))(found.signal) is True


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


def test_adjacent_floats_leave_no_room() -> None:
    # nothing lies strictly between 0.1 and the next float, neither a float nor an integer
    when = {"all": [{"field": "x", "gt": 0.1}, {"field": "x", "lt": 0.10000000000000002}]}
    assert isinstance(verdict(when), Impossible)


def _if402(minimal_text: str, when: str) -> list[str]:
    """The 'why' of each IF402 that loading a spec with this trigger condition reports."""
    text = minimal_text.replace("{field: service, exists: true}", when)
    try:
        incidentflow.loads(text)
    except incidentflow.SpecError as exc:
        return [d.hint for d in exc.diagnostics if d.code == "IF402"]
    return []


@pytest.mark.parametrize(
    "when",
    [
        # the review's cases: a number test and a text test, and a pattern no number can match
        "{all: [{field: x, lt: 0.5}, {field: x, matches: '^0'}]}",
        "{all: [{field: x, lt: 0.5}, {field: x, eq: '0.3'}]}",
        "{all: [{field: x, gt: 1}, {field: x, in: ['2', '3']}]}",
        # not
        "{all: [{field: x, lt: 0.5}, {not: {field: x, lt: 1}}]}",
        "{all: [{field: x, eq: 1}, {not: {field: x, ne: 2}}]}",
        "{not: {any: [{field: x, exists: true}, {field: x, exists: false}]}}",
        "{all: [{field: x, matches: a}, {not: {field: x, matches: a}}]}",
        "{all: [{field: x, exists: true}, {not: {field: x, gt: -1.0e300}},"
        " {not: {field: x, le: -1.0e300}}, {not: {field: x, exists: true}}]}",
    ],
)
def test_conditions_that_can_never_fire_are_if402(minimal_text: str, when: str) -> None:
    [why] = _if402(minimal_text, when)
    assert why.startswith("why: 'x' cannot ")


def test_if402_points_at_the_last_clashing_test_with_the_others_as_notes(
    minimal_text: str,
) -> None:
    when = "{all: [{field: x, lt: 0.5}, {field: y, eq: 1}, {field: x, matches: '^0'}]}"
    text = minimal_text.replace("{field: service, exists: true}", when)
    with pytest.raises(incidentflow.SpecError) as caught:
        incidentflow.loads(text)
    [error] = caught.value.errors
    line = text.splitlines()[error.line - 1]
    assert line[error.column - 1 :].startswith("{field: x, matches: '^0'}")
    [note] = error.notes
    assert line[note.column - 1 :].startswith("{field: x, lt: 0.5}")
    assert error.hint == "why: 'x' cannot be below 0.5 and match /^0/ at once"


def test_the_check_gives_up_within_its_budget() -> None:
    # 2**40 conjunctions, and the clash is between the first choice and the last
    branches = [
        {"any": [{"field": f"f{i}", "eq": 1}, {"field": f"f{i}", "eq": 2}]} for i in range(40)
    ]
    when = {
        "all": [
            {"any": [{"field": "z", "eq": 1}, {"field": "z", "eq": 2}]},
            *branches,
            {"any": [{"field": "z", "eq": 3}, {"field": "z", "eq": 4}]},
        ]
    }
    budget = Budget(5_000)
    assert satisfiability(cond(when), ("when",), budget) is None
    assert budget.remaining > -1_000  # it stopped at the budget, give or take one step's price


def test_a_signal_is_found_for_every_satisfiable_example_trigger() -> None:
    for path in sorted((ROOT / "process_specs").glob("*.yaml")):
        process = incidentflow.load(path)
        for trig in process.spec.triggers:
            found = satisfiability(trig.when, ("when",), Budget(100_000))
            assert isinstance(found, Possible), (path.name, trig.id)
            assert process.match(found.signal) is not None


@pytest.mark.parametrize(
    ("operator", "needs"),
    [
        ("in", "a list of values"),
        ("not_in", "a list of values"),
        ("matches", "a pattern (text)"),
        ("exists", "true or false"),
    ],
)
def test_an_operator_that_needs_a_value_refuses_null(
    minimal_text: str, operator: str, needs: str
) -> None:
    # Found by the spec fuzzer: a null operand passed as "not given", then the checks
    # took the test apart and failed with a TypeError instead of a diagnostic.
    text = minimal_text.replace("{field: service, exists: true}", f"{{field: x, {operator}: null}}")
    with pytest.raises(incidentflow.SpecError) as caught:
        incidentflow.loads(text)
    [error] = caught.value.errors
    assert error.code == "IF125"
    assert f"'{operator}' needs {needs}, got null" in error.message
