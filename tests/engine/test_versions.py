"""Versions side by side: new incidents open on the newest, open ones keep theirs, the store
keeps every version's source so that a fresh engine loads an old incident's version."""

from __future__ import annotations

import logging
from datetime import timedelta
from pathlib import Path

import pytest

import incidentflow
from incidentflow import Engine, InvalidArgument, MemoryStore, SQLiteStore, StoredSpec
from incidentflow.engine.state import replay
from incidentflow.engine.versions import version_key
from tests.conftest import EXAMPLES
from tests.engine.common import API_DOWN, MAJOR, T0

SPEC = (EXAMPLES / "major-incident.yaml").read_text(encoding="utf-8")
V2_PATH = Path(__file__).parents[1] / "migrations" / "major-incident-v2.yaml"
V2 = incidentflow.load(V2_PATH)  # triage renamed assessment


def at_version(version: str, text: str = SPEC) -> incidentflow.Process:
    return incidentflow.loads(text.replace('version: "1.0.0"', f'version: "{version}"'))


def test_new_incidents_open_on_the_highest_version_number() -> None:
    older, newer = at_version("2.9.1"), at_version("2.10.0")  # not the higher string
    engine = Engine([newer, older, MAJOR], clock=lambda: T0)
    incident = engine.open("major-incident", severity="SEV2", actor="svc")
    assert (incident.process_version, incident.process_digest) == ("2.10.0", newer.digest)
    assert engine.processes["major-incident"] is newer
    assert version_key("2.0.0rc1") < version_key("2.0.0")  # pre-releases come first


def test_the_host_names_the_version_new_incidents_open_on() -> None:
    engine = Engine([MAJOR, V2], clock=lambda: T0, open_on={"major-incident": "1.0.0"})
    assert engine.open("major-incident", severity="SEV2", actor="svc").process_version == "1.0.0"
    with pytest.raises(InvalidArgument, match=r"'major-incident' has no version '3\.0\.0'"):
        Engine([MAJOR, V2], open_on={"major-incident": "3.0.0"})
    with pytest.raises(InvalidArgument, match="no process named 'other'"):
        Engine([MAJOR], open_on={"other": "1.0.0"})


def test_versions_that_are_not_version_numbers_need_the_host_to_name_one() -> None:
    dated = at_version("2024-05 rev 3")
    with pytest.raises(InvalidArgument, match=r"cannot be ordered.*open_on=\{'major-incident'"):
        Engine([MAJOR, dated])
    named = Engine([MAJOR, dated], open_on={"major-incident": "2024-05 rev 3"})
    assert named.processes["major-incident"] is dated


def test_an_incident_opened_before_a_new_version_keeps_working_without_migration() -> None:
    store = MemoryStore()
    now = [T0]
    v1 = Engine(MAJOR, store, clock=lambda: now[0])
    old = v1.signal(API_DOWN)
    assert old is not None
    v1.assign(old.id, "responder", "rita", actor="system")
    v1.fire(old.id, "acknowledge", actor="rita")  # in triage, which 2.0.0 renamed
    # a replica that runs only 2.0.0 loads 1.0.0 from the store for the old incident
    v2 = Engine(V2, store, clock=lambda: now[0])
    new = v2.open("major-incident", severity="SEV3", actor="svc")
    assert (new.state, new.process_version) == ("detected", "2.0.0")
    v2.assign(old.id, "commander", "cleo", actor="system")
    v2.check(old.id, "impact_confirmed", actor="cleo")
    assert {a.transition for a in v2.allowed(old.id, "cleo") if a.allowed} >= {"stand_down"}
    now[0] = T0 + timedelta(minutes=20)
    fired = [e for e in v2.tick() if e.kind == "timer_fired"]
    assert [(e.incident_id, e.data["timer"]) for e in fired] == [(old.id, "exec_heads_up")]
    incident = v2.fire(old.id, "stand_down", actor="cleo")
    assert (incident.state, incident.process_version) == ("review", "1.0.0")
    assert {e.spec_digest for e in store.events(old.id)} == {MAJOR.digest}
    assert {e.spec_digest for e in store.events(new.id)} == {V2.digest}
    assert replay(old.id, store.events(old.id)).snapshot() == v2.get(old.id)
    assert v2.verify().ok
    assert v2.problems() == ()


def test_a_store_keeps_each_version_once_before_its_first_event() -> None:
    store = MemoryStore()
    engine = Engine([MAJOR, V2], store, clock=lambda: T0, open_on={"major-incident": "1.0.0"})
    assert store.stored_specs() == []  # nothing is written until an incident needs it
    engine.open("major-incident", severity="SEV2", actor="svc")
    engine.open("major-incident", severity="SEV3", actor="svc")
    assert store.stored_specs() == [StoredSpec.of(MAJOR, SPEC)]
    Engine(V2, store, clock=lambda: T0).open("major-incident", severity="SEV2", actor="svc")
    assert [(s.version, s.digest) for s in store.stored_specs()] == [
        ("1.0.0", MAJOR.digest),
        ("2.0.0", V2.digest),
    ]
    assert store.stored_specs()[1].text == V2_PATH.read_text(encoding="utf-8")


def test_a_fresh_engine_loads_the_old_version_from_sqlite_after_the_file_changed(
    tmp_path: Path,
) -> None:
    spec_file, db = tmp_path / "major-incident.yaml", tmp_path / "incidents.db"
    spec_file.write_text(SPEC, encoding="utf-8")
    first = Engine(incidentflow.load(spec_file), SQLiteStore(db), clock=lambda: T0)
    old = first.open("major-incident", severity="SEV1", actor="svc")
    first.assign(old.id, "responder", "rita", actor="svc")
    first.fire(old.id, "acknowledge", actor="rita")
    first.store.close()
    spec_file.write_text(V2_PATH.read_text(encoding="utf-8"), encoding="utf-8")  # the change

    store = SQLiteStore(db)
    fresh = Engine(incidentflow.load(spec_file), store, clock=lambda: T0)
    fresh.assign(old.id, "commander", "cleo", actor="svc")
    for item in ("impact_confirmed", "severity_confirmed", "roles_assigned"):
        fresh.check(old.id, item, actor="cleo")
    assert fresh.fire(old.id, "start_mitigation", actor="cleo").state == "stabilising"
    assert [s.version for s in store.stored_specs()] == ["1.0.0"]  # 2.0.0 ran nothing yet
    assert fresh.get(old.id).process_digest == MAJOR.digest

    from incidentflow.audit.sqlite_readonly import read_store

    kept = read_store(db, lambda reader: reader.stored_specs())
    assert [s.digest for s in kept] == [MAJOR.digest]
    assert incidentflow.loads(kept[0].text).digest == MAJOR.digest


def test_without_a_kept_version_an_incident_runs_on_the_newest_and_a_missing_state_is_refused() -> (
    None
):
    from tests.engine.test_engine_faults import ArchivelessStore

    store = ArchivelessStore()  # keeps no versions, as stores of earlier releases
    v1 = Engine(MAJOR, store, clock=lambda: T0)
    iid = v1.open("major-incident", severity="SEV1", actor="svc").id
    v1.assign(iid, "responder", "rita", actor="svc")
    v1.fire(iid, "acknowledge", actor="rita")
    v2 = Engine(V2, store, clock=lambda: T0)
    with pytest.raises(
        incidentflow.InvalidOperation, match=r"which version 2\.0\.0 .* no longer has"
    ):
        v2.check(iid, "impact_confirmed", actor="svc")
    assert v2.get(iid).state == "triage"
    assert Engine([MAJOR, V2], store, clock=lambda: T0).check(
        iid, "impact_confirmed", actor="svc"
    ).checklist == {"impact_confirmed"}  # given both versions, it runs on its own


def test_a_kept_version_this_release_cannot_compile_is_logged_and_not_used(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    store = MemoryStore()
    iid = Engine(MAJOR, store, clock=lambda: T0).open("major-incident", severity="SEV1").id

    def stricter(text: str, filename: str = "") -> incidentflow.Process:
        raise incidentflow.SpecError([])

    monkeypatch.setattr("incidentflow.api.loads", stricter)
    with caplog.at_level(logging.WARNING, logger="incidentflow.engine"):
        allowed = Engine(V2, store, clock=lambda: T0).allowed(iid, "svc")
    assert {a.transition for a in allowed} == {"acknowledge", "escalate", "cancel"}  # on 2.0.0
    assert any("cannot be used" in r.getMessage() for r in caplog.records)
