"""``incidentflow migrate plan OLD NEW --map MAP`` and ``migrate apply --store URL ...``.

``plan`` checks a mapping against the two versions and prints its diagnostics (text,
JSON or GitHub annotations): exit 0 when it can be applied (warnings allowed), 1 when
it has errors, 2 when a file cannot be read or a spec has errors.

``apply`` checks the mapping the same way and, only if it has no errors, moves every
open incident of OLD's version in the store to NEW, one by one, printing a line per
incident: exit 0 when every one moved, 1 when some were refused (each says why; the
others moved), 2 when the plan has errors (nothing is written), a file or the store
cannot be read, or a spec has errors. ``--dry-run`` reports what would move and writes
nothing. ``--actor`` is who migrates (default ``system``: the opener of incidents that
signals opened); see :mod:`incidentflow.migration.apply` for who may.
"""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any, TextIO

if TYPE_CHECKING:
    from incidentflow.compiler.process import Process
    from incidentflow.engine.engine import Engine
    from incidentflow.migration.check import MigrationPlan

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2
FORMATS = ("text", "json", "github")


def add_parser(commands: Any, parser_class: type[argparse.ArgumentParser], store_help: str) -> None:
    """Register ``migrate plan`` and ``migrate apply`` under the command line's commands."""
    migrate = commands.add_parser(
        "migrate",
        help="move open incidents to a new version of their process, through a checked mapping",
    )
    sub = migrate.add_subparsers(
        dest="migrate_command", metavar="COMMAND", parser_class=parser_class, required=True
    )
    plan = sub.add_parser(
        "plan",
        help="check a migration mapping against the old and the new version",
        description="Check that MAP moves every state an open incident of OLD can be in to "
        "a state of NEW from which it can still finish, and name the checklist items it "
        "would skip. Exit 0 when it can be applied (warnings allowed), 1 when it has "
        "errors, 2 when a file cannot be read or a spec has errors.",
    )
    apply = sub.add_parser(
        "apply",
        help="move every open incident of OLD's version in a store to NEW",
        description="Check MAP as 'migrate plan' does; if it has no errors, move every open "
        "incident of OLD's version in the store to NEW, printing a line per incident. Exit "
        "0 when every one moved, 1 when some were refused, 2 when the plan has errors "
        "(nothing is written) or a file or the store cannot be read.",
    )
    for command in (plan, apply):
        command.add_argument("old", metavar="OLD", help="the spec of the version incidents run on")
        command.add_argument("new", metavar="NEW", help="the spec of the version to move them to")
        command.add_argument("--map", required=True, metavar="MAP", help="the mapping (YAML)")
    plan.add_argument("--format", choices=FORMATS, default="text")
    apply.add_argument("--store", required=True, metavar="URL", help=store_help)
    apply.add_argument(
        "--actor", default="system", help="who migrates (default: system; see the docs)"
    )
    apply.add_argument(
        "--dry-run", action="store_true", help="report what would move; write nothing"
    )


def migrate_command(args: argparse.Namespace, stdout: TextIO, stderr: TextIO) -> int:
    """Run ``migrate plan`` or ``migrate apply`` as parsed by the command line."""
    from incidentflow.errors import SpecFileError
    from incidentflow.migration import plan_migration

    name = f"incidentflow migrate {args.migrate_command}"
    versions = _load_versions(args.old, args.new, stdout, stderr, name)
    if versions is None:
        return EXIT_USAGE
    old, new = versions
    try:
        plan = plan_migration(old, new, args.map)
    except SpecFileError as exc:
        stderr.write(f"{name}: {exc}\n")
        return EXIT_USAGE
    if args.migrate_command == "plan":
        return _plan(plan, args.format, stdout)
    _write_diagnostics(plan, "text", stdout)
    if not plan.ok:
        stderr.write(f"{name}: {args.map} has errors (above): nothing was migrated\n")
        return EXIT_USAGE
    return _apply(plan, args.store, args.actor, args.dry_run, stdout, stderr)


def _load_versions(
    old_path: str, new_path: str, stdout: TextIO, stderr: TextIO, name: str
) -> tuple[Process, Process] | None:
    from incidentflow.api import check_file
    from incidentflow.errors import SpecFileError
    from incidentflow.reporting import format_text

    loaded = []
    for path in (old_path, new_path):
        try:
            result = check_file(path)
        except SpecFileError as exc:
            stderr.write(f"{name}: {exc}\n")
            return None
        if result.process is None:
            stdout.write(format_text(result.diagnostics, {result.file: result.text}))
            stderr.write(f"{name}: {path} has errors (above)\n")
            return None
        loaded.append(result.process)
    return loaded[0], loaded[1]


def _write_diagnostics(plan: MigrationPlan, fmt: str, stdout: TextIO) -> None:
    from incidentflow.reporting import format_github, format_json, format_text

    if fmt == "json":
        stdout.write(format_json(plan.diagnostics))
    elif fmt == "github":
        stdout.write(format_github(plan.diagnostics))
    else:
        stdout.write(format_text(plan.diagnostics, {plan.file: plan.text}))


def _plan(plan: MigrationPlan, fmt: str, stdout: TextIO) -> int:
    _write_diagnostics(plan, fmt, stdout)
    if fmt == "text":
        errors = len(plan.errors)
        warnings = len(plan.diagnostics) - errors
        verdict = "can be applied" if plan.ok else "cannot be applied"
        stdout.write(
            f"{plan.file}: {plan.old.name} {plan.old.version} -> {plan.new.version}: "
            f"{errors} error(s), {warnings} warning(s): {verdict}\n"
        )
        for move in plan.moves.values():
            how = " (by name)" if move.by_name else ""
            stdout.write(
                f"  {move.source} -> {move.target}{how}: checklist {move.checklist}, "
                f"timers {move.timers}\n"
            )
    return EXIT_OK if plan.ok else EXIT_FAILED


def _apply(
    plan: MigrationPlan, url: str, actor: str, dry_run: bool, stdout: TextIO, stderr: TextIO
) -> int:
    from incidentflow.audit.urls import open_store
    from incidentflow.engine.engine import Engine
    from incidentflow.errors import IncidentflowError

    try:
        store = open_store(url)
    except (IncidentflowError, ImportError, OSError) as exc:
        stderr.write(f"incidentflow migrate apply: {url}: {exc}\n")
        return EXIT_USAGE
    try:
        # NEW opens new incidents whatever the two version numbers say
        engine = Engine([plan.old, plan.new], store, open_on={plan.new.name: plan.new.version})
        return _move_all(engine, plan, actor, dry_run, stdout)
    except IncidentflowError as exc:
        stderr.write(f"incidentflow migrate apply: {url}: {exc}\n")
        return EXIT_USAGE
    finally:
        store.close()


def _move_all(
    engine: Engine, plan: MigrationPlan, actor: str, dry_run: bool, stdout: TextIO
) -> int:
    from incidentflow.errors import EngineError

    moved = refused = 0
    for iid in engine.store.incident_ids():
        incident = engine.get(iid)
        if incident.process != plan.old.name or incident.closed:
            continue
        if incident.process_digest != plan.old.digest:
            if incident.process_digest != plan.new.digest:
                stdout.write(
                    f"{iid}: on version {incident.process_version}, not "
                    f"{plan.old.version}: left as it is\n"
                )
            continue
        move = plan.moves.get(incident.state)
        where = f"{incident.state} -> {move.target if move else '?'} ({incident.severity})"
        if dry_run:
            stdout.write(f"{iid}: would move {where}\n")
            moved += 1
            continue
        try:
            engine.migrate(iid, mapping=plan, actor=actor)
        except EngineError as exc:
            stdout.write(f"{iid}: refused: {exc}\n")
            refused += 1
            continue
        stdout.write(f"{iid}: moved {where}\n")
        moved += 1
    verb = "would move" if dry_run else "moved"
    stdout.write(
        f"{verb} {moved} incident(s) from version {plan.old.version} to {plan.new.version}"
        + (f"; {refused} refused" if refused else "")
        + "\n"
    )
    return EXIT_FAILED if refused else EXIT_OK
