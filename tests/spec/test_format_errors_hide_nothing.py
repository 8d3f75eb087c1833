"""One format error hides no other problem (issue 9, item 14).

A value that fails its format check is reported, then left out, and the rest of
the spec still goes through the reference, timer, graph and policy checks, with
no follow-on errors for the value that was left out.
"""

from __future__ import annotations

from pathlib import Path

import pytest

import incidentflow
from incidentflow import Diagnostic, SpecError

ROOT = Path(__file__).resolve().parents[2]
SERVICE_DESK = (ROOT / "process_specs" / "service-desk.yaml").read_text(encoding="utf-8")

# Problems of the later stages, each alone in an otherwise clean spec.
ROLE_TYPO = (  # IF203 at the owner of 'in_progress'
    "owner: resolver\n      description: A resolver",
    "owner: resolvr\n      description: A resolver",
)
UNREACHABLE = (  # IF301: nothing leads to 'on_hold' once 'hold' goes elsewhere
    "      to: on_hold\n      by: [resolver]",
    "      to: in_progress\n      by: [resolver]",
)
POLICY = (  # IF704: P1 may now be put on hold
    "    - name: hold\n      from: in_progress\n      to: on_hold\n      by: [resolver]\n"
    "      when: {severity: [P2, P3, P4, P5]}",
    "    - name: hold\n      from: in_progress\n      to: on_hold\n      by: [resolver]\n"
    "      when: {severity: [P1, P2, P3, P4, P5]}",
)
# Format problems (1xx), each one value.
BAD_DURATION = ("acknowledge_within: 15m", "acknowledge_within: 15 min")  # IF123
UNKNOWN_KEY = ("    title: Resolver\n", "    titel: Resolver\n")  # IF120
NUMBER_TITLE = ("    title: Incident manager", "    title: 5")  # IF122
LIST_TARGET = (  # IF122: 'to' is a list
    "      to: in_progress\n      by: [service_desk_agent, incident_manager]",
    "      to: [in_progress]\n      by: [service_desk_agent, incident_manager]",
)
BAD_LEVEL_ID = ("    - id: P5", "    - id: P 5")  # IF124; P5 is referenced elsewhere
NO_TEXT = (  # IF121; a transition requires this item
    "        - {id: categorised, text: Set category and configuration item}",
    "        - {id: categorised}",
)
NAN_BOUND = ("gt: 3000", "gt: .nan")  # IF125
YES_TERMINAL = (
    "      phase: closed\n      terminal: true",
    "      phase: closed\n      terminal: yes",
)
BAD_ROLE_KEY = ("  incident_manager:\n", "  Incident_Manager:\n")  # IF124; referenced 7 times
BAD_STATE_KEY = ("    on_hold:\n", "    on hold:\n")  # IF124; referenced by transitions, policy
BAD_PARAM_KIND = ("params: {role: role}", "params: {role: person}")  # IF122; 5 calls pass it
BAD_MAP_DURATION = ("{P2: 1d, P3: 2d, default: 5d}", "{P2: 1d, P3: 2 days, default: 5d}")
DUPLICATE_KEY = ("      title: New\n", "      title: New\n      title: Newer\n")  # IF108
LONG_NUMBER = ("gt: 3000", "gt: " + "3" * 200)  # IF114


def spec_with(*changes: tuple[str, str]) -> str:
    text = SERVICE_DESK
    for old, new in changes:
        assert old in text, old
        text = text.replace(old, new, 1)
    return text


def diagnostics_of(*changes: tuple[str, str]) -> tuple[Diagnostic, ...]:
    with pytest.raises(SpecError) as info:
        incidentflow.loads(spec_with(*changes), "spec.yaml")
    return info.value.diagnostics


def codes(*changes: tuple[str, str]) -> list[str]:
    return sorted(d.code for d in diagnostics_of(*changes))


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ((ROLE_TYPO,), ["IF203"]),
        ((UNREACHABLE,), ["IF301"]),
        ((POLICY,), ["IF704"]),
    ],
    ids=["role typo", "unreachable state", "policy"],
)
def test_each_later_problem_alone(
    changes: tuple[tuple[str, str], ...], expected: list[str]
) -> None:
    assert codes(*changes) == expected


@pytest.mark.parametrize(
    ("broken", "code"),
    [
        (BAD_DURATION, "IF123"),
        (UNKNOWN_KEY, "IF120"),
        (NUMBER_TITLE, "IF122"),
        (NAN_BOUND, "IF125"),
        (BAD_MAP_DURATION, "IF123"),
        (DUPLICATE_KEY, "IF108"),
        (LONG_NUMBER, "IF114"),
    ],
    ids=[
        "duration",
        "unknown key",
        "number as title",
        "nan",
        "timer map",
        "dup key",
        "long number",
    ],
)
@pytest.mark.parametrize(
    ("later", "later_code"),
    [(ROLE_TYPO, "IF203"), (UNREACHABLE, "IF301"), (POLICY, "IF704")],
    ids=["role typo", "unreachable", "policy"],
)
def test_a_format_error_and_a_later_problem_are_both_reported(
    broken: tuple[str, str], code: str, later: tuple[str, str], later_code: str
) -> None:
    assert codes(broken, later) == sorted([code, later_code])


def test_the_reviewers_case_reports_both_at_their_places() -> None:
    found = diagnostics_of(BAD_DURATION, ROLE_TYPO)
    text = spec_with(BAD_DURATION, ROLE_TYPO)
    lines = text.split("\n")
    assert [(d.code, d.line) for d in found] == [
        ("IF123", lines.index("      acknowledge_within: 15 min") + 1),
        ("IF203", lines.index("      owner: resolvr") + 1),
    ]


def test_several_format_errors_and_several_later_problems() -> None:
    found = codes(BAD_DURATION, UNKNOWN_KEY, NUMBER_TITLE, NAN_BOUND, ROLE_TYPO, POLICY)
    assert found == ["IF120", "IF122", "IF123", "IF125", "IF203", "IF704"]


@pytest.mark.parametrize(
    ("broken", "code"),
    [
        (BAD_LEVEL_ID, "IF124"),  # references to P5 are not "unknown level"
        (NO_TEXT, "IF121"),  # 'assign' requires the item: not "not on the checklist"
        (BAD_ROLE_KEY, "IF124"),  # seven references to the role
        (BAD_STATE_KEY, "IF124"),  # transitions and the policy name the state
        (BAD_PARAM_KIND, "IF122"),  # five calls pass the parameter
        (LIST_TARGET, "IF122"),  # no "unknown state" for the list
        (BAD_MAP_DURATION, "IF123"),  # no "timer never fires at P3" warning
    ],
    ids=["level id", "checklist item", "role key", "state key", "param kind", "list", "map"],
)
def test_what_is_left_out_causes_no_follow_on_errors(broken: tuple[str, str], code: str) -> None:
    assert codes(broken) == [code]
    assert codes(broken, ROLE_TYPO) == sorted([code, "IF203"])


def test_a_broken_graph_value_skips_only_the_graph_checks() -> None:
    # 'terminal: yes' leaves 'closed' non-terminal: the graph checks would report
    # it as a dead end, so they do not run; the reference checks still do.
    assert codes(YES_TERMINAL, ROLE_TYPO) == ["IF122", "IF203"]
    assert codes(YES_TERMINAL, UNREACHABLE) == ["IF122"]


def test_warnings_wait_until_the_spec_is_well_formed() -> None:
    # the broken duration would make timer 'response_due' "never fire at P1" (IF602)
    found = diagnostics_of(BAD_DURATION)
    assert [d.code for d in found] == ["IF123"]
    assert all(d.is_error for d in found)


def test_check_file_reports_everything_and_builds_no_process(tmp_path: Path) -> None:
    from incidentflow.api import check_file

    path = tmp_path / "spec.yaml"
    path.write_text(spec_with(UNKNOWN_KEY, ROLE_TYPO), encoding="utf-8")
    result = check_file(path)
    assert result.process is None
    assert sorted(d.code for d in result.diagnostics) == ["IF120", "IF203"]


def test_a_file_that_is_not_a_spec_reports_only_that() -> None:
    with pytest.raises(SpecError) as info:
        incidentflow.loads(spec_with(("apiVersion: incidentflow/v1", "apiVersion: v2")))
    assert [d.code for d in info.value.diagnostics] == ["IF106"]


def test_positions_after_a_dropped_list_item_are_the_written_ones() -> None:
    # the first transition loses its 'to' (so it is dropped); a later one names an
    # unknown role: its diagnostic points at its own line, not at its neighbour's
    no_target = (
        "      to: in_progress\n      by: [service_desk_agent, incident_manager]",
        "      by: [service_desk_agent, incident_manager]",
    )
    typo = (
        "    - {name: close, from: resolved, to: closed, by: [service_desk_agent,",
        "    - {name: close, from: resolved, to: closed, by: [service_desk_agnt,",
    )
    found = diagnostics_of(no_target, typo)
    lines = spec_with(no_target, typo).split("\n")
    assert [(d.code, d.line) for d in found] == [
        ("IF121", lines.index("    - name: assign") + 1),
        ("IF203", next(i for i, x in enumerate(lines, 1) if "service_desk_agnt" in x)),
    ]
    d = found[1]
    assert lines[d.line - 1][d.column - 1 :].startswith("service_desk_agnt")
