"""``incidentflow demo``: one scripted SEV1 incident, end to end, on an SQLite store.

It opens the incident from a monitoring signal, assigns roles, shows two
refusals (a wrong role, a missing checklist item), lets a timer fire, walks the
incident through mitigation and the postmortem to closed, then prints the
timeline, the metrics and the audit verification. The clock is simulated, so
the output is the same on every run (but for the temporary path).
"""

from __future__ import annotations

import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TextIO

from incidentflow.api import load
from incidentflow.audit.metrics import incident_metrics
from incidentflow.audit.sqlite import SQLiteStore
from incidentflow.engine.engine import ActionRequest, Engine
from incidentflow.errors import OperationRefused
from incidentflow.examples import example_spec
from incidentflow.timeline import duration, timeline

START = datetime(2026, 1, 12, 9, 0, tzinfo=UTC)


def run_demo(out: TextIO, directory: Path | None = None, spec: Path | None = None) -> int:
    """Run the scripted incident; write to ``out``; return 0 when the audit verifies."""
    spec_path = spec or example_spec("major-incident.yaml")
    if directory is not None:
        directory.mkdir(parents=True, exist_ok=True)
        return _run(out, spec_path, directory)
    with tempfile.TemporaryDirectory(prefix="incidentflow-demo-") as tmp:
        return _run(out, spec_path, Path(tmp))


def _run(out: TextIO, spec_path: Path, directory: Path) -> int:
    process = load(spec_path)
    now = [START]
    store = SQLiteStore(directory / "incidents.db")
    said: list[str] = []

    def handler(request: ActionRequest) -> None:
        who = {role: sorted(people) or ["nobody yet"] for role, people in request.holders.items()}
        detail = ", ".join(f"{k}={v}" for k, v in request.params.items())
        extra = "; ".join(f"{r} held by {', '.join(p)}" for r, p in who.items())
        said.append(f"{request.action}({detail}){' - ' + extra if extra else ''}")

    engine = Engine(
        process,
        store=store,
        clock=lambda: now[0],
        handlers=dict.fromkeys(process.spec.actions, handler),
    )

    def at(minutes: float) -> None:
        now[0] = START + timedelta(minutes=minutes)

    def refused(what: str, action: object) -> None:
        try:
            action()  # type: ignore[operator]
        except OperationRefused as exc:
            out.write(f"  refused as expected: {what}: {exc.reason}: {exc.detail}\n")

    out.write(f"incidentflow demo: a scripted SEV1 incident on {spec_path.name}\n")
    out.write(f"store: {store.path}\n\n")
    incident = engine.signal({"service": "api", "availability": 0.42, "region": "eu-west-1"})
    assert incident is not None, "the demo signal matches the api_outage trigger"
    iid = incident.id
    for role, person in (
        ("responder", "rita"),
        ("commander", "carol"),
        ("scribe", "sam"),
        ("comms", "cora"),
    ):
        engine.assign(iid, role, person, actor="system")
    at(3)
    engine.fire(iid, "acknowledge", actor="rita")
    at(6)
    refused(
        "mallory starts mitigation", lambda: engine.fire(iid, "start_mitigation", actor="mallory")
    )
    refused(
        "carol starts mitigation too early",
        lambda: engine.fire(iid, "start_mitigation", actor="carol"),
    )
    for item in ("impact_confirmed", "severity_confirmed", "roles_assigned"):
        engine.check(iid, item, actor="carol")
    at(12)
    engine.fire(iid, "start_mitigation", actor="carol")
    engine.tick(START + timedelta(minutes=45))  # the 30-minute status update falls due
    at(50)
    for item in ("mitigation_applied", "customer_impact_ended"):
        engine.check(iid, item, actor="rita")
    engine.fire(iid, "hand_over", actor="rita")
    at(95)
    engine.check(iid, "metrics_nominal", actor="rita")
    engine.fire(iid, "start_review", actor="carol")
    at(3 * 60 + 40)  # the postmortem review, compressed for the demo
    for item in ("timeline_complete", "postmortem_published", "action_items_filed"):
        engine.check(iid, item, actor="carol")
    engine.fire(iid, "close", actor="carol")

    events = engine.history(iid)
    out.write("\nTimeline\n")
    decisions = [e for e in events if not e.kind.startswith("action_")]
    out.write("\n".join(timeline(decisions)) + "\n")
    out.write("\nActions the host performed\n")
    out.write("".join(f"  {line}\n" for line in said))
    m = incident_metrics(events, now[0])
    out.write("\nMetrics\n")
    out.write(f"  time to acknowledge  {duration(m.time_to_acknowledge)}\n")
    out.write(f"  time to mitigate     {duration(m.time_to_mitigate)}\n")
    out.write(f"  time to resolve      {duration(m.time_to_resolve)}\n")
    out.write(f"  SLA breaches         {', '.join(m.breached) or 'none'}\n")
    report = engine.verify()
    out.write("\nAudit\n")
    state = "verified" if report.ok else f"BROKEN: {report.problems}"
    out.write(f"  {len(events)} events, SHA-256 hash chain {state}\n")
    store.close()
    return 0 if report.ok else 1
