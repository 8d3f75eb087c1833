"""Alertmanager over HTTP: ``POST /api/intake/alertmanager`` opens, deduplicates, escalates
and resolves as the spec says, and a bad or oversized body is 400 with nothing written."""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from pathlib import Path

import pytest

from incidentflow import Engine, SQLiteStore
from incidentflow.intake import MAX_BYTES
from incidentflow.serve.app import create_app
from incidentflow.serve.tokens import TokenFile
from tests.intake.payloads import alertmanager, am_alert
from tests.intake.test_receive import PROCESS
from tests.serve.common import writes_nothing

with warnings.catch_warnings():
    warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
    from fastapi.testclient import TestClient

URL = "/api/intake/alertmanager"


@pytest.fixture
def service(tmp_path: Path) -> Iterator[tuple[TestClient, Engine, dict[str, str]]]:
    tokens = TokenFile(tmp_path / "tokens.json")
    headers = {"Authorization": f"Bearer {tokens.add('alertmanager', 'intake')}"}
    engine = Engine(PROCESS, SQLiteStore(tmp_path / "incidents.db"), handlers={"page": print})
    with TestClient(create_app(engine, tokens)) as client:
        yield client, engine, headers
    engine.store.close()


def test_firing_then_resolved_over_http(service: tuple[TestClient, Engine, dict[str, str]]) -> None:
    client, engine, headers = service
    degraded = am_alert("ApiDegraded", "f1", service="api")
    down = am_alert("ApiDown", "f2", service="api")

    opened = client.post(URL, json=alertmanager(degraded), headers=headers)
    assert opened.status_code == 200, opened.text
    (iid,) = opened.json()["opened"]
    assert engine.get(iid).severity == "SEV3"

    repeated = client.post(URL, json=alertmanager(degraded), headers=headers)
    assert [a["outcome"] for a in repeated.json()["alerts"]] == ["repeated"]

    worse = client.post(URL, json=alertmanager(degraded, down), headers=headers)
    assert worse.json()["escalated"] == [iid]
    assert engine.get(iid).severity == "SEV1"
    escalation = [e for e in engine.history(iid) if e.kind == "severity_changed"]
    assert [e.actor for e in escalation] == ["alertmanager"]  # the intake token's name

    for alert in (
        am_alert("ApiDegraded", "f1", "resolved", service="api"),
        down | {"status": "resolved"},
    ):
        client.post(URL, json=alertmanager(alert), headers=headers).raise_for_status()
    assert engine.get(iid).closed
    assert engine.verify(iid).ok


def test_a_body_over_the_limit_is_refused_whole(
    service: tuple[TestClient, Engine, dict[str, str]],
) -> None:
    client, engine, headers = service
    with writes_nothing(engine):
        answer = client.post(
            URL,
            content=b"{" + b" " * MAX_BYTES + b"}",
            headers=headers | {"Content-Type": "application/json"},
        )
    assert answer.status_code == 400
    assert answer.json()["error"]["code"] == "bad_payload"
    assert "limit" in answer.json()["error"]["message"]


@pytest.mark.parametrize(
    "body",
    [b"not json", b"[1, 2]", b"[" * 40 + b"]" * 40, b'{"version": "3", "alerts": []}'],
    ids=["not-json", "not-an-object", "too-deep", "wrong-version"],
)
def test_a_bad_body_is_400_with_the_reason_and_writes_nothing(
    service: tuple[TestClient, Engine, dict[str, str]], body: bytes
) -> None:
    client, engine, headers = service
    with writes_nothing(engine):
        answer = client.post(
            URL, content=body, headers=headers | {"Content-Type": "application/json"}
        )
    assert answer.status_code == 400, answer.text
    error = answer.json()["error"]
    assert error["code"] == "bad_payload"
    assert error["source"] == "alertmanager"
    assert error["message"]


def test_the_alert_sources_of_the_processes_are_listed_as_intakes(
    service: tuple[TestClient, Engine, dict[str, str]],
) -> None:
    client, _, headers = service
    unknown = client.post("/api/intake/nagios", json={}, headers=headers)
    assert unknown.status_code == 404
    message = unknown.json()["error"]["message"]
    for source in ("alertmanager", "grafana", "signal"):
        assert source in message
