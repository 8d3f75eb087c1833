"""Faults the engine must survive without stopping anyone's pages, or lying in the log.

- one broken incident never stops the timers of the others (it is reported and backed off);
- a committed change is reported as done even when its actions' bookkeeping fails, and
  the next tick picks the actions up, retrying on a schedule recorded in the log;
- action idempotency keys differ across incidents and stores;
- an incident's log never runs backwards, whatever the clock does;
- an engine refuses two contents under one version of a process.
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

import incidentflow
from incidentflow import (
    ActionRequest,
    Engine,
    Event,
    InvalidArgument,
    InvalidOperation,
    MemoryStore,
    SQLiteStore,
    Store,
    StoreClosed,
    StoreError,
    TransitionNotAllowed,
)
from incidentflow.audit.events import seal
from incidentflow.audit.metrics import incident_metrics
from incidentflow.engine import retries
from incidentflow.engine.state import key_of, replay
from tests.conftest import EXAMPLES
from tests.helpers.stores import DelegatingStore

SPEC = (EXAMPLES / "major-incident.yaml").read_text(encoding="utf-8")
MAJOR = incidentflow.load(EXAMPLES / "major-incident.yaml")
T0 = datetime(2024, 5, 1, 9, 0, tzinfo=UTC)
API_DOWN = {"service": "api", "availability": 0.5}


def version_2(*renames: tuple[str, str]) -> incidentflow.Process:
    """The major-incident process at version 2.0.0, with some text renamed."""
    text = SPEC.replace('version: "1.0.0"', 'version: "2.0.0"')
    for old, new in renames:
        assert old in text
        text = text.replace(old, new)
    return incidentflow.loads(text, filename="major-incident-v2.yaml")


# The state `triage` renamed `assessment` (every reference to it), or its timer renamed.
STATE_RENAMED = version_2(
    ("    triage:\n", "    assessment:\n"),
    ("to: triage", "to: assessment"),
    ("from: [detected, triage]", "from: [detected, assessment]"),
    ("from: triage", "from: assessment"),
)
TIMER_RENAMED = version_2(("id: exec_heads_up", "id: exec_briefing"))


class ArchivelessStore(DelegatingStore):
    """A store that keeps no process versions (a third-party store, or logs of earlier
    releases): an incident under a version the engine lacks runs on the newest one given,
    and breaks where that version lacks its state or timer."""

    def __init__(self) -> None:
        super().__init__(MemoryStore())
        self.opened_since = self.inner.opened_since


def stuck_in_triage(store: Store) -> str:
    """A SEV1 opened from a signal under version 1 and acknowledged: it sits in `triage`."""
    v1 = Engine(MAJOR, store, clock=lambda: T0)
    incident = v1.signal(API_DOWN)
    assert incident is not None
    v1.assign(incident.id, "responder", "rita", actor="system")
    v1.fire(incident.id, "acknowledge", actor="rita")
    return incident.id


# --- item 1: one broken incident never stops the others -----------------------------------


@pytest.mark.parametrize(
    ("v2", "why"),
    [
        (STATE_RENAMED, "in state 'triage', which version 2.0.0 of 'major-incident' no longer has"),
        (TIMER_RENAMED, "timer 'exec_heads_up' of state 'triage' is not in version 2.0.0"),
    ],
    ids=["state", "timer"],
)
def test_a_broken_incident_never_stops_another_incidents_escalation(
    v2: incidentflow.Process, why: str, caplog: pytest.LogCaptureFixture
) -> None:
    store = ArchivelessStore()
    stuck = stuck_in_triage(store)  # its exec_heads_up timer falls due at 09:15
    now = [T0]
    engine = Engine(v2, store, clock=lambda: now[0])
    sev3 = engine.open("major-incident", severity="SEV3", actor="svc").id  # 1h escalation
    now[0] = T0 + timedelta(hours=5)
    with caplog.at_level(logging.WARNING, logger="incidentflow.engine"):
        ticked = engine.tick()
    escalated = [e for e in ticked if e.kind == "transitioned"]
    assert [(e.incident_id, e.data["transition"]) for e in escalated] == [(sev3, "escalate")]
    [problem] = ticked.problems
    assert problem.incident_id == stuck
    assert isinstance(problem.exception, InvalidOperation)
    assert why in problem.error
    assert problem.failures == 1
    assert problem.retry_at > now[0]
    assert engine.problems() == ticked.problems
    assert [r.getMessage() for r in caplog.records if stuck in r.getMessage()]  # logged

    # not retried in a hot loop: later ticks leave it alone until its wait is over ...
    appends_before = len(store.events(stuck))
    assert engine.tick() == []
    assert engine.problems()[0].failures == 1
    assert engine.next_deadline() == problem.retry_at  # not its overdue timer, in the past
    # ... then look again, and wait longer after another failure
    now[0] = problem.retry_at
    assert engine.tick().problems[0].failures == 2
    assert engine.problems()[0].retry_at - now[0] > problem.retry_at - problem.since
    assert len(store.events(stuck)) == appends_before  # nothing half-written

    # still readable, listed for people to see, and verifiable
    assert engine.get(stuck).state == "triage"
    assert engine.history(stuck)[-1].seq == engine.get(stuck).version
    assert engine.verify(stuck).ok
    assert stuck in [i.id for i in engine.queue()]


def test_a_signal_does_not_join_a_broken_incident() -> None:
    store = ArchivelessStore()
    stuck = stuck_in_triage(store)
    engine = Engine(STATE_RENAMED, store, clock=lambda: T0 + timedelta(minutes=1))
    joined = engine.signal(API_DOWN)  # same service: would join `stuck` if it were healthy
    assert joined is not None
    assert joined.id != stuck  # a new incident, whose timers run
    assert [e.kind for e in store.events(stuck)][-1] != "deduplicated"


class UnreadableStore(DelegatingStore):
    """Reading ``broken``'s events always fails (a corrupt page, a lost connection)."""

    def __init__(self, inner: MemoryStore) -> None:
        super().__init__(inner)
        self.opened_since = inner.opened_since
        self.broken: str | None = None
        self.reads = 0

    def events(self, incident_id: str, after: int = 0) -> list[Event]:
        if incident_id == self.broken:
            self.reads += 1
            raise OSError(5, "Input/output error")
        return self.inner.events(incident_id, after)


def test_an_unreadable_incident_is_skipped_by_queue_next_deadline_and_tick() -> None:
    now = [T0]
    store = UnreadableStore(MemoryStore())
    engine = Engine(MAJOR, store, clock=lambda: now[0])
    broken = engine.open("major-incident", severity="SEV1", actor="svc").id
    healthy = engine.open("major-incident", severity="SEV4", actor="svc").id
    store.broken = broken
    assert [i.id for i in engine.queue()] == [healthy]
    [problem] = engine.problems()
    assert (problem.incident_id, problem.version) == (broken, None)
    assert isinstance(problem.exception, StoreError)
    assert isinstance(problem.exception.__cause__, OSError)
    assert engine.next_deadline() == problem.retry_at  # before healthy's SEV4 4h timer
    reads = store.reads
    assert engine.tick().problems == (problem,)
    assert store.reads == reads  # left alone until its wait is over
    now[0] = T0 + timedelta(hours=5)
    ticked = engine.tick()
    assert {e.incident_id for e in ticked if e.kind == "timer_fired"} == {healthy}
    assert ticked.problems[0].failures == 2
    store.broken = None  # the store recovers
    now[0] = ticked.problems[0].retry_at
    ticked = engine.tick()
    assert {e.incident_id for e in ticked if e.kind == "timer_fired"} == {broken}
    assert ticked.problems == ()
    assert engine.problems() == ()


# --- item 3: a committed change is reported as done; unrun actions are picked up -----------


class FailingStore(DelegatingStore):
    """Appends whose first event is of kind ``fail_kind`` fail ``failures`` times, as a full
    disk or a lock held past the timeout makes SQLite fail."""

    def __init__(self, inner: MemoryStore, fail_kind: str, failures: int) -> None:
        super().__init__(inner)
        self.opened_since = inner.opened_since
        self.fail_kind = fail_kind
        self.failures = failures

    def append(self, incident_id: str, expected_version: int, events: Sequence[Event]) -> None:
        if events and events[0].kind == self.fail_kind and self.failures > 0:
            self.failures -= 1
            raise sqlite3.OperationalError("database or disk is full")
        self.inner.append(incident_id, expected_version, events)


def paged(calls: list[ActionRequest]) -> dict[str, object]:
    return dict.fromkeys(MAJOR.spec.actions, calls.append)


def test_fire_reports_a_committed_transition_when_action_started_cannot_be_written() -> None:
    now = [T0]
    calls: list[ActionRequest] = []
    store = FailingStore(MemoryStore(), "action_started", failures=0)
    engine = Engine(MAJOR, store, clock=lambda: now[0], handlers=paged(calls))  # type: ignore[arg-type]
    iid = engine.open("major-incident", severity="SEV1", actor="svc").id
    store.failures = 1  # the disk fills up
    engine.assign(iid, "responder", "rita", actor="svc")
    incident = engine.fire(iid, "acknowledge", actor="rita")  # no exception: it committed
    assert incident.state == "triage"
    planned = [a for a in incident.actions if a.origin == "enter:triage"]
    assert planned
    assert {a.status for a in planned} == {"planned"}
    with pytest.raises(TransitionNotAllowed):  # a caller's retry is refused: it is done
        engine.fire(iid, "acknowledge", actor="rita")

    ran = len(calls)
    ticked = engine.tick()  # the next tick picks them up, at once
    assert ticked.problems == ()
    assert len(calls) == ran + len(planned)
    assert {a.status for a in engine.get(iid).actions} == {"succeeded"}
    started = [e for e in ticked if e.kind == "action_started"]
    assert {e.data["attempt"] for e in started} == {1}
    assert engine.verify(iid).ok


def test_a_transition_whose_own_write_fails_raises_a_store_error_and_writes_nothing() -> None:
    store = FailingStore(MemoryStore(), "transitioned", failures=1)
    engine = Engine(MAJOR, store, clock=lambda: T0)
    iid = engine.open("major-incident", severity="SEV1", actor="svc").id
    engine.assign(iid, "responder", "rita", actor="svc")
    version = engine.get(iid).version
    with pytest.raises(StoreError) as failed:
        engine.fire(iid, "acknowledge", actor="rita")
    assert isinstance(failed.value.__cause__, sqlite3.OperationalError)
    assert failed.value.incident_id == iid
    assert engine.get(iid).version == version
    assert engine.fire(iid, "acknowledge", actor="rita").state == "triage"  # retry works


def test_an_outcome_that_cannot_be_written_is_recorded_by_the_next_tick_without_rerunning() -> None:
    calls: list[ActionRequest] = []
    store = FailingStore(MemoryStore(), "action_succeeded", failures=1)
    engine = Engine(MAJOR, store, clock=lambda: T0, handlers=paged(calls))  # type: ignore[arg-type]
    incident = engine.open("major-incident", severity="SEV1", actor="svc")
    assert [a.status for a in incident.actions] == ["started", "planned"]
    assert len(calls) == 1
    engine.tick()
    assert len(calls) == 2  # the page is not sent twice; the ticket is opened
    assert [a.status for a in engine.get(incident.id).actions] == ["succeeded", "succeeded"]


def test_failed_actions_are_retried_on_a_schedule_recorded_in_the_log() -> None:
    now = [T0]
    attempts: list[int] = []

    def status_page_down(request: ActionRequest) -> None:
        attempts.append(request.attempt)
        raise ConnectionError("status page unreachable")

    engine = Engine(MAJOR, clock=lambda: now[0], handlers={"post_status": status_page_down})
    iid = engine.open("major-incident", severity="SEV1", actor="svc").id
    engine.assign(iid, "deputy", "dave", actor="svc")
    engine.fire(iid, "escalate", actor="dave")  # plans post_status
    [action] = [a for a in engine.get(iid).actions if a.action == "post_status"]
    assert (action.status, action.attempts) == ("failed", 1)
    assert action.retry_at == T0 + retries.FIRST_RETRY
    assert engine.next_deadline() == action.retry_at

    now[0] = action.retry_at - timedelta(seconds=1)
    assert not [e for e in engine.tick() if e.kind.startswith("action_")]  # not yet due
    for attempt in range(2, retries.MAX_ATTEMPTS + 1):
        due = engine.get(iid)
        [action] = [a for a in due.actions if a.action == "post_status"]
        assert action.retry_at is not None
        now[0] = action.retry_at
        engine.tick()
        assert attempts[-1] == attempt
    [action] = [a for a in engine.get(iid).actions if a.action == "post_status"]
    assert (action.status, action.attempts, action.retry_at) == ("failed", 6, None)  # given up
    failures = [
        e
        for e in engine.history(iid)
        if e.kind == "action_failed" and e.data["action_id"] == action.id
    ]
    assert [e.data["attempt"] for e in failures] == list(range(1, retries.MAX_ATTEMPTS + 1))
    waits = [datetime.fromisoformat(e.data["retry_at"]) - e.at for e in failures[:-1]]
    assert waits == [retries.FIRST_RETRY * 2**n for n in range(retries.MAX_ATTEMPTS - 1)]
    now[0] += timedelta(days=1)
    engine.tick()
    assert len(attempts) == retries.MAX_ATTEMPTS  # after the cap, only retry_actions() runs it
    # replay tells the same schedule, without the engine
    replayed = replay(iid, engine.history(iid)).snapshot()
    assert replayed.actions == engine.get(iid).actions


def test_a_missing_handler_is_not_retried_by_itself() -> None:
    now = [T0]
    engine = Engine(MAJOR, clock=lambda: now[0])
    iid = engine.open("major-incident", severity="SEV1", actor="svc").id
    assert {a.retry_at for a in engine.get(iid).actions} == {None}
    now[0] += timedelta(minutes=3)
    assert not [e for e in engine.tick() if e.kind.startswith("action_")]


MINIMAL_WITH_ACTION = """\
apiVersion: incidentflow/v1
kind: Process
metadata: {name: closing, version: "1"}
roles:
  responder: {title: Responder}
severity:
  levels:
    - {id: SEV1, title: Critical}
actions:
  notify: {description: Tell the customer, params: {}}
triggers: []
process:
  initial: open
  states:
    open: {title: Open, owner: responder}
    closed: {title: Closed, terminal: true}
  transitions:
    - {name: close, from: open, to: closed, by: [responder], actions: [{action: notify}]}
"""


def test_the_failed_action_of_a_closing_transition_is_still_retried() -> None:
    now = [T0]
    up = [False]

    def notify(request: ActionRequest) -> None:
        if not up[0]:
            raise ConnectionError("mail server down")

    process = incidentflow.loads(MINIMAL_WITH_ACTION, filename="closing.yaml")
    engine = Engine(process, clock=lambda: now[0], handlers={"notify": notify})
    iid = engine.open("closing", severity="SEV1", actor="svc").id
    engine.assign(iid, "responder", "rita", actor="svc")
    assert engine.fire(iid, "close", actor="rita").closed
    assert engine.tick() == []  # closed, yet watched while its action may be retried
    assert engine.queue() == []
    up[0] = True
    now[0] += retries.FIRST_RETRY
    engine.tick()
    assert [a.status for a in engine.get(iid).actions] == ["succeeded"]


def test_planned_actions_of_a_dead_host_are_started_after_the_grace() -> None:
    """A host that died between committing and running its actions leaves them planned."""
    now = [T0]
    store = MemoryStore()
    dead = Engine(MAJOR, FailingStore(store, "action_started", failures=99), clock=lambda: now[0])
    iid = dead.open("major-incident", severity="SEV1", actor="svc").id
    calls: list[ActionRequest] = []
    ticker = Engine(MAJOR, store, clock=lambda: now[0], handlers=paged(calls))  # type: ignore[arg-type]
    assert ticker.tick() == []  # within the grace: left to the call that planned them
    assert ticker.next_deadline() == T0 + retries.UNSTARTED_GRACE
    now[0] += retries.UNSTARTED_GRACE
    ticker.tick()
    assert [a.status for a in ticker.get(iid).actions] == ["succeeded", "succeeded"]
    assert len(calls) == 2


# --- item 4: idempotency keys ---------------------------------------------------------------


def test_idempotency_keys_are_unique_across_incidents_and_stores() -> None:
    seen: list[ActionRequest] = []
    keys: dict[str, ActionRequest] = {}
    for store_number in range(2):  # two stores, same ids: action_id collides, the key does not
        ids = iter(["INC-1", "INC-2"])
        clock = [T0 + timedelta(hours=store_number)]
        engine = Engine(
            MAJOR,
            MemoryStore(),
            clock=lambda c=clock: c[0],
            handlers=paged(seen),
            new_id=lambda i=ids: next(i),  # type: ignore[arg-type, misc]
        )
        for _ in range(2):
            engine.open("major-incident", severity="SEV1", actor="svc")
            clock[0] += timedelta(seconds=1)
    assert len({r.action_id for r in seen}) < len(seen)  # "1.0" in every incident
    for request in seen:
        assert request.idempotency_key not in keys, (request, keys.get(request.idempotency_key))
        keys[request.idempotency_key] = request
    assert len(keys) == len(seen) == 8


def test_a_retry_gets_the_same_idempotency_key_and_it_is_derived_from_the_log() -> None:
    seen: list[ActionRequest] = []
    broken = [True]

    def flaky(request: ActionRequest) -> None:
        seen.append(request)
        if broken[0]:
            raise ConnectionError("pager down")

    engine = Engine(MAJOR, clock=lambda: T0, handlers={"page": flaky})
    iid = engine.open("major-incident", severity="SEV1", actor="svc").id
    broken[0] = False
    engine.retry_actions(iid)
    assert [r.attempt for r in seen] == [1, 2]
    assert seen[0].idempotency_key == seen[1].idempotency_key
    opened = engine.history(iid)[0]
    assert seen[0].idempotency_key == key_of(opened.hash, 0)
    assert engine.get(iid).actions[0].idempotency_key == seen[0].idempotency_key


# --- item 11: time never runs backwards in the log ------------------------------------------


def test_a_clock_that_steps_back_never_dates_an_event_before_the_last_one() -> None:
    now = [T0 + timedelta(minutes=10)]
    engine = Engine(MAJOR, clock=lambda: now[0])
    iid = engine.open("major-incident", severity="SEV1", actor="svc").id
    engine.assign(iid, "responder", "rita", actor="svc")
    now[0] = T0  # the clock steps back ten minutes
    incident = engine.fire(iid, "acknowledge", actor="rita")
    engine.note(iid, "still here", actor="rita")
    engine.tick(T0 - timedelta(hours=1))  # an explicit time from the past, too
    times = [e.at for e in engine.history(iid)]
    assert times == sorted(times)
    assert incident.state_entered_at == T0 + timedelta(minutes=10)  # clamped, not T0
    assert incident.timers["exec_heads_up"] == incident.state_entered_at + timedelta(minutes=15)
    metrics = incident_metrics(engine.history(iid), T0 + timedelta(hours=1))
    assert metrics.time_to_acknowledge == timedelta(0)
    assert all(d >= timedelta(0) for d in metrics.time_in_state.values())


def test_metrics_of_a_log_whose_times_ran_backwards_are_never_negative() -> None:
    """A log written before the engine kept times in order."""
    spec = (MAJOR.name, MAJOR.version, MAJOR.digest)
    opened = seal(
        "old", 1, (T0 + timedelta(minutes=10)).isoformat(), "svc", "opened",
        {"process": MAJOR.name, "title": "", "severity": "SEV1", "fields": {}, "state": "detected",
         "phase": "identification", "terminal": False, "timers": {}, "actions": []},
        spec, "0" * 64,
    )  # fmt: skip
    moved = seal(
        "old", 2, T0.isoformat(), "rita", "transitioned",
        {"transition": "acknowledge", "index": 0, "from": "detected", "to": "triage",
         "phase": "triage", "terminal": False, "timers": {}, "actions": []},
        spec, opened.hash,
    )  # fmt: skip
    metrics = incident_metrics([opened, moved], T0 + timedelta(hours=1))
    assert metrics.time_to_acknowledge == timedelta(0)
    assert metrics.time_in_state["detected"] == timedelta(0)


# --- item 17: one content per version of a process ---------------------------------------------


def test_two_contents_under_one_version_are_refused_naming_both() -> None:
    edited = incidentflow.loads(SPEC.replace("id: exec_heads_up", "id: exec_briefing"))
    with pytest.raises(InvalidArgument) as refused:
        Engine([MAJOR, edited])
    message = str(refused.value)
    assert "'major-incident' version '1.0.0' is given with two different contents" in message
    assert MAJOR.digest[:19] in message
    assert edited.digest[:19] in message
    assert refused.value.argument == "processes"
    assert list(Engine([MAJOR, MAJOR]).processes) == ["major-incident"]  # the same spec twice
    assert Engine([MAJOR, TIMER_RENAMED]).processes["major-incident"] is TIMER_RENAMED  # newest


def test_sqlite_store_errors_surface_as_store_errors(tmp_path: Path) -> None:
    store = SQLiteStore(tmp_path / "x.db")
    engine = Engine(MAJOR, store, clock=lambda: T0)
    iid = engine.open("major-incident", severity="SEV1", actor="svc").id
    store._local.conn.close()  # as if the connection broke: the store will reconnect...
    store._local.conn = None
    (tmp_path / "x.db").unlink()
    (tmp_path / "x.db").mkdir()  # ...to a file that is gone and cannot be recreated
    with pytest.raises(StoreError) as failed:
        engine.note(iid, "hello", actor="svc")
    assert isinstance(failed.value.__cause__, sqlite3.Error)


def test_a_closed_store_is_a_store_error_through_the_engine(tmp_path: Path) -> None:
    store = SQLiteStore(tmp_path / "x.db")
    engine = Engine(MAJOR, store, clock=lambda: T0)
    iid = engine.open("major-incident", severity="SEV1", actor="svc").id
    store.close()
    with pytest.raises(StoreClosed):
        engine.note(iid, "hello", actor="svc")
    assert issubclass(StoreClosed, StoreError)
