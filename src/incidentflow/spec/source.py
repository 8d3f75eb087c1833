"""Turning a file or bytes into text, with a diagnostic for anything that is not a spec's text.

Reading is bounded before it starts: a file is opened without blocking, refused
unless it is a regular file (a FIFO would block, ``/dev/zero`` never ends), its
size is checked with ``fstat`` on the open descriptor (no stat-then-open race),
and at most ``max_bytes + 1`` bytes are read, so a file that grows meanwhile costs
no more than the limit either.
"""

from __future__ import annotations

import errno
import os
import stat

from incidentflow.diagnostics import Diagnostic, Severity
from incidentflow.spec.limits import Limits
from incidentflow.spec.lines import line_and_column

# O_NONBLOCK: opening a FIFO must not wait for a writer. Absent on Windows (no FIFOs there).
_OPEN_FLAGS = (
    os.O_RDONLY
    | getattr(os, "O_NONBLOCK", 0)
    | getattr(os, "O_NOCTTY", 0)
    | getattr(os, "O_BINARY", 0)
)
_KINDS = (
    (stat.S_ISFIFO, "a FIFO (named pipe)"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISSOCK, "a socket"),
)


class NotRegularFile(OSError):
    """The path names a FIFO, a device or a socket, which is never read as a spec."""

    def __init__(self, path: str, kind: str) -> None:
        super().__init__(errno.EINVAL, f"is {kind}, not a regular file", path)
        self.kind = kind


def too_large(size: int, filename: str, limits: Limits, *, at_least: bool = False) -> Diagnostic:
    """IF110 for a spec of ``size`` bytes (``at_least``: the exact size was not measured)."""
    measured = f"at least {size:,}" if at_least else f"{size:,}"
    return Diagnostic(
        filename,
        0,
        0,
        "IF110",
        Severity.ERROR,
        f"the file is {measured} bytes; specs may be at most {limits.max_bytes:,} bytes",
        hint="split the process into several specs, or pass larger Limits(max_bytes=...)",
    )


def text_too_large(text: str, filename: str, limits: Limits) -> Diagnostic | None:
    """IF110 when ``text`` is over the limit in UTF-8 bytes, measured at bounded cost."""
    if len(text) > limits.max_bytes:  # every character is at least one byte: no need to encode
        return too_large(len(text), filename, limits, at_least=True)
    if text.isascii() or len(text) * 4 <= limits.max_bytes:
        return None
    size = len(text.encode("utf-8", "surrogatepass"))  # at most 4 x max_bytes, once
    return too_large(size, filename, limits) if size > limits.max_bytes else None


def read_source(
    path: str | os.PathLike[str], filename: str, limits: Limits
) -> tuple[bytes | None, Diagnostic | None]:
    """The bytes of the file at ``path``, or IF110 when it is larger than the limit.

    Raises ``OSError`` when the file cannot be opened or read: ``IsADirectoryError``
    for a directory and :class:`NotRegularFile` for a FIFO, device or socket.
    """
    fd = os.open(path, _OPEN_FLAGS)
    try:
        info = os.fstat(fd)
        if stat.S_ISDIR(info.st_mode):
            raise IsADirectoryError(errno.EISDIR, "is a directory", str(path))
        if not stat.S_ISREG(info.st_mode):
            kind = next((name for test, name in _KINDS if test(info.st_mode)), "a special file")
            raise NotRegularFile(str(path), kind)
        if info.st_size > limits.max_bytes:
            return None, too_large(info.st_size, filename, limits)
        chunks: list[bytes] = []
        remaining = limits.max_bytes + 1  # one byte more tells "at the limit" from "over it"
        while remaining > 0:
            chunk = os.read(fd, min(remaining, 1 << 20))
            if not chunk:
                break
            chunks.append(chunk)
            remaining -= len(chunk)
    finally:
        os.close(fd)
    data = b"".join(chunks)
    if len(data) > limits.max_bytes:  # it grew after fstat, or its size is not known (/proc)
        return None, too_large(len(data), filename, limits, at_least=True)
    return data, None


def read_spec_text(
    path: str | os.PathLike[str], filename: str, limits: Limits
) -> tuple[str | None, Diagnostic | None]:
    """Read and decode a spec file: its text, or the diagnostic that stops it (IF110, IF101).

    Raises ``OSError`` when the file cannot be read (see :func:`read_source`).
    """
    data, problem = read_source(path, filename, limits)
    if data is None:
        return None, problem
    return decode_source(data, filename, limits)


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
        line, column = _byte_position(data, nul)
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
        line, column = _byte_position(data, exc.start)
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


def _byte_position(data: bytes, offset: int) -> tuple[int, int]:
    """1-based line and column (in characters, as editors count them) of a byte offset."""
    before = data[:offset].decode("utf-8", "replace")
    return line_and_column(before, len(before))
