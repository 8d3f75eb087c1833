"""Suppressions: warnings turned off by comments or by the disable option, and checks on them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import incidentflow
from incidentflow.api import CheckResult, _compile_text, check_file, check_set
from incidentflow.diagnostics import SuppressedBy
from incidentflow.errors import InvalidSuppression
from incidentflow.rules import RULES
from incidentflow.sarif import format_sarif
from incidentflow.spec.limits import DEFAULT_LIMITS
from incidentflow.suppressions import CHECKS
from tests.conftest import SPECS
from tests.render.test_sarif import schema_errors

# IF502 (role 'lead' has no backups) points at line 10, `  lead:`
NO_BACKUPS = (SPECS / "invalid" / "IF502-no-backups.yaml").read_text(encoding="utf-8")
NO_BACKUPS = NO_BACKUPS.split("\n", 2)[2]  # without the two header comments
LEAD = "  lead:\n    title: Lead\n"
assert NO_BACKUPS.splitlines()[9] == "  lead:"


def _check(tmp_path: Path, text: str, **kwargs: object) -> CheckResult:
    spec = tmp_path / "spec.yaml"
    spec.write_text(text, encoding="utf-8", newline="")
    return check_file(spec, **kwargs)  # type: ignore[arg-type]


def _codes(result: CheckResult) -> list[tuple[str, int]]:
    return [(d.code, d.line) for d in result.diagnostics]


def test_unsuppressed_the_warning_is_reported(tmp_path: Path) -> None:
    result = _check(tmp_path, NO_BACKUPS)
    assert _codes(result) == [("IF502", 10)]
    assert result.suppressed == ()


def test_a_comment_at_the_end_of_the_line_turns_its_warning_off(tmp_path: Path) -> None:
    text = NO_BACKUPS.replace("  lead:\n", "  lead:  # incidentflow: disable=IF502 a rota of one\n")
    result = _check(tmp_path, text)
    assert result.diagnostics == ()
    (suppressed,) = result.suppressed
    assert (suppressed.diagnostic.code, suppressed.diagnostic.line) == ("IF502", 10)
    assert (suppressed.by, suppressed.line, suppressed.column) == (SuppressedBy.COMMENT, 10, 10)
    assert suppressed.justification == "a rota of one"
    assert result.process is not None
    assert result.process.warnings == ()


def test_a_comment_alone_on_its_line_covers_the_next_line_with_content(tmp_path: Path) -> None:
    above = "  # incidentflow: disable=IF502\n\n  # another remark\n" + LEAD
    result = _check(tmp_path, NO_BACKUPS.replace(LEAD, above))
    assert result.diagnostics == ()
    assert [s.line for s in result.suppressed] == [10]
    # ... and only that line: two lines further down it covers nothing
    result = _check(tmp_path, NO_BACKUPS.replace(LEAD, "  # incidentflow: disable=IF502\n" + LEAD))
    assert result.diagnostics == ()
    moved = NO_BACKUPS.replace("roles:\n", "roles:\n  # incidentflow: disable=IF502\n")
    assert _codes(_check(tmp_path, moved)) == [("IF502", 11), ("IF133", 7)]


def test_a_file_comment_turns_a_warning_off_anywhere_in_the_file(tmp_path: Path) -> None:
    text = NO_BACKUPS + "# incidentflow: disable-file=IF502\n"
    result = _check(tmp_path, text)
    assert result.diagnostics == ()
    assert [s.by for s in result.suppressed] == [SuppressedBy.FILE_COMMENT]


def test_the_disable_option_turns_a_warning_off_in_every_file(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text(NO_BACKUPS, encoding="utf-8")
    (tmp_path / "b.yaml").write_text(NO_BACKUPS.replace("no-backups", "other"), encoding="utf-8")
    assert incidentflow.check(tmp_path, disable=["IF502"]) == []
    results = check_set(tmp_path, disable=["IF502"])
    assert [s.by for r in results for s in r.suppressed] == [SuppressedBy.OPTION] * 2
    assert len(incidentflow.check(tmp_path)) == 2


def test_errors_cannot_be_suppressed(tmp_path: Path) -> None:
    text = NO_BACKUPS.replace("by: [responder]", "by: [responer]").replace(
        "requires: [fixed]}", "requires: [fixed]}  # incidentflow: disable=IF203"
    )
    result = _check(tmp_path, text)
    codes = _codes(result)
    assert ("IF203", 31) in codes
    assert ("IF131", 31) in codes
    (ignored,) = [d for d in result.diagnostics if d.code == "IF131"]
    assert ignored.message == "suppression of IF203 ignored: errors cannot be suppressed"
    with pytest.raises(InvalidSuppression, match="IF203: errors cannot be suppressed"):
        incidentflow.check(tmp_path, disable=["IF203"])
    with pytest.raises(ValueError, match="IF999: there is no such code"):
        check_file(tmp_path / "spec.yaml", disable=["IF999"])


def test_the_checks_on_suppressions_cannot_be_suppressed(tmp_path: Path) -> None:
    text = NO_BACKUPS + "# incidentflow: disable-file=IF133\n"
    result = _check(tmp_path, text)
    assert _codes(result) == [("IF502", 10), ("IF131", 32)]
    with pytest.raises(InvalidSuppression, match="IF133: the checks on suppressions"):
        incidentflow.check(tmp_path, disable=["IF133"])


def test_an_unknown_code_is_reported_with_the_closest_warning(tmp_path: Path) -> None:
    text = NO_BACKUPS.replace("  lead:\n", "  lead:  # incidentflow: disable=IF520\n")
    result = _check(tmp_path, text)
    assert _codes(result) == [("IF502", 10), ("IF132", 10)]
    unknown = result.diagnostics[1]
    assert unknown.column == text.splitlines()[9].index("IF520") + 1
    assert unknown.length == len("IF520")
    assert unknown.hint.startswith("did you mean 'IF502'?")


def test_an_unused_suppression_is_reported_unless_the_spec_has_errors(tmp_path: Path) -> None:
    unused = "  responder:  # incidentflow: disable=IF502,IF501\n"
    text = NO_BACKUPS.replace("  responder:\n", unused)
    result = _check(tmp_path, text)
    assert _codes(result) == [("IF502", 10), ("IF133", 7), ("IF133", 7)]
    assert result.diagnostics[1].message == "unused suppression: no IF502 warning on line 7"
    # with an error, some checks may not have run: silence is not evidence
    broken = text.replace("by: [responder]", "by: [responer]")
    codes = [c for c, _ in _codes(_check(tmp_path, broken))]
    assert "IF203" in codes
    assert "IF133" not in codes


def test_an_incidentflow_comment_that_is_not_a_directive_is_reported(tmp_path: Path) -> None:
    text = NO_BACKUPS.replace("  lead:\n", "  lead:  # incidentflow: disabel=IF502\n")
    result = _check(tmp_path, text)
    assert _codes(result) == [("IF502", 10), ("IF134", 10)]
    assert result.diagnostics[1].message == (
        "'# incidentflow: disabel=IF502' is not an incidentflow directive"
    )


@pytest.mark.parametrize(
    "value",
    [
        '"# incidentflow: disable=IF502"',
        "'x # incidentflow: disable=IF502'",
        '"multi\n      # incidentflow: disable=IF502"',
        "|\n      # incidentflow: disable=IF502\n",
        ">-\n      text\n\n      # incidentflow: disable=IF502\n",
        "x#incidentflow:disable=IF502",
    ],
    ids=["double", "single", "multi-line", "literal-block", "folded-block", "no-space"],
)
def test_a_hash_inside_a_value_is_not_a_comment(tmp_path: Path, value: str) -> None:
    text = NO_BACKUPS.replace(LEAD, f"  lead:\n    title: Lead\n    description: {value}\n")
    result = _check(tmp_path, text)
    assert [d.code for d in result.diagnostics] == ["IF502"]
    assert result.suppressed == ()


def test_a_comment_inside_a_flow_collection_and_after_a_remark_counts(tmp_path: Path) -> None:
    text = NO_BACKUPS.replace(
        LEAD, "  lead: {  # why: a rota # incidentflow: disable=IF502\n    title: Lead}\n"
    )
    assert _check(tmp_path, text).diagnostics == ()


def test_windows_line_endings(tmp_path: Path) -> None:
    text = NO_BACKUPS.replace(LEAD, "  # incidentflow: disable=IF502\n" + LEAD)
    result = _check(tmp_path, text.replace("\n", "\r\n"))
    assert result.diagnostics == ()
    assert [s.diagnostic.line for s in result.suppressed] == [11]


def test_several_codes_and_directives_on_one_line(tmp_path: Path) -> None:
    text = NO_BACKUPS.replace(
        "  lead:\n",
        "  lead:  # incidentflow: disable=IF501 , IF502 both # incidentflow: disable-file=IF406\n",
    )
    result = _check(tmp_path, text)
    assert _codes(result) == [("IF133", 10), ("IF133", 10)]  # IF501 and IF406 turn nothing off
    (suppressed,) = result.suppressed
    assert suppressed.justification == "both"


def test_loads_honours_comments_too(tmp_path: Path) -> None:
    process = incidentflow.loads(
        NO_BACKUPS.replace("  lead:\n", "  lead: # incidentflow: disable=IF502\n")
    )
    assert process.warnings == ()
    assert [w.code for w in incidentflow.loads(NO_BACKUPS).warnings] == ["IF502"]


def _write(tmp_path: Path, text: str) -> Path:
    spec = tmp_path / "spec.yaml"
    spec.write_text(text, encoding="utf-8")
    return spec


def test_cli_a_suppressed_warning_does_not_fail_strict(cli, tmp_path: Path) -> None:
    spec = _write(tmp_path, NO_BACKUPS.replace(LEAD, "  # incidentflow: disable=IF502\n" + LEAD))
    result = cli("validate", "--strict", str(spec))
    assert result.code == 0
    assert result.out == "1 file checked: no problems found (1 warning suppressed)\n"
    shown = cli("validate", "--strict", "--show-suppressed", str(spec))
    assert f"{spec}:11:3: suppressed warning IF502 role 'lead' has no backups" in shown.out
    assert "    = suppressed: by the comment on line 10\n" in shown.out


def test_cli_disable_option(cli, tmp_path: Path) -> None:
    spec = _write(tmp_path, NO_BACKUPS)
    assert cli("validate", "--strict", str(spec)).code == 1
    assert cli("validate", "--strict", "--disable", "IF501,IF502", str(spec)).code == 0
    assert (
        cli("validate", "--strict", "--disable", "IF501", "--disable", "IF502", str(spec)).code == 0
    )
    refused = cli("validate", "--disable", "IF203,IF502", str(spec))
    assert refused.code == 2
    assert refused.err == "incidentflow validate: --disable IF203: errors cannot be suppressed\n"
    assert refused.out == ""


def test_cli_json_lists_suppressed_warnings_only_when_asked(cli, tmp_path: Path) -> None:
    spec = _write(
        tmp_path, NO_BACKUPS.replace("  lead:\n", "  lead: # incidentflow: disable=IF502 why\n")
    )
    assert json.loads(cli("validate", "--format", "json", str(spec)).out) == []
    (item,) = json.loads(cli("validate", "--format", "json", "--show-suppressed", str(spec)).out)
    assert item["code"] == "IF502"
    assert item["suppressed"] == {"by": "comment", "line": 10, "column": 9, "justification": "why"}


def test_sarif_marks_suppressed_results_and_stays_valid(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text(
        NO_BACKUPS.replace("  lead:\n", "  lead: # incidentflow: disable=IF502 why\n"), "utf-8"
    )
    (tmp_path / "b.yaml").write_text(NO_BACKUPS.replace("no-backups", "b"), encoding="utf-8")
    (tmp_path / "c.yaml").write_text(
        NO_BACKUPS.replace("no-backups", "c").replace(
            "title: Responder", "title: R # incidentflow: x"
        ),
        encoding="utf-8",
    )
    results = check_set(tmp_path)
    diagnostics = [d for r in results for d in r.diagnostics]
    suppressed = [s for r in results for s in r.suppressed]
    plain = json.loads(format_sarif(diagnostics, root=tmp_path))
    assert all("suppressions" not in r for r in plain["runs"][0]["results"])
    log = json.loads(format_sarif(diagnostics, suppressed, root=tmp_path))
    assert schema_errors(log) == []
    entries = [r["suppressions"] for r in log["runs"][0]["results"]]
    assert entries[: len(diagnostics)] == [[]] * len(diagnostics)
    (inline,) = entries[len(diagnostics) :]
    assert inline == [
        {
            "kind": "inSource",
            "status": "accepted",
            "location": {
                "physicalLocation": {
                    "artifactLocation": {"uri": "a.yaml", "uriBaseId": "%SRCROOT%"},
                    "region": {"startLine": 10, "startColumn": 9, "endColumn": 10},
                }
            },
            "justification": "why",
        }
    ]
    option = check_file(tmp_path / "b.yaml", disable=["IF502"]).suppressed
    (result,) = json.loads(format_sarif([], option, root=tmp_path))["runs"][0]["results"]
    assert result["suppressions"] == [{"kind": "external", "status": "accepted"}]


def test_a_comment_with_nothing_after_it_is_unused(tmp_path: Path) -> None:
    result = _check(tmp_path, NO_BACKUPS + "# incidentflow: disable=IF502\n\n# the end\n")
    assert _codes(result) == [("IF502", 10), ("IF133", 32)]
    assert result.diagnostics[1].message == (
        "unused suppression: no IF502 warning after it (no line with content follows)"
    )


FRAGMENTS = [
    "# incidentflow: disable=IF502",
    "# incidentflow: disable-file=IF406,IF203",
    "#incidentflow:",
    " # incidentflow: disable=",
    "'",
    '"',
    "|\n",
    ">-\n",
    "\n",
    "\r\n",
    "\r",
    "  ",
    "\t",
    "#",
    ":",
    "- ",
    "{",
    "}",
    ",",
    "\u2028",
    "\ufeff",
]


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.sampled_from(FRAGMENTS) | st.text(max_size=3), max_size=30).map("".join),
    st.integers(min_value=0, max_value=len(NO_BACKUPS)),
)
def test_any_text_with_directives_gives_well_formed_results(insert: str, at: int) -> None:
    text = NO_BACKUPS[:at] + insert + NO_BACKUPS[at:]
    try:
        process = incidentflow.loads(text)
    except incidentflow.SpecError as exc:
        diagnostics = exc.diagnostics
    else:
        diagnostics = process.warnings
    for d in diagnostics:
        assert d.code in RULES
        assert d.line >= 0
        assert d.column >= 0
    result = _compile_text(text, "fuzz.yaml", DEFAULT_LIMITS, frozenset({"IF501"}))
    assert all(not s.diagnostic.is_error for s in result.suppressed)
    assert all(s.diagnostic.code not in CHECKS for s in result.suppressed)
