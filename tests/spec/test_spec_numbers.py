"""Numbers a spec cannot mean: NaN and infinite bounds, and numbers too long to read
(issue 9, item 12). Each gets a diagnostic at the value, never a syntax error at 1:1."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

import incidentflow
from incidentflow import Diagnostic, SpecError
from incidentflow.spec.yamlread import MAX_NUMBER_LENGTH

ROOT = Path(__file__).resolve().parents[2]
MINIMAL = (ROOT / "tests" / "specs" / "valid" / "minimal.yaml").read_text(encoding="utf-8")


def with_test(test: str) -> str:
    return MINIMAL.replace("{field: service, exists: true}", "{field: rate, " + test + "}")


def refused(text: str) -> tuple[Diagnostic, ...]:
    with pytest.raises(SpecError) as info:
        incidentflow.loads(text, "spec.yaml")
    return info.value.diagnostics


def position_of(text: str, needle: str) -> tuple[int, int]:
    before = text[: text.index(needle)]
    return before.count("\n") + 1, len(before) - (before.rfind("\n") + 1) + 1


@pytest.mark.parametrize("op", ["lt", "le", "gt", "ge"])
@pytest.mark.parametrize("value", [".nan", ".NaN", ".inf", "-.inf", "1e400"])
def test_a_comparison_with_nan_or_infinity_is_if125_at_the_value(op: str, value: str) -> None:
    text = with_test(f"{op}: {value}")
    diagnostics = refused(text)
    assert [d.code for d in diagnostics] == ["IF125"]
    assert (diagnostics[0].line, diagnostics[0].column) == position_of(text, value)


@pytest.mark.parametrize("test", ["eq: .nan", "ne: .nan", "in: [1, .nan]", "not_in: [.nan]"])
def test_nan_in_an_equality_test_is_if125(test: str) -> None:
    diagnostics = refused(with_test(test))
    assert [d.code for d in diagnostics] == ["IF125"]
    assert ".nan" in diagnostics[0].message


@pytest.mark.parametrize("test", ["gt: 1e300", "lt: -1e300", "eq: .inf", "in: [.inf, 1]"])
def test_finite_bounds_and_infinite_values_to_compare_with_are_fine(test: str) -> None:
    assert incidentflow.loads(with_test(test)).name == "minimal"


@pytest.fixture(params=[4300, 0, 640], ids=lambda n: f"int_max_str_digits={n}")
def int_digits(request: pytest.FixtureRequest) -> Iterator[None]:
    """The host may have changed Python's limit on integer digits (0: unlimited)."""
    before = sys.get_int_max_str_digits()
    sys.set_int_max_str_digits(request.param)
    yield
    sys.set_int_max_str_digits(before)


@pytest.mark.usefixtures("int_digits")
@pytest.mark.parametrize("digits", [MAX_NUMBER_LENGTH + 1, 5000, 100_000])
def test_a_number_too_long_is_if114_at_the_value(digits: int) -> None:
    number = "9" * digits
    text = with_test(f"gt: {number}")
    diagnostics = refused(text)
    assert [d.code for d in diagnostics] == ["IF114"]  # and no follow-on IF125 for it
    assert (diagnostics[0].line, diagnostics[0].column) == position_of(text, number)
    assert f"{digits:,} characters" in diagnostics[0].message


def test_a_long_number_as_text_reports_once_and_checks_the_rest() -> None:
    text = MINIMAL.replace('version: "1"', f"version: {'1' * 500}").replace(
        "owner: lead", "owner: laed"
    )
    assert [d.code for d in refused(text)] == ["IF114", "IF203"]


def test_numbers_up_to_the_limit_are_read() -> None:
    number = "1" + "0" * (MAX_NUMBER_LENGTH - 1)
    process = incidentflow.loads(with_test(f"eq: {number}"))
    assert process.spec.triggers[0].when.operand == int(number)  # type: ignore[union-attr]
