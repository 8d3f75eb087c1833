"""Alert intake on an engine: Alertmanager, Grafana and a spec's mapping become incidents
that open, deduplicate across triggers, escalate and resolve as the spec says."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import pytest

import incidentflow
from incidentflow import Engine
from incidentflow.engine.inputs import SYSTEM
from incidentflow.errors import IntakeError
from incidentflow.intake import MAX_ALERTS, MAX_DEPTH, parse_json, receive, sources
from tests.engine.common import T0
from tests.intake.payloads import alertmanager, am_alert, grafana, uptime

SPEC = Path(__file__).with_name("alerting.yaml")
PROCESS = incidentflow.load(SPEC)


@pytest.fixture
def engine() -> Engine:
    now: list[datetime] = [T0]
    return Engine(PROCESS, clock=lambda: now[0], handlers={"page": lambda request: None})


def kinds(engine: Engine, iid: str) -> list[str]:
    return [e.kind for e in engine.history(iid) if not e.kind.startswith("action_")]


def test_the_spec_compiles_without_warnings() -> None:
    assert PROCESS.warnings == ()


def test_firing_then_resolved_opens_deduplicates_escalates_and_resolves(engine: Engine) -> None:
    degraded = am_alert("ApiDegraded", "f1", service="api")
    down = am_alert("ApiDown", "f2", service="api")

    first = receive(engine, "alertmanager", alertmanager(degraded), actor="alertmanager")
    (iid,) = first.opened
    assert engine.get(iid).severity == "SEV3"
    assert engine.get(iid).fields["service"] == "api"

    # Alertmanager re-sends the group while it fires: nothing is written
    version = engine.get(iid).version
    again = receive(engine, "alertmanager", alertmanager(degraded), actor="alertmanager")
    assert [a.outcome for a in again.alerts] == ["repeated"]
    assert engine.get(iid).version == version

    # a worse alert for the same service, from another trigger, raises the severity
    worse = receive(engine, "alertmanager", alertmanager(degraded, down), actor="alertmanager")
    assert worse.opened == ()
    assert worse.escalated == (iid,)
    assert engine.get(iid).severity == "SEV1"
    changed = [e for e in engine.history(iid) if e.kind == "severity_changed"]
    assert [(e.data["old"], e.data["new"], e.actor) for e in changed] == [
        ("SEV3", "SEV1", "alertmanager")
    ]
    assert "api_down" in changed[0].data["reason"]

    # one of two resolves: recorded, the incident stays where it is
    half = alertmanager(am_alert("ApiDegraded", "f1", "resolved", service="api"), down)
    result = receive(engine, "alertmanager", half, actor="alertmanager")
    assert result.resolved == (iid,)
    assert result.auto_resolved == ()
    assert engine.get(iid).state == "detected"

    # the last one resolves: the spec's on_resolved transition fires, as the engine
    last = alertmanager(am_alert("ApiDown", "f2", "resolved", service="api"))
    done = receive(engine, "alertmanager", last, actor="alertmanager")
    assert done.auto_resolved == (iid,)
    incident = engine.get(iid)
    assert incident.state == "resolved"
    assert incident.closed
    assert kinds(engine, iid) == [
        "opened",
        "deduplicated",
        "severity_changed",
        "alert_resolved",
        "alert_resolved",
        "transitioned",
    ]
    moved = engine.history(iid)[-1]
    assert moved.actor == SYSTEM
    assert moved.data["cause"] == "alerts_resolved"
    assert engine.verify(iid).ok


def test_a_milder_alert_joins_without_lowering_the_severity(engine: Engine) -> None:
    (iid,) = receive(
        engine, "alertmanager", alertmanager(am_alert("ApiDown", "f2", service="api"))
    ).opened
    joined = receive(
        engine, "alertmanager", alertmanager(am_alert("ApiDegraded", "f1", service="api"))
    )
    assert joined.joined == (iid,)
    assert joined.escalated == ()
    assert engine.get(iid).severity == "SEV1"


def test_other_services_and_alerts_without_the_key_open_their_own(engine: Engine) -> None:
    api = receive(engine, "alertmanager", alertmanager(am_alert("ApiDown", "f1", service="api")))
    web = receive(engine, "alertmanager", alertmanager(am_alert("ApiDown", "f2", service="web")))
    # no `service` label: an absent key names no problem, so these do not join each other
    bare1 = receive(engine, "alertmanager", alertmanager(am_alert("ApiDown", "f3")))
    bare2 = receive(engine, "alertmanager", alertmanager(am_alert("ApiDown", "f4")))
    opened = api.opened + web.opened + bare1.opened + bare2.opened
    assert len(set(opened)) == 4


def test_a_resolution_where_the_transition_does_not_leave_is_only_recorded(
    engine: Engine,
) -> None:
    (iid,) = receive(
        engine, "alertmanager", alertmanager(am_alert("ApiDown", "f1", service="api"))
    ).opened
    engine.assign(iid, "responder", "alice", actor="system")
    engine.assign(iid, "lead", "lee", actor="system")
    engine.fire(iid, "acknowledge", actor="alice")
    engine.fire(iid, "fix", actor="lee")
    resolved = alertmanager(am_alert("ApiDown", "f1", "resolved", service="api"))
    result = receive(engine, "alertmanager", resolved)
    assert [a.outcome for a in result.alerts] == ["resolved"]
    assert "does not leave 'review'" in result.alerts[0].detail
    assert engine.get(iid).state == "review"
    assert engine.history(iid)[-1].data["transition_skipped"] == result.alerts[0].detail


def test_a_resolution_nobody_holds_and_an_unmatched_alert_write_nothing(engine: Engine) -> None:
    result = receive(
        engine,
        "alertmanager",
        alertmanager(
            am_alert("DiskFull", "f9", service="db"),
            am_alert("ApiDown", "f8", "resolved", service="api"),
        ),
    )
    assert [a.outcome for a in result.alerts] == ["unmatched", "unmatched"]
    assert result.unmatched == 2
    assert list(engine.store.all_events()) == []


def test_a_closed_incident_does_not_absorb_its_alert_firing_again(engine: Engine) -> None:
    body = alertmanager(am_alert("ApiDown", "f1", service="api"))
    (first,) = receive(engine, "alertmanager", body).opened
    receive(
        engine, "alertmanager", alertmanager(am_alert("ApiDown", "f1", "resolved", service="api"))
    )
    assert engine.get(first).closed
    (second,) = receive(engine, "alertmanager", body).opened
    assert second != first


def test_the_documented_alertmanager_fields(engine: Engine) -> None:
    body = alertmanager(am_alert("ApiDown", "1a30ba71cca2921f", service="api"), truncated=3)
    result = receive(engine, "alertmanager", body)
    assert result.truncated == 3
    assert result.alerts[0].key == "alertmanager:1a30ba71cca2921f"
    fields = engine.get(result.opened[0]).fields
    assert fields["alertname"] == "ApiDown"
    assert fields["job"] == "api"
    details = fields["alertmanager"]
    assert details["annotations"]["summary"] == "ApiDown on api"
    assert details["externalURL"] == "http://alertmanager.example.org:9093"
    assert details["generatorURL"].startswith("http://prometheus.example.org")
    assert details["startsAt"] == "2024-05-01T09:00:00.000Z"


def test_an_alert_without_fingerprint_gets_one_from_its_labels(engine: Engine) -> None:
    alert = am_alert("ApiDown", "", service="api")
    del alert["fingerprint"]
    first = receive(engine, "alertmanager", alertmanager(alert))
    again = receive(engine, "alertmanager", alertmanager(dict(alert)))
    assert first.alerts[0].key == again.alerts[0].key
    assert [a.outcome for a in again.alerts] == ["repeated"]


def test_grafana_documented_payload(engine: Engine) -> None:
    result = receive(engine, "grafana", grafana(), actor="grafana")
    # "High memory usage" with B = 44.2 matches; "High CPU usage" no trigger
    assert [a.outcome for a in result.alerts] == ["opened", "unmatched"]
    incident = engine.get(result.opened[0])
    assert incident.severity == "SEV2"
    assert incident.fields["value_B"] == pytest.approx(44.239, abs=1e-3)
    assert incident.fields["grafana"]["silenceURL"].startswith("https://play.grafana.org")
    assert result.alerts[0].key == "grafana:c6eadffa33fcdf37"
    # the spec's on_resolved also applies to Grafana's resolution
    resolved = receive(engine, "grafana", grafana("resolved"), actor="grafana")
    assert resolved.auto_resolved == result.opened


def test_a_spec_mapping_reads_a_generic_payload(engine: Engine) -> None:
    assert sources(engine) == ("alertmanager", "grafana", "uptime")
    result = receive(engine, "uptime", uptime(("c1", "billing", "down"), ("c2", "billing", "down")))
    # two checks of one service: one incident (intake.dedupe_by: [service])
    assert [a.outcome for a in result.alerts] == ["opened", "joined"]
    (iid,) = result.opened
    assert engine.get(iid).fields == {
        "monitor": "billing health",
        "service": "billing",
        "uptime": 0.5,
    }
    receive(engine, "uptime", uptime(("c1", "billing", "up")))
    assert not engine.get(iid).closed
    final = receive(engine, "uptime", uptime(("c2", "billing", "up")))
    assert final.auto_resolved == (iid,)


def test_the_result_as_json(engine: Engine) -> None:
    result = receive(engine, "alertmanager", alertmanager(am_alert("ApiDown", "f1", service="api")))
    data = json.loads(json.dumps(result.as_dict()))
    assert data["opened"] == list(result.opened)
    assert data["alerts"][0] == {
        "key": "alertmanager:f1",
        "status": "firing",
        "outcome": "opened",
        "incident": result.opened[0],
        "detail": "",
    }


BAD = [
    ("alertmanager", [], "expected a JSON object"),
    ("alertmanager", {"alerts": {}}, "expected a list of alerts"),
    ("alertmanager", {"version": "5", "alerts": []}, "version '5' is not supported"),
    ("alertmanager", alertmanager(am_alert("ApiDown", "f", "pending")), "status must be"),
    ("alertmanager", {"alerts": [{"status": "firing", "labels": {"a": 1}}]}, "text values"),
    ("alertmanager", {"alerts": [{"status": "firing", "labels": {}}]}, "needs labels"),
    ("alertmanager", {"alerts": [{"status": "firing"}] * (MAX_ALERTS + 1)}, "the limit is"),
    ("alertmanager", {"alerts": [], "truncatedAlerts": -1}, "expected a count"),
    (
        "grafana",
        grafana() | {"alerts": [grafana()["alerts"][0] | {"values": {"B": "x"}}]},
        "not a number",
    ),
    ("uptime", {"checks": "none"}, "expected a list of alerts"),
    ("uptime", {"checks": [{"name": "x", "state": "down"}]}, "needs a value here"),
    ("nagios", {}, "unknown source; this engine accepts alertmanager, grafana, uptime"),
]


@pytest.mark.parametrize(("source", "payload", "message"), BAD)
def test_a_bad_payload_is_refused_whole_and_writes_nothing(
    engine: Engine, source: str, payload: object, message: str
) -> None:
    # a good alert first: the bad part must refuse the whole payload
    good = am_alert("ApiDown", "ok", service="api")
    if (
        isinstance(payload, dict)
        and isinstance(payload.get("alerts"), list)
        and source != "grafana"
    ):
        payload = payload | {"alerts": [good, *payload["alerts"]]}
    with pytest.raises(IntakeError, match=message):
        receive(engine, source, payload)  # type: ignore[arg-type]
    assert list(engine.store.all_events()) == []


def test_an_oversized_alert_is_refused_before_anything_is_written(engine: Engine) -> None:
    huge = am_alert("ApiDown", "big", service="api", blob="x" * 70_000)
    body = alertmanager(am_alert("ApiDown", "ok", service="web"), huge)
    with pytest.raises(IntakeError, match=r"alerts\.1"):
        receive(engine, "alertmanager", body)
    assert list(engine.store.all_events()) == []


def test_parse_json_bounds() -> None:
    assert parse_json(b'{"alerts": []}', "alertmanager") == {"alerts": []}
    with pytest.raises(IntakeError, match="not JSON"):
        parse_json(b"{", "alertmanager")
    with pytest.raises(IntakeError, match="not JSON"):
        parse_json(b'{"a": NaN}', "alertmanager")
    with pytest.raises(IntakeError, match="nested deeper"):
        parse_json(b'{"a": ' + b"[" * (MAX_DEPTH + 1) + b"]" * (MAX_DEPTH + 1) + b"}", "x")
    with pytest.raises(IntakeError, match="nested deeper"):
        parse_json(b"[" * 100_000 + b"]" * 100_000, "x")  # deeper than the parser recurses
    with pytest.raises(IntakeError, match="bytes; the limit"):
        parse_json(b" " * 2_000_000, "x")


def test_a_refused_actor_is_the_engines_error(engine: Engine) -> None:
    with pytest.raises(incidentflow.InvalidArgument, match="reserved"):
        receive(engine, "alertmanager", alertmanager(am_alert("ApiDown", "f")), actor="timer")


def test_replicas_sharing_a_store_see_each_others_alerts(tmp_path: Path) -> None:
    from incidentflow.audit.sqlite import SQLiteStore

    path = tmp_path / "incidents.db"
    first = Engine(PROCESS, SQLiteStore(path), handlers={"page": lambda request: None})
    second = Engine(PROCESS, SQLiteStore(path), handlers={"page": lambda request: None})
    (iid,) = receive(
        first, "alertmanager", alertmanager(am_alert("ApiDegraded", "f1", service="api"))
    ).opened
    # the other replica folds the log: the alert repeats there, a worse one escalates
    assert [
        a.outcome
        for a in receive(
            second, "alertmanager", alertmanager(am_alert("ApiDegraded", "f1", service="api"))
        ).alerts
    ] == ["repeated"]
    assert receive(
        second, "alertmanager", alertmanager(am_alert("ApiDown", "f2", service="api"))
    ).escalated == (iid,)
    receive(
        first,
        "alertmanager",
        alertmanager(am_alert("ApiDegraded", "f1", "resolved", service="api")),
    )
    done = receive(
        second, "alertmanager", alertmanager(am_alert("ApiDown", "f2", "resolved", service="api"))
    )
    assert done.auto_resolved == (iid,)
    assert first.get(iid).closed
    assert first.verify().ok
