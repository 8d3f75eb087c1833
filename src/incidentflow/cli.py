"""The command line: ``incidentflow validate | render | docs | schema | demo | drill | diff | simulate | report | audit | store | worker | migrate | serve | token``.

``main()`` only calls :func:`run`, which takes its argument list and streams, so
that tests drive it directly. Exit codes: 0 clean, 1 spec errors (or warnings
with ``--strict``), 2 usage or I/O errors. No traceback reaches the user.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from incidentflow._version import __version__
from incidentflow.startup import prepare

if TYPE_CHECKING:
    from incidentflow.audit.report import ReportFormat

EXIT_OK, EXIT_SPEC_ERRORS, EXIT_USAGE = 0, 1, 2
STORE_HELP = "an SQLite file or sqlite:///PATH, or postgresql://... (with ?schema=NAME)"
EXIT_BROKEN_PIPE = 128 + 13  # what a shell reports for a program stopped by SIGPIPE


class _UsageError(Exception):
    pass


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        raise _UsageError(f"{self.prog}: error: {message}\n{self.format_usage()}")


def _parser(stdout: TextIO) -> argparse.ArgumentParser:
    parser = _Parser(
        prog="incidentflow",
        description="Incident processes as code: validate, inspect and export specs.",
    )
    parser.add_argument("--version", action="version", version=f"incidentflow {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    validate = commands.add_parser(
        "validate",
        help="check spec files and directories (for CI and pre-commit)",
        description="Check spec files; a directory is a set of specs (*.yaml, *.yml, recursively).",
    )
    validate.add_argument("paths", nargs="+", metavar="PATH", help="spec file or directory")
    validate.add_argument(
        "--format",
        choices=("text", "json", "github", "sarif"),
        default="text",
        help="output format (default: text; sarif for GitHub code scanning)",
    )
    validate.add_argument("--strict", action="store_true", help="warnings fail too")
    validate.add_argument(
        "--disable",
        action="append",
        default=[],
        metavar="CODE[,CODE]",
        help="turn these warnings off in every file (repeatable); errors cannot be",
    )
    validate.add_argument(
        "--show-suppressed",
        action="store_true",
        help="list suppressed warnings too (text, json and sarif formats)",
    )
    render = commands.add_parser(
        "render",
        help="draw a process as a flowchart (Mermaid, DOT, SVG or PNG)",
        description="Draw a spec's states and transitions as a flowchart. svg and png run "
        "the Graphviz 'dot' program; png needs -o. Exit 0 when drawn, 1 when the spec has "
        "errors, 2 on usage or I/O errors, an unknown level or phase, or a missing Graphviz.",
    )
    render.add_argument("spec", metavar="SPEC", help="spec file")
    render.add_argument(
        "--format",
        choices=("mermaid", "dot", "svg", "png"),
        default="mermaid",
        help="output format (default: mermaid)",
    )
    render.add_argument("-o", "--output", metavar="FILE", help="write to FILE (default: stdout)")
    render.add_argument(
        "--group-by",
        choices=("phase", "owner", "none"),
        default="phase",
        help="cluster states by phase, by owner, or not at all (default: phase)",
    )
    render.add_argument(
        "--severity",
        metavar="LEVEL",
        help="draw only what an incident at LEVEL can go through (guards applied)",
    )
    render.add_argument(
        "--phase",
        metavar="PHASE",
        help="draw one phase's states, with the states its edges lead to and come from",
    )
    render.add_argument(
        "--detail",
        choices=("full", "brief", "outline"),
        default="full",
        help="labels: everything; only state titles and transition and timer names; or "
        "only state titles, for an overview of a large process (default: full)",
    )
    docs = commands.add_parser(
        "docs",
        help="write a Markdown handbook per process",
        description="Write DIR/<name>.md for the spec, or for every spec of a directory: "
        "roles, RACI matrix, severity levels, triggers, flowchart, states and the path at "
        "each severity. Exit 0 when written, 1 when a spec has errors (nothing is written), "
        "2 on usage or I/O errors.",
    )
    docs.add_argument("spec", metavar="SPEC_OR_DIR", help="spec file or directory of specs")
    docs.add_argument("-o", "--output", metavar="DIR", required=True, help="directory to write")
    demo = commands.add_parser(
        "demo",
        help="run an incident end to end and show its timeline, metrics and audit",
        description="Open one incident from a signal built from the spec's triggers, walk it "
        "to a terminal state with an SQLite store and a simulated clock, then print its "
        "timeline, metrics and audit verification. Exit 0 when it closed and verifies, 1 "
        "when the spec has errors or it did not, 2 when the spec cannot be demoed or a file "
        "cannot be read or written.",
    )
    demo.add_argument(
        "--spec", metavar="FILE", help="any valid spec (default: the major-incident example)"
    )
    demo.add_argument("--keep", metavar="DIR", help="keep the SQLite database in DIR")
    drill = commands.add_parser(
        "drill",
        help="rehearse a process: drive it through the engine and report what was covered",
        description="For every severity level, run generated paths that together cover every "
        "reachable state, transition and timer through the engine, on a simulated clock, and "
        "report the coverage, what could not be exercised and why, and the time to resolve. "
        "With --scenario, run scripted tabletop scenarios instead. Exit 0 when everything "
        "was exercised (or every scenario passed), 1 when something was not (or the spec has "
        "errors), 2 on usage or I/O errors.",
    )
    drill.add_argument("spec", metavar="SPEC", help="spec file")
    drill.add_argument(
        "--format",
        choices=("text", "json", "markdown"),
        default="text",
        help="output format (default: text; markdown for a post-drill review)",
    )
    drill.add_argument(
        "--level",
        action="append",
        metavar="LEVEL",
        help="drill only this level (repeatable; default: every level)",
    )
    drill.add_argument(
        "--scenario",
        nargs="+",
        metavar="FILE",
        help="run these scenario files (or directories) instead of generated drills",
    )
    diff = commands.add_parser(
        "diff",
        help="what changes between two versions of a process, for review and CI",
        description="Compare two versions of a spec: the changes to the spec, what an "
        "incident goes through at each level (reachable states, shortest paths, who is "
        "paged, timers, SLAs), and whether each change is safe for open incidents or needs "
        "a migration. Exit 0 when nothing changed, 1 when something did (see --fail-on), 2 "
        "on usage or I/O errors or when a spec has errors.",
    )
    diff.add_argument("old", metavar="OLD", help="the spec as it was (e.g. from main)")
    diff.add_argument("new", metavar="NEW", help="the spec as it is now")
    diff.add_argument(
        "--format",
        choices=("text", "json", "markdown"),
        default="text",
        help="output format (default: text; markdown for a pull request comment)",
    )
    diff.add_argument(
        "--fail-on",
        choices=("any", "migration", "never"),
        default="any",
        help="exit 1 on any change (default), only on changes that need migrating open "
        "incidents, or never",
    )
    simulate = commands.add_parser(
        "simulate",
        help="show when every SLA deadline and timer falls due for an incident left alone",
        description="Open an incident at LEVEL at the time --at, on a simulated clock, let "
        "time pass with nobody acting (following timers' transitions), and print every SLA "
        "deadline and timer firing with elapsed and working time. Exit 0 when printed, 1 "
        "when the spec has errors, 2 on usage or I/O errors.",
    )
    from incidentflow.drill.simulate_command import add_arguments as simulate_arguments

    simulate_arguments(simulate)
    report = commands.add_parser(
        "report",
        help="incident metrics from a store",
        description="Time to acknowledge, mitigate and resolve, time in state and SLA "
        "breaches, per incident and per level, computed from the audit events.",
    )
    report.add_argument("database", metavar="STORE", help=STORE_HELP)
    report.add_argument("--format", choices=("text", "json"), default="text")
    report.add_argument(
        "--now",
        metavar="TIME",
        help="the time open incidents are measured up to (ISO 8601; UTC without an offset; "
        "default: now)",
    )
    report.add_argument(
        "--since", metavar="TIME", help="only incidents opened at or after TIME (ISO 8601)"
    )
    report.add_argument(
        "--by-version",
        action="store_true",
        help="compare the versions of each process (the version each incident opened on)",
    )
    audit = commands.add_parser("audit", help="audit-trail tools")
    audit_commands = audit.add_subparsers(
        dest="audit_command", metavar="COMMAND", parser_class=_Parser, required=True
    )
    verify = audit_commands.add_parser(
        "verify",
        help="check every incident's hash chain and the index of a store",
        description="Read the store without changing it and check every incident's hash "
        "chain, the incidents index against the events and, with --anchor, that nothing "
        "the anchor recorded was cut or rewritten. Exit 0 when everything verifies, 1 when "
        "something does not, 2 when the file is not an incidentflow store or the anchor "
        "file is not an anchor.",
    )
    verify.add_argument("database", metavar="STORE", help=STORE_HELP)
    verify.add_argument(
        "--anchor", metavar="FILE", help="an anchor written by 'audit anchor' to verify against"
    )
    anchor = audit_commands.add_parser(
        "anchor",
        help="write a checkpoint of every incident's chain head, to keep elsewhere",
        description="Verify the store, then write every incident's last seq and hash, with "
        "one digest over them, as JSON: keep it where the store's writers cannot change "
        "it. Exit 0 when written, 1 when the store does not verify (nothing is written), "
        "2 when the file is not an incidentflow store or FILE cannot be written.",
    )
    anchor.add_argument("database", metavar="STORE", help=STORE_HELP)
    anchor.add_argument(
        "-o",
        "--output",
        metavar="FILE",
        required=True,
        help="write the anchor to FILE ('-': stdout)",
    )
    worker = commands.add_parser(
        "worker",
        help="fire due timers and deliver actions, beside any number of other workers",
        description="Fire every due timer and deliver every planned action of the specs' "
        "processes, round after round, until SIGTERM or SIGINT (the round in progress "
        "finishes). Any number of workers may share one store: a timer's effect happens "
        "exactly once, an action is delivered at least once (taken over after its lease "
        "when its worker dies). Exit 0 when stopped, 1 when a spec has errors, 2 on usage "
        "errors, a store that cannot be opened or that stayed down.",
    )
    worker.add_argument("specs", nargs="+", metavar="SPEC_OR_DIR", help="spec file or directory")
    worker.add_argument("--store", required=True, metavar="URL", help=STORE_HELP)
    worker.add_argument(
        "--actions",
        metavar="MODULE:OBJECT",
        help="the action handlers: a mapping of action name to handler, or a function "
        "returning one (imported from the current directory too); `builtin` for the "
        "built-in webhook, Slack, PagerDuty and e-mail handlers configured from "
        "INCIDENTFLOW_* environment variables (docs/delivery.md)",
    )
    worker.add_argument(
        "--lease",
        type=float,
        default=60.0,
        metavar="SECONDS",
        help="how long a started action is held without a heartbeat before another worker "
        "takes it over (default: 60)",
    )
    worker.add_argument(
        "--poll",
        type=float,
        default=5.0,
        metavar="SECONDS",
        help="the longest sleep between rounds (default: 5)",
    )
    worker.add_argument(
        "--id", dest="worker_id", metavar="NAME", help="recorded as the holder (default: host:pid)"
    )
    serve = commands.add_parser(
        "serve",
        help="run the HTTP API and web page (needs the serve extra)",
        description="Serve the JSON API (OpenAPI at /openapi.json), the intake endpoints "
        "and the web page for the specs' processes, with the worker loop inside unless "
        "--no-worker. Every request needs a token of --tokens (see `incidentflow token`). "
        "Exit 0 when stopped, 1 when a spec has errors, 2 on usage errors or a store that "
        "cannot be opened.",
    )
    serve.add_argument("specs", nargs="+", metavar="SPEC_OR_DIR", help="spec file or directory")
    serve.add_argument("--store", required=True, metavar="URL", help=STORE_HELP)
    serve.add_argument(
        "--tokens",
        default="incidentflow-tokens.json",
        metavar="FILE",
        help="the tokens file (default: incidentflow-tokens.json)",
    )
    serve.add_argument(
        "--host", default="127.0.0.1", help="address to listen on (default: 127.0.0.1)"
    )
    serve.add_argument("--port", type=int, default=8080, help="port (default: 8080)")
    serve.add_argument(
        "--no-worker",
        dest="worker",
        action="store_false",
        help="no worker loop inside: run `incidentflow worker` beside it",
    )
    serve.add_argument(
        "--actions", metavar="MODULE:OBJECT", help="the action handlers, as for `worker`"
    )
    serve.add_argument(
        "--mermaid",
        metavar="FILE",
        help="the mermaid.min.js the page draws flowcharts with (default: the packaged one)",
    )
    token = commands.add_parser(
        "token",
        help="add, revoke and list the tokens of `serve`",
        description="Manage the tokens file of `incidentflow serve`: only hashes are stored; "
        "`add` prints the new token once. Exit 0 when done, 2 on errors.",
    )
    token.add_argument("action", choices=("add", "revoke", "list"))
    token.add_argument("name", nargs="?", metavar="NAME", help="the person (or alert source)")
    token.add_argument(
        "--tokens", default="incidentflow-tokens.json", metavar="FILE", help="the tokens file"
    )
    token.add_argument(
        "--intake",
        dest="kind",
        action="store_const",
        const="intake",
        default="person",
        help="a token for an alert source (POST /api/intake/...), not for a person",
    )
    store = commands.add_parser(
        "store", help="create a store's schema, copy stores, read the versions they keep"
    )
    store_commands = store.add_subparsers(
        dest="store_command", metavar="COMMAND", parser_class=_Parser, required=True
    )
    init = store_commands.add_parser(
        "init",
        help="create or upgrade a store's schema (PostgreSQL: never done implicitly)",
        description="Create the store's tables, or upgrade them to this release's schema "
        "version, and print the version. Idempotent. Exit 0 when done, 2 when the store "
        "cannot be reached or its schema is newer than this release's.",
    )
    init.add_argument("url", metavar="STORE", help=STORE_HELP)
    copy = store_commands.add_parser(
        "copy",
        help="copy every incident and event to another store, verifying both",
        description="Verify SRC, then append to DST, per incident, the events DST lacks "
        "(one transaction each: interrupted, a re-run completes it without duplicates), "
        "then verify DST. Refuses, writing nothing, when SRC does not verify or DST holds a "
        "different history of an incident. Exit 0 when both verify, 1 when not, 2 when a "
        "store cannot be read or written.",
    )
    copy.add_argument("source", metavar="SRC", help=STORE_HELP)
    copy.add_argument("destination", metavar="DST", help=STORE_HELP)
    specs = store_commands.add_parser(
        "specs",
        help="list the process versions a store keeps, or print one's source",
        description="Without DIGEST, list every process version the store keeps (name, "
        "version, digest). With DIGEST (or a unique prefix of it), print that version's "
        "source as it was when incidents ran on it, for `docs`, `diff` or `render`. Exit 0 "
        "when done, 1 when no kept version matches DIGEST, 2 when the store cannot be read.",
    )
    specs.add_argument("url", metavar="STORE", help=STORE_HELP)
    specs.add_argument("digest", metavar="DIGEST", nargs="?", help="e.g. sha256:8f49297")
    from incidentflow.migration.command import add_parser as add_migrate_parser

    add_migrate_parser(commands, _Parser, STORE_HELP)
    commands.add_parser(
        "schema",
        help="print the JSON Schema of the spec format (for editors)",
        description="Print the JSON Schema of spec format v1.",
    )
    return parser


def run(argv: Sequence[str], stdout: TextIO, stderr: TextIO) -> int:
    """Run the command line with ``argv`` (without the program name); return the exit code."""
    parser = _parser(stdout)
    try:
        args = parser.parse_args(list(argv))
    except _UsageError as exc:
        stderr.write(str(exc))
        return EXIT_USAGE
    except SystemExit as exc:  # --help and --version print and exit 0
        if exc.code not in (0, None):
            return EXIT_USAGE
        return EXIT_OK
    if args.command == "validate":
        return _validate(args, stdout, stderr)
    if args.command == "render":
        return _render(args, stdout, stderr)
    if args.command == "docs":
        return _docs(args, stdout, stderr)
    if args.command == "demo":
        from incidentflow.demo import demo_command

        return demo_command(args.spec, args.keep, stdout, stderr)
    if args.command == "drill":
        return _drill(args, stdout, stderr)
    if args.command == "diff":
        from incidentflow.changes.command import diff_command

        return diff_command(args.old, args.new, args.format, args.fail_on, stdout, stderr)
    if args.command == "simulate":
        from incidentflow.drill.simulate_command import simulate_command

        return simulate_command(args, stdout, stderr)
    if args.command in ("report", "audit"):
        return _with_store(args, stdout, stderr)
    if args.command == "worker":
        from incidentflow.worker_command import worker_command

        return worker_command(
            args.store,
            args.specs,
            args.actions,
            args.lease,
            args.poll,
            args.worker_id,
            stdout,
            stderr,
        )
    if args.command == "serve":
        from incidentflow.serve.command import serve_command

        return serve_command(
            args.store,
            args.specs,
            tokens_path=args.tokens,
            host=args.host,
            port=args.port,
            worker=args.worker,
            actions=args.actions,
            mermaid=args.mermaid,
            stdout=stdout,
            stderr=stderr,
        )
    if args.command == "token":
        if args.action != "list" and not args.name:
            stderr.write(f"incidentflow token {args.action}: NAME is required\n")
            return EXIT_USAGE
        from incidentflow.serve.command import token_command

        return token_command(args.action, args.name, args.tokens, args.kind, stdout, stderr)
    if args.command == "store":
        from incidentflow.audit.store_commands import store_command

        return store_command(args, stdout, stderr)
    if args.command == "migrate":
        from incidentflow.migration.command import migrate_command

        return migrate_command(args, stdout, stderr)
    if args.command == "schema":
        from incidentflow.schema import json_schema

        stdout.write(json.dumps(json_schema(), indent=2) + "\n")
        return EXIT_OK
    parser.print_help(stdout)
    return EXIT_USAGE


def _validate(args: argparse.Namespace, stdout: TextIO, stderr: TextIO) -> int:
    from incidentflow.api import check_file, check_set
    from incidentflow.errors import InvalidSuppression, SpecFileError
    from incidentflow.reporting import format_github, format_json, format_text, summary
    from incidentflow.suppressions import disabled_codes

    try:
        disable = disabled_codes(
            c.strip() for arg in args.disable for c in arg.split(",") if c.strip()
        )
    except InvalidSuppression as exc:
        stderr.write(f"incidentflow validate: --disable {exc}\n")
        return EXIT_USAGE
    results = []
    code = EXIT_OK
    for raw in args.paths:
        path = Path(raw)
        try:
            if path.is_dir():
                found = check_set(path, disable=disable)
                if not found:
                    stderr.write(f"incidentflow: {raw}: no *.yaml or *.yml files found\n")
                    code |= EXIT_USAGE
                results.extend(found)
            else:
                results.append(check_file(path, disable=disable))
        except SpecFileError as exc:
            stderr.write(f"incidentflow: {exc}\n")
            code |= EXIT_USAGE
    diagnostics = [d for r in results for d in r.diagnostics]
    suppressed = [s for r in results for s in r.suppressed]
    shown = suppressed if args.show_suppressed else []
    if args.format == "json":
        stdout.write(format_json(diagnostics, shown))
    elif args.format == "github":
        stdout.write(format_github(diagnostics))
    elif args.format == "sarif":
        from incidentflow.sarif import format_sarif

        stdout.write(format_sarif(diagnostics, shown if args.show_suppressed else None))
    else:
        stdout.write(format_text(diagnostics, {r.file: r.text for r in results}, shown))
        if results:
            stdout.write(summary(diagnostics, len(results), len(suppressed)) + "\n")
    failing = any(d.is_error or args.strict for d in diagnostics)
    return code | (EXIT_SPEC_ERRORS if failing else EXIT_OK)


def _render(args: argparse.Namespace, stdout: TextIO, stderr: TextIO) -> int:
    from incidentflow.command_spec import process_or_exit
    from incidentflow.render import RenderError, diagram, draw, to_dot, to_mermaid

    if args.format == "png" and not args.output:
        stderr.write("incidentflow render: --format png needs -o FILE\n")
        return EXIT_USAGE
    process = process_or_exit(args.spec, stderr)
    if isinstance(process, int):
        return process
    try:
        drawn = diagram(
            process,
            group_by=args.group_by,
            severity=args.severity,
            detail=args.detail,
            phase=args.phase,
        )
        if args.format == "mermaid":
            output: str | bytes = to_mermaid(drawn)
        elif args.format == "dot":
            output = to_dot(drawn)
        else:
            output = draw(drawn, args.format)
    except RenderError as exc:
        stderr.write(f"incidentflow render: {exc}\n")
        return EXIT_USAGE
    if args.output:
        try:
            data = output.encode("utf-8") if isinstance(output, str) else output
            Path(args.output).write_bytes(data)
        except OSError as exc:
            stderr.write(f"incidentflow: {exc}\n")
            return EXIT_USAGE
    else:
        stdout.write(output if isinstance(output, str) else output.decode("utf-8"))
    return EXIT_OK


def _docs(args: argparse.Namespace, stdout: TextIO, stderr: TextIO) -> int:
    from incidentflow.errors import SpecFileError
    from incidentflow.publish import handbook_results, write_results
    from incidentflow.reporting import format_text

    try:
        results = handbook_results(Path(args.spec))
    except SpecFileError as exc:
        stderr.write(f"incidentflow: {exc}\n")
        return EXIT_USAGE
    if not results:
        stderr.write(f"incidentflow: {args.spec}: no *.yaml or *.yml files found\n")
        return EXIT_USAGE
    if any(r.process is None for r in results):  # spec problems: shown as validate shows them
        diagnostics = [d for r in results for d in r.diagnostics]
        stderr.write(format_text(diagnostics, {r.file: r.text for r in results}))
        return EXIT_SPEC_ERRORS
    try:
        written = write_results(results, Path(args.output))
    except OSError as exc:
        stderr.write(f"incidentflow: {exc}\n")
        return EXIT_USAGE
    for path in written:
        stdout.write(f"wrote {path}\n")
    return EXIT_OK


def _drill(args: argparse.Namespace, stdout: TextIO, stderr: TextIO) -> int:
    from incidentflow.command_spec import process_or_exit

    if args.scenario and args.level:
        stderr.write("incidentflow drill: --level applies to generated drills, not to --scenario\n")
        return EXIT_USAGE
    process = process_or_exit(args.spec, stderr)
    if isinstance(process, int):
        return process
    if args.scenario:
        from incidentflow.drill.scenarios.run import run_scenarios

        try:
            report = run_scenarios(process, [Path(p) for p in args.scenario])
        except OSError as exc:
            stderr.write(f"incidentflow: {exc}\n")
            return EXIT_USAGE
        stdout.write(report.format(args.format))
        return EXIT_OK if report.ok else EXIT_SPEC_ERRORS
    from incidentflow.drill.generated.run import drill

    try:
        drilled = drill(process, args.level)
    except ValueError as exc:  # a level the process does not have
        stderr.write(f"incidentflow drill: {exc}\n")
        return EXIT_USAGE
    stdout.write(drilled.format(args.format))
    return EXIT_OK if drilled.ok else EXIT_SPEC_ERRORS


def _with_store(args: argparse.Namespace, stdout: TextIO, stderr: TextIO) -> int:
    from incidentflow.errors import AuditError

    try:
        if args.command == "report":
            return _report(
                args.database,
                args.format,
                (args.now, args.since),
                stdout,
                stderr,
                by_version=args.by_version,
            )
        if args.audit_command == "anchor":
            return _anchor(args.database, args.output, stdout, stderr)
        return _verify(args.database, args.anchor, stdout, stderr)
    except BrokenPipeError:
        raise  # the reader of our output left: main() ends quietly
    except AuditError as exc:  # not a store, unreadable, or not an anchor: say which
        stderr.write(f"incidentflow: {exc}\n")
        return EXIT_USAGE
    except Exception as exc:  # a corrupt file: say so, never a traceback
        stderr.write(f"incidentflow: {args.database}: cannot read the event store: {exc}\n")
        return EXIT_USAGE


def _report(
    database: str,
    fmt: ReportFormat,
    window: tuple[str | None, str | None],
    stdout: TextIO,
    stderr: TextIO,
    *,
    by_version: bool = False,
) -> int:
    from datetime import UTC, datetime

    from incidentflow.audit.metrics import IncidentMetrics, metrics_by_incident, sla_clocks_from
    from incidentflow.audit.report import metrics_report, report_time
    from incidentflow.audit.specs import StoredSpec, stored_specs_of
    from incidentflow.audit.urls import read_store
    from incidentflow.audit.verify import ReadableStore
    from incidentflow.engine.versions import compile_stored

    until, after = window  # --now, --since
    try:
        now = datetime.now(UTC) if until is None else report_time(until, "--now")
        since = None if after is None else report_time(after, "--since")
    except ValueError as exc:
        stderr.write(f"incidentflow report: {exc}\n")
        return EXIT_USAGE

    def measured(store: ReadableStore) -> tuple[list[IncidentMetrics], list[StoredSpec]]:
        kept = stored_specs_of(store)
        # SLAs count in the calendars of the versions incidents opened on (business hours)
        clocks = sla_clocks_from(p for p in map(compile_stored, kept) if p is not None)
        return metrics_by_incident(store.all_events(), now, since=since, clock_for=clocks), kept

    metrics, kept = read_store(database, measured)
    stdout.write(metrics_report(metrics, fmt, by_version=by_version, kept=kept))
    return EXIT_OK


def _verify(database: str, anchor_path: str | None, stdout: TextIO, stderr: TextIO) -> int:
    from incidentflow.audit.anchor import Anchor
    from incidentflow.audit.report import verification_text
    from incidentflow.audit.urls import verify_url
    from incidentflow.errors import AuditError

    anchor = None
    if anchor_path is not None:
        try:
            text = Path(anchor_path).read_bytes()
        except OSError as exc:
            raise AuditError(anchor_path, f"cannot be read: {exc.strerror}") from None
        anchor = Anchor.from_json(text, source=anchor_path)
    report = verify_url(database, anchor=anchor)
    stdout.write(verification_text(report, anchor))
    return EXIT_OK if report.ok else EXIT_SPEC_ERRORS


def _anchor(database: str, output: str, stdout: TextIO, stderr: TextIO) -> int:
    from datetime import UTC, datetime

    from incidentflow.audit.report import anchor_summary, problems_text
    from incidentflow.audit.urls import anchor_url

    anchor, report = anchor_url(database, datetime.now(UTC))
    if anchor is None:
        stdout.write(problems_text(report))
        stderr.write(
            f"incidentflow: {database}: not anchored: {len(report.problems)} problem(s) "
            "(above); an anchor would vouch for them\n"
        )
        return EXIT_SPEC_ERRORS
    summary = anchor_summary(anchor, report)
    if output == "-":
        stdout.write(anchor.to_json())
        stderr.write(summary)
        return EXIT_OK
    try:
        Path(output).write_text(anchor.to_json(), encoding="utf-8")
    except OSError as exc:
        stderr.write(f"incidentflow: {exc}\n")
        return EXIT_USAGE
    stdout.write(f"wrote {output}: {summary}")
    return EXIT_OK


def main() -> None:
    """Console-script entry point."""
    # Skips pydantic's plugin loader (importlib.metadata) for commands that run no user
    # code; hosts that import incidentflow are not affected: this runs only for the CLI.
    prepare(sys.argv[1:])
    try:
        code = run(sys.argv[1:], sys.stdout, sys.stderr)
        sys.stdout.flush()  # inside the try: a closed pipe often shows only when flushing
    except BrokenPipeError:
        # The reader left (`incidentflow validate ... | head`). As Python's documentation
        # advises (signal module, "Note on SIGPIPE"), point stdout at devnull so that the
        # flush at exit cannot fail again, and exit as a program stopped by SIGPIPE would.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        sys.exit(EXIT_BROKEN_PIPE)
    sys.exit(code)
