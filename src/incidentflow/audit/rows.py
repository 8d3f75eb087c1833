"""Reading events straight from a store's rows: verified without decoding, decoded fast.

A store that can (SQLite, PostgreSQL, and their read-only readers) offers
``all_rows()``: every event as a :class:`~incidentflow.audit.events.StoredRow`, its
``data`` still the stored JSON text. That is what verification needs, and all it
needs: each event's hash is computed over its stored columns
(:func:`~incidentflow.audit.events.verify_chain` takes rows as well as events), so
``incidentflow audit verify`` neither builds :class:`~incidentflow.audit.events.Event`
objects nor decodes any data. Folding rows into an incident's state
(:func:`incidentflow.engine.state.replay_rows`) decodes each ``data`` once, with
:func:`decode_data`.

Why the stored text, rather than the decoded data re-encoded: the hash was computed over
the canonical text when the event was sealed, and a store writes that text as is. Text
that differs from it (reformatted, re-ordered keys, broken JSON) fails the hash check
and is reported as a modified event, exactly as when the data is re-encoded (and more
strictly: a change that decodes to the same data is still a change). A row whose data is
not text at all (a BLOB put in by hand) is decoded and re-encoded, as events are read.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Callable, Iterable, Iterator, Mapping
from operator import itemgetter
from typing import Any, Protocol, runtime_checkable

from incidentflow.audit.events import StoredRow, encode_data

# The json module's own scanner, without what json.loads adds around it (type checks, a
# new decoder call, two whitespace matches): 3x faster on an event's data. Canonical text
# has no whitespace around it; anything else goes through json.loads, for its verdict.
_scan: Callable[[str, int], tuple[Any, int]] = json.JSONDecoder().scan_once  # type: ignore[attr-defined]
_new_row = tuple.__new__


@runtime_checkable
class RowStore(Protocol):
    """A store whose events can be read as rows (see the module notes)."""

    def all_rows(self) -> Iterator[StoredRow]:
        """Every event as a row, grouped by incident (by id), each in seq order."""
        ...


def decode_data(text: Any, *, lenient: bool = False) -> Mapping[str, Any]:
    """An event's stored ``data`` decoded, exactly as ``json.loads`` would (``lenient``:
    text that is not JSON reads as ``{}``: an auditor's read, see the readers)."""
    if type(text) is str:
        try:
            value, end = _scan(text, 0)
        except (StopIteration, ValueError):
            pass  # leading whitespace, or not JSON: json.loads says which
        else:
            if end == len(text):
                return value  # type: ignore[no-any-return]
    try:
        return json.loads(text)  # type: ignore[no-any-return]
    except (TypeError, ValueError):
        if not lenient:
            raise
        return {}


def stored_rows(rows: Iterable[tuple[Any, ...]], *, lenient: bool = False) -> Iterator[StoredRow]:
    """Rows of the events table (its columns in order) as :class:`StoredRow`."""
    new = _new_row
    for row in rows:
        if type(row[1]) is not int or type(row[5]) is not str:
            row = _normalised(row, lenient=lenient)
        yield new(StoredRow, row)


def _normalised(row: tuple[Any, ...], *, lenient: bool) -> tuple[Any, ...]:
    """A row with an int ``seq`` and ``data`` as text (as events are read: a ``data`` that
    is not text is decoded and re-encoded, so the hash check re-encodes it)."""
    data = row[5]
    if type(data) is not str:
        data = encode_data(decode_data(data, lenient=lenient))
    return (row[0], int(row[1]), *row[2:5], data, *row[6:])


def incidents(rows: Iterable[StoredRow]) -> Iterator[tuple[str, list[StoredRow]]]:
    """``(incident id, its rows)`` for rows grouped by incident, one incident at a time."""
    for incident_id, group in itertools.groupby(rows, key=itemgetter(0)):
        yield incident_id, list(group)
