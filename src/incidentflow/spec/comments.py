"""Where a spec's comments are, told apart from ``#`` inside values.

A ``#`` starts a YAML comment when it begins a line or follows a space or tab,
and is not part of a scalar: ``"a # b"``, ``'a # b'`` and the lines of a ``|``
or ``>`` block hold ``#`` as text. Rather than re-implement YAML's quoting and
indentation rules, :class:`CommentMap` asks the parser (the same one the loader
uses) where every scalar starts and ends, and treats a ``#`` as a comment when
it lies outside all of them. A ``#`` after whitespace inside a comment also
counts (it is still comment text), which lets a directive follow a remark.
"""

from __future__ import annotations

import re
from bisect import bisect_right

from ruamel.yaml import events as ev
from ruamel.yaml.error import YAMLError

from incidentflow.spec.lines import LineIndex
from incidentflow.spec.yamlread import _new_parser

_NOT_BLANK = re.compile(r"[^ \t]")


class CommentMap:
    """The comments of one YAML text; build it with :meth:`read`."""

    __slots__ = ("_ends", "_next_content", "_starts", "lines", "text")

    def __init__(self, text: str, scalars: list[tuple[int, int]]) -> None:
        self.text = text
        self.lines = LineIndex(text)
        self._starts = [start for start, _ in scalars]
        self._ends = [end for _, end in scalars]
        self._next_content: list[int | None] | None = None

    @classmethod
    def read(cls, text: str) -> CommentMap | None:
        """Locate the scalars of ``text``; None when the parser cannot read it."""
        scalars = []
        try:
            for event in _new_parser().parse(text):
                if isinstance(event, ev.ScalarEvent):
                    scalars.append((event.start_mark.index, event.end_mark.index))
        # the loader reports what is wrong with such a text; it has no comments to honour
        except (YAMLError, ValueError, OverflowError, AssertionError, RecursionError):
            return None
        scalars.sort()
        return cls(text, scalars)

    def in_comment(self, offset: int) -> bool:
        """True when the ``#`` at ``offset`` starts a comment (or follows whitespace in one)."""
        if self.text[offset : offset + 1] != "#":
            return False
        if offset > 0 and self.text[offset - 1] not in " \t\r\n":
            return False
        i = bisect_right(self._starts, offset) - 1
        return i < 0 or offset >= self._ends[i]

    def own_line(self, offset: int) -> bool:
        """True when only whitespace comes before ``offset`` on its line."""
        start = self.lines.start(self.lines.line_number(offset))
        return _NOT_BLANK.search(self.text, start, offset) is None

    def next_content_line(self, line: int) -> int | None:
        """The first line after ``line`` that holds more than whitespace and comments."""
        if self._next_content is None:
            self._next_content = self._content_lines_ahead()
        return self._next_content[line] if 0 <= line < len(self._next_content) else None

    def _content_lines_ahead(self) -> list[int | None]:
        # one backward pass, so that any number of lookups costs no more than one
        ahead: list[int | None] = [None] * (len(self.lines) + 1)
        following: int | None = None
        for number in range(len(self.lines), 0, -1):
            ahead[number] = following
            first = _NOT_BLANK.search(self.text, self.lines.start(number), self.lines.end(number))
            if first is not None and not self.in_comment(first.start()):
                following = number
        ahead[0] = following
        return ahead
