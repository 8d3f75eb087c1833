"""Turning bytes into text, with a diagnostic for anything that is not a spec's text."""

from __future__ import annotations

from incidentflow.diagnostics import Diagnostic, Severity
from incidentflow.spec.limits import Limits


def _line_col(data: bytes, offset: int) -> tuple[int, int]:
    """1-based line and column (in characters) of a byte offset."""
    before = data[:offset]
    line = before.count(b"\n") + 1
    line_start = before[before.rfind(b"\n") + 1 :]
    # columns count characters, like every other diagnostic (the line may hold multi-byte ones)
    column = len(line_start.decode("utf-8", "replace")) + 1
    return line, column


def too_large(size: int, filename: str, limits: Limits) -> Diagnostic:
    """IF110 for a spec of ``size`` bytes."""
    return Diagnostic(
        filename,
        0,
        0,
        "IF110",
        Severity.ERROR,
        f"the file is {size:,} bytes; specs may be at most {limits.max_bytes:,} bytes",
        hint="split the process into several specs, or pass larger Limits(max_bytes=...)",
    )


def decode_source(
    data: bytes, filename: str, limits: Limits
) -> tuple[str | None, Diagnostic | None]:
    """Decode spec bytes as UTF-8 (an optional BOM is dropped).

    Returns the text, or a diagnostic (IF110 too large, IF101 binary or not UTF-8).
    The size is checked before any decoding so a huge file costs nothing.
    """
    if len(data) > limits.max_bytes:
        return None, too_large(len(data), filename, limits)
    nul = data.find(b"\x00")
    if nul != -1:
        line, column = _line_col(data, nul)
        return None, Diagnostic(
            filename,
            line,
            column,
            "IF101",
            Severity.ERROR,
            "the file holds binary data (a NUL byte), not YAML text",
            hint="is this the right file? specs are UTF-8 text",
        )
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line, column = _line_col(data, exc.start)
        return None, Diagnostic(
            filename,
            line,
            column,
            "IF101",
            Severity.ERROR,
            f"the file is not UTF-8: byte 0x{data[exc.start]:02x} cannot be decoded",
            hint="save the file as UTF-8",
        )
    return text, None
