"""Verification and replay straight from stored rows (incidentflow.audit.rows) give the same
verdicts and the same states as the path through Event objects, on intact and on tampered
stores."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from incidentflow import Engine, PostgresStore, SQLiteStore
from incidentflow.audit.events import GENESIS, Event, StoredRow, seal, verify_chain
from incidentflow.audit.postgres_readonly import read_postgres
from incidentflow.audit.rows import RowStore, decode_data, incidents
from incidentflow.audit.sqlite import event_row
from incidentflow.audit.sqlite_readonly import ReadOnlySQLiteStore
from incidentflow.audit.verify import VerifyReport, check_store
from incidentflow.engine.state import UNFOLDED_DATA, IncidentState, replay, replay_rows
from tests.engine.common import DESK, MAJOR, T0, desk_in_progress, in_triage
from tests.helpers.audit_files import build_store, execute, rewrite_and_rehash
from tests.helpers.postgres import database_url, fresh_schema, raw

ODD_TEXT = 'quote " backslash \\ newline \n tab \t nul \x00 bell \x07 é ü 🚀 \u2028 \x7f'


class EventsOnly:
    """A store's reads without all_rows(): check_store takes the path through Events."""

    def __init__(self, store: Any) -> None:
        self._store = store

    def events(self, incident_id: str, after: int = 0) -> list[Event]:
        return self._store.events(incident_id, after)

    def incident_ids(self) -> list[str]:
        return self._store.incident_ids()

    def incident_index(self) -> tuple[list[tuple[int, str]], int] | None:
        return self._store.incident_index()

    def all_events(self) -> Iterator[Event]:
        return self._store.all_events()


def _both_ways(path: Path) -> tuple[VerifyReport, VerifyReport]:
    store = ReadOnlySQLiteStore(path)
    try:
        assert isinstance(store, RowStore)
        assert not isinstance(EventsOnly(store), RowStore)
        return check_store(store).report, check_store(EventsOnly(store)).report
    finally:
        store.close()


@pytest.fixture
def db(tmp_path: Path) -> Path:
    """A closed store: inc-1..inc-3, opened then noted 4 times each."""
    path = tmp_path / "incidents.db"
    build_store(path)
    return path


def _swap(incident: str, a: int, b: int) -> tuple[str, ...]:
    where = f"WHERE incident_id = '{incident}' AND seq ="
    return (
        f"UPDATE events SET seq = -1 {where} {a}",
        f"UPDATE events SET seq = {a} {where} {b}",
        f"UPDATE events SET seq = {b} {where} -1",
    )


ONE = "WHERE incident_id = 'inc-1' AND seq = 3"
TAMPERING: dict[str, tuple[str, ...]] = {
    "intact": (),
    "data changed, still JSON": (f"""UPDATE events SET data = '{{"text":"other"}}' {ONE}""",),
    "data re-spaced, same JSON": (f"UPDATE events SET data = replace(data, ':', ': ') {ONE}",),
    "data with leading whitespace": (f"UPDATE events SET data = ' ' || data {ONE}",),
    "data with trailing whitespace": (f"UPDATE events SET data = data || ' ' {ONE}",),
    "data not JSON": (f"UPDATE events SET data = 'not json' {ONE}",),
    "data JSON with extra data": (f"UPDATE events SET data = data || '{{}}' {ONE}",),
    "data a BLOB of the same bytes": (f"UPDATE events SET data = CAST(data AS BLOB) {ONE}",),
    "data a BLOB, not JSON": (f"UPDATE events SET data = CAST('zz' AS BLOB) {ONE}",),
    "actor changed": (f"UPDATE events SET actor = 'mallory' {ONE}",),
    "time changed": (f"UPDATE events SET time = '2024-05-01T12:00:01+00:00' {ONE}",),
    "bad prev_hash": (f"UPDATE events SET prev_hash = '{'0' * 64}' {ONE}",),
    "hash changed": (f"UPDATE events SET hash = '{'f' * 64}' {ONE}",),
    "kind changed": (f"UPDATE events SET kind = 'opened' {ONE}",),
    "spec digest changed": (f"UPDATE events SET spec_digest = 'x' {ONE}",),
    "middle event deleted": (f"DELETE FROM events {ONE}",),
    "first event deleted": ("DELETE FROM events WHERE incident_id = 'inc-2' AND seq = 1",),
    "last event deleted": ("DELETE FROM events WHERE incident_id = 'inc-2' AND seq = 5",),
    "events reordered": _swap("inc-2", 2, 3),
    "an event copied into another seq": (
        "INSERT INTO events SELECT incident_id, 6, time, actor, kind, data, spec_name, "
        "spec_version, spec_digest, prev_hash, hash FROM events "
        "WHERE incident_id = 'inc-3' AND seq = 2",
    ),
    "an event of another incident inserted": (
        "INSERT INTO events SELECT 'inc-2', 6, time, actor, kind, data, spec_name, "
        "spec_version, spec_digest, prev_hash, hash FROM events "
        "WHERE incident_id = 'inc-1' AND seq = 5",
    ),
    "incident emptied": ("DELETE FROM events WHERE incident_id = 'inc-3'",),
}

VERIFIES = ("intact", "data a BLOB of the same bytes", "last event deleted")


@pytest.mark.parametrize("case", list(TAMPERING))
def test_rows_and_events_give_the_same_report(db: Path, case: str) -> None:
    execute(db, *TAMPERING[case])
    rows, events = _both_ways(db)
    assert rows == events
    # (a cut at the end of a log shows only against an anchor)
    assert rows.ok == (case in VERIFIES)


@pytest.mark.parametrize("seq", [1, 3, 5])
def test_a_rewritten_and_rehashed_event_is_found_either_way(db: Path, seq: int) -> None:
    rewrite_and_rehash(db, "inc-2", seq, "mallory")  # the chain alone still verifies
    execute(db, f"UPDATE events SET prev_hash = '{'1' * 64}' WHERE incident_id = 'inc-1'")
    rows, events = _both_ways(db)
    assert rows == events
    assert [(p.incident_id, p.problem) for p in rows.problems] == [("inc-1", "modified")]


def test_odd_text_is_hashed_identically_from_rows(tmp_path: Path) -> None:
    # Sealed by hand: the engine refuses control characters in most of these fields, a
    # store does not, and the hash must cover them the same way from rows and from events.
    path = tmp_path / "odd.db"
    store = SQLiteStore(path)
    spec = (ODD_TEXT, ODD_TEXT, "d" * 64)
    first = seal(
        ODD_TEXT, 1, T0.isoformat(), ODD_TEXT, "opened", {ODD_TEXT: [ODD_TEXT]}, spec, GENESIS
    )
    second = seal(ODD_TEXT, 2, ODD_TEXT, "é", "noted", {"text": ODD_TEXT}, spec, first.hash)
    store.append(ODD_TEXT, 0, [first, second])
    store.close()
    rows, events = _both_ways(path)
    assert rows == events
    assert rows.ok
    assert rows.events == 2


def _rich_store(path: Path) -> SQLiteStore:
    """Incidents through most kinds of event: assignments, checks, transitions, timers
    fired, severity changes, notes."""
    now = [T0]
    store = SQLiteStore(path)
    engine = Engine([MAJOR, DESK], store, clock=lambda: now[0])
    major = in_triage(engine)
    engine.note(major, 'ü 🚀 \u2028 " \\', actor="carol")
    engine.set_severity(major, "SEV2", actor="carol", reason="contained")
    engine.unassign(major, "deputy", "dave", actor="system")
    desk = desk_in_progress(engine)
    engine.note(desk, "waiting on the vendor", actor="rita")
    now[0] = T0 + timedelta(days=3)
    engine.tick()
    return store


def test_replaying_rows_gives_the_state_replaying_events_gives(tmp_path: Path) -> None:
    store = _rich_store(tmp_path / "rich.db")
    try:
        events = list(store.all_events())
        rows = list(store.all_rows())
    finally:
        store.close()
    assert {e.kind for e in events} >= {"opened", "assigned", "unassigned", "checked"}
    assert {e.kind for e in events} >= {"transitioned", "severity_changed", "noted"}
    assert "timer_fired" in {e.kind for e in events}
    assert len(rows) == len(events)
    by_id = dict(incidents(rows))
    for iid, log in by_id.items():
        from_events = [e for e in events if e.incident_id == iid]
        assert verify_chain(iid, log) is None
        assert replay_rows(iid, log).snapshot() == replay(iid, from_events).snapshot()


def test_the_kinds_whose_data_is_not_decoded_do_not_change_the_state(tmp_path: Path) -> None:
    store = _rich_store(tmp_path / "rich.db")
    try:
        rows = list(store.all_rows())
    finally:
        store.close()
    for iid, log in incidents(rows):
        for n, row in enumerate(log):
            if row.kind not in UNFOLDED_DATA:
                continue
            with_data, without = IncidentState(iid), IncidentState(iid)
            for earlier in log[:n]:
                data = decode_data(earlier.data_json)
                with_data.fold(earlier, data)
                without.fold(earlier, data)
            with_data.fold(row, decode_data(row.data_json))
            without.fold(row, {})
            assert with_data.snapshot() == without.snapshot()


def test_a_writers_replay_refuses_data_that_is_not_json(db: Path) -> None:
    execute(db, "UPDATE events SET data = 'not json' WHERE incident_id = 'inc-1' AND seq = 1")
    store = SQLiteStore(db)
    try:
        log = next(log for iid, log in incidents(store.all_rows()) if iid == "inc-1")
    finally:
        store.close()
    assert verify_chain("inc-1", log) is not None
    with pytest.raises(json.JSONDecodeError, match="Expecting value"):
        replay_rows("inc-1", log)


def test_rows_are_the_columns_in_order(db: Path) -> None:
    conn = sqlite3.connect(db)
    try:
        raw = conn.execute("SELECT * FROM events ORDER BY incident_id, seq").fetchall()
    finally:
        conn.close()
    store = SQLiteStore(db)
    try:
        rows = list(store.all_rows())
    finally:
        store.close()
    assert [tuple(r) for r in rows] == raw
    assert all(type(r) is StoredRow for r in rows)


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=12,
)


def _loads(text: object, *, lenient: bool) -> object:
    try:
        return ("value", json.loads(text))  # type: ignore[arg-type]
    except (TypeError, ValueError) as exc:
        if not lenient:
            return ("error", type(exc))
        return ("value", {})


def _decoded(text: object, *, lenient: bool) -> object:
    try:
        return ("value", decode_data(text, lenient=lenient))
    except (TypeError, ValueError) as exc:
        return ("error", type(exc))


TEXTS = (
    JSON_VALUES.map(lambda v: json.dumps(v, sort_keys=True, separators=(",", ":")))
    | JSON_VALUES.map(lambda v: json.dumps(v, indent=1))
    | st.tuples(st.sampled_from(["", " ", "\n", "x", "{}", "\ufeff"]), JSON_VALUES).map(
        lambda p: json.dumps(p[1]) + p[0] if len(p[0]) == 1 else p[0] + json.dumps(p[1])
    )
    | st.text(max_size=20)
    | st.binary(max_size=20)
)


@given(TEXTS, st.booleans())
def test_decode_data_reads_exactly_what_json_loads_reads(text: object, lenient: bool) -> None:
    assert _decoded(text, lenient=lenient) == _loads(text, lenient=lenient)


PG_TAMPERING = {
    "intact": "",
    "data changed, still JSON": """UPDATE {s}.events SET data = '{{"text":"x"}}' {one}""",
    "data re-spaced": "UPDATE {s}.events SET data = replace(data, ':', ': ') {one}",
    "data not JSON": "UPDATE {s}.events SET data = 'not json' {one}",
    "bad prev_hash": f"UPDATE {{s}}.events SET prev_hash = '{'0' * 64}' {{one}}",
    "middle event deleted": "DELETE FROM {s}.events {one}",
    "reordered": ";".join(
        f"UPDATE {{s}}.events SET seq = {new} WHERE incident_id = 'pg-2' AND seq = {old}"
        for old, new in ((4, -1), (5, 4), (-1, 5))
    ),
}


@pytest.mark.postgres
@pytest.mark.parametrize("case", list(PG_TAMPERING))
def test_postgresql_rows_and_events_give_the_same_report_and_state(case: str) -> None:
    with fresh_schema() as schema:
        store = PostgresStore(database_url(), schema=schema)
        try:
            for n in (1, 2, 3):
                iid = f"pg-{n}"
                spec = ("minimal", "1", "d" * 64)
                opened = seal(iid, 1, T0.isoformat(), "svc", "opened", _OPENING, spec, GENESIS)
                log = [opened]
                for seq in range(2, 6):
                    text = {"text": f"{ODD_TEXT.replace(chr(0), '')} {seq}"}
                    log.append(
                        seal(iid, seq, T0.isoformat(), "é", "noted", text, spec, log[-1].hash)
                    )
                store.append(iid, 0, log)
            events = list(store.all_events())
            rows = list(store.all_rows())
        finally:
            store.close()
        assert [tuple(r) for r in rows] == [event_row(e) for e in events]
        for iid, log in incidents(rows):
            from_events = [e for e in events if e.incident_id == iid]
            assert replay_rows(iid, log).snapshot() == replay(iid, from_events).snapshot()
        if PG_TAMPERING[case]:
            with raw() as conn:
                one = "WHERE incident_id = 'pg-1' AND seq = 3"
                conn.execute(PG_TAMPERING[case].format(s=f'"{schema}"', one=one))
        url = database_url()

        def both(snapshot: Any) -> tuple[VerifyReport, VerifyReport]:
            assert isinstance(snapshot, RowStore)
            return check_store(snapshot).report, check_store(EventsOnly(snapshot)).report

        from_rows, from_events = read_postgres(url, schema, both, source="test")
    assert from_rows == from_events
    assert from_rows.ok == (case == "intact")


_OPENING = {
    "process": "minimal",
    "title": "t",
    "severity": "SEV1",
    "fields": {},
    "state": "open",
    "phase": None,
    "terminal": False,
    "timers": {},
    "actions": [],
}
