"""Concurrency (stale writes write nothing), the clock, and what the log keeps apart from callers.

Every refusal is checked to have written nothing (tests.engine.common.writes_nothing).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta, timezone

import pytest

from incidentflow import (
    ActionRequest,
    Append,
    ConcurrencyError,
    Engine,
    Event,
    InvalidOperation,
    MemoryStore,
    UnknownIncident,
)
from tests.engine.common import (
    API_DOWN,
    MAJOR,
    T0,
    in_triage,
    kinds,
    writes_nothing,
)

# --- concurrency --------------------------------------------------------------------------


def test_expected_version(engine: Engine) -> None:
    iid = in_triage(engine)
    version = engine.get(iid).version
    operations = [
        lambda v: engine.assign(iid, "scribe", "sue", actor="carol", expected_version=v),
        lambda v: engine.unassign(iid, "deputy", "dave", actor="carol", expected_version=v),
        lambda v: engine.check(iid, "impact_confirmed", actor="carol", expected_version=v),
        lambda v: engine.fire(iid, "start_mitigation", actor="carol", expected_version=v),
        lambda v: engine.set_severity(iid, "SEV2", actor="carol", expected_version=v),
        lambda v: engine.note(iid, "x", actor="carol", expected_version=v),
    ]
    for operation in operations:
        for stale in (version - 1, version + 1, 0):
            with writes_nothing(engine, iid), pytest.raises(ConcurrencyError) as info:
                operation(stale)
            assert (info.value.incident_id, info.value.expected, info.value.actual) == (
                iid,
                stale,
                version,
            )
    engine.note(iid, "fresh", actor="carol", expected_version=version)
    assert engine.get(iid).version == version + 1


class RacingStore(MemoryStore):
    """A MemoryStore that lets another writer in just before the next append."""

    def __init__(self) -> None:
        super().__init__()
        self.before_next_append: list[object] = []

    def append(self, incident_id: str, expected_version: int, events: list[Event]) -> None:  # type: ignore[override]
        self._let_in()
        super().append(incident_id, expected_version, events)

    def append_many(self, appends: Sequence[Append]) -> list[ConcurrencyError]:
        self._let_in()  # tick() writes its group of timers this way
        return super().append_many(appends)

    def _let_in(self) -> None:
        while self.before_next_append:
            action = self.before_next_append.pop()
            action()  # type: ignore[operator]


def test_a_concurrent_write_makes_the_stale_one_fail_and_write_nothing(
    now: list[datetime],
) -> None:
    store = RacingStore()
    one = Engine(MAJOR, store=store, clock=lambda: now[0])
    two = Engine(MAJOR, store=store, clock=lambda: now[0])
    iid = in_triage(one)
    before = len(one.history(iid))
    store.before_next_append.append(lambda: two.note(iid, "first", actor="carol"))
    with pytest.raises(ConcurrencyError):
        one.note(iid, "second", actor="carol")
    notes = [e.data["text"] for e in one.history(iid) if e.kind == "noted"]
    assert notes == ["first"]
    assert len(one.history(iid)) == before + 1
    assert one.get(iid).version == before + 1
    assert one.verify().ok
    one.note(iid, "second", actor="carol")  # retried on top of the newer state


def test_a_timer_raced_by_another_engine_fires_once(now: list[datetime]) -> None:
    store = RacingStore()
    one = Engine(MAJOR, store=store, clock=lambda: now[0])
    two = Engine(MAJOR, store=store, clock=lambda: now[0])
    iid = one.open("major-incident", severity="SEV1").id
    now[0] = T0 + timedelta(minutes=5)
    store.before_next_append.append(two.tick)
    assert one.tick() == []
    assert kinds(one, iid).count("timer_fired") == 1
    assert one.get(iid).state == "triage"
    assert one.verify().ok


# --- clock --------------------------------------------------------------------------------


def test_a_naive_clock_is_refused_clearly() -> None:
    eng = Engine(MAJOR, clock=lambda: datetime(2024, 5, 1, 9, 0))
    with pytest.raises(ValueError, match="aware"):
        eng.open("major-incident", severity="SEV1")
    assert eng.store.incident_ids() == []


def test_a_naive_tick_time_is_refused(engine: Engine) -> None:
    with pytest.raises(ValueError, match="aware"):
        engine.tick(datetime(2024, 5, 1, 9, 0))


def test_a_non_utc_clock_is_recorded_in_utc() -> None:
    paris = datetime(2024, 5, 1, 11, 0, tzinfo=UTC).astimezone(timezone(timedelta(hours=2)))
    eng = Engine(MAJOR, clock=lambda: paris)
    iid = eng.open("major-incident", severity="SEV1").id
    assert eng.get(iid).opened_at == datetime(2024, 5, 1, 11, 0, tzinfo=UTC)
    assert eng.history(iid)[0].time.endswith("+00:00")


def test_timers_start_at_the_recorded_state_entry(now: list[datetime]) -> None:
    """With a clock that moves between reads, timers still count from the entry event's time."""
    moving = [T0]

    def clock() -> datetime:
        moving[0] += timedelta(seconds=1)
        return moving[0]

    eng = Engine(MAJOR, clock=clock)
    iid = eng.open("major-incident", severity="SEV1").id
    incident = eng.get(iid)
    assert incident.timers["ack_deadline"] == incident.state_entered_at + timedelta(minutes=5)
    eng.assign(iid, "responder", "alice", actor="system")
    incident = eng.fire(iid, "acknowledge", actor="alice")
    assert incident.timers["exec_heads_up"] == incident.state_entered_at + timedelta(minutes=15)


def test_the_log_does_not_share_the_callers_mutable_fields(engine: Engine) -> None:
    """Mutating what the host passed in (or what a handler sees) must not rewrite history."""
    fields = {"service": "api", "availability": 0.5, "tags": ["edge"]}
    incident = engine.signal(fields)
    assert incident is not None
    fields["tags"].append("later")
    assert engine.get(incident.id).fields["tags"] == ["edge"]
    assert engine.verify().ok


def test_non_json_fields_are_refused_and_write_nothing(engine: Engine) -> None:
    with pytest.raises(InvalidOperation):
        engine.open("major-incident", severity="SEV1", fields={"when": T0})
    with pytest.raises(InvalidOperation):
        engine.signal({**API_DOWN, "ratio": float("nan")})
    assert engine.store.incident_ids() == []


def test_verify_an_unknown_incident(engine: Engine) -> None:
    with pytest.raises(UnknownIncident):
        engine.verify("nope")


def test_signal_opened_incidents_take_the_trigger_title(engine: Engine) -> None:
    incident = engine.signal(API_DOWN)
    assert incident is not None
    assert incident.title == "Public API or checkout unavailable"


def test_a_reentrant_handler_never_runs_an_action_twice(now: list[datetime]) -> None:
    """A handler that itself moves the incident (and so runs actions) must not double-run."""
    calls: list[str] = []
    eng = Engine(MAJOR, clock=lambda: now[0])

    def page(request: ActionRequest) -> None:
        calls.append(request.action_id)
        if len(calls) == 1:  # the first page: the bot acknowledges on the responder's behalf
            eng.assign(request.incident.id, "responder", "alice", actor="system")
            eng.fire(request.incident.id, "acknowledge", actor="alice")

    eng.register_action("page", page)
    eng.register_action("create_ticket", lambda request: calls.append(request.action_id))
    iid = eng.open("major-incident", severity="SEV1").id
    assert eng.get(iid).state == "triage"
    started = [e.data["action_id"] for e in eng.history(iid) if e.kind == "action_started"]
    assert len(started) == len(set(started))
    assert len(calls) == len(set(calls))
    assert set(calls) == {
        a.id for a in eng.get(iid).actions if a.action in {"page", "create_ticket"}
    }
    assert eng.verify(iid).ok
