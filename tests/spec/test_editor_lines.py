"""Line numbers are the ones editors show: only \\n, \\r\\n and \\r end a line (issue 9, item 12).

YAML 1.1 parsers (and Python's ``str.splitlines``) also break lines at U+2028,
U+2029 and U+0085; YAML 1.2 and editors do not. One of them in a comment used to
shift every later diagnostic, and even turn the rest of the comment into YAML.
"""

from __future__ import annotations

from pathlib import Path

import pytest

import incidentflow
from incidentflow import SpecError
from incidentflow.reporting import format_text
from incidentflow.spec.lines import LineIndex, line_and_column

ROOT = Path(__file__).resolve().parents[2]
MINIMAL = (ROOT / "tests" / "specs" / "valid" / "minimal.yaml").read_text(encoding="utf-8")
BREAKS = ["\u2028", "\u2029", "\x85"]


def with_bad_title(text: str) -> str:
    return text.replace("title: Lead", "title: 5")


def editor_line(text: str, needle: str) -> int:
    """The line an editor shows ``needle`` on (counting only \\n, \\r\\n and \\r)."""
    before = text[: text.index(needle)].replace("\r\n", "\n").replace("\r", "\n")
    return before.count("\n") + 1


@pytest.mark.parametrize("char", BREAKS, ids=repr)
def test_a_unicode_line_separator_in_a_comment_shifts_nothing(char: str) -> None:
    text = with_bad_title(MINIMAL.replace("# The smallest", f"# The {char}smallest: x"))
    with pytest.raises(SpecError) as info:
        incidentflow.loads(text, "spec.yaml")
    diagnostics = info.value.diagnostics
    assert [d.code for d in diagnostics] == ["IF122"]  # the comment stayed a comment
    assert diagnostics[0].line == editor_line(text, "title: 5")
    shown = format_text(diagnostics, {"spec.yaml": text})
    assert f"{diagnostics[0].line} |     title: 5" in shown


@pytest.mark.parametrize("char", BREAKS, ids=repr)
def test_a_unicode_line_separator_in_a_value_is_kept(char: str) -> None:
    text = MINIMAL.replace("title: Lead", f"title: Le{char}ad").replace(
        "title: Open", f'title: "Op{char}en"'
    )
    process = incidentflow.loads(text)
    assert process.spec.roles["lead"].title == f"Le{char}ad"
    assert process.states["open"].title == f"Op{char}en"


@pytest.mark.parametrize("ending", ["\r\n", "\r"], ids=["CRLF", "CR"])
def test_other_line_endings_count_as_editors_count_them(ending: str) -> None:
    text = with_bad_title(MINIMAL).replace("\n", ending)
    with pytest.raises(SpecError) as info:
        incidentflow.loads(text, "spec.yaml")
    assert info.value.diagnostics[0].line == editor_line(text, "title: 5")


def test_a_control_character_is_placed_as_editors_place_it() -> None:
    text = MINIMAL.replace("\n", "\r").replace("title: Lead", "title: Le\x07ad")
    with pytest.raises(SpecError) as info:
        incidentflow.loads(text, "spec.yaml")
    d = info.value.diagnostics[0]
    assert d.code == "IF101"
    assert (d.line, d.column) == (editor_line(text, "title: Le"), len("    title: Le") + 1)


def test_a_nul_byte_in_a_cr_file_is_placed_as_editors_place_it(tmp_path: Path) -> None:
    path = tmp_path / "spec.yaml"
    path.write_bytes(MINIMAL.replace("\n", "\r").replace("title: Lead", "title: L\x00").encode())
    d = incidentflow.check(path)[0]
    assert d.code == "IF101"
    assert (d.line, d.column) == (editor_line(MINIMAL, "title: Lead"), len("    title: L") + 1)


def test_lines_helpers_agree_with_each_other() -> None:
    text = "a\u2028b\r\nc\rd\ne\x85f"
    index = LineIndex(text)
    lines = [index.line(n) for n in range(1, len(index) + 1)]
    assert lines == ["a\u2028b", "c", "d", "e\x85f"]
    for offset, char in enumerate(text):
        if char in "\r\n":
            continue
        line, column = line_and_column(text, offset)
        assert lines[line - 1][column - 1] == char
