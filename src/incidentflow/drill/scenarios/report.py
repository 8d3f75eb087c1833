"""What a run of scenario files found: per step, per scenario, as text, JSON or Markdown.

:class:`ScenarioReport` is plain data; the same scenarios always give the same report
(simulated time only, incident ids counted from 1).
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta

from incidentflow.audit.timeline import offset
from incidentflow.diagnostics import Diagnostic
from incidentflow.reporting import format_text

FORMATS = ("text", "json", "markdown")


@dataclass(frozen=True, slots=True)
class StepResult:
    """What one step did.

    ``status``: ``ok``; ``refused`` (refused, as the step expected); ``failed``;
    ``skipped`` (not run, because an earlier step failed in a way that stops the run).
    ``at`` is the simulated time since the scenario's start when the step ran.
    """

    index: int
    line: int
    column: int
    kind: str
    text: str
    status: str
    outcome: str
    at: timedelta

    def as_dict(self) -> dict[str, object]:
        """The JSON form."""
        return {
            "index": self.index,
            "line": self.line,
            "column": self.column,
            "action": self.kind,
            "step": self.text,
            "status": self.status,
            "outcome": self.outcome,
            "at_seconds": self.at.total_seconds(),
        }


@dataclass(frozen=True, slots=True)
class ScenarioResult:
    """One scenario file, run (or found invalid).

    ``status``: ``passed``, ``failed`` (it ran and something did not hold) or
    ``invalid`` (the file has problems, so it did not run).
    """

    file: str
    name: str
    description: str
    status: str
    steps: tuple[StepResult, ...]
    diagnostics: tuple[Diagnostic, ...]
    incident: str | None = None
    state: str | None = None
    severity: str | None = None
    closed: bool = False
    elapsed: timedelta = timedelta(0)
    events: int = 0
    audit_verified: bool | None = None
    actions: tuple[str, ...] = ()

    @property
    def passed(self) -> bool:
        """True when the scenario ran and every step and expectation held."""
        return self.status == "passed"

    def as_dict(self) -> dict[str, object]:
        """The JSON form."""
        return {
            "file": self.file,
            "name": self.name,
            "description": self.description,
            "status": self.status,
            "incident": self.incident,
            "final": {"state": self.state, "severity": self.severity, "closed": self.closed},
            "simulated_seconds": self.elapsed.total_seconds(),
            "events": self.events,
            "audit_verified": self.audit_verified,
            "actions": dict(sorted(Counter(self.actions).items())),
            "steps": [s.as_dict() for s in self.steps],
            "diagnostics": [d.as_dict() for d in self.diagnostics],
        }


@dataclass(frozen=True, slots=True)
class ScenarioReport:
    """The outcome of running scenario files against one process."""

    process: str
    results: tuple[ScenarioResult, ...]
    sources: Mapping[str, str | None]
    skipped: tuple[tuple[str, str], ...] = ()  # (file, why): directory entries left out
    problems: tuple[Diagnostic, ...] = ()  # about the paths themselves (an empty directory)

    @property
    def ok(self) -> bool:
        """True when every scenario passed (and every path named held scenarios)."""
        return not self.problems and all(r.passed for r in self.results)

    @property
    def diagnostics(self) -> list[Diagnostic]:
        """Every problem: invalid files, failed expectations, refused steps, in file order."""
        return [*self.problems, *(d for r in self.results for d in r.diagnostics)]

    def counts(self) -> dict[str, int]:
        """How many scenarios passed, failed and were invalid."""
        tally = Counter(r.status for r in self.results)
        return {
            "scenarios": len(self.results),
            "passed": tally["passed"],
            "failed": tally["failed"],
            "invalid": tally["invalid"],
        }

    def format(self, fmt: str) -> str:
        """The report as ``text``, ``json`` or ``markdown``."""
        if fmt == "text":
            return _format_text(self)
        if fmt == "json":
            return _format_json(self)
        if fmt == "markdown":
            return _format_markdown(self)
        raise ValueError(f"unknown format {fmt!r}; choose one of {', '.join(FORMATS)}")


# --- formats ----------------------------------------------------------------------------


def _headline(report: ScenarioReport) -> str:
    c = report.counts()
    noun = "scenario" if c["scenarios"] == 1 else "scenarios"
    parts = [f"{c['passed']} passed", f"{c['failed']} failed"]
    if c["invalid"]:
        parts.append(f"{c['invalid']} invalid")
    if report.skipped:
        parts.append(f"{len(report.skipped)} skipped")
    return f"{c['scenarios']} {noun} on {report.process}: {', '.join(parts)}"


def _facts(result: ScenarioResult) -> str:
    if result.status == "invalid":
        n = len(result.diagnostics)
        return f"{n} problem{'s' * (n != 1)} in the file; not run"
    final = (
        f"ended {'closed' if result.closed else 'open'} in '{result.state}' at {result.severity}"
        if result.incident
        else "no incident opened"
    )
    audit = {True: "audit verified", False: "AUDIT BROKEN", None: "no audit"}[result.audit_verified]
    return (
        f"{len(result.steps)} steps, {offset(result.elapsed)} simulated, {final}, "
        f"{result.events} events, {audit}"
    )


def _format_text(report: ScenarioReport) -> str:
    blocks = []
    for result in report.results:
        title = f' "{result.name}"' if result.name else ""
        lines = [f"{result.status.upper()} {result.file}{title}", f"  {_facts(result)}"]
        width = max((len(str(s.line)) for s in result.steps), default=1)
        for s in result.steps:
            lines.append(
                f"  {s.status:<8}{offset(s.at):>9}  line {s.line:<{width}}  {s.text}: {s.outcome}"
            )
        if result.diagnostics:
            lines.append("")
            lines.append(format_text(result.diagnostics, report.sources).rstrip("\n"))
        blocks.append("\n".join(lines))
    if report.problems:
        blocks.append(format_text(report.problems, {}).rstrip("\n"))
    if report.skipped:
        blocks.append("\n".join(f"SKIPPED {file}: {why}" for file, why in report.skipped))
    blocks.append(_headline(report))
    return "\n\n".join(blocks) + "\n"


def _format_json(report: ScenarioReport) -> str:
    data = {
        "process": report.process,
        "ok": report.ok,
        "summary": report.counts(),
        "scenarios": [r.as_dict() for r in report.results],
        "skipped": [{"file": f, "reason": why} for f, why in report.skipped],
        "diagnostics": [d.as_dict() for d in report.diagnostics],
    }
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


def _cell(text: str) -> str:
    return text.replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ")


def _format_markdown(report: ScenarioReport) -> str:
    out = [f"# Tabletop scenarios: {report.process}", "", f"**{_headline(report)}**", ""]
    out += ["| Scenario | File | Result | Summary |", "|---|---|---|---|"]
    for r in report.results:
        out.append(
            f"| {_cell(r.name or '-')} | `{_cell(r.file)}` | {r.status} | {_cell(_facts(r))} |"
        )
    for r in report.results:
        out += ["", f"## {_cell(r.name or r.file)} ({r.status})", ""]
        if r.description:
            out += [r.description.strip(), ""]
        if r.steps:
            out += ["| Line | Time | Step | Result | Outcome |", "|---:|---|---|---|---|"]
            for s in r.steps:
                out.append(
                    f"| {s.line} | {offset(s.at)} | {_cell(s.text)} | {s.status} | "
                    f"{_cell(s.outcome)} |"
                )
        if r.diagnostics:
            out += ["", "Problems:", ""]
            for d in r.diagnostics:
                hint = f" ({_cell(d.hint)})" if d.hint else ""
                out.append(f"- `{d.file}:{d.line}:{d.column}` {d.code} {_cell(d.message)}{hint}")
    if report.problems or report.skipped:
        out += ["", "## Not run", ""]
        for d in report.problems:
            out.append(f"- `{d.file}` {d.code} {_cell(d.message)}")
        for file, why in report.skipped:
            out.append(f"- `{file}` skipped: {why}")
    return "\n".join(out) + "\n"
