"""Store URLs: how the command line (and a host) names a store.

- ``incidents.db`` (a bare path) or ``sqlite:///incidents.db``: an SQLite file;
  ``sqlite:////var/lib/incidents.db`` (four slashes) for an absolute path, as in
  SQLAlchemy. Percent-escapes are decoded.
- ``postgresql://user@host/db`` or ``postgres://...``: a PostgreSQL database, as libpq
  reads the URL, plus one parameter of incidentflow's own, ``schema=NAME``: the
  PostgreSQL schema holding the store's tables (default ``public``), taken out before
  the URL is handed to libpq.

:func:`open_store` opens a store to write; :func:`read_store` reads one as evidence,
without changing it (SQLite through :mod:`~incidentflow.audit.sqlite_readonly`,
PostgreSQL through :mod:`~incidentflow.audit.postgres_readonly`), and
:func:`verify_url` and :func:`anchor_url` verify and anchor it that way.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Literal, TypeVar
from urllib.parse import parse_qsl, unquote, urlencode, urlsplit, urlunsplit

from incidentflow.audit.anchor import Anchor
from incidentflow.audit.verify import ReadableStore, VerifyReport, check_store, verify_store

if TYPE_CHECKING:
    from incidentflow.audit.store import Store

_T = TypeVar("_T")
_POSTGRES_SCHEMES = ("postgresql", "postgres")


@dataclass(frozen=True, slots=True)
class StoreLocation:
    """A parsed store URL. ``target`` is the SQLite path or the libpq URL (without
    ``schema=``); ``display`` is the URL with any password hidden, for messages."""

    kind: Literal["sqlite", "postgres"]
    target: str
    schema: str
    display: str


def parse_store_url(url: str) -> StoreLocation:
    """The store ``url`` names (see the module notes); anything else is an SQLite path."""
    scheme = url.split(":", 1)[0].lower() if "://" in url else ""
    if scheme == "sqlite":
        path = unquote(url.split("://", 1)[1])
        path = path[1:] if path.startswith("/") else path  # sqlite:///rel, sqlite:////abs
        return StoreLocation("sqlite", path, "", path)
    if scheme in _POSTGRES_SCHEMES:
        parts = urlsplit(url)
        query = parse_qsl(parts.query, keep_blank_values=True)
        schema = next((v for k, v in query if k == "schema"), "public") or "public"
        rest = urlencode([(k, v) for k, v in query if k != "schema"])
        target = urlunsplit(parts._replace(query=rest))
        netloc = parts.netloc
        if parts.password is not None:
            netloc = netloc.replace(f":{parts.password}@", ":***@", 1)
        display = urlunsplit(parts._replace(netloc=netloc))
        return StoreLocation("postgres", target, schema, display)
    return StoreLocation("sqlite", url, "", url)


def open_store(url: str) -> Store:
    """A store to read and write at ``url`` (a PostgresStore needs its schema: see
    ``incidentflow store init``; an SQLite file is created if missing)."""
    where = parse_store_url(url)
    if where.kind == "postgres":
        from incidentflow.audit.postgres import PostgresStore

        return PostgresStore(where.target, schema=where.schema)
    from incidentflow.audit.sqlite import SQLiteStore

    return SQLiteStore(where.target)


def read_store(url: str, use: Callable[[ReadableStore], _T]) -> _T:
    """``use(store)`` on the store at ``url`` read without changing it; AuditError if it
    is not an incidentflow event store or cannot be read."""
    where = parse_store_url(url)
    if where.kind == "postgres":
        from incidentflow.audit.postgres_readonly import read_postgres

        return read_postgres(where.target, where.schema, use, source=where.display)
    from incidentflow.audit import sqlite_readonly

    return sqlite_readonly.read_store(where.target, use)


def verify_url(url: str, *, anchor: Anchor | None = None) -> VerifyReport:
    """Verify the store at ``url`` (read-only), against ``anchor`` if given."""
    where = parse_store_url(url)
    if where.kind == "sqlite":  # the file reader also reports dropped tables
        from incidentflow.audit.sqlite_readonly import verify_file

        return verify_file(where.target, anchor=anchor)
    return read_store(url, lambda store: verify_store(store, anchor=anchor))


def anchor_url(url: str, now: datetime) -> tuple[Anchor | None, VerifyReport]:
    """The anchor of the store at ``url`` taken at ``now`` and its verification; no
    anchor (None) when the store does not verify."""
    where = parse_store_url(url)
    if where.kind == "sqlite":
        from incidentflow.audit.sqlite_readonly import anchor_file

        return anchor_file(where.target, now)

    def take(store: ReadableStore) -> tuple[Anchor | None, VerifyReport]:
        check = check_store(store)
        return (Anchor.of(check.heads, now) if check.report.ok else None), check.report

    return read_store(url, take)
