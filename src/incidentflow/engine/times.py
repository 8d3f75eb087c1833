"""Times as the log records them: ISO 8601 text.

A tick records one ``now`` for every incident it fires, a batch one for every call, and
formatting an aware datetime costs about two microseconds: more than folding the event
it goes into. :func:`iso_text` remembers the last one.
"""

from __future__ import annotations

from datetime import datetime

_last: tuple[datetime, str] | None = None  # replaced whole: a read sees a matching pair


def iso_text(at: datetime) -> str:
    """``at.isoformat()``; the same datetime object asked again costs a comparison."""
    global _last
    last = _last
    if last is not None and last[0] is at:
        return last[1]
    text = at.isoformat()
    _last = (at, text)
    return text
