"""Two replicas of the service on one PostgreSQL store, as behind a load balancer: what
one writes the other reads, and a write based on what one replica showed is refused by
the other when the incident moved on meanwhile (409, nothing written)."""

from __future__ import annotations

import warnings
from pathlib import Path

import pytest

from incidentflow import Engine
from incidentflow.audit.postgres import PostgresStore
from incidentflow.serve.app import create_app
from incidentflow.serve.tokens import TokenFile
from tests.engine.common import MAJOR
from tests.helpers.postgres import database_url, fresh_schema
from tests.serve.common import writes_nothing

with warnings.catch_warnings():
    warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
    from fastapi.testclient import TestClient

pytestmark = pytest.mark.postgres


def test_two_replicas_share_incidents_and_refuse_stale_writes(tmp_path: Path) -> None:
    tokens = TokenFile(tmp_path / "tokens.json")
    carol = {"Authorization": f"Bearer {tokens.add('carol')}"}
    with fresh_schema() as schema:
        stores = [PostgresStore(database_url(), schema=schema) for _ in range(2)]
        engines = [Engine(MAJOR, store) for store in stores]
        try:
            with (
                TestClient(create_app(engines[0], tokens)) as one,
                TestClient(create_app(engines[1], tokens)) as two,
            ):
                opened = one.post(
                    "/api/incidents",
                    json={"process": "major-incident", "severity": "SEV2", "title": "db"},
                    headers=carol,
                ).json()
                iid, seen = opened["id"], opened["version"]
                assert two.get(f"/api/incidents/{iid}", headers=carol).json()["version"] == seen
                assigned = two.post(
                    f"/api/incidents/{iid}/assign",
                    json={"role": "commander", "person": "carol", "expected_version": seen},
                    headers=carol,
                )
                assert assigned.status_code == 200
                with writes_nothing(engines[0]):
                    stale = one.post(
                        f"/api/incidents/{iid}/notes",
                        json={"text": "based on an old view", "expected_version": seen},
                        headers=carol,
                    )
                assert stale.status_code == 409
                assert stale.json()["error"]["code"] == "stale_version"
                queue = one.get("/api/incidents", headers=carol).json()
                assert queue[0]["assignments"] == {"commander": ["carol"]}
                assert one.get("/api/verify", headers=carol).json()["ok"]
        finally:
            for store in stores:
                store.close()
