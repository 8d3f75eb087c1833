"""The text formatter: excerpts from the right file and line, with work linear in the diagnostics."""

from __future__ import annotations

import pytest

from incidentflow import reporting
from incidentflow.diagnostics import Diagnostic, Severity
from incidentflow.spec.lines import LineIndex


def _diagnostic(file: str, line: int) -> Diagnostic:
    return Diagnostic(file, line, 3, "IF108", Severity.ERROR, f"duplicate key at {line}")


def test_each_file_is_indexed_once_however_many_diagnostics_point_into_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Regression: the text of a file was split into lines once per diagnostic (quadratic)."""
    indexed: list[str] = []

    class CountingIndex(LineIndex):
        def __init__(self, text: str) -> None:
            indexed.append(text)
            super().__init__(text)

    monkeypatch.setattr(reporting, "LineIndex", CountingIndex)
    sources = {
        "a.yaml": "".join(f"a{n}: x\n" for n in range(1, 201)),
        "b.yaml": "".join(f"b{n}: y\n" for n in range(1, 201)),
    }
    diagnostics = [_diagnostic(f, n) for n in range(1, 201) for f in ("a.yaml", "b.yaml")]
    out = reporting.format_text(diagnostics, sources)
    assert sorted(indexed) == sorted(sources.values())
    blocks = out.split("\n\n")
    assert len(blocks) == len(diagnostics)
    # every excerpt still comes from its own file and line
    for d, block in zip(diagnostics, blocks, strict=True):
        prefix = d.file[0]
        assert f"{d.line} | {prefix}{d.line}: " in block, block


def test_a_file_without_text_gets_no_excerpt() -> None:
    out = reporting.format_text([_diagnostic("gone.yaml", 1)], {"gone.yaml": None})
    assert out == "gone.yaml:1:3: error IF108 duplicate key at 1\n"


@pytest.mark.parametrize(
    ("text", "lines"),
    [
        ("", []),
        ("a", ["a"]),
        ("a\n", ["a"]),
        ("a\n\nb", ["a", "", "b"]),
        ("a\r\nb\rc\n", ["a", "b", "c"]),
        # not line breaks to an editor, although str.splitlines breaks at them
        ("a\u2028b\x85c\n", ["a\u2028b\x85c"]),
    ],
)
def test_lines_are_numbered_as_editors_number_them(text: str, lines: list[str]) -> None:
    index = LineIndex(text)
    assert [index.line(n) for n in range(1, len(index) + 1)] == lines


def test_line_number_of_an_offset_and_start_of_a_line() -> None:
    text = "ab\r\ncd\ne"
    index = LineIndex(text)
    assert [index.line_number(i) for i in range(len(text))] == [1, 1, 1, 1, 2, 2, 2, 3]
    assert [index.start(n) for n in (1, 2, 3)] == [0, 4, 7]
    with pytest.raises(IndexError):
        index.line(4)
