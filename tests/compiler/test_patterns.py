"""``matches`` patterns: RE2 everywhere, bounded in size, never slow, never a traceback."""

from __future__ import annotations

import pytest

import incidentflow
from incidentflow.compiler.patterns import (
    MAX_PATTERN_LENGTH,
    MAX_PATTERN_PROGRAM,
    Pattern,
    PatternProblem,
    compile_pattern,
)
from incidentflow.compiler.predicates import compile_condition
from incidentflow.compiler.triggers import SPEC_WORK, TRIGGER_WORK, WORK_PER_TEST
from incidentflow.rules import RULES
from incidentflow.spec.limits import Limits
from incidentflow.spec.models import Trigger
from tests.conftest import ROOT

EVIL = "^(a+)+$"  # exponential for a backtracking engine on "aaaa...!"


def _matches(pattern: str, value: object) -> bool:
    when = Trigger.model_validate(
        {"id": "t", "when": {"field": "f", "matches": pattern}, "severity": "S"}
    ).when
    return compile_condition(when)({"f": value})


def _spec(minimal_text: str, when: str) -> str:
    return minimal_text.replace("{field: service, exists: true}", when)


def _codes(text: str, limits: Limits | None = None) -> list[str]:
    try:
        incidentflow.loads(text, limits=limits or Limits())
    except incidentflow.SpecError as exc:
        return [d.code for d in exc.diagnostics]
    return []


def test_a_pathological_pattern_matches_a_long_signal_at_once() -> None:
    # A backtracking engine takes 2**n steps here (11 s at n = 26); RE2 is linear.
    assert _matches(EVIL, "a" * 5_000 + "!") is False
    assert _matches(EVIL, "a" * 5_000) is True
    assert _matches("(x+x+)+y", "x" * 100_000) is False


@pytest.mark.parametrize(
    "pattern",
    [r"(a)\1", "(?=a)", "(?!a)b", "(?<=a)b", "(?<!a)b", r"a\Z"],
    ids=["backreference", "lookahead", "negative-lookahead", "lookbehind", "neg-lookbehind", "Z"],
)
def test_backtracking_only_constructs_are_refused_with_a_hint(pattern: str) -> None:
    problem = compile_pattern(pattern)
    assert isinstance(problem, PatternProblem)
    assert problem.code == "IF403"
    assert "RE2" in problem.reason
    assert "lookahead" in problem.hint
    assert "{not: {field: ..., matches: ...}}" in problem.hint


def test_a_spec_with_a_lookahead_reports_if403_at_the_pattern(minimal_text: str) -> None:
    text = _spec(minimal_text, "{field: service, matches: '^(?!test-)'}")
    with pytest.raises(incidentflow.SpecError) as caught:
        incidentflow.loads(text)
    [error] = caught.value.errors
    assert error.code == "IF403"
    line = text.splitlines()[error.line - 1]
    assert line[error.column - 1 :].startswith("'^(?!test-)'")


def test_pattern_length_is_bounded() -> None:
    assert isinstance(compile_pattern("a" * MAX_PATTERN_LENGTH), Pattern)
    problem = compile_pattern("a" * (MAX_PATTERN_LENGTH + 1))
    assert isinstance(problem, PatternProblem)
    assert problem.code == "IF408"
    assert f"{MAX_PATTERN_LENGTH:,}" in problem.reason


@pytest.mark.parametrize("pattern", ["[a-z0-9]{1,1000}", "(?:.*a.*b){200}c", r"\pL{600}"])
def test_a_pattern_compiling_to_a_large_program_is_if408(pattern: str) -> None:
    problem = compile_pattern(pattern)
    assert isinstance(problem, PatternProblem)
    assert problem.code == "IF408"
    assert "+ or *" in problem.hint


def test_the_rule_catalogue_states_the_bounds_in_force() -> None:
    summary = RULES["IF408"].summary
    assert f"{MAX_PATTERN_LENGTH:,} characters" in summary
    assert f"{MAX_PATTERN_PROGRAM:,} RE2 instructions" in summary


def test_two_thousand_nested_groups_are_a_diagnostic(minimal_text: str) -> None:
    nested = "(" * 2_000 + "a" + ")" * 2_000
    assert _codes(_spec(minimal_text, f"{{field: service, matches: '{nested}'}}")) == ["IF408"]
    within = "(" * 450 + "a" + ")" * 450  # under the length bound: RE2 parses it without recursion
    assert _codes(_spec(minimal_text, f"{{field: service, matches: '{within}'}}")) == []


@pytest.mark.parametrize("kind", ["not", "all"])
def test_two_thousand_nested_conditions_are_a_diagnostic(minimal_text: str, kind: str) -> None:
    opening, closing = {"not": ("{not: ", "}"), "all": ("{all: [", "]}"), "any": ("{any: [", "]}")}[
        kind
    ]
    when = opening * 2_000 + "{field: service, exists: true}" + closing * 2_000
    text = _spec(minimal_text, when)
    assert _codes(text) == ["IF111"]  # the YAML nesting limit
    # With the nesting limit lifted, pydantic's own depth guard reports it.
    assert _codes(text, Limits(max_depth=100_000)) == ["IF122"]


def test_the_deepest_condition_pydantic_accepts_is_checked_and_runs(minimal_text: str) -> None:
    depth = 120
    when = "{all: [" * depth + "{not: {field: service, exists: false}}" + "]}" * depth
    process = incidentflow.loads(_spec(minimal_text, when), limits=Limits(max_depth=10_000))
    assert process.match({"service": "api"}) is not None
    assert process.match({}) is None


def test_a_pattern_and_a_long_eq_on_one_field_validate(minimal_text: str) -> None:
    long_text = "a" * 50_000
    both = "{{all: [{{field: service, matches: '{p}'}}, {{field: service, eq: '{v}'}}]}}"
    assert _codes(_spec(minimal_text, both.format(p=EVIL, v=long_text))) == []
    # one character more and no value can pass both: proved, not searched for ever
    assert _codes(_spec(minimal_text, both.format(p=EVIL, v=long_text + "!"))) == ["IF402"]


def test_a_lone_surrogate_in_a_pattern_or_a_signal_is_no_traceback() -> None:
    assert _matches("\ud800", "x\ud800y") is True
    assert _matches("^x$", "\udfff") is False
    assert _matches(".", "\ud800") in (True, False)


def test_matching_follows_re2_semantics_as_documented() -> None:
    assert _matches("db-[0-9]+", "prod db-12 down") is True  # a search, not a full match
    assert _matches("^db$", "db\n") is False  # $ is the very end of the text
    assert _matches(r"\d", "٣") is False  # \d is ASCII; \pN is any digit
    assert _matches(r"\pN", "٣") is True
    assert _matches("(?i)outage", "OUTAGE") is True
    assert _matches("^0", 0) is False  # only text can match


def test_the_spec_format_states_the_bounds_in_force() -> None:
    text = " ".join((ROOT / "docs" / "spec-format.md").read_text(encoding="utf-8").split())
    assert f"at most {MAX_PATTERN_LENGTH:,} characters" in text
    assert f"at most {MAX_PATTERN_PROGRAM:,} RE2 instructions" in text
    assert (
        f"about {TRIGGER_WORK:,} steps per trigger and {SPEC_WORK:,} per spec, "
        f"plus {WORK_PER_TEST} per test" in text
    )
