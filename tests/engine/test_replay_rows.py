"""replay_rows (engine/state.py) folds stored rows into the state the plain path gives
(every row's data decoded with json.loads and folded), whatever the log: its shortcuts
(decoded data shared between rows with the same text, rows of UNFOLDED_DATA kinds folded
only when last) change nothing in the state, and the data it shares is data the fold keeps
nothing mutable of."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from incidentflow.audit.events import GENESIS, StoredRow
from incidentflow.engine import state as state_module
from incidentflow.engine.state import UNFOLDED_DATA, IncidentState, replay_rows

TIMES = ["2024-06-11T12:00:00+00:00", "2024-06-11T12:00:00+00:00", "2024-06-11T12:05:30+02:00"]
NAMES = st.sampled_from(["a", "b", "commander", "é"])
SCALARS = st.one_of(st.none(), st.booleans(), st.integers(-3, 3), st.floats(0, 2), NAMES)
JSON = st.recursive(
    SCALARS,
    lambda inner: st.lists(inner, max_size=2) | st.dictionaries(NAMES, inner, max_size=2),
    max_leaves=4,
)
TIMERS = st.dictionaries(NAMES, st.sampled_from(TIMES), max_size=2)
ACTIONS = st.lists(
    st.fixed_dictionaries(
        {"action": NAMES, "origin": NAMES}, optional={"params": st.dictionaries(NAMES, JSON)}
    ),
    max_size=2,
)
ENTERED = {
    "phase": st.none() | NAMES,
    "terminal": st.booleans(),
    "timers": TIMERS,
    "actions": ACTIONS,
}
DATA: dict[str, Any] = {
    "opened": st.fixed_dictionaries(
        {
            "process": NAMES,
            "title": NAMES,
            "severity": NAMES,
            "state": NAMES,
            "fields": st.dictionaries(NAMES, JSON, max_size=2),
            "sla": st.dictionaries(NAMES, st.floats(0, 9), max_size=1),
            "trigger": st.none() | NAMES,
            "dedupe": st.none() | st.dictionaries(NAMES, NAMES, max_size=1),
            **ENTERED,
        },
        optional={"alert": NAMES},
    ),
    "transitioned": st.fixed_dictionaries(
        {"to": NAMES, "from": NAMES, "transition": NAMES, **ENTERED}, optional={"as_role": NAMES}
    ),
    "assigned": st.fixed_dictionaries({"role": NAMES, "person": NAMES}),
    "unassigned": st.fixed_dictionaries({"role": NAMES, "person": NAMES}),
    "checked": st.fixed_dictionaries({"item": NAMES}),
    "noted": st.fixed_dictionaries({"text": NAMES}),
    "deduplicated": st.fixed_dictionaries({}, optional={"alert": NAMES}),
    "alert_resolved": st.fixed_dictionaries({"alert": NAMES}),
    "timer_fired": st.fixed_dictionaries(
        {"timer": NAMES, "actions": ACTIONS},
        optional={"next": st.sampled_from(TIMES), "count": st.integers(0, 3)},
    ),
    "severity_changed": st.fixed_dictionaries({"new": NAMES, "timers": TIMERS}),
    "migrated": st.fixed_dictionaries(
        {
            "to": NAMES,
            "severity": NAMES,
            "checklist": st.lists(NAMES, max_size=2),
            "timers": TIMERS,
            "fired_timers": st.lists(NAMES, max_size=2),
        },
        optional={"phase": NAMES, "terminal": st.booleans()},
    ),
    "action_started": st.fixed_dictionaries(
        {"action_id": st.sampled_from(["2.0", "3.0", "3.1"])},
        optional={"holder": NAMES, "lease_until": st.sampled_from(TIMES)},
    ),
    "action_heartbeat": st.fixed_dictionaries(
        {
            "action_id": st.sampled_from(["2.0", "3.0"]),
            "attempt": st.integers(0, 2),
            "lease_until": st.sampled_from(TIMES),
        }
    ),
    "action_succeeded": st.fixed_dictionaries({"action_id": st.sampled_from(["2.0", "3.0"])}),
    "action_failed": st.fixed_dictionaries(
        {"action_id": st.sampled_from(["2.0", "3.0"])},
        optional={"error": NAMES, "retry_at": st.sampled_from(TIMES)},
    ),
}
LATER_KINDS = sorted(set(DATA) - {"opened"})


def _text(data: object, style: str) -> str:
    if style == "canonical":  # what stores write
        return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return json.dumps(data, indent=1)  # other text: decode_data's json.loads fallback


@st.composite
def logs(draw: st.DrawFn, incident_id: str) -> list[StoredRow]:
    """An incident's rows: opened, then up to 10 events of any kind, data from small
    alphabets (so that texts repeat), times and process versions that change or not."""
    kinds = ["opened", *draw(st.lists(st.sampled_from(LATER_KINDS), max_size=10))]
    rows = []
    for seq, kind in enumerate(kinds, start=1):
        text = _text(draw(DATA[kind]), draw(st.sampled_from(["canonical"] * 4 + ["indented"])))
        time = draw(st.sampled_from(TIMES))
        version = draw(st.sampled_from(["1", "1", "2"]))
        rows.append(
            StoredRow(
                incident_id, seq, time, draw(NAMES), kind, text, "p", version, version * 64,
                GENESIS, f"{seq:064x}",
            )
        )  # fmt: skip
    return rows


def _plain(incident_id: str, rows: list[StoredRow]) -> IncidentState:
    """The reference: every row's data decoded with json.loads, every row folded."""
    state = IncidentState(incident_id)
    for row in rows:
        state.fold(row, json.loads(row.data_json))
    return state


CACHES = {"_roles", "_assignments_view", "_last_at"}  # derived on demand


def _observed(state: IncidentState) -> dict[str, object]:
    """Everything a state holds (its caches aside: last_at, the snapshot stand for them)."""
    seen = {name: getattr(state, name) for name in IncidentState.__slots__ if name not in CACHES}
    return {**seen, "last_at": state.last_at, "snapshot": state.snapshot()}


def _outcome(replay: Any, incident_id: str, rows: list[StoredRow]) -> tuple[str, object]:
    try:
        return "state", _observed(replay(incident_id, rows))
    except Exception as exc:  # ill-formed data fails the same way on either path
        return "raised", type(exc)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["inc-1", "inc-2", "inc-3"]), st.data()), max_size=4))
def test_replaying_rows_gives_the_state_the_plain_fold_gives(
    incidents: list[tuple[str, st.DataObject]],
) -> None:
    # Several incidents in a row: decoded data shared by one serves the next.
    for incident_id, data in incidents:
        rows = data.draw(logs(incident_id))
        assert _outcome(replay_rows, incident_id, rows) == _outcome(_plain, incident_id, rows)


def test_a_repeated_text_is_decoded_once_and_its_data_shared(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(state_module, "_SHARED", {})
    decoded: list[object] = []
    real = state_module.decode_data

    def counting(text: Any, *, lenient: bool = False) -> Any:
        decoded.append(text)
        return real(text, lenient=lenient)

    monkeypatch.setattr(state_module, "decode_data", counting)
    assign = '{"person":"alice","role":"commander"}'
    planning = '{"actions":[{"action":"page","origin":"o","params":{}}],"state":"s","timers":{}}'
    for incident_id in ("inc-1", "inc-2"):
        rows = [
            StoredRow(incident_id, 1, TIMES[0], "a", "opened", _opening(), "p", "1", "d", "", ""),
            StoredRow(incident_id, 2, TIMES[0], "a", "assigned", assign, "p", "1", "d", "", ""),
            StoredRow(incident_id, 3, TIMES[0], "a", "transitioned", planning, "p", "1", "d", "", ""),
            StoredRow(incident_id, 4, TIMES[0], "a", "noted", '{"text":"x"}', "p", "1", "d", "", ""),
        ]  # fmt: skip
        state = replay_rows(incident_id, rows)
        assert state.assignments == {"commander": ("alice",)}
        assert state.version == 4
    # the assignment once; the opening and the transition planning actions (whose params
    # the fold keeps) each time; the notes never
    assert decoded.count(assign) == 1
    assert decoded.count(planning) == 2
    assert decoded.count(_opening()) == 2
    assert '{"text":"x"}' not in decoded


def _opening() -> str:
    data = {"process": "p", "title": "t", "severity": "S", "state": "s", "fields": {"a": [1]}}
    return _text(
        {**data, "trigger": None, "dedupe": None, "timers": {}, "actions": []}, "canonical"
    )


def _mutate(value: object) -> None:
    """Change every container inside ``value``, in place."""
    if isinstance(value, dict):
        for item in list(value.values()):
            _mutate(item)
        value.clear()
        value["mutated"] = ["mutated"]
    elif isinstance(value, list):
        for item in value:
            _mutate(item)
        value[:] = ["mutated"]


@settings(max_examples=300, deadline=None)
@given(st.data())
def test_the_fold_keeps_nothing_mutable_of_the_data_it_shares(data: st.DataObject) -> None:
    # What makes sharing one decoded value between rows safe: changing a shareable
    # data after folding it changes nothing in the state.
    rows = data.draw(logs("inc-1"))
    state = IncidentState("inc-1")
    for row in rows:
        decoded = json.loads(row.data_json)
        state.fold(row, decoded)
        if row.kind in UNFOLDED_DATA or not state_module._shareable(decoded):
            continue
        before = repr(_observed(state))
        _mutate(decoded)
        assert repr(_observed(state)) == before


@pytest.mark.parametrize(
    ("data", "shareable"),
    [
        ({"person": "alice", "role": "commander"}, True),
        ({"actions": [], "timers": {"t": "2024-06-11T12:00:00+00:00"}, "to": "s"}, True),
        ({"fields": {"a": 1}, "sla": {"x": 1.0}, "dedupe": None}, True),
        ({"actions": [{"action": "page", "params": {}}]}, False),  # params are kept
        ({"dedupe": {"key": "x"}}, False),  # kept
        ({"fields": {"a": [1]}}, False),  # a field's value is kept
        ({"title": ["a"]}, False),  # ill-formed, kept as is
        ({}, False),  # also what a lenient read makes of broken JSON
        ([1], False),
    ],
)
def test_what_is_shareable(data: object, shareable: bool) -> None:
    assert state_module._shareable(data) is shareable
