"""Diagnostics as text (compiler style), JSON, or GitHub Actions annotations."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence

from incidentflow.diagnostics import Diagnostic
from incidentflow.spec.lines import split_lines

FORMATS = ("text", "json", "github")


def format_text(diagnostics: Sequence[Diagnostic], sources: Mapping[str, str | None]) -> str:
    """Compiler-style text: location, code and message, the source line with a caret, notes, hint."""
    blocks = []
    for d in diagnostics:
        lines = [f"{d.file}:{d.line}:{d.column}: {d.severity.value} {d.code} {d.message}"]
        text = sources.get(d.file)
        if text is not None and d.line > 0:
            source_lines = split_lines(text)  # as editors number them, like the positions
            if d.line <= len(source_lines):
                src = source_lines[d.line - 1].expandtabs(1)
                gutter = " " * len(str(d.line))
                lines.append(f"{gutter} |")
                lines.append(f"{d.line} | {src}")
                width = max(1, min(d.length, len(src) - d.column + 1))
                lines.append(f"{gutter} | {' ' * (d.column - 1)}{'^' * width}")
        for note in d.notes:
            where = f"line {note.line}: " if note.line else ""
            label = "path" if note.message.startswith("path: ") else "note"
            message = note.message.removeprefix("path: ")
            lines.append(f"    = {label}: {where}{message}")
        if d.hint:
            lines.append(f"    = hint: {d.hint}")
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks) + ("\n" if blocks else "")


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
