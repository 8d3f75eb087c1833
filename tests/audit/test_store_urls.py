"""Store URLs on the command line, ``store init`` and ``store copy`` (SQLite and PostgreSQL)."""

from __future__ import annotations

import contextlib
import json
import sqlite3
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from incidentflow import AuditError, Engine, SQLiteStore, load
from incidentflow.audit.copy import copy_store
from incidentflow.audit.postgres import SCHEMA_VERSION as PG_SCHEMA_VERSION
from incidentflow.audit.sqlite import SCHEMA_VERSION as SQLITE_SCHEMA_VERSION
from incidentflow.audit.urls import parse_store_url
from tests.conftest import EXAMPLES
from tests.helpers.postgres import database_url, fresh_schema, raw

SPEC = EXAMPLES / "major-incident.yaml"


@pytest.fixture(scope="module")
def process() -> Any:
    return load(SPEC)


def fill(store: Any, process: Any, incidents: int) -> list[str]:
    """Open ``incidents`` incidents with a few events each; their ids."""
    engine = Engine(process, store)
    ids = []
    for n in range(incidents):
        incident = engine.open("major-incident", severity="SEV2", title=f"n{n}", actor="svc")
        engine.note(incident.id, f"note {n} é", actor="svc")
        ids.append(incident.id)
    return ids


def sqlite_with(path: Path, process: Any, incidents: int) -> list[str]:
    store = SQLiteStore(path)
    try:
        return fill(store, process, incidents)
    finally:
        store.close()


def all_rows(url: str) -> list[tuple[Any, ...]]:
    from incidentflow.audit.urls import read_store

    return read_store(url, lambda s: [(e.incident_id, e.seq, e.hash) for e in s.all_events()])


@pytest.fixture
def pg_url() -> Iterator[str]:
    with fresh_schema() as schema:
        yield in_schema(schema)


def in_schema(schema: str) -> str:
    url = database_url()
    return f"{url}{'&' if '?' in url else '?'}schema={schema}"


# --- URLs -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "kind", "target", "schema"),
    [
        ("incidents.db", "sqlite", "incidents.db", ""),
        ("sqlite:///incidents.db", "sqlite", "incidents.db", ""),
        ("sqlite:////var/lib/a%20b.db", "sqlite", "/var/lib/a b.db", ""),
        ("postgresql://u@h/db", "postgres", "postgresql://u@h/db", "public"),
        (
            "postgres://u@h/db?schema=ops&sslmode=require",
            "postgres",
            "postgres://u@h/db?sslmode=require",
            "ops",
        ),
    ],
)
def test_store_urls_name_sqlite_files_and_postgresql_databases(
    url: str, kind: str, target: str, schema: str
) -> None:
    where = parse_store_url(url)
    assert (where.kind, where.target, where.schema) == (kind, target, schema)


def test_a_password_never_appears_in_messages() -> None:
    where = parse_store_url("postgresql://app:s3cret@db/incidents")
    assert "s3cret" not in where.display
    assert "s3cret" in where.target


def test_report_verify_and_anchor_read_sqlite_urls(
    tmp_path: Path, process: Any, cli: Callable[..., Any]
) -> None:
    db = tmp_path / "incidents.db"
    sqlite_with(db, process, 2)
    url = f"sqlite:///{db}"  # an absolute path: four slashes
    assert url.startswith("sqlite:////")
    verified = cli("audit", "verify", url)
    assert verified.code == 0, verified.err
    assert "2 incident(s)" in verified.out
    reported = cli("report", url, "--format", "json")
    assert reported.code == 0, reported.err
    assert len(json.loads(reported.out)["incidents"]) == 2
    anchored = cli("audit", "anchor", url, "-o", str(tmp_path / "anchor.json"))
    assert anchored.code == 0, anchored.err
    assert cli("audit", "verify", url, "--anchor", str(tmp_path / "anchor.json")).code == 0


# --- copying: SQLite to SQLite (the same code path as every pair) ---------------------------


def test_an_interrupted_copy_completes_on_a_re_run_without_duplicates(
    tmp_path: Path, process: Any, cli: Callable[..., Any]
) -> None:
    src, dst = tmp_path / "src.db", tmp_path / "dst.db"
    ids = sqlite_with(src, process, 6)

    def crash_after_three(iid: str) -> None:
        if iid == ids[2]:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        copy_store(str(src), str(dst), after_incident=crash_after_three)
    assert {row[0] for row in all_rows(str(dst))} == set(ids[:3])
    again = cli("store", "copy", str(src), f"sqlite:///{dst}")
    assert again.code == 0, again.err
    assert all_rows(str(dst)) == all_rows(str(src))  # nothing lost, nothing twice
    assert "of 3 incident(s)" in again.out
    third = cli("store", "copy", str(src), str(dst))
    assert third.code == 0, third.err
    assert "copied 0 event(s)" in third.out
    with contextlib.closing(SQLiteStore(dst)) as store:
        assert store.incident_ids() == ids  # opening order kept


def test_a_copy_appends_what_the_source_gained_since(
    tmp_path: Path, process: Any, cli: Callable[..., Any]
) -> None:
    src, dst = tmp_path / "src.db", tmp_path / "dst.db"
    ids = sqlite_with(src, process, 2)
    assert cli("store", "copy", str(src), str(dst)).code == 0
    store = SQLiteStore(src)
    try:
        Engine(process, store).note(ids[0], "later", actor="svc")
    finally:
        store.close()
    again = cli("store", "copy", str(src), str(dst))
    assert again.code == 0, again.err
    assert "copied 1 event(s) of 1 incident(s)" in again.out
    assert all_rows(str(dst)) == all_rows(str(src))


def test_a_divergent_destination_is_refused_and_left_unchanged(
    tmp_path: Path, process: Any, cli: Callable[..., Any]
) -> None:
    src, dst = tmp_path / "src.db", tmp_path / "dst.db"
    ids = sqlite_with(src, process, 2)
    assert cli("store", "copy", str(src), str(dst)).code == 0
    for path, text in ((src, "on the source"), (dst, "on the destination")):
        store = SQLiteStore(path)
        try:
            Engine(process, store).note(ids[1], text, actor="svc")
        finally:
            store.close()
    before = all_rows(str(dst))
    refused = cli("store", "copy", str(src), str(dst))
    assert refused.code == 1
    assert f"{ids[1]}: " in refused.out
    assert "diverge" in refused.err
    assert all_rows(str(dst)) == before


def test_a_source_that_does_not_verify_is_not_copied(
    tmp_path: Path, process: Any, cli: Callable[..., Any]
) -> None:
    src, dst = tmp_path / "src.db", tmp_path / "dst.db"
    sqlite_with(src, process, 2)
    conn = sqlite3.connect(src)
    conn.execute("UPDATE events SET actor = 'mallory' WHERE seq = 1")
    conn.commit()
    conn.close()
    refused = cli("store", "copy", str(src), str(dst))
    assert refused.code == 1
    assert "modified" in refused.out
    assert "nothing copied" in refused.err
    assert not dst.exists() or all_rows(str(dst)) == []


def test_store_init_creates_an_sqlite_store(tmp_path: Path, cli: Callable[..., Any]) -> None:
    db = tmp_path / "new.db"
    done = cli("store", "init", f"sqlite:///{db}")
    assert done.code == 0, done.err
    assert f"store schema version {SQLITE_SCHEMA_VERSION}" in done.out
    assert cli("audit", "verify", str(db)).code == 0


# --- PostgreSQL -------------------------------------------------------------------------


@pytest.mark.postgres
def test_store_init_on_postgresql_is_explicit_and_idempotent(cli: Callable[..., Any]) -> None:
    with fresh_schema(migrate=False) as schema:
        url = in_schema(schema)
        before = cli("audit", "verify", url)
        assert before.code == 2
        assert "not an incidentflow event store" in before.err
        for _ in range(2):
            done = cli("store", "init", url)
            assert done.code == 0, done.err
            assert f"store schema version {PG_SCHEMA_VERSION}" in done.out
        assert cli("audit", "verify", url).code == 0


@pytest.mark.postgres
def test_copy_sqlite_to_postgresql_and_back_keeps_every_event(
    tmp_path: Path, process: Any, cli: Callable[..., Any], pg_url: str
) -> None:
    src, back = tmp_path / "src.db", tmp_path / "back.db"
    ids = sqlite_with(src, process, 4)
    there = cli("store", "copy", str(src), pg_url)
    assert there.code == 0, there.err
    assert all_rows(pg_url) == all_rows(str(src))
    home = cli("store", "copy", pg_url, f"sqlite:///{back}")
    assert home.code == 0, home.err
    assert all_rows(str(back)) == all_rows(str(src))
    with (
        contextlib.closing(SQLiteStore(back)) as copied,
        contextlib.closing(SQLiteStore(src)) as original,
    ):
        assert copied.incident_ids() == ids
        assert copied.events(ids[0]) == original.events(ids[0])


@pytest.mark.postgres
def test_an_interrupted_copy_into_postgresql_completes_without_duplicates(
    tmp_path: Path, process: Any, pg_url: str
) -> None:
    src = tmp_path / "src.db"
    ids = sqlite_with(src, process, 5)

    def crash_after_two(iid: str) -> None:
        if iid == ids[1]:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        copy_store(str(src), pg_url, after_incident=crash_after_two)
    assert {row[0] for row in all_rows(pg_url)} == set(ids[:2])
    report = copy_store(str(src), pg_url)
    assert report.ok
    assert report.copied_incidents == 3
    assert all_rows(pg_url) == all_rows(str(src))


@pytest.mark.postgres
def test_verify_report_and_anchor_read_postgresql_urls(
    tmp_path: Path, process: Any, cli: Callable[..., Any], pg_url: str
) -> None:
    from incidentflow.audit.urls import open_store

    store = open_store(pg_url)
    try:
        ids = fill(store, process, 3)
    finally:
        store.close()
    verified = cli("audit", "verify", pg_url)
    assert verified.code == 0, verified.err
    assert "3 incident(s)" in verified.out
    reported = cli("report", pg_url, "--format", "json")
    assert reported.code == 0, reported.err
    assert len(json.loads(reported.out)["incidents"]) == 3
    anchor = tmp_path / "anchor.json"
    assert cli("audit", "anchor", pg_url, "-o", str(anchor)).code == 0
    schema = parse_store_url(pg_url).schema
    with raw() as conn:
        conn.execute(
            f'UPDATE "{schema}".events SET actor = %s WHERE incident_id = %s AND seq = 2',
            ("mallory", ids[1]),
        )
        conn.execute(f'DELETE FROM "{schema}".incidents WHERE incident_id = %s', (ids[2],))
        conn.execute(f'DELETE FROM "{schema}".events WHERE incident_id = %s', (ids[2],))
    tampered = cli("audit", "verify", pg_url, "--anchor", str(anchor))
    assert tampered.code == 1
    assert f"{ids[1]}: event 2: modified" in tampered.out
    assert "deleted" in tampered.out  # the dense index shows the removed position


@pytest.mark.postgres
def test_postgresql_stores_are_read_in_a_read_only_transaction(pg_url: str) -> None:
    from incidentflow.audit.urls import read_store

    def write(store: Any) -> None:
        store._conn.execute(f"CREATE TABLE {store._q.schema}.x (a int)")

    with pytest.raises(AuditError, match="read-only transaction"):
        read_store(pg_url, write)
