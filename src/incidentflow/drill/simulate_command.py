"""``incidentflow simulate``: read the arguments, run :func:`~incidentflow.drill.simulate.simulate`,
print the timeline. Exit 0 when printed, 1 when the spec has errors, 2 on usage or I/O
errors (an unknown level, a time that does not exist in its zone, an unknown zone)."""

from __future__ import annotations

import argparse
import json
from datetime import UTC, datetime, tzinfo
from typing import TYPE_CHECKING, TextIO

if TYPE_CHECKING:
    from incidentflow.compiler.process import Process
    from incidentflow.drill.simulate import Simulation

EXIT_OK, EXIT_SPEC_ERRORS, EXIT_USAGE = 0, 1, 2


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The command's arguments (cli.py registers the command)."""
    parser.add_argument("spec", metavar="SPEC", help="spec file")
    parser.add_argument(
        "--severity", metavar="LEVEL", help="the level to open at (needed without --scenario)"
    )
    parser.add_argument(
        "--at",
        metavar="TIME",
        help="when it opens, ISO 8601 (2026-03-27T16:00); without an offset, in --tz "
        "(needed without --scenario; with one, it moves the scenario's start)",
    )
    parser.add_argument(
        "--scenario",
        metavar="FILE",
        help="people act as this scenario file says (docs/scenarios.md), then nobody",
    )
    parser.add_argument(
        "--tz",
        metavar="ZONE",
        help="IANA time zone for --at and the output (default: the zone of the level's "
        "calendar, UTC for 'always')",
    )
    parser.add_argument(
        "--for",
        dest="span",
        default="7d",
        metavar="DURATION",
        help="how long to let time pass (default: 7d, at most 365d)",
    )
    parser.add_argument("--format", choices=("text", "json"), default="text")


def simulate_command(args: argparse.Namespace, stdout: TextIO, stderr: TextIO) -> int:
    """Run the command for parsed ``args``."""
    from incidentflow.calendars import time_zone
    from incidentflow.command_spec import process_or_exit
    from incidentflow.drill.simulate import simulate
    from incidentflow.spec.durations import parse_duration

    process = process_or_exit(args.spec, stderr)
    if isinstance(process, int):
        return process
    if args.scenario is not None:
        return _with_scenario(args, process, stdout, stderr)
    if args.severity is None or args.at is None:
        stderr.write("incidentflow simulate: give --severity and --at (or --scenario)\n")
        return EXIT_USAGE
    if args.severity not in process.level_ids:
        levels = ", ".join(process.level_ids)
        stderr.write(f"incidentflow simulate: no level '{args.severity}'; levels are: {levels}\n")
        return EXIT_USAGE
    try:
        zone = time_zone(args.tz) if args.tz else process.sla_calendar(args.severity).zone
        opened_at = parse_moment(args.at, zone)
        span = parse_duration(args.span)
    except ValueError as exc:
        stderr.write(f"incidentflow simulate: {exc}\n")
        return EXIT_USAGE
    return _print(simulate(process, args.severity, opened_at, span, zone), args.format, stdout)


def _with_scenario(
    args: argparse.Namespace, process: Process, stdout: TextIO, stderr: TextIO
) -> int:
    from incidentflow.calendars import time_zone
    from incidentflow.drill.scenarios.load import load_scenario
    from incidentflow.drill.simulate import simulate_scenario
    from incidentflow.reporting import format_text
    from incidentflow.spec.durations import parse_duration

    if args.severity is not None:
        stderr.write("incidentflow simulate: the scenario opens the incident: no --severity\n")
        return EXIT_USAGE
    scenario = load_scenario(args.scenario, process)
    if isinstance(scenario, list):  # its problems, each at its position
        stderr.write(format_text(scenario, {}))
        return EXIT_SPEC_ERRORS
    try:
        zone = time_zone(args.tz) if args.tz else None  # default: its SLA calendar's zone
        opened_at = None if args.at is None else parse_moment(args.at, zone or UTC)
        simulation = simulate_scenario(
            process, scenario, opened_at, parse_duration(args.span), zone
        )
    except ValueError as exc:
        stderr.write(f"incidentflow simulate: {exc}\n")
        return EXIT_USAGE
    return _print(simulation, args.format, stdout)


def _print(simulation: Simulation, fmt: str, stdout: TextIO) -> int:
    if fmt == "json":
        stdout.write(json.dumps(simulation.as_dict(), indent=2) + "\n")
    else:
        stdout.write(simulation.text())
    return EXIT_OK


def parse_moment(text: str, zone: tzinfo) -> datetime:
    """An ISO 8601 time; without an offset it is read on ``zone``'s wall clock (the first of
    two when the clocks go back). ValueError for a time the clocks skip in ``zone``."""
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        raise ValueError(
            f"--at '{text}' is not an ISO 8601 time such as 2026-03-27T16:00"
        ) from None
    if moment.tzinfo is not None:
        return moment
    local = moment.replace(tzinfo=zone)
    there_and_back = local.astimezone(UTC).astimezone(zone).replace(tzinfo=None)
    if there_and_back != moment:
        name = getattr(zone, "key", str(zone))
        raise ValueError(
            f"--at '{text}' does not exist in {name}: the clocks skip it (daylight saving); "
            f"try {there_and_back.isoformat(timespec='minutes')}"
        )
    return local
