"""The store contract (incidentflow.testing.store_contract) run against every store we ship.

A store someone writes (the PostgreSQL one of docs/embedding.md) subclasses the same
classes; see "Writing your own store" there.
"""

from __future__ import annotations

import contextlib
import dataclasses
import importlib
import itertools
import json
import re
import sqlite3
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import cast

import pytest

import incidentflow
from incidentflow import (
    Engine,
    IncidentIndex,
    IndexedStore,
    LatestStore,
    MemoryStore,
    SQLiteStore,
    Store,
)
from incidentflow.testing.store_contract import (
    BatchContract,
    ChangeFeedContract,
    CrashContract,
    DueIndexContract,
    IncidentIndexContract,
    OpenedSinceContract,
    RowsContract,
    SharedBackingContract,
    SpecArchiveContract,
    StoreContract,
    StoreFactory,
    TamperContract,
)
from tests.conftest import MINIMAL
from tests.helpers.stores import DelegatingStore

FORGED = {"text": "nothing to see here"}


class TestMemoryStore(
    StoreContract,
    OpenedSinceContract,
    IncidentIndexContract,
    TamperContract,
    SpecArchiveContract,
    BatchContract,
    ChangeFeedContract,
):
    @pytest.fixture
    def make_store(self) -> StoreFactory:
        return MemoryStore

    def tamper(self, store: Store, incident_id: str, seq: int) -> None:
        log = cast(MemoryStore, store)._events[incident_id]
        log[seq - 1] = dataclasses.replace(log[seq - 1], data=FORGED)


class TestSQLiteStore(
    StoreContract,
    OpenedSinceContract,
    IncidentIndexContract,
    SharedBackingContract,
    TamperContract,
    CrashContract,
    SpecArchiveContract,
    BatchContract,
    DueIndexContract,
    ChangeFeedContract,
    RowsContract,
):
    crash_factory = "incidentflow.audit.sqlite:SQLiteStore"

    @pytest.fixture
    def make_store(self, tmp_path: Path) -> StoreFactory:
        paths = (tmp_path / f"store-{n}.db" for n in itertools.count())
        return lambda: SQLiteStore(next(paths), durable=False)  # the crash test is durable

    def reopen(self, store: Store) -> Store:
        return SQLiteStore(cast(SQLiteStore, store).path)

    def tamper(self, store: Store, incident_id: str, seq: int) -> None:
        with contextlib.closing(sqlite3.connect(cast(SQLiteStore, store).path)) as conn, conn:
            conn.execute(
                "UPDATE events SET data = ? WHERE incident_id = ? AND seq = ?",
                (json.dumps(FORGED), incident_id, seq),
            )


class TestLatestStore(StoreContract, TamperContract, SpecArchiveContract, BatchContract):
    keeps_every_incident = False

    @pytest.fixture
    def make_store(self) -> StoreFactory:
        return LatestStore

    def tamper(self, store: Store, incident_id: str, seq: int) -> None:
        log = cast(LatestStore, store)._log
        log[seq - 1] = dataclasses.replace(log[seq - 1], data=FORGED)


# --- the protocol, checked --------------------------------------------------------------


def test_an_engine_refuses_what_is_not_a_store_naming_what_it_lacks() -> None:
    process = incidentflow.load(MINIMAL)
    with pytest.raises(TypeError, match=re.escape("it lacks all_events, append, close, events")):
        Engine(process, "incidents.sqlite")  # type: ignore[arg-type]

    class Unclosable(DelegatingStore):
        close = None  # type: ignore[assignment]

    with pytest.raises(TypeError, match=r"an? Unclosable is not an event store: it lacks close \("):
        Engine(process, Unclosable(MemoryStore()))


def test_the_capabilities_are_protocols() -> None:
    memory, latest = MemoryStore(), LatestStore()
    assert isinstance(memory, IndexedStore)
    assert isinstance(memory, IncidentIndex)
    assert isinstance(latest, Store)
    assert not isinstance(latest, IndexedStore)
    assert not isinstance(DelegatingStore(memory), IndexedStore)  # hides opened_since()


def test_the_suite_says_what_to_install_without_pytest(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "pytest", None)  # type: ignore[arg-type]
    monkeypatch.delitem(sys.modules, "incidentflow.testing.store_contract")
    with pytest.raises(ImportError, match=re.escape("pip install incidentflow[test]")):
        importlib.import_module("incidentflow.testing.store_contract")


# --- PostgreSQL: the same contract on a real server ---------------------------------------


def open_postgres_for_crash_test(schema: str) -> Store:
    """The crash test's factory: a PostgresStore over ``schema``, migrated on first use."""
    from incidentflow.audit.postgres import PostgresStore
    from tests.helpers.postgres import database_url

    store = PostgresStore(database_url(), schema=schema, max_connections=1)
    store.migrate()
    return store


@pytest.mark.postgres
class TestPostgresStore(
    StoreContract,
    OpenedSinceContract,
    IncidentIndexContract,
    SharedBackingContract,
    TamperContract,
    CrashContract,
    SpecArchiveContract,
    BatchContract,
    DueIndexContract,
    RowsContract,
):
    crash_factory = "tests.audit.test_store_contract:open_postgres_for_crash_test"

    @pytest.fixture
    def make_store(self) -> Iterator[StoreFactory]:
        from tests.helpers.postgres import fresh_schema

        with contextlib.ExitStack() as schemas:

            def make() -> Store:
                from incidentflow.audit.postgres import PostgresStore
                from tests.helpers.postgres import database_url

                name = schemas.enter_context(fresh_schema())
                return PostgresStore(database_url(), schema=name, max_connections=2)

            yield make

    def reopen(self, store: Store) -> Store:
        from incidentflow.audit.postgres import PostgresStore
        from tests.helpers.postgres import database_url

        return PostgresStore(database_url(), schema=cast(PostgresStore, store).schema)

    def tamper(self, store: Store, incident_id: str, seq: int) -> None:
        from incidentflow.audit.postgres import PostgresStore
        from tests.helpers.postgres import raw

        schema = cast(PostgresStore, store).schema
        with raw() as conn:
            conn.execute(
                f'UPDATE "{schema}".events SET data = %s WHERE incident_id = %s AND seq = %s',
                (json.dumps(FORGED), incident_id, seq),
            )

    def crash_location(self, tmp_path: Path) -> str:
        from tests.helpers.postgres import new_schema_name

        return new_schema_name()
