"""``incidentflow store init URL``, ``store copy SRC DST`` and ``store specs URL [DIGEST]``.

Exit codes: 0 done (copy: both stores verify), 1 a copy refused or a store that does
not verify (specs: no kept version matches), 2 a store that cannot be reached, read or
written (or a schema newer than this release's).
"""

from __future__ import annotations

import argparse
from typing import TextIO

from incidentflow.audit.urls import parse_store_url
from incidentflow.audit.verify import format_problem
from incidentflow.errors import AuditError, StoreError

EXIT_OK, EXIT_NOT_VERIFIED, EXIT_FAILED = 0, 1, 2


def store_command(args: argparse.Namespace, stdout: TextIO, stderr: TextIO) -> int:
    """Run ``store init`` or ``store copy`` as parsed by the command line."""
    try:
        if args.store_command == "init":
            return _init(args.url, stdout)
        if args.store_command == "specs":
            return _specs(args.url, args.digest, stdout, stderr)
        return _copy(args.source, args.destination, stdout, stderr)
    except (AuditError, StoreError, ImportError) as exc:
        stderr.write(f"incidentflow store {args.store_command}: {exc}\n")
        return EXIT_FAILED


def init_store(url: str) -> int:
    """Create or upgrade the schema of the store at ``url``; return its version."""
    where = parse_store_url(url)
    if where.kind == "postgres":
        from incidentflow.audit.postgres import PostgresStore

        store = PostgresStore(where.target, schema=where.schema, max_connections=1)
        try:
            return store.migrate()
        finally:
            store.close()
    from incidentflow.audit.sqlite import SCHEMA_VERSION, SQLiteStore

    SQLiteStore(where.target).close()  # an SQLite store creates its tables on opening
    return SCHEMA_VERSION


def _init(url: str, stdout: TextIO) -> int:
    version = init_store(url)
    stdout.write(f"{parse_store_url(url).display}: store schema version {version}\n")
    return EXIT_OK


def _specs(url: str, digest: str | None, stdout: TextIO, stderr: TextIO) -> int:
    """List the kept versions, or print the source of the one ``digest`` names."""
    from incidentflow.audit.specs import stored_specs_of
    from incidentflow.audit.urls import read_store

    kept = read_store(url, stored_specs_of)  # read only: the store is not changed
    if digest is None:
        for spec in kept:
            stdout.write(f"{spec.name}\t{spec.version}\t{spec.digest}\n")
        return EXIT_OK
    wanted = digest if digest.startswith("sha256:") else f"sha256:{digest}"
    found = [spec for spec in kept if spec.digest.startswith(wanted)]
    if len(found) != 1:
        what = "no kept version" if not found else f"{len(found)} kept versions"
        stderr.write(
            f"incidentflow store specs: {what} of {parse_store_url(url).display} "
            f"match {digest!r} (list them: incidentflow store specs STORE)\n"
        )
        return EXIT_NOT_VERIFIED
    stdout.write(found[0].text)
    return EXIT_OK


def _copy(source: str, destination: str, stdout: TextIO, stderr: TextIO) -> int:
    from incidentflow.audit.copy import copy_store

    report = copy_store(source, destination)
    src, dst = parse_store_url(source).display, parse_store_url(destination).display
    if not report.source.ok:
        for problem in report.source.problems:
            stdout.write(f"{src}: {format_problem(problem)}\n")
        stderr.write(f"incidentflow store copy: {src} does not verify: nothing copied\n")
        return EXIT_NOT_VERIFIED
    if report.divergent:
        for iid in report.divergent:
            stdout.write(f"{iid}: {dst} holds a different history of it than {src}\n")
        stderr.write(
            f"incidentflow store copy: {len(report.divergent)} incident(s) diverge: "
            "nothing copied\n"
        )
        return EXIT_NOT_VERIFIED
    stdout.write(
        f"copied {report.copied_events} event(s) of {report.copied_incidents} incident(s) "
        f"({report.incidents} incident(s), {report.source_events} event(s) in {src})\n"
    )
    destination_report = report.destination
    if destination_report is None or not destination_report.ok:
        for problem in destination_report.problems if destination_report else ():
            stdout.write(f"{dst}: {format_problem(problem)}\n")
        stderr.write(f"incidentflow store copy: {dst} does not verify\n")
        return EXIT_NOT_VERIFIED
    stdout.write(
        f"{src}: everything verifies; {dst}: {destination_report.checked} incident(s), "
        f"{destination_report.events} event(s): everything verifies\n"
    )
    return EXIT_OK
