"""PostgreSQL test helpers: a fresh, migrated schema per test, and raw SQL beside the store.

The server comes from ``INCIDENTFLOW_TEST_DATABASE_URL`` (``bash .ci/with-postgres``
sets it); tests that use these carry the ``postgres`` marker, so they skip (or fail, in
CI) without one.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
import subprocess
from collections.abc import Iterator
from typing import Any

URL_VARIABLE = "INCIDENTFLOW_TEST_DATABASE_URL"


def database_url() -> str:
    return os.environ[URL_VARIABLE]


def new_schema_name() -> str:
    return f"t_{secrets.token_hex(6)}"


@contextlib.contextmanager
def raw() -> Iterator[Any]:
    """A plain psycopg connection (autocommit) to the test database."""
    import psycopg

    with psycopg.connect(database_url(), autocommit=True) as conn:
        yield conn


@contextlib.contextmanager
def fresh_schema(*, migrate: bool = True) -> Iterator[str]:
    """A schema name of its own (created and migrated unless ``migrate`` is False),
    dropped afterwards with everything in it."""
    from incidentflow.audit.postgres import PostgresStore

    name = new_schema_name()
    try:
        if migrate:
            store = PostgresStore(database_url(), schema=name, max_connections=1)
            try:
                store.migrate()
            finally:
                store.close()
        yield name
    finally:
        with raw() as conn:
            conn.execute(f'DROP SCHEMA IF EXISTS "{name}" CASCADE')


def restart_server() -> None:
    """Restart the test server (``pg_ctl restart``), as .ci/with-postgres started it."""
    bindir = os.environ["INCIDENTFLOW_TEST_PG_BINDIR"]
    data = os.environ["INCIDENTFLOW_TEST_PG_DATA"]
    log = os.path.join(os.path.dirname(data), "server.log")
    command = [f"{bindir}/pg_ctl", "-D", data, "-l", log, "-m", "fast", "-w", "restart"]
    if os.geteuid() == 0:
        command = [shutil.which("runuser") or "runuser", "-u", "postgres", "--", *command]
    # The server inherits pg_ctl's output: no pipe, or run() would wait for the server.
    subprocess.run(
        command, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=60
    )


def can_restart_server() -> bool:
    return bool(
        os.environ.get("INCIDENTFLOW_TEST_PG_BINDIR")
        and os.environ.get("INCIDENTFLOW_TEST_PG_DATA")
    )
