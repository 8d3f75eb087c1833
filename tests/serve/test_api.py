"""The JSON API of ``incidentflow serve``: every engine call, and every refusal with
nothing written (the store compared before and after)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from incidentflow import Engine
from tests.engine.common import API_DOWN
from tests.serve.common import Service, running, writes_nothing

pytestmark = []


@pytest.fixture
def service(tmp_path: Path) -> Iterator[Service]:
    with running(tmp_path) as found:
        yield found


def _open(service: Service, severity: str = "SEV1", by: str = "carol") -> dict[str, Any]:
    answer = service.client.post(
        "/api/incidents",
        json={"process": "major-incident", "severity": severity, "title": "checkout down"},
        headers=service.auth(by),
    )
    assert answer.status_code == 201, answer.text
    body: dict[str, Any] = answer.json()
    return body


def _post(service: Service, path: str, body: dict[str, Any], by: str) -> Any:
    return service.client.post(path, json=body, headers=service.auth(by))


def _in_triage(service: Service) -> str:
    """carol opened it; alice responder, carol commander, dave deputy; alice acknowledged."""
    iid = str(_open(service)["id"])
    for role, person in (("responder", "alice"), ("commander", "carol"), ("deputy", "dave")):
        answer = _post(
            service, f"/api/incidents/{iid}/assign", {"role": role, "person": person}, "carol"
        )
        assert answer.status_code == 200, answer.text
    answer = _post(service, f"/api/incidents/{iid}/fire", {"transition": "acknowledge"}, "alice")
    assert answer.json()["state"] == "triage"
    return iid


def _actors(engine: Engine, incident_id: str) -> list[tuple[str, str]]:
    return [(e.kind, e.actor) for e in engine.history(incident_id)]


# --- every call -----------------------------------------------------------------------


def test_me_and_processes(service: Service) -> None:
    assert service.client.get("/api/me", headers=service.auth("dave")).json() == {
        "name": "dave",
        "kind": "person",
    }
    processes = service.client.get("/api/processes", headers=service.auth("dave")).json()
    assert [p["name"] for p in processes] == ["major-incident", "service-desk"]
    assert processes[0]["levels"] == ["SEV1", "SEV2", "SEV3", "SEV4"]


def test_signal_opens_then_joins_and_a_signal_that_matches_nothing_opens_nothing(
    service: Service,
) -> None:
    first = _post(service, "/api/signals", {"fields": API_DOWN}, "carol").json()["incident"]
    assert first["opened_by"] == "carol"
    again = _post(service, "/api/signals", {"fields": API_DOWN}, "carol").json()["incident"]
    assert again["id"] == first["id"]
    assert service.engine.history(first["id"])[-1].kind == "deduplicated"
    nothing = _post(service, "/api/signals", {"fields": {"unrelated": 1}}, "carol")
    assert nothing.status_code == 200
    assert nothing.json() == {"incident": None}


def test_open_get_and_queue(service: Service) -> None:
    low = _open(service, "SEV3")
    high = _open(service, "SEV1")
    assert high["state"] == "detected"
    assert high["opened_by"] == "carol"
    got = service.client.get(f"/api/incidents/{low['id']}", headers=service.auth("dave")).json()
    assert got == low | {"version": got["version"]}  # the same incident
    queue = service.client.get("/api/incidents", headers=service.auth("dave")).json()
    assert [i["id"] for i in queue] == [high["id"], low["id"]]  # most severe first
    by_matrix = _post(
        service,
        "/api/incidents",
        {"process": "major-incident", "impact": "moderate", "urgency": "high"},
        "carol",
    ).json()
    assert by_matrix["severity"] == service.engine.get(by_matrix["id"]).severity


def test_assign_unassign_check_fire_note_severity_are_made_as_the_tokens_person(
    service: Service,
) -> None:
    iid = _in_triage(service)
    base = f"/api/incidents/{iid}"
    for item in ("impact_confirmed", "severity_confirmed", "roles_assigned"):
        checked = _post(service, f"{base}/check", {"item": item}, "carol").json()
        assert item in checked["checklist"]
    lowered = _post(service, f"{base}/severity", {"level": "SEV2", "reason": "workaround"}, "carol")
    assert lowered.json()["severity"] == "SEV2"
    noted = _post(service, f"{base}/notes", {"text": "deploy rolled back"}, "dave")
    assert noted.status_code == 200
    _post(service, f"{base}/assign", {"role": "scribe", "person": "mallory"}, "carol")
    removed = _post(service, f"{base}/unassign", {"role": "scribe", "person": "mallory"}, "carol")
    assert "mallory" not in removed.json()["assignments"].get("scribe", [])
    moved = _post(service, f"{base}/fire", {"transition": "start_mitigation"}, "carol").json()
    assert moved["state"] == "stabilising"
    actors = _actors(service.engine, iid)
    for expected in [
        ("opened", "carol"),
        ("assigned", "carol"),
        ("transitioned", "alice"),
        ("checked", "carol"),
        ("severity_changed", "carol"),
        ("noted", "dave"),
        ("unassigned", "carol"),
    ]:
        assert expected in actors


def test_allowed_history_and_verify(service: Service) -> None:
    iid = _in_triage(service)
    mine = service.client.get(f"/api/incidents/{iid}/allowed", headers=service.auth("alice"))
    assert {a["transition"]: a["allowed"] for a in mine.json()} == {
        a.transition: a.allowed for a in service.engine.allowed(iid, "alice")
    }
    theirs = service.client.get(
        f"/api/incidents/{iid}/allowed", params={"person": "carol"}, headers=service.auth("alice")
    ).json()
    assert theirs == [
        {
            "transition": a.transition,
            "to": a.to,
            "allowed": a.allowed,
            "reason": a.reason,
            "detail": a.detail,
        }
        for a in service.engine.allowed(iid, "carol")
    ]
    history = service.client.get(f"/api/incidents/{iid}/history", headers=service.auth("alice"))
    assert [e["hash"] for e in history.json()] == [e.hash for e in service.engine.history(iid)]
    every = service.client.get("/api/verify", headers=service.auth("alice")).json()
    assert every["ok"]
    assert every["checked"] == 1
    assert every["problems"] == []
    one = service.client.get("/api/verify", params={"incident": iid}, headers=service.auth("alice"))
    assert one.json()["ok"]
    assert one.json()["events"] == len(service.engine.history(iid))


def test_intake_signal_is_recorded_as_the_intake_tokens_source(service: Service) -> None:
    answer = service.client.post(
        "/api/intake/signal", json=API_DOWN, headers=service.auth("alerts")
    )
    assert answer.status_code == 200, answer.text
    incident = answer.json()["incident"]
    assert incident["opened_by"] == "alerts"
    assert service.engine.history(incident["id"])[0].actor == "alerts"


def test_registered_intakes_are_dispatched_by_source(tmp_path: Path) -> None:
    seen: list[tuple[Any, str]] = []

    def echo(engine: Engine, payload: Any, actor: str) -> dict[str, Any]:
        seen.append((payload, actor))
        return {"received": len(payload["alerts"])}

    with running(tmp_path, intakes={"echo": echo}) as service:
        answer = service.client.post(
            "/api/intake/echo", json={"alerts": [1, 2]}, headers=service.auth("alerts")
        )
        assert answer.json() == {"received": 2}
        assert seen == [({"alerts": [1, 2]}, "alerts")]
        unknown = service.client.post("/api/intake/nagios", json={}, headers=service.auth("alerts"))
        assert unknown.status_code == 404
        assert unknown.json()["error"]["code"] == "unknown_intake"
        assert "alertmanager, echo, grafana, signal" in unknown.json()["error"]["message"]


def test_openapi_describes_every_route_and_no_page_loads_a_cdn(service: Service) -> None:
    paths = service.client.get("/openapi.json").json()["paths"]
    for path in (
        "/api/signals",
        "/api/incidents",
        "/api/incidents/{incident_id}",
        "/api/incidents/{incident_id}/assign",
        "/api/incidents/{incident_id}/unassign",
        "/api/incidents/{incident_id}/check",
        "/api/incidents/{incident_id}/fire",
        "/api/incidents/{incident_id}/notes",
        "/api/incidents/{incident_id}/severity",
        "/api/incidents/{incident_id}/allowed",
        "/api/incidents/{incident_id}/history",
        "/api/verify",
        "/api/intake/{source}",
    ):
        assert path in paths
    # Swagger UI and ReDoc would load from cdn.jsdelivr.net: they are off
    assert service.client.get("/docs").status_code == 404
    assert service.client.get("/redoc").status_code == 404


# --- refusals: nothing written ------------------------------------------------------


def test_no_token_wrong_token_and_revoked_token_are_refused(service: Service) -> None:
    iid = _in_triage(service)
    fire = f"/api/incidents/{iid}/fire"
    body = {"transition": "start_mitigation"}
    with writes_nothing(service.engine):
        none = service.client.post(fire, json=body)
        assert none.status_code == 401
        assert none.headers["www-authenticate"] == "Bearer"
        wrong = service.client.post(fire, json=body, headers={"Authorization": "Bearer ift_nope"})
        assert wrong.status_code == 401
        basic = service.client.post(fire, json=body, headers={"Authorization": "Basic Y2Fyb2w="})
        assert basic.status_code == 401
        assert service.tokens.revoke("carol") == 1
        revoked = _post(service, fire, body, "carol")
        assert revoked.status_code == 401
        assert revoked.json()["error"]["code"] == "unauthenticated"
    for answer in (none, wrong, basic):
        assert answer.json()["error"]["code"] == "unauthenticated"
    assert service.client.get("/api/incidents").status_code == 401  # no anonymous reads


def test_token_kinds_do_not_cross(service: Service) -> None:
    with writes_nothing(service.engine):
        intake_as_person = service.client.post(
            "/api/incidents",
            json={"process": "major-incident", "severity": "SEV1"},
            headers=service.auth("alerts"),
        )
        person_as_intake = service.client.post(
            "/api/intake/signal", json=API_DOWN, headers=service.auth("carol")
        )
    for answer in (intake_as_person, person_as_intake):
        assert answer.status_code == 403
        assert answer.json()["error"]["code"] == "wrong_token_kind"


REFUSALS = [
    # (who, path after /api/incidents/ID, body, status, code)
    ("mallory", "fire", {"transition": "start_mitigation"}, 403, "not_authorized"),
    ("mallory", "assign", {"role": "scribe", "person": "mallory"}, 403, "not_authorized"),
    ("mallory", "check", {"item": "impact_confirmed"}, 403, "not_authorized"),
    ("mallory", "notes", {"text": "hi"}, 403, "not_authorized"),
    ("mallory", "severity", {"level": "SEV2"}, 403, "not_authorized"),
    ("carol", "fire", {"transition": "start_mitigation"}, 409, "transition_not_allowed"),
    ("carol", "fire", {"transition": "hand_over"}, 409, "transition_not_allowed"),
    ("carol", "fire", {"transition": "fly"}, 422, "invalid_operation"),
    ("carol", "assign", {"role": "commander", "person": "alice"}, 409, "refused"),
    ("carol", "assign", {"role": "scribe", "person": "timer"}, 422, "invalid_argument"),
    ("carol", "check", {"item": "mitigation_applied"}, 422, "invalid_operation"),
    ("carol", "severity", {"level": "SEV9"}, 422, "invalid_operation"),
    ("carol", "unassign", {"role": "scribe", "person": "dave"}, 422, "invalid_operation"),
    (
        "carol",
        "fire",
        {"transition": "start_mitigation", "expected_version": 1},
        409,
        "stale_version",
    ),
    ("carol", "fire", {"transition": "start_mitigation", "actor": "alice"}, 422, "invalid_request"),
    ("carol", "notes", {"text": 5}, 422, "invalid_request"),
    ("carol", "notes", {}, 422, "invalid_request"),
]


@pytest.mark.parametrize(("who", "call", "body", "status", "code"), REFUSALS)
def test_refusals_answer_a_status_and_code_and_write_nothing(
    service: Service, who: str, call: str, body: dict[str, Any], status: int, code: str
) -> None:
    iid = _in_triage(service)
    with writes_nothing(service.engine):
        answer = _post(service, f"/api/incidents/{iid}/{call}", body, who)
    assert answer.status_code == status, answer.text
    error = answer.json()["error"]
    assert error["code"] == code
    assert error["message"]
    assert "Traceback" not in answer.text


def test_unknown_incident_and_process_are_404(service: Service) -> None:
    with writes_nothing(service.engine):
        missing = _post(service, "/api/incidents/nope/fire", {"transition": "close"}, "carol")
        process = _post(service, "/api/incidents", {"process": "nope", "severity": "SEV1"}, "carol")
        got = service.client.get("/api/incidents/nope", headers=service.auth("carol"))
    assert (missing.status_code, missing.json()["error"]["code"]) == (404, "unknown_incident")
    assert (got.status_code, got.json()["error"]["code"]) == (404, "unknown_incident")
    assert (process.status_code, process.json()["error"]["code"]) == (404, "unknown_process")
    assert process.json()["error"]["known"] == ["major-incident", "service-desk"]


def test_a_closed_incident_refuses_writes(service: Service) -> None:
    iid = str(_open(service, "SEV3")["id"])
    _post(
        service, f"/api/incidents/{iid}/assign", {"role": "commander", "person": "carol"}, "carol"
    )
    _post(service, f"/api/incidents/{iid}/fire", {"transition": "cancel"}, "carol")
    with writes_nothing(service.engine):
        answer = _post(
            service, f"/api/incidents/{iid}/check", {"item": "impact_confirmed"}, "carol"
        )
    assert answer.status_code == 409
    assert answer.json()["error"] | {"message": ""} == {
        "code": "refused",
        "message": "",
        "reason": "closed",
    }


def test_a_bug_in_an_intake_is_500_without_a_traceback(tmp_path: Path) -> None:
    def broken(engine: Engine, payload: Any, actor: str) -> object:
        raise RuntimeError("secret detail")

    with running(tmp_path, intakes={"broken": broken}, raise_errors=False) as service:
        answer = service.client.post("/api/intake/broken", json={}, headers=service.auth("alerts"))
    assert answer.status_code == 500
    assert answer.json()["error"]["code"] == "internal_error"
    assert "secret detail" not in answer.text
    assert "Traceback" not in answer.text


# --- the web page's cookie ----------------------------------------------------------


def test_cookie_writes_need_the_csrf_header(service: Service) -> None:
    iid = _in_triage(service)
    signed = service.client.post("/api/session", headers=service.auth("dave"))
    assert signed.status_code == 204
    cookie = signed.headers["set-cookie"].lower()
    assert "httponly" in cookie
    assert "samesite=strict" in cookie
    with writes_nothing(service.engine):
        forged = service.client.post(f"/api/incidents/{iid}/notes", json={"text": "forged"})
    assert forged.status_code == 403
    assert forged.json()["error"]["code"] == "csrf"
    made = service.client.post(
        f"/api/incidents/{iid}/notes",
        json={"text": "from the page"},
        headers={"X-Incidentflow-Request": "1"},
    )
    assert made.status_code == 200
    assert service.engine.history(iid)[-1].actor == "dave"
    assert service.client.get("/api/me").json()["name"] == "dave"  # reads need no header
    service.client.delete("/api/session", headers={"X-Incidentflow-Request": "1"})
    assert service.client.get("/api/me").status_code == 401


def test_an_intake_token_cannot_sign_in(service: Service) -> None:
    answer = service.client.post("/api/session", headers=service.auth("alerts"))
    assert answer.status_code == 403
    assert "set-cookie" not in answer.headers
