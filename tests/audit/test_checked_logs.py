"""checked_logs (incidentflow.audit.rows) groups rows by incident and gives each group
exactly verify_chain's verdict, on intact and on tampered rows, whatever the columns hold."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from incidentflow.audit import rows as rows_module
from incidentflow.audit.events import GENESIS, ChainProblem, StoredRow, seal, verify_chain
from incidentflow.audit.rows import checked_logs, incidents
from incidentflow.audit.sqlite import event_row

ODD_TEXT = 'quote " backslash \\ newline \n tab \t nul \x00 bell \x07 é ü 🚀 \u2028 \x7f'
SPEC = ("minimal", "1", "d" * 64)


def _log(
    incident_id: str, length: int, text: str = "note", first: str = "opened"
) -> list[StoredRow]:
    """A chain of ``length`` events as stored rows: ``first``, then notes."""
    events = [seal(incident_id, 1, "2024-06-11T12:00:00+00:00", "svc", first, {}, SPEC, GENESIS)]
    for seq in range(2, length + 1):
        data = {"text": f"{text} {seq}"}
        prev = events[-1].hash
        events.append(
            seal(incident_id, seq, "2024-06-11T12:00:01+00:00", "é", "noted", data, SPEC, prev)
        )
    return [StoredRow(*event_row(e)) for e in events]


def _outcome(found: Any) -> tuple[str, Any]:
    try:
        return "verdicts", [tuple(item) for item in found()]
    except Exception as exc:  # the same kind of failure either way
        return "raised", type(exc)


def _reference(rows: list[StoredRow]) -> tuple[str, Any]:
    return _outcome(lambda: [(i, log, verify_chain(i, log)) for i, log in incidents(rows)])


def _checked(rows: list[StoredRow]) -> tuple[str, Any]:
    return _outcome(lambda: checked_logs(rows))


STORE = [*_log("inc-1", 4), *_log("inc-2", 5, ODD_TEXT), *_log(ODD_TEXT, 3)]
# Rows whose own hash is right, to graft: a fork of inc-1 (right seqs, other links), and
# chains that do not start with "opened"
GRAFTS = [
    *_log("inc-1", 4, "fork"),
    *_log("inc-2", 2, first="noted"),
    *_log("inc-4", 2, "x", "noted"),
]
VALUES = st.one_of(
    st.text(max_size=8),
    st.sampled_from(["opened", "noted", GENESIS, ODD_TEXT, "", "inc-1", "inc-2"]),
    st.integers(min_value=-2, max_value=7),
    st.sampled_from([None, True, 2.0, b"{}", b"zz", ["list"], {"a": 1}]),
    st.sampled_from([row.hash for row in STORE]),
)
EDITS = st.one_of(
    st.tuples(st.just("set"), st.integers(0, len(STORE) - 1), st.integers(0, 10), VALUES),
    st.tuples(st.just("delete"), st.integers(0, len(STORE) - 1)),
    st.tuples(st.just("swap"), st.integers(0, len(STORE) - 1), st.integers(0, len(STORE) - 1)),
    st.tuples(st.just("copy"), st.integers(0, len(STORE) - 1), st.integers(0, len(STORE))),
    st.tuples(st.just("graft"), st.integers(0, len(STORE)), st.integers(0, len(GRAFTS) - 1)),
    st.tuples(st.just("replace"), st.integers(0, len(STORE)), st.integers(0, len(GRAFTS) - 1)),
)


def _edited(edits: list[tuple[Any, ...]]) -> list[StoredRow]:
    rows = list(STORE)
    for edit in edits:
        if not rows:
            break
        kind, at = edit[0], edit[1] % len(rows)
        if kind == "set":
            columns = list(rows[at])
            columns[edit[2]] = edit[3]
            rows[at] = StoredRow(*columns)
        elif kind == "delete":
            del rows[at]
        elif kind == "swap":
            other = edit[2] % len(rows)
            rows[at], rows[other] = rows[other], rows[at]
        elif kind == "copy":
            rows.insert(edit[2] % (len(rows) + 1), rows[at])
        elif kind == "graft":
            rows.insert(edit[1] % (len(rows) + 1), GRAFTS[edit[2]])
        else:
            rows[at] = GRAFTS[edit[2]]
    return rows


@settings(max_examples=600, deadline=None)
@given(st.lists(EDITS, max_size=3))
def test_the_verdicts_are_verify_chains_whatever_the_rows_hold(edits: list[Any]) -> None:
    rows = _edited(edits)
    assert _checked(rows) == _reference(rows)


def test_an_intact_store_is_checked_without_verify_chain(monkeypatch: pytest.MonkeyPatch) -> None:
    # The fast check decides an intact log alone; verify_chain only names a problem.
    def refuse(incident_id: str, log: object) -> None:
        raise AssertionError(f"verify_chain called for {incident_id}")

    monkeypatch.setattr(rows_module, "verify_chain", refuse)
    found = list(checked_logs(STORE))
    assert [(c.incident_id, len(c.rows), c.problem) for c in found] == [
        ("inc-1", 4, None),
        ("inc-2", 5, None),
        (ODD_TEXT, 3, None),
    ]


@pytest.mark.parametrize(
    ("column", "value", "first"),
    [
        (5, '{"text":"other"}', (3, "modified")),
        (5, '{"text": "note 3"}', (3, "modified")),  # the same JSON, other text
        (1, 4, (4, "modified")),  # (the hash covers seq)
        (9, "0" * 64, (3, "modified")),  # (and prev_hash)
        (4, "opened", (3, "modified")),
    ],
)
def test_a_tampered_log_gets_its_first_problem(
    column: int, value: object, first: tuple[int, str]
) -> None:
    log = _log("inc-1", 5)
    columns = list(log[2])
    columns[column] = value
    log[2] = StoredRow(*columns)
    ((iid, rows, found),) = checked_logs([*log, *_log("inc-2", 2)][:5])
    assert (iid, rows) == ("inc-1", log)
    assert isinstance(found, ChainProblem)
    assert (found.seq, found.problem) == first
    assert found == verify_chain("inc-1", log)


def test_no_rows_no_logs() -> None:
    assert list(checked_logs([])) == []


def test_times_and_process_versions_that_change_are_hashed_as_they_are(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # checked_logs encodes a row's time and process columns again only when they differ
    # from the previous row's (in this incident or the one before): a log whose times and
    # versions change (a migration) and come back is still intact, without verify_chain.
    def refuse(incident_id: str, log: object) -> None:
        raise AssertionError(f"verify_chain called for {incident_id}")

    times = ["2024-06-11T12:00:00+00:00", "2024-06-11T12:00:01+00:00", ODD_TEXT]
    specs = [SPEC, ("minimal", "2", "e" * 64), ("other", "2", "e" * 64), SPEC]
    rows = []
    for incident_id in ("inc-1", "inc-2"):
        prev = GENESIS
        for seq in range(1, 9):
            kind = "opened" if seq == 1 else "noted"
            spec, time = specs[seq % len(specs)], times[seq % len(times)]
            event = seal(incident_id, seq, time, "svc", kind, {"n": seq}, spec, prev)
            rows.append(StoredRow(*event_row(event)))
            prev = event.hash
    monkeypatch.setattr(rows_module, "verify_chain", refuse)
    found = [(c.incident_id, len(c.rows), c.problem) for c in checked_logs(rows)]
    assert found == [("inc-1", 8, None), ("inc-2", 8, None)]
