"""What the service tests share: a service on a fresh SQLite store, its people's tokens,
and a check that a refused request wrote nothing."""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from incidentflow import Engine, SQLiteStore
from incidentflow.serve.app import create_app
from incidentflow.serve.intake import IntakeFunction
from incidentflow.serve.tokens import TokenFile
from tests.engine.common import DESK, MAJOR

with warnings.catch_warnings():
    # Starlette asks for its httpx fork (httpx2) on import; httpx itself works the same
    warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
    from fastapi.testclient import TestClient

PEOPLE = ("carol", "alice", "dave", "mallory")


@dataclass
class Service:
    """A running app (``client``), its engine and store, and a token per name."""

    client: TestClient
    engine: Engine
    tokens: TokenFile
    token: dict[str, str]

    def auth(self, name: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token[name]}"}


@contextmanager
def running(
    folder: Path, *, intakes: dict[str, IntakeFunction] | None = None, raise_errors: bool = True
) -> Iterator[Service]:
    """A service for the major-incident and service-desk processes, with a token for each of
    PEOPLE and an intake token ``alerts``."""
    tokens = TokenFile(folder / "tokens.json")
    token = {name: tokens.add(name) for name in PEOPLE}
    token["alerts"] = tokens.add("alerts", "intake")
    engine = Engine([MAJOR, DESK], SQLiteStore(folder / "incidents.db"))
    app = create_app(engine, tokens, intakes=intakes)
    with TestClient(app, raise_server_exceptions=raise_errors) as client:
        yield Service(client, engine, tokens, token)
    engine.store.close()


@contextmanager
def writes_nothing(engine: Engine) -> Iterator[None]:
    """Assert that the block changed nothing in the store."""
    before = list(engine.store.all_events())
    yield
    assert list(engine.store.all_events()) == before
