"""Stores keep every process version's source: a fresh engine and `report --by-version` load
the version an old incident ran under after the spec file changed (SQLite and PostgreSQL)."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import closing
from datetime import timedelta
from pathlib import Path

import pytest

import incidentflow
from incidentflow import Engine, SQLiteStore, Store
from incidentflow.audit import sqlite as sqlite_schema
from incidentflow.audit.specs import SpecArchive
from tests.conftest import EXAMPLES, ROOT, CliResult
from tests.engine.common import T0

SPEC = (EXAMPLES / "major-incident.yaml").read_text(encoding="utf-8")
V2_TEXT = (ROOT / "tests" / "migrations" / "major-incident-v2.yaml").read_text(encoding="utf-8")
V1 = incidentflow.loads(SPEC)
V2 = incidentflow.loads(V2_TEXT)


def run_incidents(make_store: Callable[[], Store], spec_file: Path) -> str:
    """Two incidents on 1.0.0 (acknowledged after 4 and 10 minutes), the spec file changed
    to 2.0.0, one incident on 2.0.0 (after 2 minutes) and the old ones carried on by a
    fresh engine; returns the id of the incident left in `triage`, which 2.0.0 renamed."""
    clock = [T0]
    spec_file.write_text(SPEC, encoding="utf-8")
    first = Engine(incidentflow.load(spec_file), make_store(), clock=lambda: clock[0])
    ids = []
    for minutes in (4, 10):
        iid = first.open("major-incident", severity="SEV2", actor="svc").id
        first.assign(iid, "responder", "rita", actor="svc")
        clock[0] += timedelta(minutes=minutes)
        first.fire(iid, "acknowledge", actor="rita")
        ids.append(iid)
    first.store.close()
    spec_file.write_text(V2_TEXT, encoding="utf-8")  # the change, merged and deployed

    fresh = Engine(incidentflow.load(spec_file), make_store(), clock=lambda: clock[0])
    new = fresh.open("major-incident", severity="SEV2", actor="svc").id
    fresh.assign(new, "responder", "rita", actor="svc")
    clock[0] += timedelta(minutes=2)
    assert fresh.fire(new, "acknowledge", actor="rita").state == "assessment"
    # an old incident carries on by its own version's rules, in `triage`
    fresh.assign(ids[0], "commander", "cleo", actor="svc")
    fresh.check(ids[0], "impact_confirmed", actor="cleo")
    assert fresh.fire(ids[0], "stand_down", actor="cleo").process_version == "1.0.0"
    assert fresh.get(ids[1]).state == "triage"
    assert isinstance(fresh.store, SpecArchive)
    assert [(s.version, s.digest) for s in fresh.store.stored_specs()] == [
        ("1.0.0", V1.digest),
        ("2.0.0", V2.digest),
    ]
    assert fresh.verify().ok
    fresh.store.close()
    return ids[1]


def assert_report_by_version(cli: Callable[..., CliResult], url: str) -> None:
    text = cli("report", url, "--by-version")
    assert text.code == 0, text.err
    rows = [line.split() for line in text.out.splitlines() if line.startswith("major-incident ")]
    assert [row[:5] for row in rows] == [
        ["major-incident", "1.0.0", "SEV2", "2", "7m"],  # median of 4 and 10 minutes
        ["major-incident", "2.0.0", "SEV2", "1", "2m"],
    ]
    kept = [line.strip() for line in text.out.splitlines() if "source kept" in line]
    assert [line.split()[1] for line in kept] == ["1.0.0", "2.0.0"]
    data = json.loads(cli("report", url, "--by-version", "--format", "json").out)
    assert [(v["version"], v["digest"], v["incidents"], v["source_kept"]) for v in data["versions"]] == [
        ("1.0.0", V1.digest, 2, True),
        ("2.0.0", V2.digest, 1, True),
    ]  # fmt: skip
    assert {lv["version"] for lv in data["levels"]} == {"1.0.0", "2.0.0"}
    plain = json.loads(cli("report", url, "--format", "json").out)
    assert "versions" not in plain
    assert all("version" not in lv for lv in plain["levels"])  # one row per level, as before


def test_sqlite_keeps_the_versions_and_the_report_compares_them(
    tmp_path: Path, cli: Callable[..., CliResult]
) -> None:
    db = tmp_path / "incidents.db"
    run_incidents(lambda: SQLiteStore(db), tmp_path / "major-incident.yaml")
    assert_report_by_version(cli, str(db))
    with closing(sqlite3.connect(db)) as conn:
        assert conn.execute("PRAGMA user_version").fetchone() == (sqlite_schema.SCHEMA_VERSION,)
        texts = [t for (t,) in conn.execute("SELECT text FROM specs ORDER BY position")]
    assert texts == [SPEC, V2_TEXT]


def test_store_specs_lists_the_kept_versions_and_prints_the_one_an_old_incident_ran_on(
    tmp_path: Path, cli: Callable[..., CliResult]
) -> None:
    db = tmp_path / "incidents.db"
    run_incidents(lambda: SQLiteStore(db), tmp_path / "major-incident.yaml")
    listed = cli("store", "specs", str(db))
    assert listed.code == 0, listed.err
    assert [line.split("\t") for line in listed.out.splitlines()] == [
        ["major-incident", "1.0.0", V1.digest],
        ["major-incident", "2.0.0", V2.digest],
    ]
    # the file now says 2.0.0; the store still gives 1.0.0 back, byte for byte
    old = cli("store", "specs", str(db), V1.digest[:19])
    assert (old.code, old.out) == (0, SPEC)
    assert incidentflow.loads(old.out).digest == V1.digest
    unknown = cli("store", "specs", str(db), "sha256:0000")
    assert unknown.code == 1
    assert "no kept version" in unknown.err


def test_an_sqlite_file_of_an_earlier_release_gets_the_specs_table_when_opened(
    tmp_path: Path, cli: Callable[..., CliResult]
) -> None:
    db = tmp_path / "old.db"
    engine = Engine(V1, SQLiteStore(db), clock=lambda: T0)
    engine.open("major-incident", severity="SEV1", actor="svc")
    engine.store.close()
    with closing(sqlite3.connect(db)) as conn, conn:  # as schema version 1 left it
        conn.execute("DROP TABLE specs")
        conn.execute("PRAGMA user_version=1")
    report = json.loads(cli("report", str(db), "--by-version", "--format", "json").out)
    assert [v["source_kept"] for v in report["versions"]] == [False]  # read, not changed
    assert cli("audit", "verify", str(db)).code == 0
    store = SQLiteStore(db)  # the schema step
    assert store.stored_specs() == []
    Engine(V1, store, clock=lambda: T0).open("major-incident", severity="SEV1", actor="svc")
    assert [s.digest for s in store.stored_specs()] == [V1.digest]
    store.close()
    with closing(sqlite3.connect(db)) as conn:
        assert conn.execute("PRAGMA user_version").fetchone() == (sqlite_schema.SCHEMA_VERSION,)


def test_store_copy_keeps_the_versions_too(tmp_path: Path, cli: Callable[..., CliResult]) -> None:
    source, copy = tmp_path / "source.db", tmp_path / "copy.db"
    run_incidents(lambda: SQLiteStore(source), tmp_path / "major-incident.yaml")
    assert cli("store", "copy", str(source), str(copy)).code == 0
    store = SQLiteStore(copy)
    assert [s.digest for s in store.stored_specs()] == [V1.digest, V2.digest]
    store.close()
    assert_report_by_version(cli, str(copy))


# --- PostgreSQL ---------------------------------------------------------------------------


@pytest.fixture
def schema() -> Iterator[str]:
    from tests.helpers.postgres import fresh_schema

    with fresh_schema() as name:
        yield name


@pytest.mark.postgres
def test_postgres_keeps_the_versions_and_the_report_compares_them(
    schema: str, tmp_path: Path, cli: Callable[..., CliResult]
) -> None:
    from incidentflow.audit.postgres import PostgresStore
    from tests.helpers.postgres import database_url

    left_in_triage = run_incidents(
        lambda: PostgresStore(database_url(), schema=schema, max_connections=2),
        tmp_path / "major-incident.yaml",
    )
    url = f"{database_url()}{'&' if '?' in database_url() else '?'}schema={schema}"
    assert_report_by_version(cli, url)
    # a replica started later, with only 2.0.0, runs the old incident on 1.0.0
    store = PostgresStore(database_url(), schema=schema, max_connections=1)
    try:
        replica = Engine(V2, store, clock=lambda: T0 + timedelta(days=1))
        replica.assign(left_in_triage, "commander", "cleo", actor="svc")
        replica.check(left_in_triage, "impact_confirmed", actor="cleo")
        assert replica.fire(left_in_triage, "stand_down", actor="cleo").state == "review"
    finally:
        store.close()


@pytest.mark.postgres
def test_a_postgres_schema_of_version_1_is_upgraded_to_keep_versions() -> None:
    from incidentflow.audit.postgres import MIGRATIONS, SCHEMA_VERSION, PostgresStore
    from tests.helpers.postgres import database_url, fresh_schema, raw

    with fresh_schema(migrate=False) as name:
        with raw() as conn:  # what `store init` of the release before this one made
            conn.execute(f'CREATE SCHEMA "{name}"')
            conn.execute(
                f'CREATE TABLE "{name}".incidentflow_schema (version INTEGER PRIMARY KEY, '
                "applied_at TIMESTAMPTZ NOT NULL DEFAULT now())"
            )
            conn.execute(MIGRATIONS[1].format(s=f'"{name}"'))
            conn.execute(f'INSERT INTO "{name}".incidentflow_schema (version) VALUES (1)')
        store = PostgresStore(database_url(), schema=name, max_connections=1)
        try:
            with pytest.raises(incidentflow.StoreSchemaError):
                store.stored_specs()  # an old schema is refused until `store init`
            assert store.migrate() == SCHEMA_VERSION == 3
            engine = Engine(V1, store, clock=lambda: T0)
            engine.open("major-incident", severity="SEV1", actor="svc")
            assert [s.digest for s in store.stored_specs()] == [V1.digest]
        finally:
            store.close()
