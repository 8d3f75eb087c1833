"""Diagnostics as text (compiler style), JSON, or GitHub Actions annotations."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence

from incidentflow.diagnostics import Diagnostic
from incidentflow.spec.lines import LineIndex

FORMATS = ("text", "json", "github")


def format_text(diagnostics: Sequence[Diagnostic], sources: Mapping[str, str | None]) -> str:
    """Compiler-style text: location, code and message, the source line with a caret, notes, hint.

    Each file's text is indexed once, however many diagnostics point into it, so the
    time taken grows linearly with the number of diagnostics.
    """
    indexes: dict[str, LineIndex | None] = {}
    blocks = []
    for d in diagnostics:
        lines = [f"{d.file}:{d.line}:{d.column}: {d.severity.value} {d.code} {d.message}"]
        if d.file not in indexes:
            text = sources.get(d.file)
            indexes[d.file] = None if text is None else LineIndex(text)
        index = indexes[d.file]
        if index is not None and 0 < d.line <= len(index):
            lines += _excerpt(d, index)
        for note in d.notes:
            where = f"line {note.line}: " if note.line else ""
            label = "path" if note.message.startswith("path: ") else "note"
            message = note.message.removeprefix("path: ")
            lines.append(f"    = {label}: {where}{message}")
        if d.hint:
            lines.append(f"    = hint: {d.hint}")
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks) + ("\n" if blocks else "")


EXCERPT_WIDTH = 120
"""At most this many characters of a source line are shown; a longer line is cut
around the place shown (so a report's size does not grow with the lines' lengths)."""
_CONTEXT_BEFORE = 40


def _excerpt(d: Diagnostic, index: LineIndex) -> list[str]:
    """The source line of ``d`` with a caret under the place it points at."""
    length = index.end(d.line) - index.start(d.line)
    first = 0
    if length > EXCERPT_WIDTH:
        first = max(0, min(d.column - 1 - _CONTEXT_BEFORE, length - EXCERPT_WIDTH))
    last = first + EXCERPT_WIDTH
    src = index.line(d.line, first, last).expandtabs(1)
    before = "..." if first > 0 else ""
    after = "..." if last < length else ""
    at = max(d.column - 1 - first, 0)
    width = max(1, min(d.length, len(src) - at))
    gutter = " " * len(str(d.line))
    return [
        f"{gutter} |",
        f"{d.line} | {before}{src}{after}",
        f"{gutter} | {' ' * (len(before) + at)}{'^' * width}",
    ]


def format_json(diagnostics: Sequence[Diagnostic]) -> str:
    """A JSON list of objects with exactly: file, line, column, code, severity, message, hint."""
    return json.dumps([d.as_dict() for d in diagnostics], indent=2) + "\n"


def _escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")


def format_github(diagnostics: Sequence[Diagnostic]) -> str:
    """GitHub Actions workflow commands (``::error file=...,line=...::message``)."""
    out = []
    for d in diagnostics:
        level = "error" if d.is_error else "warning"
        props = f"file={_escape_property(d.file)},line={max(d.line, 1)},col={max(d.column, 1)}"
        props += f",title={_escape_property(d.code)}"
        message = d.message + (f"\n{d.hint}" if d.hint else "")
        out.append(f"::{level} {props}::{_escape_data(message)}")
    return "\n".join(out) + ("\n" if out else "")


def summary(diagnostics: Sequence[Diagnostic], files: int) -> str:
    """One line: how many files, errors and warnings."""
    errors = sum(d.is_error for d in diagnostics)
    warnings = len(diagnostics) - errors
    noun = "file" if files == 1 else "files"
    if not diagnostics:
        return f"{files} {noun} checked: no problems found"
    return (
        f"{files} {noun} checked: {errors} error{'s' * (errors != 1)}, "
        f"{warnings} warning{'s' * (warnings != 1)}"
    )
