"""Lines as editors and YAML 1.2 count them: only ``\\n``, ``\\r\\n`` and ``\\r`` end a line.

Python's ``str.splitlines`` also breaks at U+2028, U+2029, U+0085 and a few control
characters, and YAML 1.1 parsers treat the first three as line breaks too; a spec
with one of them in a comment would then get every later diagnostic on the wrong
line. Everything that turns an offset into a line, or a line number into source
text, goes through this module.
"""

from __future__ import annotations

import re

_BREAK = re.compile(r"\r\n|\r|\n")

UNICODE_BREAKS = "\x85\u2028\u2029"
"""Characters that YAML 1.1 (and so ruamel and libyaml) counts as line breaks, but YAML
1.2 and editors do not."""


def split_lines(text: str) -> list[str]:
    """The lines of ``text`` (line N is item N - 1), split only where editors split them."""
    return _BREAK.split(text)


def line_and_column(text: str, offset: int) -> tuple[int, int]:
    """1-based line and column of the character at ``offset`` in ``text``."""
    before = text[:offset]
    line = before.count("\n") + before.count("\r") - before.count("\r\n") + 1
    line_start = max(before.rfind("\n"), before.rfind("\r")) + 1
    return line, offset - line_start + 1


def stand_ins(text: str) -> dict[str, str]:
    """A stand-in for each of :data:`UNICODE_BREAKS` present in ``text``.

    Each stand-in is one private-use character that does not occur in ``text``, so
    replacing the breaks with them keeps every offset and column, and mapping them
    back afterwards restores the exact values. Empty when ``text`` has none.
    """
    present = [c for c in UNICODE_BREAKS if c in text]
    if not present:
        return {}
    used = set(text)
    candidates = (
        chr(c)
        for block in (range(0xE000, 0xF900), range(0xF0000, 0xFFFFE), range(0x100000, 0x10FFFE))
        for c in block
        if chr(c) not in used
    )
    return dict(zip(present, candidates, strict=False))
