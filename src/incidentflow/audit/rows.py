"""Reading events straight from a store's rows: verified without decoding, decoded fast.

A store that can (SQLite, PostgreSQL, and their read-only readers) offers
``all_rows()``: every event as a :class:`~incidentflow.audit.events.StoredRow`, its
``data`` still the stored JSON text. That is what verification needs, and all it
needs: each event's hash is computed over its stored columns
(:func:`~incidentflow.audit.events.verify_chain` takes rows as well as events), so
``incidentflow audit verify`` neither builds :class:`~incidentflow.audit.events.Event`
objects nor decodes any data; :func:`checked_logs` groups the rows by incident and checks
each chain in the same pass, with :func:`verify_chain`'s verdicts. Folding rows into an incident's state
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

import hashlib
import itertools
import json
from collections.abc import Callable, Iterable, Iterator, Mapping
from json.encoder import encode_basestring
from operator import itemgetter
from typing import Any, NamedTuple, Protocol, runtime_checkable

from incidentflow.audit.events import (
    _ENCODED,
    GENESIS,
    ChainProblem,
    StoredRow,
    encode_data,
    verify_chain,
)

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


class CheckedLog(NamedTuple):
    """One incident's rows, in stored order, and the first problem in its hash chain."""

    incident_id: str
    rows: list[StoredRow]
    problem: ChainProblem | None
    """What ``verify_chain(incident_id, rows)`` returns: None if the chain is intact."""


def checked_logs(rows: Iterable[StoredRow]) -> Iterator[CheckedLog]:
    """Each incident's rows (``rows`` grouped by incident, as :func:`incidents` groups
    them) with the verdict of :func:`~incidentflow.audit.events.verify_chain` on them.

    One pass, one incident in memory at a time. The verdict is verify_chain's own, found
    faster: each row is checked as it is grouped, its hashed bytes built around the
    incident's encoded id (encoded once per incident rather than once per row), and a
    log in which anything looks wrong (a hash, a seq, a link, a first event that is not
    ``opened``, a column of an unexpected type) is handed to verify_chain, which names
    its first problem. So a log is reported intact here only if every row passes
    exactly the checks verify_chain makes, over exactly the same bytes.
    """
    sha256 = hashlib.sha256
    encode = encode_basestring
    memo = _ENCODED.__getitem__  # verify_chain's memo of the strings that repeat
    log: list[StoredRow] = []
    incident_id = ""
    head = ""
    intact = True
    expected_seq = 1
    prev_hash = GENESIS
    name_ = version_ = digest_ = time_ = None
    spec_json = time_json = ""
    for row in rows:
        iid, seq, time, actor, kind, data, name, version, digest, row_prev, row_hash = row
        if iid != incident_id or not log:
            if log:
                yield _checked(incident_id, log, intact)
            incident_id, log, expected_seq, prev_hash = iid, [], 1, GENESIS
            intact = type(iid) is str
            head = f"[{encode(iid)}," if intact else ""
        log.append(row)
        if not intact:
            continue  # verify_chain will say where and why
        # The cheap checks first; the bytes are those of canonical_with_data_json (for
        # an exact int seq only: int.__repr__ and format differ on a bool). The time and
        # the process columns mostly repeat from row to row: encoded again only when
        # they change. row_prev is quoted as is: equal to prev_hash, it is GENESIS or the
        # hex digest the previous row's hash was just found equal to (encode_basestring
        # leaves hex digits alone).
        try:
            if time != time_:
                time_json = encode(time)
                time_ = time
            if name != name_ or version != version_ or digest != digest_:
                spec_json = f"{memo(name)},{memo(version)},{memo(digest)}"
                name_, version_, digest_ = name, version, digest
            intact = (
                type(seq) is int
                and seq == expected_seq
                and row_prev == prev_hash
                and (seq != 1 or kind == "opened")
                and sha256(
                    f'{head}{seq},{time_json},{memo(actor)},{memo(kind)},{data},{spec_json},"'
                    f'{row_prev}"]'.encode()
                ).hexdigest()
                == row_hash
            )
        except Exception:  # a column no store's row has (an unhashable actor...): its call
            intact = False
        prev_hash = row_hash
        expected_seq += 1
    if log:
        yield _checked(incident_id, log, intact)


def _checked(incident_id: str, log: list[StoredRow], intact: bool) -> CheckedLog:
    return CheckedLog(incident_id, log, None if intact else verify_chain(incident_id, log))
