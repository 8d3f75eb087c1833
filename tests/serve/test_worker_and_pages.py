"""The worker loop inside the service, and what the web page shows a person."""

from __future__ import annotations

import re
import time
import warnings
from datetime import UTC, datetime, timedelta
from pathlib import Path

from incidentflow import Engine, SQLiteStore
from incidentflow.engine.worker import Worker
from incidentflow.serve.app import create_app
from incidentflow.serve.tokens import TokenFile
from tests.engine.common import MAJOR
from tests.serve.common import running

with warnings.catch_warnings():
    warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
    from fastapi.testclient import TestClient

WAIT_S = 60


class Clock:
    def __init__(self) -> None:
        self.now = datetime.now(UTC)

    def __call__(self) -> datetime:
        return self.now


def test_the_worker_inside_fires_due_timers_while_the_app_runs(tmp_path: Path) -> None:
    clock = Clock()
    engine = Engine(MAJOR, SQLiteStore(tmp_path / "s.db"), clock, handlers={})
    tokens = TokenFile(tmp_path / "t.json")
    tokens.add("carol")
    app = create_app(engine, tokens, worker=Worker(engine, poll=0.1))
    with TestClient(app):
        iid = engine.open("major-incident", severity="SEV1", actor="carol").id
        clock.now += timedelta(hours=1)  # past ack_deadline: the timer escalates
        deadline = time.monotonic() + WAIT_S
        while engine.get(iid).state != "triage":
            assert time.monotonic() < deadline, "the worker inside never fired the timer"
            time.sleep(0.05)
    fired = [e for e in engine.history(iid) if e.kind == "timer_fired"]
    assert fired
    assert fired[0].actor == "timer"
    assert fired[0].data["timer"] == "ack_deadline"
    engine.store.close()


def _buttons(html: str) -> list[str]:
    return re.findall(r'data-call="fire" data-transition="([^"]+)"', html)


def test_the_incident_page_offers_exactly_the_moves_allowed_now(tmp_path: Path) -> None:
    with running(tmp_path) as service:
        engine = service.engine
        iid = engine.open("major-incident", severity="SEV3", title="search slow", actor="carol").id
        engine.assign(iid, "responder", "alice", actor="carol")
        for person in ("carol", "alice", "mallory"):
            service.client.post("/api/session", headers=service.auth(person))
            page = service.client.get(f"/incidents/{iid}")
            assert page.status_code == 200
            allowed = [a.transition for a in engine.allowed(iid, person) if a.allowed]
            assert _buttons(page.text) == allowed, person
        assert _buttons(page.text) == []  # mallory: nothing
        assert "Nothing you may do" in page.text
        assert 'data-call="check"' not in page.text
        assert 'id="assign"' not in page.text
        service.client.post("/api/session", headers=service.auth("carol"))
        carol = service.client.get(f"/incidents/{iid}").text
        assert 'id="assign"' in carol  # the opener may assign
        assert "class s_detected current" in carol  # the flowchart marks the state
        assert "alice" in carol
        assert "opened at SEV3 in detected" in carol


def test_the_queue_lists_open_incidents_most_severe_first_and_needs_sign_in(
    tmp_path: Path,
) -> None:
    with running(tmp_path) as service:
        low = service.engine.open("major-incident", severity="SEV4", title="low one", actor="carol")
        high = service.engine.open(
            "major-incident", severity="SEV1", title="high one", actor="carol"
        )
        signed_out = service.client.get("/", follow_redirects=False)
        assert signed_out.status_code == 303
        assert signed_out.headers["location"] == "/signin"
        service.client.post("/api/session", headers=service.auth("dave"))
        page = service.client.get("/").text
        assert page.index(high.id) < page.index(low.id)
        assert "ack_deadline in" in page  # the nearest deadline
        assert service.client.get("/incidents/nope").status_code == 404


def test_pages_escape_what_people_typed(tmp_path: Path) -> None:
    with running(tmp_path) as service:
        iid = service.engine.open(
            "major-incident", severity="SEV2", title="<script>alert(1)</script>", actor="carol"
        ).id
        service.client.post("/api/session", headers=service.auth("carol"))
        for path in ("/", f"/incidents/{iid}"):
            page = service.client.get(path)
            assert "<script>alert(1)</script>" not in page.text
            assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page.text
            assert "script-src 'self'" in page.headers["content-security-policy"]


def test_the_sign_in_form_sets_the_cookie_and_refuses_bad_tokens_and_other_origins(
    tmp_path: Path,
) -> None:
    with running(tmp_path) as service:
        client = service.client
        bad = client.post("/signin", data={"token": "ift_wrong"}, follow_redirects=False)
        assert bad.status_code == 401
        assert "not valid" in bad.text
        intake = client.post("/signin", data={"token": service.token["alerts"]})
        assert intake.status_code == 401
        forged = client.post(
            "/signin",
            data={"token": service.token["dave"]},
            headers={"Origin": "https://evil.example"},
            follow_redirects=False,
        )
        assert forged.status_code == 403
        assert "set-cookie" not in forged.headers
        good = client.post(
            "/signin",
            data={"token": service.token["dave"]},
            headers={"Origin": "http://testserver"},
            follow_redirects=False,
        )
        assert good.status_code == 303
        assert "httponly" in good.headers["set-cookie"].lower()
        assert client.get("/api/me").json()["name"] == "dave"
