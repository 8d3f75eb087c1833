"""Separation of duties: backups never let one person act in two roles a policy keeps apart.

The engine refuses it (on assignment and when firing, from the incident's log alone),
the compiler warns about backups a policy makes unusable (IF705), and the handbook's
"who may fire" is exactly what the engine's authorisation computes.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import incidentflow
from incidentflow.engine import authz
from incidentflow.engine.engine import Engine
from incidentflow.engine.state import replay
from incidentflow.errors import OperationRefused, TransitionNotAllowed
from incidentflow.render.handbook import handbook
from tests.conftest import EXAMPLES, MINIMAL, ROOT, SPECS
from tests.engine.common import writes_nothing

DUTIES = """\
apiVersion: incidentflow/v1
kind: Process
metadata: {name: duties, version: "1"}
roles:
  responder: {title: Responder, backups: [commander]}
  commander: {title: Commander, backups: [responder, deputy]}
  deputy: {title: Deputy commander, backups: [commander]}
severity:
  levels:
    - {id: SEV1, title: Critical}
    - {id: SEV2, title: Major}
process:
  initial: open
  states:
    open: {title: Open, owner: commander}
    fixed: {title: Fixed, owner: commander}
    closed: {title: Closed, terminal: true}
  transitions:
    - {name: fix, from: open, to: fixed, by: [responder]}
    - {name: reopen, from: fixed, to: open, by: [commander]}
    - {name: close, from: fixed, to: closed, by: [commander]}
policies:
  - {id: commander_is_not_fixer, for_severity: [SEV1], distinct_holders: [commander, responder]}
"""


@pytest.fixture
def duties() -> incidentflow.Process:
    return incidentflow.loads(DUTIES)


def _fixed(engine: Engine, level: str) -> str:
    """An incident at ``level`` that rita (responder) has moved to 'fixed'."""
    iid = engine.open("duties", severity=level, actor="system").id
    engine.assign(iid, "responder", "rita", actor="system")
    engine.fire(iid, "fix", actor="rita")
    return iid


def test_a_mutual_backup_cannot_stand_in_where_the_policy_applies(duties) -> None:
    engine = Engine(duties)
    iid = _fixed(engine, "SEV1")
    with writes_nothing(engine, iid), pytest.raises(TransitionNotAllowed) as info:
        engine.fire(iid, "close", actor="rita")  # responder backs up commander
    assert info.value.reason == "policy"
    assert "commander_is_not_fixer" in info.value.detail
    assert "'rita' holds 'responder'" in info.value.detail
    [entry] = [a for a in engine.allowed(iid, "rita") if a.transition == "close"]
    assert (entry.allowed, entry.reason) == (False, "policy")


def test_the_same_backup_stands_in_at_a_level_the_policy_does_not_cover(duties) -> None:
    engine = Engine(duties)
    iid = _fixed(engine, "SEV2")
    assert engine.fire(iid, "close", actor="rita").state == "closed"
    moved = engine.history(iid)[-1]
    assert moved.data["as_role"] == "commander"
    assert moved.data["via_backup"] == "responder"


def test_acting_as_a_role_through_a_backup_outside_the_policy_counts(duties) -> None:
    """dora stands in for the commander as deputy: she may not then become the responder."""
    engine = Engine(duties)
    iid = _fixed(engine, "SEV1")
    engine.assign(iid, "deputy", "dora", actor="system")
    engine.fire(iid, "reopen", actor="dora")
    assert engine.history(iid)[-1].data["as_role"] == "commander"
    with writes_nothing(engine, iid), pytest.raises(OperationRefused) as info:
        engine.assign(iid, "responder", "dora", actor="system")
    assert info.value.reason == "policy"
    assert "has already acted as 'commander'" in info.value.detail


def test_holding_one_role_forbids_standing_in_for_the_other(duties) -> None:
    engine = Engine(duties)
    iid = _fixed(engine, "SEV1")
    engine.assign(iid, "deputy", "dora", actor="system")
    engine.assign(iid, "responder", "dora", actor="system")  # deputy is outside the policy
    with writes_nothing(engine, iid), pytest.raises(TransitionNotAllowed) as info:
        engine.fire(iid, "reopen", actor="dora")
    assert info.value.reason == "policy"
    assert info.value.detail.endswith(
        "'dora' holds 'responder', so may not act as 'commander' "
        "(standing in through its backup 'responder')"
    )
    engine.assign(iid, "deputy", "dan", actor="system")
    assert engine.fire(iid, "reopen", actor="dan").state == "open"
    assert engine.fire(iid, "fix", actor="dora").state == "fixed"  # as the responder she is


def test_raising_the_severity_brings_the_policy_into_force(duties) -> None:
    engine = Engine(duties)
    iid = engine.open("duties", severity="SEV2", actor="system").id
    engine.assign(iid, "responder", "pat", actor="system")
    engine.assign(iid, "commander", "pat", actor="system")  # allowed at SEV2
    engine.set_severity(iid, "SEV1", actor="system")
    with writes_nothing(engine, iid), pytest.raises(TransitionNotAllowed) as info:
        engine.fire(iid, "fix", actor="pat")
    assert info.value.reason == "policy"


def test_decisions_depend_only_on_the_log(duties) -> None:
    """A second engine reading the same store, and a replay of the log, decide alike."""
    engine = Engine(duties)
    iid = _fixed(engine, "SEV1")
    engine.assign(iid, "deputy", "dora", actor="system")
    engine.fire(iid, "reopen", actor="dora")
    engine.assign(iid, "deputy", "rita", actor="system")
    again = Engine(duties, store=engine.store)
    state = replay(iid, engine.history(iid))
    assert state.acted == {"rita": {"responder"}, "dora": {"commander"}}
    for person in ("rita", "dora", "nobody"):
        first = engine.allowed(iid, person)
        assert again.allowed(iid, person) == first
        for entry in first:
            [tr] = [t for t in duties.transitions_from[state.state] if t.name == entry.transition]
            decided = authz.fire_as(duties, state, tr, person)
            assert isinstance(decided, authz.Acting) == entry.allowed
            if not entry.allowed:
                assert (decided.reason, decided.detail) == (entry.reason, entry.detail)


# --- the compiler ---------------------------------------------------------------------------


def test_backups_inside_a_policy_are_reported_where_they_are_declared() -> None:
    text = DUTIES.replace("for_severity: [SEV1], ", "")
    warnings = [w for w in incidentflow.loads(text).warnings if w.code == "IF705"]
    assert [(w.line, w.message) for w in warnings] == [
        (
            5,
            "'commander' can never stand in for 'responder': policy 'commander_is_not_fixer' "
            "keeps the two roles apart",
        ),
        (
            6,
            "'responder' can never stand in for 'commander': policy 'commander_is_not_fixer' "
            "keeps the two roles apart",
        ),
    ]
    assert [n.line for w in warnings for n in w.notes] == [23, 23]  # the policy
    at_sev1 = [w for w in incidentflow.loads(DUTIES).warnings if w.code == "IF705"]
    assert [w.message.split(":")[0] for w in at_sev1] == [
        "'commander' can never stand in for 'responder' at SEV1",
        "'responder' can never stand in for 'commander' at SEV1",
    ]


def test_backups_outside_every_policy_are_not_reported() -> None:
    text = DUTIES.replace("[commander, responder]", "[deputy, responder]")
    assert [w for w in incidentflow.loads(text).warnings if w.code == "IF705"] == []


def test_the_spec_format_example_compiles_without_diagnostics() -> None:
    text = (ROOT / "docs" / "spec-format.md").read_text(encoding="utf-8")
    first = re.search(r"(?ms)^```yaml\n(.*?)^```", text)
    assert first is not None
    assert "distinct_holders" in first[1]
    assert incidentflow.loads(first[1]).warnings == ()


# --- the handbook says what the engine enforces --------------------------------------------

_EXIT = re.compile(r"^- `(?P<name>[^`]+)` -> .*?; by: (?P<by>.*?)(?:; requires|; only at|; runs|$)")
_GROUP = re.compile(r"(none|`[^(]*`) \(at ([^)]*)\)")


def _roles(text: str) -> set[str]:
    return set(re.findall(r"`([^`]+)`", text))


def _stated(by: str, levels: list[str]) -> dict[str, set[str]]:
    """Who the handbook says may fire, level by level, from the text after ``by:``."""
    if by == "timers only":
        return {level: set() for level in levels}
    direct, _, backups = by.partition("; backups: ")
    groups = _GROUP.findall(backups)
    if not groups:
        return {lv: _roles(direct) | _roles(backups) for lv in levels}
    out = {}
    for roles, at in groups:
        for level in at.split(", "):
            out[level] = _roles(direct) | _roles(roles)
    return out


HANDBOOK_SPECS = [
    *sorted(EXAMPLES.glob("*.yaml")),
    MINIMAL,
    SPECS / "invalid" / "IF705-backup-kept-apart.yaml",  # a warning: it compiles
]


@pytest.mark.parametrize("source", [*HANDBOOK_SPECS, None], ids=lambda p: p.name if p else "duties")
def test_who_may_fire_in_the_handbook_is_what_the_engine_enforces(source: Path | None) -> None:
    process = incidentflow.load(source) if source else incidentflow.loads(DUTIES)
    text = handbook(process)
    checked = 0
    sections = {
        re.findall(r"`([^`]+)`\)?$", part.split("\n", 1)[0])[0]: part
        for part in text.split("## States\n", 1)[1].split("\n### ")[1:]
    }
    for sid in process.states:
        section = sections[sid]
        lines = [m for line in section.splitlines() if (m := _EXIT.match(line))]
        exits = process.transitions_from.get(sid, ())
        assert [m["name"] for m in lines] == [t.name for t in exits]
        for match, tr in zip(lines, exits, strict=True):
            levels = [lv for lv in process.level_ids if tr.when is None or lv in tr.when.severity]
            stated = _stated(match["by"], levels)
            assert stated == {lv: set(authz.fire_roles(process, tr, lv)) for lv in levels}
            checked += 1
    assert checked == len([e for t in process.spec.process.transitions for e in t.sources])
