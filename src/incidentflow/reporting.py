"""Diagnostics as text (compiler style), JSON, or GitHub Actions annotations.

SARIF has a module of its own, :mod:`incidentflow.sarif`.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence

from incidentflow.diagnostics import Diagnostic, Suppressed, SuppressedBy
from incidentflow.spec.lines import LineIndex

FORMATS = ("text", "json", "github", "sarif")


def format_text(
    diagnostics: Sequence[Diagnostic],
    sources: Mapping[str, str | None],
    suppressed: Sequence[Suppressed] = (),
) -> str:
    """Compiler-style text: location, code and message, the source line with a caret, notes, hint.

    ``suppressed`` warnings, when given, follow as "suppressed warning" with what
    turned them off. Each file's text is indexed once, however many diagnostics
    point into it, so the time taken grows linearly with the number of diagnostics.
    """
    indexes: dict[str, LineIndex | None] = {}

    def index_of(file: str) -> LineIndex | None:
        if file not in indexes:
            text = sources.get(file)
            indexes[file] = None if text is None else LineIndex(text)
        return indexes[file]

    blocks = [_block(d, d.severity.value, index_of(d.file)) for d in diagnostics]
    for s in suppressed:
        lines = _block(
            s.diagnostic, f"suppressed {s.diagnostic.severity.value}", index_of(s.diagnostic.file)
        )
        lines.append(f"    = suppressed: {_suppressed_by(s)}")
        blocks.append(lines)
    return "\n\n".join("\n".join(b) for b in blocks) + ("\n" if blocks else "")


def _block(d: Diagnostic, severity: str, index: LineIndex | None) -> list[str]:
    lines = [f"{d.file}:{d.line}:{d.column}: {severity} {d.code} {d.message}"]
    if index is not None and 0 < d.line <= len(index):
        lines += _excerpt(d, index)
    for note in d.notes:
        where = f"line {note.line}: " if note.line else ""
        label = "path" if note.message.startswith("path: ") else "note"
        message = note.message.removeprefix("path: ")
        lines.append(f"    = {label}: {where}{message}")
    if d.hint:
        lines.append(f"    = hint: {d.hint}")
    return lines


def _suppressed_by(s: Suppressed) -> str:
    if s.by is SuppressedBy.OPTION:
        by = "by the disable option"
    elif s.by is SuppressedBy.FILE_COMMENT:
        by = f"by the disable-file comment on line {s.line}"
    else:
        by = f"by the comment on line {s.line}"
    return f"{by}: {s.justification}" if s.justification else by


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


def format_json(diagnostics: Sequence[Diagnostic], suppressed: Sequence[Suppressed] = ()) -> str:
    """A JSON list of objects with exactly: file, line, column, code, severity, message, hint.

    ``suppressed`` warnings, when given, follow, each with one more key, ``suppressed``
    (see :meth:`Suppressed.as_dict`).
    """
    items = [d.as_dict() for d in diagnostics] + [s.as_dict() for s in suppressed]
    return json.dumps(items, indent=2) + "\n"


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


def summary(diagnostics: Sequence[Diagnostic], files: int, suppressed: int = 0) -> str:
    """One line: how many files, errors and warnings, and how many warnings were suppressed."""
    errors = sum(d.is_error for d in diagnostics)
    warnings = len(diagnostics) - errors
    noun = "file" if files == 1 else "files"
    if not diagnostics:
        line = f"{files} {noun} checked: no problems found"
    else:
        line = (
            f"{files} {noun} checked: {errors} error{'s' * (errors != 1)}, "
            f"{warnings} warning{'s' * (warnings != 1)}"
        )
    if suppressed:
        line += f" ({suppressed} warning{'s' * (suppressed != 1)} suppressed)"
    return line
