"""The command line: ``incidentflow validate | schema``.

``main()`` only calls :func:`run`, which takes its argument list and streams, so
that tests drive it directly. Exit codes: 0 clean, 1 spec errors (or warnings
with ``--strict``), 2 usage or I/O errors. No traceback reaches the user.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TextIO

from incidentflow._version import __version__

EXIT_OK, EXIT_SPEC_ERRORS, EXIT_USAGE = 0, 1, 2


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


def main() -> None:
    """Console-script entry point."""
    sys.exit(run(sys.argv[1:], sys.stdout, sys.stderr))
