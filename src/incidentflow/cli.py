"""The command line: ``incidentflow validate | render | docs | schema | demo | drill | report | audit verify``.

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
from typing import TextIO

from incidentflow._version import __version__

EXIT_OK, EXIT_SPEC_ERRORS, EXIT_USAGE = 0, 1, 2
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
        choices=("text", "json", "github"),
        default="text",
        help="output format (default: text)",
    )
    validate.add_argument("--strict", action="store_true", help="warnings fail too")
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
        help="run a scripted incident end to end and show its timeline, metrics and audit",
        description="Run one scripted SEV1 incident through the major-incident example "
        "with an SQLite store, then print its timeline, metrics and audit verification.",
    )
    demo.add_argument(
        "--spec", metavar="FILE", help="spec to use (default: the major-incident example)"
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
    report = commands.add_parser(
        "report",
        help="incident metrics from an SQLite store",
        description="Time to acknowledge, mitigate and resolve, time in state and SLA "
        "breaches, per incident and per level, computed from the audit events.",
    )
    report.add_argument("database", metavar="DB", help="SQLite file written by SQLiteStore")
    report.add_argument("--format", choices=("text", "json"), default="text")
    audit = commands.add_parser("audit", help="audit-trail tools")
    audit_commands = audit.add_subparsers(
        dest="audit_command", metavar="COMMAND", parser_class=_Parser, required=True
    )
    verify = audit_commands.add_parser(
        "verify",
        help="check the hash chain of every incident in an SQLite store",
        description="Exit 0 when every incident's log verifies, 1 when one does not.",
    )
    verify.add_argument("database", metavar="DB", help="SQLite file written by SQLiteStore")
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
        return _validate(args.paths, args.format, args.strict, stdout, stderr)
    if args.command == "render":
        return _render(args, stdout, stderr)
    if args.command == "docs":
        return _docs(args, stdout, stderr)
    if args.command == "demo":
        from incidentflow.demo import run_demo

        try:
            return run_demo(
                stdout,
                Path(args.keep) if args.keep else None,
                Path(args.spec) if args.spec else None,
            )
        except BrokenPipeError:
            raise  # the reader of our output left: main() ends quietly
        except OSError as exc:
            stderr.write(f"incidentflow: {exc}\n")
            return EXIT_USAGE
    if args.command == "drill":
        return _drill(args, stdout, stderr)
    if args.command in ("report", "audit"):
        return _with_store(args, stdout, stderr)
    if args.command == "schema":
        from incidentflow.schema import json_schema

        stdout.write(json.dumps(json_schema(), indent=2) + "\n")
        return EXIT_OK
    parser.print_help(stdout)
    return EXIT_USAGE


def _validate(paths: list[str], fmt: str, strict: bool, stdout: TextIO, stderr: TextIO) -> int:
    from incidentflow.api import check_file, check_set
    from incidentflow.errors import SpecFileError
    from incidentflow.reporting import format_github, format_json, format_text, summary

    results = []
    code = EXIT_OK
    for raw in paths:
        path = Path(raw)
        try:
            if path.is_dir():
                found = check_set(path)
                if not found:
                    stderr.write(f"incidentflow: {raw}: no *.yaml or *.yml files found\n")
                    code |= EXIT_USAGE
                results.extend(found)
            else:
                results.append(check_file(path))
        except SpecFileError as exc:
            stderr.write(f"incidentflow: {exc}\n")
            code |= EXIT_USAGE
    diagnostics = [d for r in results for d in r.diagnostics]
    if fmt == "json":
        stdout.write(format_json(diagnostics))
    elif fmt == "github":
        stdout.write(format_github(diagnostics))
    else:
        stdout.write(format_text(diagnostics, {r.file: r.text for r in results}))
        if results:
            stdout.write(summary(diagnostics, len(results)) + "\n")
    failing = any(d.is_error or strict for d in diagnostics)
    return code | (EXIT_SPEC_ERRORS if failing else EXIT_OK)


def _render(args: argparse.Namespace, stdout: TextIO, stderr: TextIO) -> int:
    from incidentflow.api import check_file
    from incidentflow.errors import SpecFileError
    from incidentflow.render import RenderError, diagram, draw, to_dot, to_mermaid
    from incidentflow.reporting import format_text

    if args.format == "png" and not args.output:
        stderr.write("incidentflow render: --format png needs -o FILE\n")
        return EXIT_USAGE
    try:
        result = check_file(Path(args.spec))
    except SpecFileError as exc:
        stderr.write(f"incidentflow: {exc}\n")
        return EXIT_USAGE
    if result.process is None:  # spec problems: shown as validate shows them
        stderr.write(format_text(result.diagnostics, {result.file: result.text}))
        return EXIT_SPEC_ERRORS
    try:
        drawn = diagram(
            result.process,
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
    from incidentflow.render.handbook import handbook_results, write_results
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
    from incidentflow.api import check_file
    from incidentflow.errors import SpecFileError
    from incidentflow.reporting import format_text

    if args.scenario and args.level:
        stderr.write("incidentflow drill: --level applies to generated drills, not to --scenario\n")
        return EXIT_USAGE
    try:
        result = check_file(Path(args.spec))
    except SpecFileError as exc:
        stderr.write(f"incidentflow: {exc}\n")
        return EXIT_USAGE
    process = result.process
    if process is None:  # spec problems: shown as validate shows them
        stderr.write(format_text(result.diagnostics, {result.file: result.text}))
        return EXIT_SPEC_ERRORS
    if args.scenario:
        from incidentflow.drill.scenario import run_scenarios

        try:
            report = run_scenarios(process, [Path(p) for p in args.scenario])
        except OSError as exc:
            stderr.write(f"incidentflow: {exc}\n")
            return EXIT_USAGE
        stdout.write(report.format(args.format))
        return EXIT_OK if report.ok else EXIT_SPEC_ERRORS
    from incidentflow.drill.runner import drill

    try:
        drilled = drill(process, args.level)
    except ValueError as exc:  # a level the process does not have
        stderr.write(f"incidentflow drill: {exc}\n")
        return EXIT_USAGE
    stdout.write(drilled.format(args.format))
    return EXIT_OK if drilled.ok else EXIT_SPEC_ERRORS


def _with_store(args: argparse.Namespace, stdout: TextIO, stderr: TextIO) -> int:
    from incidentflow.audit.sqlite import SQLiteStore

    path = Path(args.database)
    if not path.is_file():
        stderr.write(f"incidentflow: {path}: no such database file\n")
        return EXIT_USAGE
    try:
        store = SQLiteStore(path)
        if args.command == "report":
            return _report(store, args.format, stdout)
        return _verify(store, stdout)
    except BrokenPipeError:
        raise  # the reader of our output left: main() ends quietly
    except Exception as exc:  # a corrupt or foreign file: say so, never a traceback
        stderr.write(f"incidentflow: {path}: cannot read the event store: {exc}\n")
        return EXIT_USAGE


def _report(store: object, fmt: str, stdout: TextIO) -> int:
    from datetime import UTC, datetime

    from incidentflow.audit.metrics import metrics_by_incident, summarise
    from incidentflow.audit.sqlite import SQLiteStore
    from incidentflow.timeline import duration

    assert isinstance(store, SQLiteStore)
    metrics = metrics_by_incident(store.all_events(), datetime.now(UTC))
    levels = summarise(metrics)
    if fmt == "json":
        payload = {
            "incidents": [m.as_dict() for m in metrics],
            "levels": [
                {
                    "process": s.process,
                    "severity": s.severity,
                    "incidents": s.incidents,
                    "median_time_to_acknowledge": _seconds(s.median_time_to_acknowledge),
                    "median_time_to_mitigate": _seconds(s.median_time_to_mitigate),
                    "median_time_to_resolve": _seconds(s.median_time_to_resolve),
                    "breaches": s.breaches,
                }
                for s in levels
            ],
        }
        stdout.write(json.dumps(payload, indent=2) + "\n")
        return EXIT_OK
    stdout.write(f"{len(metrics)} incident(s)\n\n")
    header = f"{'process':<20} {'level':<6} {'n':>4} {'ack':>9} {'mitigate':>9} {'resolve':>10}  breaches"
    stdout.write(header + "\n")
    for s in levels:
        breaches = ", ".join(f"{k} {v}" for k, v in sorted(s.breaches.items())) or "none"
        stdout.write(
            f"{s.process:<20} {s.severity:<6} {s.incidents:>4} "
            f"{duration(s.median_time_to_acknowledge):>9} {duration(s.median_time_to_mitigate):>9} "
            f"{duration(s.median_time_to_resolve):>10}  {breaches}\n"
        )
    stdout.write(
        "\n(median times from opening; durations of incidents still open count up to now)\n"
    )
    return EXIT_OK


def _seconds(value: object) -> float | None:
    from datetime import timedelta

    return value.total_seconds() if isinstance(value, timedelta) else None


def _verify(store: object, stdout: TextIO) -> int:
    from incidentflow.audit.events import verify_chain
    from incidentflow.audit.sqlite import SQLiteStore

    assert isinstance(store, SQLiteStore)
    ids = store.incident_ids()
    problems = [p for iid in ids if (p := verify_chain(iid, store.events(iid))) is not None]
    for p in problems:
        stdout.write(f"{p.incident_id}: event {p.seq}: {p.problem}: {p.detail}\n")
    events = sum(len(store.events(iid)) for iid in ids)
    verdict = "all hash chains verify" if not problems else f"{len(problems)} do not verify"
    stdout.write(f"{len(ids)} incident(s), {events} event(s): {verdict}\n")
    return EXIT_SPEC_ERRORS if problems else EXIT_OK


def main() -> None:
    """Console-script entry point."""
    # This process only validates its own spec models, which use no pydantic plugin;
    # skipping the plugin scan (an entry-point lookup) saves about 25 ms of start-up.
    # Hosts that import incidentflow are not affected: this runs only for the CLI.
    os.environ.setdefault("PYDANTIC_DISABLE_PLUGINS", "__all__")
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
