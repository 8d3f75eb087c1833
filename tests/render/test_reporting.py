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


def test_a_long_line_is_cut_around_the_place_shown() -> None:
    line = "key: " + "x" * 2000 + "TARGET" + "y" * 2000
    column = line.index("TARGET") + 1
    d = Diagnostic("f.yaml", 1, column, "IF122", Severity.ERROR, "m", length=len("TARGET"))
    _, _, shown, caret = reporting.format_text([d], {"f.yaml": line + "\n"}).splitlines()[:4]
    assert shown.startswith("1 | ...")
    assert shown.endswith("...")
    assert len(shown) == len("1 | ...") + reporting.EXCERPT_WIDTH + len("...")
    at = caret.index("^")
    assert shown[at : at + len("TARGET")] == "TARGET"
    assert caret.count("^") == len("TARGET")
    # the start and the end of a long line are shown without a cut on their side
    for column, cut_before, cut_after in ((1, False, True), (len(line), True, False)):
        d = Diagnostic("f.yaml", 1, column, "IF122", Severity.ERROR, "m")
        _, _, shown, caret = reporting.format_text([d], {"f.yaml": line}).splitlines()[:4]
        assert shown.startswith("1 | ...") == cut_before
        assert shown.endswith("...") == cut_after
        assert shown[caret.index("^")] == line[column - 1]


def test_report_size_does_not_grow_with_the_length_of_the_line() -> None:
    """Regression: each of N places on one long line printed the whole line (N x length)."""
    line = ", ".join(["name: x"] * 5_000)
    diagnostics = [
        Diagnostic("f.yaml", 1, i * 9 + 1, "IF108", Severity.ERROR, "duplicate key")
        for i in range(5_000)
    ]
    out = reporting.format_text(diagnostics, {"f.yaml": line})
    assert max(len(row) for row in out.splitlines()) <= len("1 | ...") + reporting.EXCERPT_WIDTH + 3


def test_a_window_of_a_line_and_its_end() -> None:
    index = LineIndex("abcdef\r\nxyz")
    assert index.line(1, 2, 4) == "cd"
    assert index.line(1, 4, 99) == "ef"
    assert index.line(2, 5, 9) == ""
    assert [index.end(1), index.end(2)] == [6, 11]
