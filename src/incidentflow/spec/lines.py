"""Lines of a spec's text, numbered as editors number them, indexed once.

A line ends at ``\\n``, ``\\r\\n`` or a lone ``\\r``. Other characters that
:meth:`str.splitlines` also breaks at (U+2028, U+0085, form feeds) are not line
breaks to an editor, so they are not here either (:func:`stand_ins` hides them from the YAML
reader, which would count them). Building a :class:`LineIndex`
costs one pass over the text; every lookup after that is a bisection, so code
that shows many places of one file (a report of 40,000 diagnostics) builds one
index per file and stays linear.
"""

from __future__ import annotations

import re
from bisect import bisect_right

_BREAK = re.compile(r"\r\n|\r|\n")


class LineIndex:
    """Where each line of ``text`` starts, for lookups by line number or by offset."""

    __slots__ = ("_starts", "_text")

    def __init__(self, text: str) -> None:
        self._text = text
        end = len(text)
        # like str.splitlines, a break at the very end does not open another (empty) line
        self._starts = [0] if text else []
        self._starts += [m.end() for m in _BREAK.finditer(text) if m.end() < end]

    def __len__(self) -> int:
        """The number of lines."""
        return len(self._starts)

    def line(self, number: int, first: int = 0, last: int | None = None) -> str:
        """The text of 1-based line ``number`` without its line break, or its characters
        ``first`` to ``last`` (0-based, clipped to the line): a window costs its own size."""
        start, end = self.start(number), self.end(number)
        stop = end if last is None else min(end, start + last)
        return self._text[min(start + first, stop) : stop]

    def end(self, number: int) -> int:
        """The offset just after the last character of 1-based line ``number`` (before its break)."""
        if not 1 <= number <= len(self._starts):
            raise IndexError(f"line {number} is not in 1..{len(self._starts)}")
        end = self._starts[number] if number < len(self._starts) else len(self._text)
        if self._text.endswith("\r\n", 0, end):
            return end - 2
        return end - 1 if self._text.endswith(("\n", "\r"), 0, end) else end

    def start(self, number: int) -> int:
        """The offset of the first character of 1-based line ``number``."""
        if not 1 <= number <= len(self._starts):
            raise IndexError(f"line {number} is not in 1..{len(self._starts)}")
        return self._starts[number - 1]

    def line_number(self, offset: int) -> int:
        """The 1-based line that holds the character at ``offset``."""
        return max(bisect_right(self._starts, offset), 1)


UNICODE_BREAKS = "\x85\u2028\u2029"
"""Characters that YAML 1.1 (and so ruamel and libyaml) counts as line breaks, but YAML
1.2 and editors do not."""


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
